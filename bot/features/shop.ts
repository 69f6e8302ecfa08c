/**
 * The buyers' shop in the bot: `/shop` (categories, "All" and a sort row), `/search <words>`, and the
 * carousel: one product per message, ◀ ▶ edit that same message (editMessageText), so paging never
 * floods the chat. The buttons carry the whole state (category or search, sort, position); a search's
 * text is kept in `catalog_searches` and the buttons carry its id (callback data is 64 bytes of plain
 * tokens, and a table works whichever bot process gets the press). Each product shown counts one
 * view (`products.views_count`, one UPDATE). `t.me/<bot>?start=p_<productId>` (start.ts) opens one
 * product's card; a product buyers may not see (hidden, deleted, ...) is "not available".
 *
 * Cards are text only for now. TODO(covers): send the cover (CatalogItem.coverObjectKey) as a photo,
 * reusing its Telegram file_id from `telegramFileCache`, and page with editMessageMedia.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { Composer, GrammyError, type InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import { isVisibleInCatalog, PRODUCT_ID } from '../../domain/product';
import { catalogSearches, categories, products, sellers } from '../../infrastructure/db/schema';
import { CATALOG_SORTS, searchCatalog, type CatalogSort } from '../../infrastructure/read-models/catalog';
import type { BotContext } from '../context';
import { isLocale } from '../i18n';
import { shopCategoryData, shopMenuData, shopPageData } from '../keyboards/callback-data';
import {
  carouselKeyboard,
  productCardKeyboard,
  SHOP_SORTS,
  shopMenuKeyboard,
  type CarouselPosition,
  type ShopSort,
} from '../keyboards/shop';
import { requireProfile } from './profile';

/** Telegram deep-link payloads are [A-Za-z0-9_-]{1,64}: `p_` and a 16-character product id fit. */
export const PRODUCT_PAYLOAD = /^p_([A-Za-z0-9_-]{16})$/;
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

async function menu(ctx: BotContext, sort: ShopSort): Promise<{ text: string; keyboard: InlineKeyboard }> {
  const named = await namedCategories(ctx);
  return {
    text: ctx.t('shop-menu', { sort: ctx.t(`shop-sort-${sort}`) }),
    keyboard: shopMenuKeyboard(ctx.t, named, sort),
  };
}

// ---- The carousel ----

type Page = { text: string; keyboard: InlineKeyboard } | { empty: true };

/** The product at `at.offset` (the last one if products went away meanwhile), counted as viewed. */
async function carouselPage(
  ctx: BotContext,
  at: Omit<CarouselPosition, 'total'>,
  filter: { query?: string; categoryId?: string; sellerId?: number },
): Promise<Page> {
  const ask = (offset: number) => searchCatalog(ctx.deps.db, { ...filter, sort: at.sort, limit: 1, offset });
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
  return { text: await cardText(ctx, item, position), keyboard: carouselKeyboard(ctx.t, position) };
}

/** Edits the pressed message; pressing twice on the same page changes nothing, which Telegram refuses: fine. */
async function editTo(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
  await ctx.editMessageText(text, keyboard ? { reply_markup: keyboard } : {}).catch((error: unknown) => {
    if (error instanceof GrammyError && /message is not modified/.test(error.description)) return;
    throw error;
  });
}

const asShopSort = (value: string): ShopSort =>
  (SHOP_SORTS as readonly string[]).includes(value) ? (value as ShopSort) : 'new';
const asCatalogSort = (value: string): CatalogSort =>
  (CATALOG_SORTS as readonly string[]).includes(value) ? (value as CatalogSort) : 'new';

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
  await ctx.reply(await cardText(ctx, product), { reply_markup: productCardKeyboard(ctx.t) });
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
  const at = { kind: 'h' as const, key: String(seller.userId), sort: 'new' as const, offset: 0 };
  const page = await carouselPage(ctx, at, { sellerId: seller.userId });
  if ('empty' in page) await ctx.reply(ctx.t('shop-empty', { shop: seller.displayName }));
  else await ctx.reply(page.text, { reply_markup: page.keyboard });
  return true;
}

// ---- Handlers ----

export const shop = new Composer<BotContext>();
const chat = shop.chatType('private');

chat.command('shop', async (ctx) => {
  const { text, keyboard } = await menu(ctx, 'new');
  await ctx.reply(text, { reply_markup: keyboard });
});

chat.command('search', async (ctx) => {
  const user = requireProfile(ctx);
  const query = ctx.match.trim().replace(/\s+/g, ' ').slice(0, MAX_QUERY_LENGTH);
  if (!query) return void (await ctx.reply(ctx.t('shop-search-usage')));
  const [search] = await ctx.deps.db
    .insert(catalogSearches)
    .values({ userId: user.id, query })
    .returning({ id: catalogSearches.id });
  const page = await carouselPage(ctx, { kind: 's', key: String(search!.id), sort: 'relevance', offset: 0 }, { query });
  if ('empty' in page) return void (await ctx.reply(ctx.t('shop-search-none', { query })));
  await ctx.reply(page.text, { reply_markup: page.keyboard });
});

chat.callbackQuery(shopMenuData.pattern, async (ctx) => {
  const { sort } = shopMenuData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  const { text, keyboard } = await menu(ctx, asShopSort(sort));
  await editTo(ctx, text, keyboard);
});

chat.callbackQuery(shopCategoryData.pattern, async (ctx) => {
  const { categoryId, sort } = shopCategoryData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  const at = { kind: 'c' as const, key: categoryId, sort: asShopSort(sort), offset: 0 };
  const page = await carouselPage(ctx, at, { categoryId: categoryId === 'all' ? undefined : categoryId });
  if ('empty' in page) return editTo(ctx, ctx.t('shop-category-empty'), carouselKeyboard(ctx.t, { ...at, total: 0 }));
  await editTo(ctx, page.text, page.keyboard);
});

chat.callbackQuery(shopPageData.pattern, async (ctx) => {
  const { kind, key, sort, offset } = shopPageData.unpack(ctx.callbackQuery.data)!;
  const at = {
    kind: kind === 's' ? ('s' as const) : kind === 'h' ? ('h' as const) : ('c' as const),
    key,
    sort: asCatalogSort(sort),
    offset: Number(offset),
  };
  if (!Number.isSafeInteger(at.offset)) return void (await ctx.answerCallbackQuery({ text: ctx.t('shop-stale') }));
  let filter: { query?: string; categoryId?: string; sellerId?: number };
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
    filter = { query: search.query };
  } else {
    filter = { categoryId: key === 'all' ? undefined : key };
  }
  await ctx.answerCallbackQuery();
  const page = await carouselPage(ctx, at, filter);
  if ('empty' in page)
    return editTo(
      ctx,
      at.kind === 's' ? ctx.t('shop-search-none', { query: filter.query ?? '' }) : ctx.t('shop-category-empty'),
    );
  await editTo(ctx, page.text, page.keyboard);
});
