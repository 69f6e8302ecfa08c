/** Promo code buttons: "Promo code" (asks for one; the plan screen may show it too) and "Remove the code". */
import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { promoClearData, promoEnterData } from './callback-data';

type Translate = BotContext['t'];

export function promoEnterKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard().text(t('promo-enter-button'), promoEnterData.pack({}));
}

/** Under the user's entered code: enter another one, or go back to full prices. */
export function promoSelectedKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('promo-change-button'), promoEnterData.pack({}))
    .text(t('promo-clear-button'), promoClearData.pack({}));
}
