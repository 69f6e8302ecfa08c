/**
 * The buyers' shop in the bot: `/shop` (categories, "All", a sort row and a price row), `/search
 * <words>` (with an optional Stars range such as `100-500`, and its own sort row), and the carousel:
 * one product per message, ◀ ▶ edit that same message, so paging never floods the chat. The buttons
 * carry the whole state (category or search, sort, price band, position); a search's text is kept in
 * `catalog_searches` and the buttons carry its id (callback data is 64 bytes of plain tokens, and a
 * table works whichever bot process gets the press). Each product shown counts one view
 * (`products.views_count`, one UPDATE). `t.me/<bot>?start=p_<productId>` (start.ts) opens one product's
 * card; a product buyers may not see (hidden, deleted, ...) is "not available". Each card has Buy
 * (bot/features/buy.ts).
 *
 * Covers: a product with a stored cover is shown as a photo (covers.ts: uploaded once, then by cached
 * file_id). A text message pages with editMessageText while no cover is shown; the first cover turns it
 * into a photo message (editMessageMedia adds media to a text message), and from then on it pages with
 * editMessageMedia, a placeholder standing in for products without a cover (Telegram cannot take media
 * off a message). So the carousel is always one message.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { Composer, GrammyError, type InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import { isVisibleInCatalog, PRODUCT_ID } from '../../domain/product';
import { catalogSearches, categories, products, sellers } from '../../infrastructure/db/schema';
import { parseSearchText, searchCatalog } from '../../infrastructure/read-models/catalog';
import type { BotContext } from '../context';
import { isLocale } from '../i18n';
import { shopCategoryData, shopMenuData, shopPageData } from '../keyboards/callback-data';
import {
  asCatalogSort,
  asPriceBand,
  asShopSort,
  carouselKeyboard,
  PRICE_BANDS,
  productCardKeyboard,
  shopMenuKeyboard,
  type CarouselPosition,
  type PriceBand,
  type ShopSort,
} from '../keyboards/shop';
import { asCaption, coverKeyOf, withCover } from './covers';
import { requireProfile } from './profile';

/** Telegram deep-link payloads are [A-Za-z0-9_-]{1,64}: `p_` and a 16-character product id fit. */
export const PRODUCT_PAYLOAD = /^p_([A-Za-z0-9_-]{16})$/;
/** The product's deep link: opens its card in one tap. */
export function productLink(botUsername: string, productId: string): string {
  if (!PRODUCT_ID.test(productId)) throw new Error(`${productId} is not a product id`);
  return `https://t.me/${botUsername}?start=p_${productId}`;
}
/** `t.me/<bot>?start=shop_<slug>`: a shop's own link (bot/features/sell.ts hands it out). */
export const SHOP_PAYLOAD = /^shop_([a-z0-9][a-z0-9-]{1,30}[a-z0-9])$/;
/** What a search keeps of the buyer's words (searchCatalog reads no more). */
const MAX_QUERY_LENGTH = 200;
const MAX_DESCRIPTION_IN_CARD = 500;

type Translate = BotContext['t'];

interface ProductCard {
  title: string;
  description: string;
  priceMinor: bigint | null;
  currency: string | null;
  priceStars: number | null;
  ratingSum: number;
  ratingCount: number;
  sellerId: number;
}

// ---- How a product reads ----

export function priceText(product: Pick<ProductCard, 'priceMinor' | 'currency' | 'priceStars'>): string {
  const prices: string[] = [];
  if (product.priceMinor !== null && product.currency !== null)
    prices.push(formatMoney(product.priceMinor, product.currency));
  if (product.priceStars !== null) prices.push(`⭐ ${product.priceStars}`);
  return prices.join(' · ');
}

function ratingText(t: Translate, product: Pick<ProductCard, 'ratingSum' | 'ratingCount'>): string {
  if (product.ratingCount <= 0) return t('shop-card-no-reviews');
  // One decimal, rounded half up, without floating-point surprises on the integers stored.
  const tenths = Math.round((product.ratingSum * 10) / product.ratingCount);
  const average = `${Math.trunc(tenths / 10)}.${tenths % 10}`;
  return t('shop-card-rating', { average, count: String(product.ratingCount) });
}

async function shopNameOf(ctx: BotContext, sellerId: number): Promise<string> {
  const [seller] = await ctx.deps.db
    .select({ name: sellers.displayName })
    .from(sellers)
    .where(eq(sellers.userId, sellerId));
  return seller?.name ?? '—';
}

async function cardText(ctx: BotContext, product: ProductCard, position?: { offset: number; total: number }) {
  const description =
    product.description.length > MAX_DESCRIPTION_IN_CARD
      ? `${product.description.slice(0, MAX_DESCRIPTION_IN_CARD)}…`
      : product.description;
  const lines = [
    `🛍 ${product.title}`,
    description,
    ctx.t('shop-card-price', { price: priceText(product) }),
    ctx.t('shop-card-seller', { shop: await shopNameOf(ctx, product.sellerId) }),
    ratingText(ctx.t, product),
  ];
  if (position) lines.push(`${position.offset + 1} / ${position.total}`);
  return lines.filter(Boolean).join('\n');
}

