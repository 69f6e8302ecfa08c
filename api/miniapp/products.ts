/**
 * The upload Mini App's product API: what the page needs to draw its form (the seller's shop, the
 * categories in the user's language, the limits), a draft product, editing it, and publishing it once
 * its file is stored. Only the seller's own products are ever read or changed; anyone else's look like
 * none (404). Publishing makes the product visible, or puts it in the admins' review queue when
 * `PRODUCT_REVIEW` is on.
 */
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { fromMinor } from '../../domain/money';
import { newProductId, PRODUCT_CURRENCIES, ProductInputError, type ProductStatus } from '../../domain/product';
import { createI18n, pickLocale, type Locale } from '../../bot/i18n';
import { editProduct, productColumns } from '../../infrastructure/catalog/products';
import type { Config } from '../../infrastructure/config';
import type { Database } from '../../infrastructure/db/client';
import { categories, productFiles, products, sellers, users } from '../../infrastructure/db/schema';
import { telegramUserOf } from './auth';

export interface ProductRoutesOptions {
  db: Database;
  config: Pick<Config, 'uploads'>;
  /** The largest cover or preview image. */
  imageMaxBytes: number;
}

const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ ok: false, error });

/** Statuses from which a seller may publish; an active or pending product is already published. */
const PUBLISHABLE: readonly ProductStatus[] = ['draft', 'hidden', 'rejected'];

export const productRoutes: FastifyPluginAsync<ProductRoutesOptions> = async (app, options) => {
  const { db } = options;
  const sellerOf = async (userId: number) => (await db.select().from(sellers).where(eq(sellers.userId, userId)))[0];
  const ownProduct = async (userId: number, productId: string) =>
    (
      await db
        .select()
        .from(products)
        .where(and(eq(products.id, productId), eq(products.sellerId, userId), isNull(products.deletedAt)))
    )[0];
  const filesOf = (productId: string) =>
    db
      .select({
        role: productFiles.role,
        name: productFiles.originalName,
        size: productFiles.sizeBytes,
        contentType: productFiles.contentType,
        state: productFiles.state,
        refusalReason: productFiles.refusalReason,
      })
      .from(productFiles)
      .where(and(eq(productFiles.productId, productId), inArray(productFiles.state, ['uploading', 'stored'])))
      .orderBy(asc(productFiles.createdAt));

  /** Everything the page's form needs, in the user's language. */
  app.get('/session', async (request) => {
    const user = telegramUserOf(request);
    const seller = await sellerOf(user.id);
    const [profile] = await db.select({ language: users.language }).from(users).where(eq(users.id, user.id));
    const locale = pickLocale(profile?.language, user.languageCode);
    const rows = await db.select().from(categories).orderBy(asc(categories.sortOrder));
    return {
      ok: true,
      user: { id: user.id, firstName: user.firstName },
      shop: seller ? { name: seller.displayName, slug: seller.shopSlug } : null,
      categories: rows.map((row) => ({ id: row.id, name: row.names[locale] ?? row.names.en })),
      currencies: PRODUCT_CURRENCIES,
      limits: {
        fileMaxBytes: options.config.uploads.maxBytes,
        imageMaxBytes: options.imageMaxBytes,
        partBytes: options.config.uploads.partBytes,
      },
      review: options.config.uploads.review,
      locale,
      texts: pageTexts(locale),
    };
  });

  /** A draft product of the caller's shop; its files are uploaded to it next. */
  app.post<{ Body: ProductBody }>('/products', { schema: { body: PRODUCT_SCHEMA } }, async (request, reply) => {
    const user = telegramUserOf(request);
    if (!(await sellerOf(user.id))) return refuse(reply, 403, 'open a shop with /sell in the bot first');
    return asInput(reply, async () => {
      const id = newProductId();
      await db
        .insert(products)
        .values({ id, sellerId: user.id, ...(await productColumns(db, request.body, undefined)) });
      return reply.code(201).send({ ok: true, productId: id });
    });
  });

  app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
    const product = await ownProduct(telegramUserOf(request).id, request.params.id);
    if (!product) return refuse(reply, 404, 'no such product in your shop');
    return { ok: true, product: shownProduct(product), files: await filesOf(product.id) };
  });

  /** Changes the given fields; an active product that needs review goes back to the queue. */
  app.patch<{ Params: { id: string }; Body: Partial<ProductBody> }>(
    '/products/:id',
    { schema: { body: { ...PRODUCT_SCHEMA, required: [] } } },
    async (request, reply) => {
      const product = await ownProduct(telegramUserOf(request).id, request.params.id);
      if (!product) return refuse(reply, 404, 'no such product in your shop');
      return asInput(reply, async () => {
        const updated = await editProduct(db, product, request.body, { review: options.config.uploads.review });
        if (!updated) return refuse(reply, 404, 'no such product in your shop');
        return { ok: true, product: shownProduct(updated) };
      });
    },
  );

  /** Publishes a product whose file is stored: active, or pending review when reviews are on. */
  app.post<{ Params: { id: string } }>('/products/:id/publish', async (request, reply) => {
    const product = await ownProduct(telegramUserOf(request).id, request.params.id);
    if (!product) return refuse(reply, 404, 'no such product in your shop');
    if (!PUBLISHABLE.includes(product.status)) return { ok: true, status: product.status };
    const [file] = await db
      .select({ id: productFiles.id })
      .from(productFiles)
      .where(
        and(eq(productFiles.productId, product.id), eq(productFiles.role, 'file'), eq(productFiles.state, 'stored')),
      );
    if (!file) return refuse(reply, 409, 'upload the product file first');
    const status: ProductStatus = options.config.uploads.review ? 'pending_review' : 'active';
    // Conditional on the status read above, so two publish calls change it once.
    const [published] = await db
      .update(products)
      .set({ status, rejectionReason: null, updatedAt: new Date() })
      .where(and(eq(products.id, product.id), inArray(products.status, [...PUBLISHABLE])))
      .returning({ status: products.status });
    return { ok: true, status: published?.status ?? status };
  });
};

