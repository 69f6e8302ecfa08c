/**
 * Product writes shared by the Mini App API (api/miniapp/products.ts) and the bot's /products edit
 * (bot/features/product-edit.ts): the same rules (domain/product.ts) turn what a seller typed into
 * stored columns, and the same re-review rule applies whichever tool made the change. Bad input is a
 * ProductInputError (a Fluent key for the bot, an English message for the API); nothing is written then.
 */
import { and, eq, isNull } from 'drizzle-orm';
import {
  checkProductPrice,
  parseProductAmount,
  parseProductDescription,
  parseProductTitle,
  ProductInputError,
  statusAfterEdit,
} from '../../domain/product';
import type { Database } from '../db/client';
import { categories, products } from '../db/schema';

export type ProductRow = typeof products.$inferSelect;

/** What a seller may change; absent fields keep their value. Prices are decimal text in `currency`. */
export interface ProductEdit {
  title?: string;
  description?: string;
  categoryId?: string;
  /** Decimal text like "9.99"; null or empty: no fiat price. */
  price?: string | null;
  currency?: string | null;
  priceStars?: number | null;
}

export type ProductColumns = Omit<typeof products.$inferInsert, 'id' | 'sellerId'>;

/**
 * The stored columns for the given fields (all of them for a new product, `current` undefined),
 * checked; throws a ProductInputError on bad input.
 */
export async function productColumns(
  db: Pick<Database, 'select'>,
  edit: ProductEdit,
  current: ProductRow | undefined,
): Promise<ProductColumns> {
  const values: ProductColumns = {
    title: parseProductTitle(edit.title ?? current?.title ?? ''),
    description: parseProductDescription(edit.description ?? current?.description ?? ''),
    categoryId: edit.categoryId ?? current?.categoryId ?? '',
  };
  const [category] = await db.select().from(categories).where(eq(categories.id, values.categoryId));
  if (!category)
    throw new ProductInputError(
      'product-bad-category',
      { given: values.categoryId.slice(0, 40) },
      `unknown category "${values.categoryId.slice(0, 40)}"`,
    );
  if (edit.price === undefined && edit.currency !== undefined && edit.currency !== current?.currency)
    throw new ProductInputError('product-currency-needs-price', {}, 'a new currency needs its price');
  if (edit.price === undefined && edit.currency === undefined && edit.priceStars === undefined && current)
    return values;
  const currency = edit.currency === undefined ? (current?.currency ?? null) : edit.currency || null;
  const priceText = edit.price?.trim();
  let priceMinor = current?.priceMinor ?? null;
  if (edit.price !== undefined)
    priceMinor = priceText ? parseProductAmount(priceText, currency?.trim().toUpperCase() || 'USD') : null;
  const priceStars = edit.priceStars === undefined ? (current?.priceStars ?? null) : edit.priceStars;
  return { ...values, ...checkProductPrice({ priceMinor, currency, priceStars }) };
}

/**
 * Changes a seller's product (not deleted): checks the fields, and with reviews on sends a product on
 * sale back to the review queue (statusAfterEdit). Returns the updated row, or undefined when the
 * product is not (any more) the seller's.
 */
export async function editProduct(
  db: Pick<Database, 'select' | 'update'>,
  product: ProductRow,
  edit: ProductEdit,
  options: { review: boolean },
): Promise<ProductRow | undefined> {
  const columns = await productColumns(db, edit, product);
  const status = statusAfterEdit(product.status, options.review);
  const [updated] = await db
    .update(products)
    .set({ ...columns, status, updatedAt: new Date() })
    .where(and(eq(products.id, product.id), eq(products.sellerId, product.sellerId), isNull(products.deletedAt)))
    .returning();
  return updated;
}
