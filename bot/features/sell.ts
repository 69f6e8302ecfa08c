/**
 * Selling in the bot: `/sell` opens a shop, `/products` lists the seller's products.
 *
 * `/sell` without a shop shows the seller terms with an Accept button; after Accept the bot asks for the
 * shop name (1–64 characters), derives the link slug from it (transliterated to [a-z0-9-], with a short
 * random suffix when taken), creates the `sellers` row and answers with the shop link and a web_app
 * button opening the upload Mini App. With a shop, `/sell` answers with the link and button directly.
 *
 * The name is recognised as a reply to the force-reply prompt (stateless, so any bot process can take
 * it), or as the user's next text in this process within FLOW_TTL_MS after Accept.
 */
import { randomInt } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { Composer, InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import { parseShopSlug, ProductInputError, SHOP_SLUG } from '../../domain/product';
import type { Database } from '../../infrastructure/db/client';
import { products, sellers } from '../../infrastructure/db/schema';
import { publicLink } from '../../infrastructure/config';
import type { BotContext } from '../context';
import { createI18n, LOCALES } from '../i18n';
import { productActionData } from '../keyboards/callback-data';
import { productsKeyboard, sellAcceptData, sellerTermsKeyboard, shopKeyboard } from '../keyboards/sell';
import { requireProfile } from './profile';

export { sellAcceptData } from '../keyboards/sell';

export const FLOW_TTL_MS = 30 * 60_000;
export const MAX_SHOP_NAME_LENGTH = 64;
export const PRODUCTS_SHOWN = 20;
/** Tries with a fresh random suffix before giving up (36^4 suffixes: a clash twice in a row is rare). */
const SLUG_ATTEMPTS = 8;
const SUFFIX_LENGTH = 4;
const SLUG_MAX = 32;

export type SellerRow = typeof sellers.$inferSelect;

// ---- Shop names and slugs ----

/** Trimmed, inner whitespace collapsed; 1–64 characters (code points, as the database counts). */
export function parseShopName(text: string): string {
  const name = text.trim().replace(/\s+/g, ' ');
  const length = [...name].length;
  if (length === 0 || length > MAX_SHOP_NAME_LENGTH)
    throw new ProductInputError(
      'sell-bad-name',
      { max: String(MAX_SHOP_NAME_LENGTH), given: String(length) },
      `a shop name has 1-${MAX_SHOP_NAME_LENGTH} characters (got ${length})`,
    );
  return name;
}

const CYRILLIC: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  і: 'i',
  ї: 'yi',
  є: 'ye',
  ґ: 'g',
};

/**
 * The slug a name asks for: lower-case, Cyrillic transliterated, accents dropped, anything else a `-`,
 * short enough to take a suffix. A name with too few Latin letters left becomes `shop-…`.
 */
export function shopSlugBase(name: string): string {
  const latin = [...name.toLowerCase()]
    .map((char) => CYRILLIC[char] ?? char)
    .join('')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  const cut = (text: string) =>
    text
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, SLUG_MAX - SUFFIX_LENGTH - 1)
      .replace(/^-+|-+$/g, '');
  const base = cut(latin);
  return base.length >= 3 ? base : cut(`shop-${base}`);
}

