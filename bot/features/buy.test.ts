/**
 * Buying a product in the bot against the Telegram sandbox, with the real database, Temporal and the
 * rails' sandboxes: Buy turns the card's own keyboard into the rails (with their prices) and Back
 * restores it; Stars: the invoice is sent, paid, and the product delivered, the order `delivered`;
 * buying it again says it is owned and sends the library; NOWPayments asks for a coin; an open
 * CryptoCloud order shows its link again; a product without a Stars price has no Stars button; a
 * seller cannot buy their own product.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProductId } from '../../domain/product';
import { invoices, orders, products, sellers } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, textMatches, WAIT_MS } from '../../test/conversation';
import { eventually, startStack, type Stack } from '../../test/harness';

let stack: Stack;
const TAG = randomUUID().replaceAll('-', '').slice(0, 8);
let seller: UserInput;
const slug = `buy-${TAG}`;
/** Priced in USD and Stars. */
const both = { id: newProductId(), title: `Both${TAG} ebook` };
/** Priced in USD only. */
const fiatOnly = { id: newProductId(), title: `Fiat${TAG} course` };

beforeAll(async () => {
  stack = await startStack();
  seller = { id: stack.newUserId(), first_name: 'Seller', language_code: 'en' };
  await stack.addUser(seller.id);
  tg().addUser(seller, { startedBot: true });
  await db()
    .insert(sellers)
    .values({ userId: seller.id, displayName: `Shop ${TAG}`, shopSlug: slug, termsAcceptedAt: new Date() });
  const start = Date.now() - 60_000;
  await db()
    .insert(products)
    .values([
      {
        id: fiatOnly.id,
        sellerId: seller.id,
        title: fiatOnly.title,
        categoryId: 'courses',
        priceMinor: 1500n,
        currency: 'USD',
        status: 'active' as const,
        createdAt: new Date(start),
      },
      {
        id: both.id,
        sellerId: seller.id,
        title: both.title,
        categoryId: 'ebooks',
        priceMinor: 990n,
        currency: 'USD',
        priceStars: 75,
        status: 'active' as const,
        createdAt: new Date(start + 1000),
      },
    ]);
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { nextMessage, say, press } = conversation(tg);
const lastSeq = () =>
  Math.max(
    0,
    ...tg()
      .calls()
      .map((call) => call.seq),
  );

async function buyer(): Promise<UserInput> {
  const from: UserInput = { id: stack.newUserId(), first_name: 'Buyer', language_code: 'en' };
  await stack.addUser(from.id);
  tg().addUser(from, { startedBot: true });
  return from;
}

/** Presses a button and waits for the bot to edit that same message's keyboard; returns it as edited. */
async function pressAndRekey(from: UserInput, message: SentMessage, data: string, force = false) {
  const since = lastSeq();
  tg().pressButton({ from, message_id: message.message_id, data, force });
  const call = await tg().waitForCall(
    'editMessageReplyMarkup',
    (c) => c.seq > since && Number(c.params.chat_id) === from.id && c.ok,
    WAIT_MS,
  );
  expect(Number(call.params.message_id)).toBe(message.message_id);
  return tg()
    .messagesTo(from.id)
    .find((m) => m.message_id === message.message_id)!;
}

/** Presses a button and returns the bot's answer to that press (its toast or alert). */
async function pressForAnswer(from: UserInput, message: SentMessage, data: string, force = false) {
  const since = lastSeq();
  tg().pressButton({ from, message_id: message.message_id, data, force });
  const answer = await tg().waitForCall('answerCallbackQuery', (c) => c.seq > since, WAIT_MS);
  return answerOf(answer);
}

const answerOf = (call: { params: Record<string, unknown> } | undefined) => ({
  text: typeof call?.params.text === 'string' ? call.params.text : '',
  alert: call?.params.show_alert === true,
});
/** The answer was an alert (not a toast) saying this. */
function expectAlert(answer: { text: string; alert: boolean }, says: RegExp) {
  expect(answer.text).toMatch(says);
  expect(answer.alert).toBe(true);
}

const ordersOf = (buyerId: number) => db().select().from(orders).where(eq(orders.buyerId, buyerId));
const buttonTexts = (message: SentMessage) => buttonsOf(message).map((b) => b.text);

describe('Buy on a product card', () => {
  it('in the carousel: Buy shows the rails with their prices in the same message, Back restores it', async () => {
    const user = await buyer();
    const card = await say(user, `/start shop_${slug}`, textMatches(new RegExp(both.title)));
    const carousel = callbackDataOf(card);
    const buy = carousel.find((data) => data.startsWith(`buy:${both.id}:`));
    expect(buy).toBeDefined();
    expect(carousel).toContain('shop:p:h:' + String(seller.id) + ':new:any:1');
    const messages = tg().messagesTo(user.id).length;

    const rails = await pressAndRekey(user, card, buy!);
    expect(rails.text ?? rails.caption).toBe(card.text ?? card.caption);
    expect(buttonTexts(rails)).toEqual([
      '💳 Pay 9.90 USD',
      '🪙 Pay 9.90 USD in crypto (address and QR)',
      '⭐ Pay 75 Stars',
      '◀ Back',
    ]);
    expect(callbackDataOf(rails).some((data) => data.startsWith(`buy:r:s:${both.id}:`))).toBe(true);

    const back = callbackDataOf(rails).find((data) => data.startsWith('buy:b:'))!;
    const restored = await pressAndRekey(user, rails, back);
    expect(callbackDataOf(restored)).toEqual(carousel);
    // Nothing was sent as a new message.
    expect(tg().messagesTo(user.id)).toHaveLength(messages);
  });

  it('a product without a Stars price offers no Stars button; NOWPayments asks for the coin, Back returns', async () => {
    const user = await buyer();
    const card = await say(user, `/start p_${fiatOnly.id}`, textMatches(new RegExp(fiatOnly.title)));
    expect(callbackDataOf(card)).toEqual([`buy:${fiatOnly.id}:d`, 'shop:m:new:any']);
    const rails = await pressAndRekey(user, card, `buy:${fiatOnly.id}:d`);
    expect(callbackDataOf(rails)).toEqual([
      `buy:r:c:${fiatOnly.id}:d`,
      `buy:r:n:${fiatOnly.id}:d`,
      `buy:b:${fiatOnly.id}:d`,
    ]);
    expect(buttonTexts(rails).some((text) => /Stars/.test(text))).toBe(false);
    // A forged Stars press is refused by the order command, and the card gets its keyboard back.
    const since = lastSeq();
    const back = await pressAndRekey(user, rails, `buy:r:s:${fiatOnly.id}:d`, true);
    expect(callbackDataOf(back)).toEqual(callbackDataOf(card));
    const refused = tg()
      .calls('answerCallbackQuery')
      .find((c) => c.seq > since);
    expectAlert(answerOf(refused), /not available for this product/);

    const coins = await pressAndRekey(user, card, `buy:r:n:${fiatOnly.id}:d`, true);
    expect(buttonTexts(coins)).toEqual(expect.arrayContaining(['BTC', 'ETH', 'USDT (TRC20)', '◀ Back']));
    expect(callbackDataOf(coins)).toContain(`buy:c:btc:${fiatOnly.id}:d`);
    const railsAgain = await pressAndRekey(user, coins, `buy:${fiatOnly.id}:d`);
    expect(callbackDataOf(railsAgain)).toContain(`buy:r:n:${fiatOnly.id}:d`);
    expect(await ordersOf(user.id)).toHaveLength(0);
  });

  it('Stars: the invoice is sent and paid, the product delivered; buying again says it is owned and sends the library', async () => {
    const user = await buyer();
    const card = await say(user, `/start p_${both.id}`, textMatches(new RegExp(both.title)));
    const cardKeys = callbackDataOf(card);
    const rails = await pressAndRekey(user, card, `buy:${both.id}:d`);

    const since = lastSeq();
    const restored = await pressAndRekey(user, rails, `buy:r:s:${both.id}:d`);
    expect(callbackDataOf(restored)).toEqual(cardKeys);
    const toast = tg()
      .calls('answerCallbackQuery')
      .find((c) => c.seq > since);
    expect(toast?.params.text).toBe('Creating your invoice…');

    const [order] = await eventually('the order', async () => {
      const rows = await ordersOf(user.id);
      return rows.length > 0 && rows;
    });
    expect(order).toMatchObject({ productId: both.id, rail: 'stars', priceStars: 75, status: 'awaiting_payment' });
    const invoiceId = order!.invoiceId!;
    const sent = await eventually('the Stars invoice', () =>
      tg()
        .calls('sendInvoice')
        .find((c) => c.ok && String(c.params.chat_id) === String(user.id) && c.params.payload === invoiceId),
    );
    expect(sent.params.currency).toBe('XTR');
    await eventually(
      'the invoice pending',
      async () => (await db().select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status === 'pending',
    );

    const delivered = tg().waitForMessage(user.id, textMatches(new RegExp(`${both.title} is yours`)), WAIT_MS);
    expect((await tg().payInvoice({ userId: user.id, payload: invoiceId })).outcome).toBe('paid');
    const delivery = await delivered;
    expect(callbackDataOf(delivery)).toContain(`lib:dl:${order!.id}`);
    await eventually('the order delivered', async () => (await ordersOf(user.id))[0]?.status === 'delivered');

    // Buy again: owned, so no rails; the library comes instead.
    const beforeAgain = lastSeq();
    const ownedAlert = tg().waitForCall(
      'answerCallbackQuery',
      (c) => c.seq > beforeAgain && c.params.show_alert === true,
    );
    const shelf = await press(user, restored, `buy:${both.id}:d`, textMatches(/Your library \(1\)/));
    expect(String((await ownedAlert).params.text)).toMatch(/already own/);
    expect(shelf.text).toContain(both.title);
    expect(callbackDataOf(shelf)).toContain(`lib:dl:${order!.id}`);
    // A rail pressed from an older keyboard: the order command refuses it the same way.
    const stale = await pressForAnswer(user, restored, `buy:r:s:${both.id}:d`, true);
    expectAlert(stale, /already own/);
    expect(await ordersOf(user.id)).toHaveLength(1);
  });

  it('CryptoCloud: pressing again while the order is open shows its pay link again, one order', async () => {
    const user = await buyer();
    const card = await say(user, `/start p_${fiatOnly.id}`, textMatches(new RegExp(fiatOnly.title)));
    const first = await pressAndRekey(user, card, `buy:${fiatOnly.id}:d`);
    const invoiceSent = nextMessage(user.id, textMatches(/Invoice for 15\.00 USD/))(() => undefined);
    await pressAndRekey(user, first, `buy:r:c:${fiatOnly.id}:d`);
    const invoiceMessage = await invoiceSent;
    const payUrl = buttonsOf(invoiceMessage).find((b) => 'url' in b)!;
    const second = await pressAndRekey(user, card, `buy:${fiatOnly.id}:d`);
    const again = await press(user, second, `buy:r:c:${fiatOnly.id}:d`, textMatches(/still open/));
    expect(again.text).toContain('15.00 USD');
    expect(buttonsOf(again).find((b) => 'url' in b)).toMatchObject({ url: (payUrl as { url: string }).url });
    expect(await ordersOf(user.id)).toHaveLength(1);
  });

  it('a seller cannot buy their own product', async () => {
    const card = await say(seller, `/start p_${both.id}`, textMatches(new RegExp(both.title)));
    const answer = await pressForAnswer(seller, card, `buy:${both.id}:d`);
    expectAlert(answer, /your own product/);
    const forced = await pressForAnswer(seller, card, `buy:r:s:${both.id}:d`, true);
    expectAlert(forced, /your own product/);
    expect(await ordersOf(seller.id)).toHaveLength(0);
  });
});
