/** The shop's buttons: the category menu with its sort row, and the carousel's ◀ ▶ row. */
import { InlineKeyboard } from 'grammy';
import type { CatalogSort } from '../../infrastructure/read-models/catalog';
import type { BotContext } from '../context';
import { shopCategoryData, shopMenuData, shopPageData } from './callback-data';

type Translate = BotContext['t'];

/** The orders a buyer picks from /shop (relevance is for searches only). */
export const SHOP_SORTS = ['new', 'popular', 'price'] as const satisfies readonly CatalogSort[];
export type ShopSort = (typeof SHOP_SORTS)[number];
/** Category buttons per row. */
const CATEGORY_COLUMNS = 2;

export function shopMenuKeyboard(
  t: Translate,
  categories: ReadonlyArray<{ id: string; name: string }>,
  sort: ShopSort,
): InlineKeyboard {
  const keyboard = new InlineKeyboard().text(t('shop-all-button'), shopCategoryData.pack({ categoryId: 'all', sort }));
  categories.forEach((category, index) => {
    if (index % CATEGORY_COLUMNS === 0) keyboard.row();
    keyboard.text(category.name, shopCategoryData.pack({ categoryId: category.id, sort }));
  });
  keyboard.row();
  for (const option of SHOP_SORTS) {
    const label = t(`shop-sort-${option}`);
    keyboard.text(option === sort ? `• ${label}` : label, shopMenuData.pack({ sort: option }));
  }
  return keyboard;
}

export interface CarouselPosition {
  /** c: a category (key: its id or `all`), s: a search (key: its row), h: one seller's shop (key: the seller id). */
  kind: 'c' | 's' | 'h';
  key: string;
  sort: CatalogSort;
  offset: number;
  total: number;
}

/** ◀ and ▶ only where there is a product that way; a category carousel also leads back to the menu. */
export function carouselKeyboard(t: Translate, at: CarouselPosition): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  const page = (offset: number) =>
    shopPageData.pack({ kind: at.kind, key: at.key, sort: at.sort, offset: String(offset) });
  if (at.offset > 0) keyboard.text('◀', page(at.offset - 1));
  if (at.offset + 1 < at.total) keyboard.text('▶', page(at.offset + 1));
  if (at.kind === 'c') {
    const sort = (SHOP_SORTS as readonly string[]).includes(at.sort) ? (at.sort as ShopSort) : 'new';
    keyboard.row().text(t('shop-categories-button'), shopMenuData.pack({ sort }));
  }
  return keyboard;
}

/** Under a product opened by a deep link: the way into the whole shop. */
export function productCardKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('shop-open-button'), shopMenuData.pack({ sort: 'new' }));
}
