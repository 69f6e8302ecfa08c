/** The review queue's card buttons: approve or reject the product shown, ◀ ▶ through the queue. */
import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context';
import { reviewDecideData, reviewPageData } from './callback-data';

type Translate = BotContext['t'];

export function reviewCardKeyboard(
  t: Translate,
  card: { productId: string; version: string; offset: number; total: number },
): InlineKeyboard {
  const { productId, version, offset, total } = card;
  const keyboard = new InlineKeyboard()
    .text(t('review-approve-button'), reviewDecideData.pack({ action: 'ok', productId, version }))
    .text(t('review-reject-button'), reviewDecideData.pack({ action: 'no', productId, version }));
  if (total > 1) keyboard.row();
  if (offset > 0) keyboard.text('◀', reviewPageData.pack({ offset: String(offset - 1) }));
  if (offset + 1 < total) keyboard.text('▶', reviewPageData.pack({ offset: String(offset + 1) }));
  return keyboard;
}
