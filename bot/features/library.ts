/**
 * `/library`: everything the buyer owns, newest purchase first, ten to a page; ◀ ▶ edit the same
 * message. A product the seller has since hidden or deleted stays, marked as no longer in the catalog;
 * a refunded one stays, marked refunded, without its download button.
 * ⬇️ N sends a fresh single-use download link for that purchase (api/routes/download.ts); ⚠️ N,
 * shown while the purchase's payment is still held in escrow, opens a dispute (bot/features/disputes.ts).
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { DownloadError, ensureRoom, issueDownloadToken } from '../../infrastructure/downloads/tokens';
import { publicLink } from '../../infrastructure/config';
import { libraryOf } from '../../infrastructure/read-models/library';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import { disputeOpenData, libraryDownloadData, libraryPageData, type CallbackData } from '../keyboards/callback-data';
import { requireProfile } from './profile';
import { unlessUnchanged } from './shop';

export const LIBRARY_PAGE = 10;

/** One button per purchase, five to a row. */
function rowsOfFive(buttons: Array<{ text: string; orderId: string; data: CallbackData<'orderId'> }>) {
  const rows: InlineKeyboardButton[][] = [];
  buttons.forEach(({ text, orderId, data }, index) => {
    if (index % 5 === 0) rows.push([]);
    rows.at(-1)!.push(InlineKeyboard.text(text, data.pack({ orderId })));
  });
  return rows;
}

export const library = new Composer<BotContext>();
const chat = library.chatType('private');

/** One page of the buyer's library: its text and its ⬇️ and paging buttons (none when it is empty). */
export async function libraryPage(ctx: BotContext, buyerId: number, offset: number) {
  const { items, total } = await libraryOf(ctx.deps.db, buyerId, { limit: LIBRARY_PAGE, offset });
  if (total === 0) return { text: ctx.t('library-empty'), keyboard: undefined };
  const lines = items.map((item, index) => {
    const line = ctx.t('library-item', {
      n: offset + index + 1,
      title: item.title,
      shop: item.shopName,
      date: formatMoment(item.paidAt.getTime()).slice(0, 10),
    });
    const marks = [
      ...(item.refunded ? [ctx.t('library-refunded')] : item.removedFromCatalog ? [ctx.t('library-removed')] : []),
      ...(item.dispute === 'open' ? [ctx.t('library-disputed')] : []),
    ];
    return [line, ...marks].join(' ');
  });
  // A dispute is possible while the escrow still holds the payment (the workflow has the last word).
  const holdEnds = (item: (typeof items)[number]) => item.paidAt.getTime() + ctx.deps.config.orders.escrowHoldMs;
  const disputable = items
    .map((item, index) => ({ item, n: offset + index + 1 }))
    .filter(({ item }) => !item.refunded && item.dispute === null && holdEnds(item) > Date.now());
  const downloadable = items
    .map((item, index) => ({ item, n: offset + index + 1 }))
    .filter(({ item }) => !item.refunded);
  const keyboard = InlineKeyboard.from([
    ...rowsOfFive(
      downloadable.map(({ item, n }) => ({ text: `⬇️ ${n}`, orderId: item.orderId, data: libraryDownloadData })),
    ),
    ...rowsOfFive(disputable.map(({ item, n }) => ({ text: `⚠️ ${n}`, orderId: item.orderId, data: disputeOpenData }))),
  ]);
  keyboard.row();
  if (disputable.length > 0) lines.push('', ctx.t('library-dispute-hint'));
  if (offset > 0)
    keyboard.text(
      ctx.t('library-previous-button'),
      libraryPageData.pack({ offset: String(Math.max(0, offset - LIBRARY_PAGE)) }),
    );
  if (offset + LIBRARY_PAGE < total)
    keyboard.text(ctx.t('library-next-button'), libraryPageData.pack({ offset: String(offset + LIBRARY_PAGE) }));
  return { text: [ctx.t('library-header', { total }), '', ...lines].join('\n'), keyboard };
}

chat.command('library', async (ctx) => {
  const { text, keyboard } = await libraryPage(ctx, requireProfile(ctx).id, 0);
  await ctx.reply(text, { reply_markup: keyboard });
});

chat.callbackQuery(libraryPageData.pattern, async (ctx) => {
  const offset = Number(libraryPageData.unpack(ctx.callbackQuery.data)!.offset);
  await ctx.answerCallbackQuery();
  const { text, keyboard } = await libraryPage(ctx, ctx.from.id, offset);
  await ctx.editMessageText(text, { reply_markup: keyboard }).catch(unlessUnchanged);
});

chat.callbackQuery(libraryDownloadData.pattern, async (ctx) => {
  const { orderId } = libraryDownloadData.unpack(ctx.callbackQuery.data)!;
  const { db, config } = ctx.deps;
  try {
    await ensureRoom(db, ctx.from.id, config.downloads.perHour);
    const { token } = await issueDownloadToken(db, {
      buyerId: ctx.from.id,
      orderId,
      ttlMs: config.downloads.tokenTtlMs,
    });
    await ctx.answerCallbackQuery();
    const url = publicLink(config.api.publicUrl, `download/${token}`);
    const minutes = Math.max(1, Math.round(config.downloads.tokenTtlMs / 60_000));
    await ctx.reply(ctx.t('library-download', { minutes }), {
      reply_markup: new InlineKeyboard()
        .url(ctx.t('library-download-button'), url)
        .webApp(
          ctx.t('library-download-page-button'),
          publicLink(config.api.publicUrl, `miniapp/download?order=${orderId}`),
        ),
    });
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    const text =
      error.reason === 'rate_limited'
        ? ctx.t('library-download-busy', {
            perHour: config.downloads.perHour,
            minutes: Math.ceil((error.retryAfterSeconds ?? 60) / 60),
          })
        : ctx.t('library-download-refused');
    await ctx.answerCallbackQuery({ text, show_alert: true });
  }
});
