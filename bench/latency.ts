/**
 * Payment → access, measured at the sandbox boundary. A fresh user goes through the bot as a person
 * does (/start, terms, the plan, the rail, the coin; or a product's deep link, Buy, Stars) until the
 * invoice message is in the chat, then pays at the gateway, either after a second of quiet or as soon
 * as the invoice message is seen ("hot": the workflow that sent it is still finishing its task).
 *
 * t0 is the gateway's report, on the sandbox's clock: the CryptoCloud postback's `at`, the NOWPayments
 * IPN that makes the payment final (`finished`, or `confirmed` when the stack fulfils on it), or the
 * moment Telegram enqueued the Stars `successful_payment`. t1 is the `at` of the Bot API call that
 * carries the access: the "subscription is active" message (with the invite links), or the product's
 * delivery ("is yours!"). Both clocks are the one process's, so t1 − t0 is the product's part alone.
 */
import {
  buttonData,
  buttonUrl,
  SandboxClient,
  SandboxError,
  textOf,
  type SentMessage,
  type UserInput,
} from './sandbox-client';
import type { StackInfo } from './stack-process';
import { sleep, summarise, type Summary } from './stats';

export type PaymentPath = 'cryptocloud' | 'nowpayments' | 'stars' | 'product';
export type ChatMood = 'quiet' | 'hot';

export const PATH_LABELS: Record<PaymentPath, string> = {
  cryptocloud: 'plan on CryptoCloud',
  nowpayments: 'plan on NOWPayments',
  stars: 'plan on Stars',
  product: 'product on Stars',
};

export interface Sample {
  /** t1 − t0, ms. */
  latency: number;
  /** t0 − the invoice message's call: how soon after it the payment came. */
  gap: number;
  /** The "payment received" message's call − t0, where one is sent (a stage on the way, for tuning). */
  receipt?: number;
}

export interface SeriesResult {
  path: PaymentPath;
  mood: ChatMood;
  samples: Sample[];
  errors: string[];
  latency: Summary;
  gapP50: number;
  receiptP50: number;
}

const QUIET_MS = 1000;
/** How often the chat is polled while waiting for the invoice in the hot case: the pay follows within this. */
const HOT_POLL_MS = 3;
const POLL_MS = 20;

/** One payment: the person reaches the invoice, pays, and the sandbox's records give t0 and t1. */
async function onePayment(
  sandbox: SandboxClient,
  stack: StackInfo,
  path: PaymentPath,
  mood: ChatMood,
  userId: number,
): Promise<Sample> {
  const from: UserInput = { id: userId, first_name: `Bench ${userId}`, language_code: 'en' };
  const since = await sandbox.lastCallSeq();
  const wait = (what: string, matches: (m: SentMessage) => boolean, pollMs = POLL_MS) =>
    sandbox.waitForMessage(userId, matches, { what, pollMs });
  const newest = async () => (await sandbox.messages(userId)).at(-1)?.message_id ?? 0;
  /** Presses a button of `message` and waits for a newer message matching. */
  const press = async (
    message: SentMessage,
    data: RegExp,
    what: string,
    matches: (m: SentMessage) => boolean,
    pollMs = POLL_MS,
  ) => {
    const found = buttonData(message, data);
    if (!found) throw new SandboxError(`no button ${data} on "${textOf(message).slice(0, 40)}"`);
    const after = await newest();
    await sandbox.pressButton(from, message.message_id, found);
    return wait(what, (m) => m.message_id > after && matches(m), pollMs);
  };
  const has = (pattern: RegExp) => (m: SentMessage) => pattern.test(textOf(m));
  const invoicePoll = mood === 'hot' ? HOT_POLL_MS : POLL_MS;

  await sandbox.addUser(from);
  let invoice: SentMessage;
  if (path === 'product') {
    await sandbox.sendText(from, `/start p_${stack.productId}`);
    const card = await wait('product card', (m) => buttonData(m, /^buy:/) !== undefined);
    const terms = await wait('terms', has(/Terms of service/));
    await press(terms, /^terms_accept/, 'plans after the terms', has(/Choose a plan/));
    await sandbox.pressButton(from, card.message_id, buttonData(card, /^buy:/)!);
    const rails = await wait(
      'rails on the card',
      (m) => m.message_id === card.message_id && buttonData(m, /^buy:r:s:/) !== undefined,
    );
    const after = await newest();
    await sandbox.pressButton(from, rails.message_id, buttonData(rails, /^buy:r:s:/)!);
    invoice = await wait('Stars invoice', (m) => m.message_id > after && m.method === 'sendInvoice', invoicePoll);
  } else {
    await sandbox.sendText(from, '/start');
    const terms = await wait('terms', has(/Terms of service/));
    const plans = await press(terms, /^terms_accept/, 'plans', has(/Choose a plan/));
    const details = await press(plans, new RegExp(`^plan:${stack.planId}$`), 'plan details', has(/Price:/));
    if (path === 'cryptocloud')
      invoice = await press(details, new RegExp(`^pay:${stack.planId}$`), 'invoice', has(/Invoice for/), invoicePoll);
    else if (path === 'nowpayments') {
      const coins = await press(
        details,
        new RegExp(`^payr:nowpayments:${stack.planId}$`),
        'coins',
        has(/Choose the coin/),
      );
      invoice = await press(
        coins,
        new RegExp(`^paycoin:${stack.coin}:${stack.planId}$`),
        'pay address',
        has(/Send exactly/),
        invoicePoll,
      );
    } else
      invoice = await press(
        details,
        new RegExp(`^payr:stars:${stack.planId}$`),
        'Stars invoice',
        (m) => m.method === 'sendInvoice',
        invoicePoll,
      );
  }
  if (mood === 'quiet') await sleep(QUIET_MS);

  const reportedAt = await pay(sandbox, stack, path, userId, invoice);
  const access = path === 'product' ? /is yours!/ : /subscription is active/;
  await wait('access message', (m) => m.message_id > invoice.message_id && access.test(textOf(m)));

  const t0 = await reportedAt();
  const calls = await sandbox.calls(since);
  const toUser = calls.filter((c) => Number(c.params.chat_id) === userId && c.ok);
  const accessCall = toUser.find((c) => access.test(callText(c)));
  const invoiceCall = toUser.find(
    (c) => (c.result as { message_id?: number } | undefined)?.message_id === invoice.message_id,
  );
  if (!accessCall || !invoiceCall) throw new SandboxError('the call log lacks the invoice or the access call');
  const receiptCall = toUser.find((c) => /Payment (of .+ )?received/.test(callText(c)));
  return {
    latency: accessCall.at - t0,
    gap: t0 - invoiceCall.at,
    ...(receiptCall ? { receipt: receiptCall.at - t0 } : {}),
  };
}