const i18n = createI18n();
/** The upload page's texts in one language, from the bot's own translations; `{name}` marks a value. */
const PAGE_TEXTS: Record<string, string[]> = {
  'upload-page-new': [],
  'upload-page-title': [],
  'upload-page-description': [],
  'upload-page-category': [],
  'upload-page-price': [],
  'upload-page-currency': [],
  'upload-page-stars': [],
  'upload-page-file': [],
  'upload-page-cover': [],
  'upload-page-submit': [],
  'upload-page-pause': [],
  'upload-page-resume': [],
  'upload-page-retry': [],
  'upload-page-file-limit': ['size'],
  'upload-page-choose-file': [],
  'upload-page-too-big': ['name', 'size', 'limit'],
  'upload-page-resuming': ['name'],
  'upload-page-progress': ['percent', 'sent', 'total'],
  'upload-page-done-live': [],
  'upload-page-done-review': [],
};
function pageTexts(locale: Locale): Record<string, string> {
  return Object.fromEntries(
    Object.entries(PAGE_TEXTS).map(([key, names]) => [
      key.slice('upload-page-'.length),
      i18n.t(locale, key, Object.fromEntries(names.map((name) => [name, `{${name}}`]))),
    ]),
  );
}

/** Runs a change of product fields; bad input (a ProductInputError) is answered 400 with its reason. */
async function asInput<T>(reply: FastifyReply, change: () => Promise<T>) {
  try {
    return await change();
  } catch (error) {
    if (error instanceof ProductInputError) return refuse(reply, 400, error.message);
    throw error;
  }
}

function shownProduct(product: typeof products.$inferSelect) {
  return {
    id: product.id,
    title: product.title,
    description: product.description,
    categoryId: product.categoryId,
    priceMinor: product.priceMinor?.toString() ?? null,
    /** The same price as decimal text, as the form shows it. */
    price: product.priceMinor !== null && product.currency ? fromMinor(product.priceMinor, product.currency) : null,
    currency: product.currency,
    priceStars: product.priceStars,
    status: product.status,
    rejectionReason: product.rejectionReason,
  };
}

interface ProductBody {
  title: string;
  description?: string;
  categoryId: string;
  /** Decimal text in `currency`, like "9.99"; null or empty for no fiat price. */
  price?: string | null;
  currency?: string | null;
  priceStars?: number | null;
}
const PRODUCT_SCHEMA = {
  type: 'object',
  required: ['title', 'categoryId'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', maxLength: 200 },
    description: { type: 'string', maxLength: 8000 },
    categoryId: { type: 'string', maxLength: 40 },
    price: { type: ['string', 'null'], maxLength: 24 },
    currency: { type: ['string', 'null'], maxLength: 3 },
    priceStars: { type: ['integer', 'null'] },
  },
};
