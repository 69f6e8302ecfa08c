/** Seller buttons: accept the seller terms, and open the upload Mini App. */
import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { callbackData } from './callback-data';

type Translate = BotContext['t'];

export const sellAcceptData = callbackData('sell-accept', []);

export function sellerTermsKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('sell-accept-button'), sellAcceptData.pack({}));
}

/** A web_app button: Telegram opens the page inside the client with signed init data. */
export function shopKeyboard(t: Translate, uploadUrl: string): InlineKeyboard {
  return new InlineKeyboard().webApp(t('sell-upload-button'), uploadUrl);
}
