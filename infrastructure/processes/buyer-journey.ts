/**
 * A buyer's journey through the marketplace, driven through the sandbox as a person would: the
 * product found in the carousel, Buy → Stars, the Stars invoice paid in the chat, the delivery DM,
 * a download through its link (the bytes checked), then a second download from /library. Used by
 * `npm run demo` and by the end-to-end journey test.
 */
import { createHash } from 'node:crypto';
import type { SentMessage } from '../sandbox/telegram';
import type { Sandbox } from '../sandbox/server';
import { callbackOf, findCallback, urlOf, waitFor } from './journey-buttons';

export interface BuyerJourneyOptions {
  sandbox: Sandbox;
  buyerId: number;
  /** The carousel message showing the product (the seller journey's /search answer). */
  card: SentMessage;
  /** SHA-256 of the file the seller uploaded: each download must serve exactly it. */
  fileSha256: string;
  log?: (line: string) => void;
  stepTimeoutMs?: number;
}

export interface BuyerJourneyResult {
  orderId: string;
  /** SHA-256 of each download: from the delivery, then from the library. */
  downloads: string[];
}

export async function playBuyerJourney(options: BuyerJourneyOptions): Promise<BuyerJourneyResult> {
  const telegram = options.sandbox.telegram;
  const timeout = options.stepTimeoutMs ?? 30_000;
  const log = options.log ?? (() => {});
  const step = (line: string) => log(`${new Date().toISOString()}  ${line}`);
  const buyer = { id: options.buyerId, first_name: 'Ivo', username: `ivo${options.buyerId}`, language_code: 'en' };
  const lastId = () => telegram.messagesTo(buyer.id).at(-1)?.message_id ?? 0;
  const next = (pattern: RegExp, since: number) =>
    telegram.waitForMessage(buyer.id, (m) => m.message_id > since && pattern.test(m.text ?? m.caption ?? ''), timeout);

  // Buy turns the card's own keyboard into the rails (the message is edited, not repeated).
  const buy = callbackOf(options.card, /^buy:/);
  telegram.pressButton({ from: buyer, message_id: options.card.message_id, data: buy });
  const stars = await waitFor(timeout, 'the card turning into the rails', () => {
    const card = telegram.messagesTo(buyer.id).find((m) => m.message_id === options.card.message_id);
    return card && findCallback(card, /^buy:r:s:/);
  });
  step('the buyer pressed Buy on the card: it now offers the rails with their prices');
  const since = lastId();
  telegram.pressButton({ from: buyer, message_id: options.card.message_id, data: stars });
  const invoice = await telegram.waitForMessage(
    buyer.id,
    (m) => m.message_id > since && m.method === 'sendInvoice',
    timeout,
  );
  step(`Stars chosen: an invoice for ${invoice.invoice?.total_amount ?? '?'} ⭐ arrived in the chat`);
  const paid = await telegram.payInvoice({ userId: buyer.id, messageId: invoice.message_id });
  if (paid.outcome !== 'paid') throw new Error(`the Stars payment ended ${paid.outcome}`);
  step('the buyer paid it with Stars');
  const delivery = await next(/is yours!/, invoice.message_id);
  const orderId = /^lib:dl:(.+)$/.exec(callbackOf(delivery, /^lib:dl:/))![1]!;
  step(
    `delivered: ${(delivery.text ?? delivery.caption ?? '').split('\n')[0]}${delivery.document ? ` (with ${delivery.document.file_name})` : ''}`,
  );

  const download = async (message: SentMessage, data: string) => {
    const before = lastId();
    telegram.pressButton({ from: buyer, message_id: message.message_id, data });
    const sent = await next(/download/i, before);
    const url = urlOf(sent, /\/download\//);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the download answered ${response.status}`);
    const sha = createHash('sha256')
      .update(Buffer.from(await response.arrayBuffer()))
      .digest('hex');
    if (sha !== options.fileSha256) throw new Error('the download is not the file the seller uploaded');
    return sha;
  };
  const first = await download(delivery, `lib:dl:${orderId}`);
  step("downloaded through the delivery's one-time link: the exact bytes the seller uploaded");

  const before = lastId();
  telegram.sendText({ from: buyer, text: '/library' });
  const library = await next(/Your library/, before);
  const again = await download(library, `lib:dl:${orderId}`);
  step('downloaded again from /library with a fresh link: the same bytes');
  return { orderId, downloads: [first, again] };
}