/** One view per display of a product. */
async function countView(ctx: BotContext, productId: string): Promise<void> {
  await ctx.deps.db
    .update(products)
    .set({ viewsCount: sql`${products.viewsCount} + 1` })
    .where(eq(products.id, productId));
}

// ---- The menu ----

/** Every category, in order, named in the user's language. */
export async function namedCategories(ctx: BotContext): Promise<Array<{ id: string; name: string }>> {
  const rows = await ctx.deps.db
    .select({ id: categories.id, names: categories.names })
    .from(categories)
    .orderBy(asc(categories.sortOrder));
  const locale = await ctx.i18n.getLocale();
  return rows.map((row) => ({
    id: row.id,
    name: (isLocale(locale) ? row.names[locale] : undefined) ?? row.names.en ?? row.id,
  }));
}

async function menu(ctx: BotContext, sort: ShopSort, price: PriceBand): Promise<View> {
  const named = await namedCategories(ctx);
  return {
    text: ctx.t('shop-menu', { sort: ctx.t(`shop-sort-${sort}`), price: ctx.t(`shop-price-${price}`) }),
    keyboard: shopMenuKeyboard(ctx.t, named, sort, price),
    coverKey: null,
  };
}

// ---- Showing a view: a new message, or the pressed one edited ----

/** A message's text, its buttons, and the cover it shows (null: none). */
interface View {
  text: string;
  keyboard?: InlineKeyboard;
  coverKey: string | null;
}

const notModified = (error: unknown) =>
  error instanceof GrammyError && /message is not modified/.test(error.description);

/** Pressing twice on the same page changes nothing, which Telegram refuses: fine. */
export const unlessUnchanged = (error: unknown) => {
  if (!notModified(error)) throw error;
};

async function replyWith(ctx: BotContext, view: View): Promise<void> {
  const markup = view.keyboard ? { reply_markup: view.keyboard } : {};
  if (view.coverKey === null) return void (await ctx.reply(view.text, markup));
  await withCover(ctx, view.coverKey, (photo) =>
    ctx.replyWithPhoto(photo, { caption: asCaption(view.text), ...markup }),
  );
}

/** Edits the pressed message to the view: text while it is text and no cover is shown, else its photo. */
async function showInPlace(ctx: BotContext, view: View): Promise<void> {
  const markup = view.keyboard ? { reply_markup: view.keyboard } : {};
  const pressed = ctx.callbackQuery?.message;
  const hasPhoto = pressed !== undefined && 'photo' in pressed && pressed.photo !== undefined;
  if (view.coverKey === null && !hasPhoto)
    return void (await ctx.editMessageText(view.text, markup).catch(unlessUnchanged));
  await withCover(ctx, view.coverKey, (photo) =>
    ctx.editMessageMedia({ type: 'photo', media: photo, caption: asCaption(view.text) }, markup),
  ).catch(unlessUnchanged);
}

// ---- The carousel ----

interface CarouselFilter {
  query?: string;
  categoryId?: string;
  sellerId?: number;
  minStars?: number;
  maxStars?: number;
}

type Page = View | { empty: true };

/** The product at `at.offset` (the last one if products went away meanwhile), counted as viewed. */
async function carouselPage(
  ctx: BotContext,
  at: Omit<CarouselPosition, 'total'>,
  filter: CarouselFilter,
): Promise<Page> {
  const band: { minStars?: number; maxStars?: number } = PRICE_BANDS[at.price];
  // The band and a typed range together: the prices in both.
  const minStars = Math.max(band.minStars ?? 0, filter.minStars ?? 0);
  const maxStars = Math.min(band.maxStars ?? Infinity, filter.maxStars ?? Infinity);
  const ask = (offset: number) =>
    searchCatalog(ctx.deps.db, {
      ...filter,
      minStars: minStars > 0 ? minStars : undefined,
      maxStars: Number.isFinite(maxStars) ? maxStars : undefined,
      sort: at.sort,
      limit: 1,
      offset,
    });
  let offset = at.offset;
  let page = await ask(offset);
  if (page.items.length === 0 && page.total > 0) {
    offset = page.total - 1;
    page = await ask(offset);
  }
  const item = page.items[0];
  if (!item) return { empty: true };
  await countView(ctx, item.id);
  const position = { ...at, offset, total: page.total };
  return {
    text: await cardText(ctx, item, position),
    keyboard: carouselKeyboard(ctx.t, position, item.id),
    coverKey: item.coverObjectKey,
  };
}

/** A search's stored text as a filter: its words and its Stars range. */
function searchFilter(text: string): CarouselFilter {
  const { words, minStars, maxStars } = parseSearchText(text);
  return { query: words || undefined, minStars, maxStars };
}

// ---- The product deep link ----

