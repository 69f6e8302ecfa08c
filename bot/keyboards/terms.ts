import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { termsAcceptData } from './callback-data';

export function termsKeyboard(t: BotContext['t']): InlineKeyboard {
  return new InlineKeyboard().text(t('terms-accept-button'), termsAcceptData.pack({}));
}