function withSuffix(base: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from({ length: SUFFIX_LENGTH }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${base}-${suffix}`;
}

// ---- Sellers ----

export async function sellerOf(db: Database, userId: number): Promise<SellerRow | undefined> {
  return (await db.select().from(sellers).where(eq(sellers.userId, userId)))[0];
}

/**
 * Opens the user's shop under the slug its name asks for, or that slug with a random suffix when
 * taken. Idempotent per user: a second call (a double press, another process) returns the first shop.
 */
export async function openShop(
  db: Database,
  userId: number,
  displayName: string,
  termsAcceptedAt: Date,
): Promise<{ seller: SellerRow; created: boolean }> {
  const base = shopSlugBase(displayName);
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const shopSlug = parseShopSlug(attempt === 0 ? base : withSuffix(base));
    const [inserted] = await db
      .insert(sellers)
      .values({ userId, displayName, shopSlug, termsAcceptedAt })
      .onConflictDoNothing()
      .returning();
    if (inserted) return { seller: inserted, created: true };
    const existing = await sellerOf(db, userId);
    if (existing) return { seller: existing, created: false };
  }
  throw new Error(`no free shop slug for "${base}" after ${SLUG_ATTEMPTS} attempts`);
}

export function shopLink(botUsername: string, slug: string): string {
  if (!SHOP_SLUG.test(slug)) throw new Error(`${slug} is not a shop slug`);
  return `https://t.me/${botUsername}?start=shop_${slug}`;
}

/** The upload Mini App page, served by the api under its PUBLIC_URL (a path in it is kept). */
export function uploadUrl(publicUrl: string): string {
  return publicLink(publicUrl, 'miniapp/upload');
}

async function replyWithShop(
  ctx: BotContext,
  seller: SellerRow,
  key: 'sell-shop-created' | 'sell-shop',
): Promise<void> {
  await ctx.reply(ctx.t(key, { name: seller.displayName, link: shopLink(ctx.me.username, seller.shopSlug) }), {
    reply_markup: shopKeyboard(ctx.t, uploadUrl(ctx.deps.config.api.publicUrl)),
    link_preview_options: { is_disabled: true },
  });
}

// ---- The /sell flow ----

/** Users who pressed Accept in this process, and when. */
const accepted = new Map<number, number>();
let promptTexts: Set<string> | undefined;

function acceptedAt(userId: number): number | undefined {
  const at = accepted.get(userId);
  if (at !== undefined && Date.now() - at > FLOW_TTL_MS) {
    accepted.delete(userId);
    return undefined;
  }
  return at;
}

/** The name prompt in every language, to recognise a reply to it from any process. */
function isPromptText(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (!promptTexts) {
    const i18n = createI18n();
    promptTexts = new Set(LOCALES.map((locale) => i18n.t(locale, 'sell-ask-name')));
  }
  return promptTexts.has(text);
}

async function askName(ctx: BotContext): Promise<void> {
  await ctx.reply(ctx.t('sell-ask-name'), {
    reply_markup: { force_reply: true, input_field_placeholder: ctx.t('sell-name-placeholder') },
  });
}

export const sell = new Composer<BotContext>();
const chat = sell.chatType('private');

chat.command('sell', async (ctx) => {
  const seller = await sellerOf(ctx.deps.db, requireProfile(ctx).id);
  if (seller) return replyWithShop(ctx, seller, 'sell-shop');
  await ctx.reply(ctx.t('sell-terms'), { reply_markup: sellerTermsKeyboard(ctx.t) });
});

chat.callbackQuery(sellAcceptData.pattern, async (ctx) => {
  await ctx.answerCallbackQuery();
  const seller = await sellerOf(ctx.deps.db, ctx.from.id);
  if (seller) return replyWithShop(ctx, seller, 'sell-shop');
  accepted.set(ctx.from.id, Date.now());
  await askName(ctx);
});

chat.on('message:text', async (ctx, next) => {
  const { text, reply_to_message: repliedTo } = ctx.message;
  if (text.startsWith('/')) return next();
  const answersPrompt = repliedTo?.from?.id === ctx.me.id && isPromptText(repliedTo.text);
  const at = acceptedAt(ctx.from.id);
  if (at === undefined && !answersPrompt) return next();
  const { db, logger } = ctx.deps;
  const user = requireProfile(ctx);
  let name: string;
  try {
    name = parseShopName(text);
  } catch (error) {
    if (!(error instanceof ProductInputError)) throw error;
    // The flow stays open: the next text is another try.
    await ctx.reply(ctx.t(error.key, error.vars));
    await askName(ctx);
    return;
  }
  // Replying to the prompt counts as accepting: the prompt is only sent after Accept.
  const { seller, created } = await openShop(db, user.id, name, new Date(at ?? Date.now()));
  accepted.delete(ctx.from.id);
  if (created) logger.info({ userId: user.id, shopSlug: seller.shopSlug }, 'shop opened');
  await replyWithShop(ctx, seller, created ? 'sell-shop-created' : 'sell-shop');
});

// ---- /products ----

type ProductRow = Pick<
  typeof products.$inferSelect,
  'id' | 'title' | 'status' | 'priceMinor' | 'currency' | 'priceStars' | 'createdAt'
>;

export async function sellerProducts(db: Database, sellerId: number, limit = PRODUCTS_SHOWN): Promise<ProductRow[]> {
  return db
    .select({
      id: products.id,
      title: products.title,
      status: products.status,
      priceMinor: products.priceMinor,
      currency: products.currency,
      priceStars: products.priceStars,
      createdAt: products.createdAt,
    })
    .from(products)
    .where(and(eq(products.sellerId, sellerId), isNull(products.deletedAt)))
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(limit);
}

/** A seller's view of a price: fiat and Stars, or — for none. */
export function sellerPriceText(
  ctx: BotContext,
  product: Pick<ProductRow, 'priceMinor' | 'currency' | 'priceStars'>,
): string {
  const prices: string[] = [];
  if (product.priceMinor !== null && product.currency !== null)
    prices.push(formatMoney(product.priceMinor, product.currency));
  if (product.priceStars !== null) prices.push(ctx.t('sell-price-stars', { stars: String(product.priceStars) }));
  return prices.join(' · ') || '—';
}

/** The /products message: the list and, per product, hide/show and delete buttons. */
export async function productsMessage(ctx: BotContext, sellerId: number) {
  const list = await sellerProducts(ctx.deps.db, sellerId);
  const url = uploadUrl(ctx.deps.config.api.publicUrl);
  if (list.length === 0) return { text: ctx.t('sell-products-none'), keyboard: shopKeyboard(ctx.t, url) };
  const lines = list.map((product) =>
    ctx.t('sell-product-line', {
      title: product.title,
      status: ctx.t(`sell-status-${product.status}`),
      price: sellerPriceText(ctx, product),
    }),
  );
  // 20 lines of at most ~200 characters each stay under Telegram's 4096.
  return {
    text: [ctx.t('sell-products', { shown: String(list.length) }), ...lines].join('\n\n'),
    keyboard: productsKeyboard(ctx.t, url, list),
  };
}

chat.command('products', async (ctx) => {
  const seller = await sellerOf(ctx.deps.db, requireProfile(ctx).id);
  if (!seller) return void (await ctx.reply(ctx.t('sell-products-not-seller')));
  const { text, keyboard } = await productsMessage(ctx, seller.userId);
  await ctx.reply(text, { reply_markup: keyboard });
});

/**
 * Hide (off the catalog, kept for its buyers), show again, or delete: a soft delete, so buyers keep the
 * product in their library; the catalog and search never show it again. Only the seller's own products.
 */
chat.callbackQuery(productActionData.pattern, async (ctx) => {
  const { action, productId } = productActionData.unpack(ctx.callbackQuery.data)!;
  const { db } = ctx.deps;
  const own = and(eq(products.id, productId), eq(products.sellerId, ctx.from.id), isNull(products.deletedAt));
  const [product] = await db.select().from(products).where(own);
  if (!product) return void (await ctx.answerCallbackQuery({ text: ctx.t('sell-product-gone'), show_alert: true }));
  if (action === 'delete') {
    await ctx.answerCallbackQuery();
    const confirm = new InlineKeyboard()
      .text(ctx.t('sell-delete-confirm-button'), productActionData.pack({ action: 'deleteok', productId }))
      .text(ctx.t('sell-delete-keep-button'), productActionData.pack({ action: 'keep', productId }));
    return void (await ctx.reply(ctx.t('sell-delete-confirm', { title: product.title }), { reply_markup: confirm }));
  }
  const now = new Date();
  if (action === 'deleteok') await db.update(products).set({ deletedAt: now, updatedAt: now }).where(own);
  else if (action === 'hide' && product.status === 'active')
    await db
      .update(products)
      .set({ status: 'hidden', updatedAt: now })
      .where(and(own, eq(products.status, 'active')));
  else if (action === 'show' && product.status === 'hidden')
    await db
      .update(products)
      .set({ status: 'active', updatedAt: now })
      .where(and(own, eq(products.status, 'hidden')));
  await ctx.answerCallbackQuery({
    text: ctx.t(action === 'deleteok' ? 'sell-deleted' : action === 'keep' ? 'sell-kept' : 'sell-updated'),
  });
  const { text, keyboard } = await productsMessage(ctx, ctx.from.id);
  if (action === 'deleteok' || action === 'keep')
    await ctx.editMessageText(ctx.t('sell-delete-done', { title: product.title }));
  else await ctx.editMessageText(text, { reply_markup: keyboard });
});
