/**
 * A seller's money, driven through the sandbox as people would: a second buyer pays for the
 * seller's product in crypto (CryptoCloud), the proceeds wait out the escrow hold, are released
 * to the seller's available balance, the seller asks for a payout from /balance (network, wallet,
 * amount), an admin approves it with the button and marks it paid with the transaction hash, and
 * /balance shows it paid out. Used by `npm run demo` and by the end-to-end journey test.
 */
import type { Sandbox } from '../sandbox/server';
import type { SentMessage } from '../sandbox/telegram';
import { callbackOf, findCallback, waitFor } from './journey-buttons';

export interface SellerMoneyJourneyOptions {
  sandbox: Sandbox;
  sellerId: number;
  buyerId: number;
  /** An admin of the stack (ADMIN_IDS): approves and pays the payout. */
  adminId: number;
  /** Unique words of the product's title, so /search finds it. */
  title: string;
  /** The payout asked for, as the seller types it (in the product's currency). */
  payoutAmount: string;
  /** A TRC20 address the seller is paid to. */
  wallet: string;
  /** The transaction hash the admin reports. */
  txHash: string;
  log?: (line: string) => void;
  stepTimeoutMs?: number;
}

export interface SellerMoneyJourneyResult {
  orderId: string;
  payoutId: string;
  /** /balance as the seller saw it: during the hold, after the release, after the payout. */
  balances: string[];
}

export async function playSellerMoneyJourney(options: SellerMoneyJourneyOptions): Promise<SellerMoneyJourneyResult> {
  const { sandbox } = options;
  const telegram = sandbox.telegram;
  const timeout = options.stepTimeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  const step = (line: string) => log(`${new Date().toISOString()}  ${line}`);
  const person = (id: number, name: string) => ({
    id,
    first_name: name,
    username: `${name.toLowerCase()}${id}`,
    language_code: 'en',
  });
  const buyer = person(options.buyerId, 'Mira');
  const seller = person(options.sellerId, 'Seller');
  const admin = person(options.adminId, 'Admin');
  const lastId = (userId: number) => telegram.messagesTo(userId).at(-1)?.message_id ?? 0;
  /** Does something, then waits for the next message to `userId` that matches. */
  const reply = async (userId: number, pattern: RegExp, act: () => void) => {
    const since = lastId(userId);
    act();
    return telegram.waitForMessage(
      userId,
      (m) => m.message_id > since && pattern.test(`${m.text ?? m.caption ?? ''} ${JSON.stringify(m.reply_markup)}`),
      timeout,
    );
  };
  const say = (from: typeof buyer, text: string, pattern: RegExp) =>
    reply(from.id, pattern, () => telegram.sendText({ from, text }));
  const press = (from: typeof buyer, message: SentMessage, data: RegExp, pattern: RegExp) =>
    reply(from.id, pattern, () =>
      telegram.pressButton({ from, message_id: message.message_id, data: callbackOf(message, data) }),
    );

  // The admin has started the bot (admin notices go to a chat that exists).
  telegram.addUser(admin, { startedBot: true });
  const adminStart = await say(admin, '/start', /./);
  if (findCallback(adminStart, /^terms_accept/)) await press(admin, adminStart, /^terms_accept/, /./);

  // The buyer finds the product and pays for it in crypto.
  telegram.addUser(buyer, { startedBot: true });
  const terms = await say(buyer, '/start', /Terms of service/);
  await press(buyer, terms, /^terms_accept/, /plan/i);
  const word = options.title.split(' ').at(-1)!;
  const card = await say(buyer, `/search ${word}`, new RegExp(word));
  telegram.pressButton({ from: buyer, message_id: card.message_id, data: callbackOf(card, /^buy:/) });
  const rails = await waitFor(timeout, 'the card turning into the rails', () => {
    const edited = telegram.messagesTo(buyer.id).find((m) => m.message_id === card.message_id);
    return edited && findCallback(edited, /^buy:r:c:/) ? edited : undefined;
  });
  const invoiceMessage = await press(buyer, rails, /^buy:r:c:/, /\/pay\//);
  const payUrl = JSON.stringify(invoiceMessage.reply_markup).match(/https?:\/\/[^"]+\/pay\/[\w-]+/)?.[0];
  const invoice = sandbox.cryptocloud.invoices().find((i) => i.link === payUrl);
  if (!invoice) throw new Error('the invoice message has no pay link of a sandbox invoice');
  step(`a second buyer chose CryptoCloud for "${options.title}": invoice ${invoice.order_id} (${payUrl})`);
  const sold = await reply(seller.id, /Sold:/, () => void sandbox.cryptocloud.pay(invoice.uuid));
  const orderId = /\(order ([^)]+)\)/.exec(sold.text ?? '')?.[1];
  if (!orderId) throw new Error(`the sale notice names no order: ${sold.text}`);
  step(`paid; the seller was told: ${firstLine(sold)}`);

  const balances: string[] = [];
  const balance = async (when: string, shows?: RegExp) => {
    let shown = await say(seller, '/balance', /balance/i);
    // The sale notice can come a moment before the escrow has split the sale into the balance.
    for (let tries = 1; shows && !shows.test(shown.text ?? '') && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      shown = await say(seller, '/balance', /balance/i);
    }
    balances.push(shown.text ?? '');
    step(`${when}, /balance → ${(shown.text ?? '').replace(/\n+/g, ' | ')}`);
    return shown;
  };
  await balance('during the hold', /In escrow [1-9]/);

  const since = lastId(seller.id);
  const released = await telegram.waitForMessage(
    seller.id,
    (m) => m.message_id > since && (m.text ?? '').includes(`(order ${orderId}) is final`),
    timeout,
  );
  step(`the hold ended: ${firstLine(released)} (workflow escrow:${orderId})`);
  const available = await balance('after the release');

  // The payout: the button under /balance, the network, the wallet, the amount.
  const networks = await press(seller, available, /^pask:seller:/, /network/);
  await press(seller, networks, /:TRC20$/, /wallet address/);
  await say(seller, options.wallet, /How much\?/);
  const requested = await say(seller, options.payoutAmount, /Payout request .* received/);
  const payoutId = /Payout request (\S+)/.exec(requested.text ?? '')![1]!;
  step(`the seller asked for a payout: ${firstLine(requested)} (workflow payout:${payoutId})`);

  const adminSince = lastId(admin.id);
  const notice = await telegram.waitForMessage(
    admin.id,
    (m) => m.message_id > adminSince && findCallback(m, new RegExp(`^payout:approve:${payoutId}$`)) !== undefined,
    timeout,
  );
  step(`the admin was asked: ${firstLine(notice)}`);
  const approved = await reply(seller.id, /was approved/, () =>
    telegram.pressButton({ from: admin, message_id: notice.message_id, data: `payout:approve:${payoutId}` }),
  );
  step(`the admin approved it; the seller was told: ${firstLine(approved)}`);
  const paid = await reply(seller.id, /Transaction:/, () =>
    telegram.sendText({ from: admin, text: `/paid ${payoutId} ${options.txHash}` }),
  );
  step(`the admin sent it and marked it paid; the seller was told: ${firstLine(paid)}`);
  await balance('after the payout');
  return { orderId, payoutId, balances };
}

const firstLine = (message: SentMessage) => (message.text ?? message.caption ?? '').split('\n')[0];
