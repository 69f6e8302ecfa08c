/** The shop's buttons: the category menu with its sort and price rows, and the carousel's ◀ ▶ row. */
import { InlineKeyboard } from 'grammy';
import { CATALOG_SORTS, type CatalogSort } from '../../infrastructure/read-models/catalog';
import type { BotContext } from '../context';
import { shopCategoryData, shopMenuData, shopPageData } from './callback-data';

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
export function carouselKeyboard(t: Translate, at: CarouselPosition): InlineKeyboard {
  const keyboard = new InlineKeyboard();
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

/** Under a product opened by a deep link: the way into the whole shop. */
export function productCardKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('shop-open-button'), shopMenuData.pack({ sort: 'new', price: 'any' }));
}
