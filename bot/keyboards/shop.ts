/**
 * The shop's buttons: the category menu with its sort and price rows, the carousel's ◀ ▶ row, and a
 * card's Buy button with the rail and coin choices it turns into.
 */
import { InlineKeyboard } from 'grammy';
import { formatMoney } from '../../domain/money';
import type { Rail } from '../../domain/rail';
import { CATALOG_SORTS, type CatalogSort } from '../../infrastructure/read-models/catalog';
import type { BotContext } from '../context';
import {
  buyBackData,
  buyCoinData,
  buyData,
  buyRailData,
  shopCategoryData,
  shopMenuData,
  shopPageData,
  type CallbackData,
} from './callback-data';

type Translate = BotContext['t'];

/** The orders a buyer picks from /shop (relevance is for searches only). */
export const SHOP_SORTS = ['new', 'popular', 'price'] as const satisfies readonly CatalogSort[];
export type ShopSort = (typeof SHOP_SORTS)[number];

/** Price filters of the menu, in Stars (the unit every bot product should have). */
export const PRICE_BANDS = {
  any: {},
  low: { maxStars: 100 },
  mid: { minStars: 101, maxStars: 500 },
  high: { minStars: 501 },
} as const satisfies Record<string, { minStars?: number; maxStars?: number }>;
export type PriceBand = keyof typeof PRICE_BANDS;

export const asPriceBand = (value: string): PriceBand => (value in PRICE_BANDS ? (value as PriceBand) : 'any');
export const asShopSort = (value: string): ShopSort =>
  (SHOP_SORTS as readonly string[]).includes(value) ? (value as ShopSort) : 'new';
export const asCatalogSort = (value: string): CatalogSort =>
  (CATALOG_SORTS as readonly string[]).includes(value) ? (value as CatalogSort) : 'new';

/** Category buttons per row. */
const CATEGORY_COLUMNS = 2;

export function shopMenuKeyboard(
  t: Translate,
  categories: ReadonlyArray<{ id: string; name: string }>,
  sort: ShopSort,
  price: PriceBand,
): InlineKeyboard {
  const keyboard = new InlineKeyboard().text(
    t('shop-all-button'),
    shopCategoryData.pack({ categoryId: 'all', sort, price }),
  );
  categories.forEach((category, index) => {
    if (index % CATEGORY_COLUMNS === 0) keyboard.row();
    keyboard.text(category.name, shopCategoryData.pack({ categoryId: category.id, sort, price }));
  });
  const marked = (chosen: boolean, label: string) => (chosen ? `• ${label}` : label);
  keyboard.row();
  for (const option of SHOP_SORTS)
    keyboard.text(marked(option === sort, t(`shop-sort-${option}`)), shopMenuData.pack({ sort: option, price }));
  keyboard.row();
  for (const band of Object.keys(PRICE_BANDS) as PriceBand[])
    keyboard.text(marked(band === price, t(`shop-price-${band}`)), shopMenuData.pack({ sort, price: band }));
  return keyboard;
}

export interface CarouselPosition {
  /** c: a category (key: its id or `all`), s: a search (key: its row), h: one seller's shop (key: the seller id). */
  kind: 'c' | 's' | 'h';
  key: string;
  sort: CatalogSort;
  price: PriceBand;
  offset: number;
  total: number;
}

/** A search's orders: its own (relevance) and the menu's. */
const SEARCH_SORTS = ['relevance', ...SHOP_SORTS] as const satisfies readonly CatalogSort[];

/**
 * ◀ and ▶ only where there is a product that way; a category carousel also leads back to the menu, a
 * search offers its orders (each starts again at the first product).
 */
export function carouselKeyboard(t: Translate, at: CarouselPosition, productId?: string): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  if (productId !== undefined)
    keyboard.text(t('buy-button'), packWithOrigin(buyData, { productId }, cardOrigin(at))).row();
  const page = (offset: number, sort = at.sort) =>
    shopPageData.pack({ kind: at.kind, key: at.key, sort, price: at.price, offset: String(offset) });
  if (at.offset > 0) keyboard.text('◀', page(at.offset - 1));
  if (at.offset + 1 < at.total) keyboard.text('▶', page(at.offset + 1));
  if (at.kind === 'c')
    keyboard.row().text(t('shop-categories-button'), shopMenuData.pack({ sort: asShopSort(at.sort), price: at.price }));
  if (at.kind === 's' && at.total > 1) {
    keyboard.row();
    for (const sort of SEARCH_SORTS) {
      const label = t(`shop-sort-${sort}`);
      keyboard.text(sort === at.sort ? `• ${label}` : label, page(0, sort));
    }
  }
  return keyboard;
}

/** Under a product opened by a deep link: Buy, and the way into the whole shop. */
export function productCardKeyboard(t: Translate, productId: string): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('buy-button'), buyData.pack({ productId, from: DEEP_LINK_CARD }))
    .row()
    .text(t('shop-open-button'), shopMenuData.pack({ sort: 'new', price: 'any' }));
}

