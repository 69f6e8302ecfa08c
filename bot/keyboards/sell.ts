/** Seller buttons: accept the seller terms, and open the upload Mini App. */
import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { callbackData, productActionData } from './callback-data';

type Translate = BotContext['t'];

export const sellAcceptData = callbackData('sell-accept', []);

export function sellerTermsKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('sell-accept-button'), sellAcceptData.pack({}));
}

/** A web_app button: Telegram opens the page inside the client with signed init data. */
export function shopKeyboard(t: Translate, uploadUrl: string): InlineKeyboard {
  return new InlineKeyboard().webApp(t('sell-upload-button'), uploadUrl);
}

/** Under /products: per product, hide or show it (on sale ↔ hidden) and delete it; then the upload button. */
export function productsKeyboard(
  t: Translate,
  uploadUrl: string,
  list: ReadonlyArray<{ id: string; title: string; status: string }>,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const product of list) {
    const name = product.title.length > 24 ? `${product.title.slice(0, 23)}…` : product.title;
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
