/** Seller buttons: accept the seller terms, and open the upload Mini App. */
import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { callbackData, productActionData, productCategoryData, productEditData } from './callback-data';

type Translate = BotContext['t'];

export const sellAcceptData = callbackData('sell-accept', []);

export function sellerTermsKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('sell-accept-button'), sellAcceptData.pack({}));
}

/** A web_app button: Telegram opens the page inside the client with signed init data. */
export function shopKeyboard(t: Translate, uploadUrl: string): InlineKeyboard {
  return new InlineKeyboard().webApp(t('sell-upload-button'), uploadUrl);
}

/** Under /products: per product, edit, hide or show it (on sale ↔ hidden) and delete it; then the upload button. */
export function productsKeyboard(
  t: Translate,
  uploadUrl: string,
  list: ReadonlyArray<{ id: string; title: string; status: string }>,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const product of list) {
    const name = product.title.length > 24 ? `${product.title.slice(0, 23)}…` : product.title;
    keyboard.text(t('sell-edit-button'), productEditData.pack({ field: 'card', productId: product.id }));
    if (product.status === 'active')
      keyboard.text(
        t('sell-hide-button', { title: name }),
        productActionData.pack({ action: 'hide', productId: product.id }),
      );
    if (product.status === 'hidden')
      keyboard.text(
        t('sell-show-button', { title: name }),
        productActionData.pack({ action: 'show', productId: product.id }),
      );
    keyboard.text(
      t('sell-delete-button', { title: name }),
      productActionData.pack({ action: 'delete', productId: product.id }),
    );
    keyboard.row();
  }
  return keyboard.webApp(t('sell-upload-button'), uploadUrl);
}

/** The text fields a seller edits by sending a message. */
export const PRODUCT_TEXT_FIELDS = ['title', 'description', 'price', 'stars'] as const;
export type ProductTextField = (typeof PRODUCT_TEXT_FIELDS)[number];

/** The upload Mini App for one product: its page replaces the cover or the file. */
export function productUploadUrl(uploadUrl: string, productId: string, role: 'cover' | 'file'): string {
  const url = new URL(uploadUrl);
  url.searchParams.set('product', productId);
  url.searchParams.set('role', role);
  return url.toString();
}

/**
 * Under a product's edit card: its fields (a fiat price only when it has a currency: choosing one is the
 * Mini App's), the cover and file through the upload Mini App, and back to the list.
 */
export function productEditKeyboard(
  t: Translate,
  uploadUrl: string,
  product: { id: string; currency: string | null },
): InlineKeyboard {
  const productId = product.id;
  const field = (name: string) => productEditData.pack({ field: name, productId });
  const keyboard = new InlineKeyboard()
    .text(t('product-edit-title-button'), field('title'))
    .text(t('product-edit-description-button'), field('description'))
    .row();
  if (product.currency !== null)
    keyboard.text(t('product-edit-price-button', { currency: product.currency }), field('price'));
  keyboard
    .text(t('product-edit-stars-button'), field('stars'))
    .row()
    .text(t('product-edit-category-button'), field('category'))
    .row()
    .webApp(t('product-edit-cover-button'), productUploadUrl(uploadUrl, productId, 'cover'))
    .webApp(t('product-edit-file-button'), productUploadUrl(uploadUrl, productId, 'file'))
    .row()
    .text(t('product-edit-back-button'), field('list'));
  return keyboard;
}

/** The categories to move a product to (the current one marked), and back to its card. */
export function productCategoryKeyboard(
  t: Translate,
  product: { id: string; categoryId: string },
  categories: ReadonlyArray<{ id: string; name: string }>,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  categories.forEach((category, index) => {
    if (index > 0 && index % 2 === 0) keyboard.row();
    const label = category.id === product.categoryId ? `• ${category.name}` : category.name;
    keyboard.text(label, productCategoryData.pack({ productId: product.id, categoryId: category.id }));
  });
  return keyboard
    .row()
    .text(t('product-edit-card-button'), productEditData.pack({ field: 'card', productId: product.id }));
}