/** Handles a `p_<productId>` /start payload: the product's card, or "not available". False for other payloads. */
export async function openProductFromLink(ctx: BotContext, payload: string): Promise<boolean> {
  const productId = PRODUCT_PAYLOAD.exec(payload)?.[1];
  if (!productId || !PRODUCT_ID.test(productId)) return false;
  const [product] = await ctx.deps.db.select().from(products).where(eq(products.id, productId));
  if (!product || !isVisibleInCatalog(product)) {
    await ctx.reply(ctx.t('shop-product-unavailable'));
    return true;
  }
  await countView(ctx, product.id);
  await replyWith(ctx, {
    text: await cardText(ctx, product),
    keyboard: productCardKeyboard(ctx.t, product.id),
    coverKey: await coverKeyOf(ctx, product.id),
  });
  return true;
}

/** Handles a `shop_<slug>` /start payload: that shop's products in the carousel. False for other payloads. */
export async function openShopFromLink(ctx: BotContext, payload: string): Promise<boolean> {
  const slug = SHOP_PAYLOAD.exec(payload)?.[1];
  if (!slug) return false;
  const [seller] = await ctx.deps.db.select().from(sellers).where(eq(sellers.shopSlug, slug));
  if (!seller) {
    await ctx.reply(ctx.t('shop-unknown'));
    return true;
  }
  const at = { kind: 'h' as const, key: String(seller.userId), sort: 'new' as const, price: 'any' as const, offset: 0 };
  const page = await carouselPage(ctx, at, { sellerId: seller.userId });
  if ('empty' in page) await ctx.reply(ctx.t('shop-empty', { shop: seller.displayName }));
  else await replyWith(ctx, page);
  return true;
}

// ---- Handlers ----

export const shop = new Composer<BotContext>();
const chat = shop.chatType('private');

chat.command('shop', async (ctx) => {
  await replyWith(ctx, await menu(ctx, 'new', 'any'));
});

chat.command('search', async (ctx) => {
  const user = requireProfile(ctx);
  const query = ctx.match.trim().replace(/\s+/g, ' ').slice(0, MAX_QUERY_LENGTH);
  if (!query) return void (await ctx.reply(ctx.t('shop-search-usage')));
  const [search] = await ctx.deps.db
    .insert(catalogSearches)
    .values({ userId: user.id, query })
    .returning({ id: catalogSearches.id });
  const at = {
    kind: 's' as const,
    key: String(search!.id),
    sort: 'relevance' as const,
    price: 'any' as const,
    offset: 0,
  };
  const page = await carouselPage(ctx, at, searchFilter(query));
  if ('empty' in page) return void (await ctx.reply(ctx.t('shop-search-none', { query })));
  await replyWith(ctx, page);
});

chat.callbackQuery(shopMenuData.pattern, async (ctx) => {
  const { sort, price } = shopMenuData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  await showInPlace(ctx, await menu(ctx, asShopSort(sort), asPriceBand(price)));
});

chat.callbackQuery(shopCategoryData.pattern, async (ctx) => {
  const { categoryId, sort, price } = shopCategoryData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  const at = { kind: 'c' as const, key: categoryId, sort: asShopSort(sort), price: asPriceBand(price), offset: 0 };
  const page = await carouselPage(ctx, at, { categoryId: categoryId === 'all' ? undefined : categoryId });
  if ('empty' in page)
    return showInPlace(ctx, {
      text: ctx.t('shop-category-empty'),
      keyboard: carouselKeyboard(ctx.t, { ...at, total: 0 }),
      coverKey: null,
    });
  await showInPlace(ctx, page);
});

chat.callbackQuery(shopPageData.pattern, async (ctx) => {
  const { kind, key, sort, price, offset } = shopPageData.unpack(ctx.callbackQuery.data)!;
  const at = {
    kind: kind === 's' ? ('s' as const) : kind === 'h' ? ('h' as const) : ('c' as const),
    key,
    sort: asCatalogSort(sort),
    price: asPriceBand(price),
    offset: Number(offset),
  };
  if (!Number.isSafeInteger(at.offset)) return void (await ctx.answerCallbackQuery({ text: ctx.t('shop-stale') }));
  let filter: CarouselFilter;
  let typed = '';
  if (at.kind === 'h') {
    if (!/^\d{1,15}$/.test(key)) return void (await ctx.answerCallbackQuery({ text: ctx.t('shop-stale') }));
    filter = { sellerId: Number(key) };
  } else if (at.kind === 's') {
    // Only the buyer's own searches: ids are sequential, so another user's could be guessed.
    const [search] = /^\d{1,18}$/.test(key)
      ? await ctx.deps.db
          .select({ query: catalogSearches.query })
          .from(catalogSearches)
          .where(and(eq(catalogSearches.id, Number(key)), eq(catalogSearches.userId, ctx.from.id)))
      : [];
    if (!search) return void (await ctx.answerCallbackQuery({ text: ctx.t('shop-stale'), show_alert: true }));
    filter = searchFilter(search.query);
    typed = search.query;
  } else {
    filter = { categoryId: key === 'all' ? undefined : key };
  }
  await ctx.answerCallbackQuery();
  const page = await carouselPage(ctx, at, filter);
  if ('empty' in page) {
    const text = at.kind === 's' ? ctx.t('shop-search-none', { query: typed }) : ctx.t('shop-category-empty');
    return showInPlace(ctx, { text, coverKey: null });
  }
  await showInPlace(ctx, page);
});