/**
 * Pays the invoice at its gateway; resolves with a reader of t0, the sandbox's time of the report that
 * counts (read once access arrived: an IPN is recorded only when the api has answered it).
 */
async function pay(
  sandbox: SandboxClient,
  stack: StackInfo,
  path: PaymentPath,
  userId: number,
  invoice: SentMessage,
): Promise<() => Promise<number>> {
  if (path === 'cryptocloud') {
    const link = buttonUrl(invoice, /\/pay\/[\w-]+/);
    const id = link && /\/pay\/([\w-]+)/.exec(link)?.[1];
    if (!id) throw new SandboxError('the invoice message has no pay link');
    const paid = await sandbox.payCryptoCloud(id);
    const postback = paid.postbacks.find((p) => !p.dropped);
    if (!postback) throw new SandboxError('the payment sent no postback');
    return () => Promise.resolve(postback.at);
  }
  if (path === 'nowpayments') {
    const caption = textOf(invoice);
    const payment = (await sandbox.nowpaymentsPayments()).find(
      (p) => typeof p.payment?.pay_address === 'string' && caption.includes(p.payment.pay_address),
    );
    if (!payment) throw new SandboxError('the address message names no sandbox payment');
    // Not waiting for the walk: its IPNs go out one after another as the api answers them.
    await sandbox.payNowPayments(payment.paymentId, false);
    const final = stack.fulfilOnConfirmed ? 'confirmed' : 'finished';
    return async () => {
      for (let tries = 0; tries < 500; tries++) {
        const ipns = await sandbox.nowpaymentsIpns(payment.paymentId);
        const ipn = ipns.find((i) => i.paymentStatus === final && !i.dropped);
        if (ipn) return ipn.at;
        await sleep(POLL_MS);
      }
      throw new SandboxError(`no ${final} IPN was sent`);
    };
  }
  const paid = await sandbox.payStarsInvoice(userId, invoice.message_id);
  if (paid.outcome !== 'paid') throw new SandboxError(`the Stars payment ended ${paid.outcome}`);
  return () => Promise.resolve(paid.at);
}

/** `count` payments one after another, each by a new user; failures are counted, not fatal. */
export async function paymentSeries(
  sandbox: SandboxClient,
  stack: StackInfo,
  path: PaymentPath,
  mood: ChatMood,
  count: number,
  firstUserId: number,
  signal?: AbortSignal,
): Promise<SeriesResult> {
  const samples: Sample[] = [];
  const errors: string[] = [];
  for (let i = 0; i < count && !signal?.aborted; i++) {
    try {
      samples.push(await onePayment(sandbox, stack, path, mood, firstUserId + i));
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  return {
    path,
    mood,
    samples,
    errors,
    latency: summarise(samples.map((s) => s.latency)),
    gapP50: summarise(samples.map((s) => s.gap)).p50,
    receiptP50: summarise(samples.flatMap((s) => (s.receipt === undefined ? [] : [s.receipt]))).p50,
  };
}

/** The text or caption a sending call carried. */
function callText(call: { params: Record<string, unknown> }): string {
  const text = call.params.text ?? call.params.caption;
  return typeof text === 'string' ? text : '';
}