// ---- Buying from a card ----

/** The `from` of a card opened by a deep link (not in a carousel). */
export const DEEP_LINK_CARD = 'd';
/** Longest carousel origin carried in a button: with a coin and a product id it stays under 64 bytes. */
const MAX_ORIGIN_LENGTH = 28;
const PRICE_BAND_KEYS = Object.keys(PRICE_BANDS) as PriceBand[];

/**
 * Where a card is shown, as one callback token, so Back (and the end of a purchase) can rebuild its
 * keyboard without a lookup: kind, sort and band as one character each, then `<offset>_<total>_<key>`
 * (the key last, since a category id may hold `_` or `-`). Too long to fit: the deep-link card's.
 */
export function cardOrigin(at: CarouselPosition): string {
  const token = `${at.kind}${CATALOG_SORTS.indexOf(at.sort)}${PRICE_BAND_KEYS.indexOf(at.price)}${at.offset}_${at.total}_${at.key}`;
  return token.length <= MAX_ORIGIN_LENGTH ? token : DEEP_LINK_CARD;
}

/** The carousel position a `cardOrigin` names; undefined for a deep-link card (or a forged token). */
export function parseCardOrigin(token: string): CarouselPosition | undefined {
  const match = /^([csh])(\d)(\d)(\d{1,6})_(\d{1,6})_([\w-]+)$/.exec(token);
  if (!match) return undefined;
  const sort = CATALOG_SORTS[Number(match[2])];
  const price = PRICE_BAND_KEYS[Number(match[3])];
  if (!sort || !price) return undefined;
  return {
    kind: match[1] as CarouselPosition['kind'],
    key: match[6]!,
    sort,
    price,
    offset: Number(match[4]),
    total: Number(match[5]),
  };
}

/** The card's own keyboard, from its origin: the carousel's at that position, or the deep-link card's. */
export function cardKeyboard(t: Translate, productId: string, from: string): InlineKeyboard {
  const at = parseCardOrigin(from);
  return at ? carouselKeyboard(t, at, productId) : productCardKeyboard(t, productId);
}

/** Packs with the card's origin, or with the deep-link card's when that would not fit in 64 bytes. */
function packWithOrigin<F extends string>(
  data: CallbackData<F | 'from'>,
  values: Record<Exclude<F, 'from'>, string>,
  from: string,
): string {
  try {
    return data.pack({ ...values, from } as Record<F | 'from', string>);
  } catch {
    return data.pack({ ...values, from: DEEP_LINK_CARD } as Record<F | 'from', string>);
  }
}

/** Rails as one-character tokens in buttons. */
const RAIL_CODES = { stars: 's', cryptocloud: 'c', nowpayments: 'n' } as const satisfies Record<Rail, string>;
export const railOfCode = (code: string): Rail | undefined =>
  (Object.keys(RAIL_CODES) as Rail[]).find((rail) => RAIL_CODES[rail] === code);

interface Priced {
  id: string;
  priceMinor: bigint | null;
  currency: string | null;
  priceStars: number | null;
}

/** Buy pressed: one button per rail the product can be paid on, with its price there, and Back. */
export function productRailsKeyboard(t: Translate, product: Priced, rails: readonly Rail[], from: string) {
  const keyboard = new InlineKeyboard();
  const fiat =
    product.priceMinor !== null && product.currency !== null ? formatMoney(product.priceMinor, product.currency) : '';
  const railButton = (rail: Rail) =>
    packWithOrigin(buyRailData, { rail: RAIL_CODES[rail], productId: product.id }, from);
  for (const rail of rails) {
    if (rail === 'stars' && product.priceStars !== null)
      keyboard.text(t('plan-pay-stars-button', { stars: product.priceStars }), railButton(rail)).row();
    else if (rail === 'cryptocloud' && fiat)
      keyboard.text(t('plan-pay-button', { price: fiat }), railButton(rail)).row();
    else if (rail === 'nowpayments' && fiat)
      keyboard.text(t('plan-pay-address-button', { price: fiat }), railButton(rail)).row();
  }
  return keyboard.text(t('buy-back-button'), packWithOrigin(buyBackData, { productId: product.id }, from));
}

/** NOWPayments picked: the coins it takes, and Back to the rails. */
export function productCoinsKeyboard(
  t: Translate,
  productId: string,
  coins: ReadonlyArray<{ code: string; label: string }>,
  from: string,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  coins.forEach((coin, index) => {
    keyboard.text(coin.label, packWithOrigin(buyCoinData, { coin: coin.code, productId }, from));
    if (index % 2 === 1) keyboard.row();
  });
  return keyboard.row().text(t('buy-back-button'), packWithOrigin(buyData, { productId }, from));
}
