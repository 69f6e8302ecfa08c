/**
 * Stars payments in the Telegram emulator, driven by a real grammY bot over HTTP: invoice validation, a
 * user paying (pre_checkout_query → answer → successful_payment), declines, late answers, refunds, the
 * transaction list, a missed successful_payment, and invoices that were deleted.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Bot, GrammyError, InlineKeyboard, webhookCallback, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server';
import type { PaymentOutcome } from './index';

const TOKEN = '4343:stars-sandbox-token';
const alice = { id: 2001, first_name: 'Alice', username: 'alice' };
const bob = { id: 2002, first_name: 'Bob' };

let sandbox: Sandbox;
const bots: Bot[] = [];
const servers: FastifyInstance[] = [];

beforeEach(async () => {
  sandbox = await startSandbox({ cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' } });
  sandbox.telegram.addUser(alice, { startedBot: true });
  sandbox.telegram.addUser(bob, { startedBot: true });
});

afterEach(async () => {
  for (const bot of bots.splice(0)) if (bot.isRunning()) await bot.stop();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await sandbox.close();
});

function newBot(): Bot {
  const bot = new Bot(TOKEN, { client: { apiRoot: sandbox.url } });
  bots.push(bot);
  return bot;
}

/** A long-polling bot that answers pre-checkout queries with `answer` and records successful payments. */
function payingBot(answer: (ctx: Context) => Promise<unknown> = (ctx) => ctx.answerPreCheckoutQuery(true)) {
  const bot = newBot();
  const paid: Message[] = [];
  bot.on('pre_checkout_query', answer);
  bot.on('message:successful_payment', (ctx) => {
    paid.push(ctx.message);
  });
  // Stopping aborts the long poll in flight; that rejection is the stop itself.
  bot.start({ timeout: 30 }).catch(() => undefined);
  return { bot, paid };
}

async function sendStarsInvoice(bot: Bot, userId: number, payload: string, stars = 250): Promise<Message> {
  return bot.api.sendInvoice(userId, 'Premium, 30 days', 'Access to the channel', payload, 'XTR', [
    { label: 'Premium', amount: stars },
  ]);
}

async function control(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  const response = await fetch(`${sandbox.url}/_sandbox/telegram${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function rejection(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

async function description(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).description;
}

describe('sendInvoice', () => {
  it('stores a Stars invoice message with its invoice field and keyboard', async () => {
    const bot = newBot();
    const sent = await bot.api.sendInvoice(
      alice.id,
      'Premium, 30 days',
      'Access to the channel',
      'inv-1',
      'XTR',
      [{ label: 'Premium', amount: 250 }],
      { provider_token: '', reply_markup: new InlineKeyboard().pay('Pay ⭐️250').row().url('Terms', 'https://x.io') },
    );
    expect(sent).toMatchObject({
      chat: { id: alice.id, type: 'private' },
      from: { id: 4343, is_bot: true },
      invoice: {
        title: 'Premium, 30 days',
        description: 'Access to the channel',
        start_parameter: '',
        currency: 'XTR',
        total_amount: 250,
      },
      reply_markup: { inline_keyboard: [[{ text: 'Pay ⭐️250', pay: true }], [{ text: 'Terms', url: 'https://x.io' }]] },
    });
    const [stored] = sandbox.telegram.messagesTo(alice.id);
    expect(stored).toMatchObject({
      method: 'sendInvoice',
      invoice: { payload: 'inv-1', currency: 'XTR', total_amount: 250, charge_ids: [] },
    });
  });

  it('refuses invoices the way Telegram does', async () => {
    const bot = newBot();
    const send = (
      over: Partial<{ title: string; description: string; payload: string; currency: string }>,
      prices: { label: string; amount: number }[] = [{ label: 'Premium', amount: 250 }],
      other: Parameters<Bot['api']['sendInvoice']>[6] = {},
    ) =>
      bot.api.sendInvoice(
        alice.id,
        over.title ?? 'Premium',
        over.description ?? 'Access',
        over.payload ?? 'inv-1',
        over.currency ?? 'XTR',
        prices,
        other,
      );
    expect(await description(send({ title: '' }))).toBe('Bad Request: parameter "title" is required');
    expect(await description(send({ description: '' }))).toBe('Bad Request: parameter "description" is required');
    expect(await description(send({ title: 'x'.repeat(33) }))).toBe('Bad Request: TITLE_INVALID');
    expect(await description(send({ description: 'x'.repeat(256) }))).toBe('Bad Request: DESCRIPTION_INVALID');
    // 43 three-byte characters are 129 bytes: the payload limit counts bytes.
    expect(await description(send({ payload: '日'.repeat(43) }))).toBe('Bad Request: INVOICE_PAYLOAD_INVALID');
    await send({ payload: '日'.repeat(42) });
    expect(await description(send({}, [], {}))).toBe('Bad Request: there must be at least one price');
    expect(await description(send({}, [{ label: 'A', amount: 0 }]))).toBe('Bad Request: total price must be positive');
    expect(await description(send({}, [{ label: 'A', amount: 1.5 }]))).toBe(
      'Bad Request: can\'t parse labeled price: Field "amount" must be a valid Number',
    );
    expect(await description(send({}, [{ label: '', amount: 5 }]))).toBe(
      "Bad Request: can't parse labeled price: LabeledPrice label must be non-empty",
    );
    expect(
      await description(
        send({}, [
          { label: 'A', amount: 5 },
          { label: 'B', amount: 5 },
        ]),
      ),
    ).toBe('Bad Request: STARS_INVOICE_INVALID');
    expect(await description(send({}, undefined, { provider_token: '284685063:TEST:abc' }))).toBe(
      'Bad Request: STARS_INVOICE_INVALID',
    );
    expect(await description(send({}, undefined, { max_tip_amount: 10 }))).toBe('Bad Request: STARS_INVOICE_INVALID');
    expect(await description(send({}, [{ label: 'A', amount: 10_001 }]))).toBe(
      'Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID',
    );
    expect(await description(send({ currency: 'USD' }))).toBe('Bad Request: PAYMENT_PROVIDER_INVALID');
    expect(
      await description(send({}, undefined, { reply_markup: new InlineKeyboard().text('Check', 'check').pay('Pay') })),
    ).toBe('Bad Request: REPLY_MARKUP_BUY_EMPTY');
    expect(await description(bot.api.sendInvoice(999, 'T', 'D', 'p', 'XTR', [{ label: 'A', amount: 1 }]))).toBe(
      'Bad Request: chat not found',
    );
    // Only the well-formed invoice was stored.
    expect(sandbox.telegram.messagesTo(alice.id)).toHaveLength(1);
  });

  it('parses prices given as a JSON string in a form body', async () => {
    const form = new URLSearchParams({
      chat_id: String(alice.id),
      title: 'Premium',
      description: 'Access',
      payload: 'inv-form',
      currency: 'XTR',
      prices: JSON.stringify([{ label: 'Premium', amount: '40' }]),
    });
    const response = await fetch(`${sandbox.url}/bot${TOKEN}/sendInvoice`, { method: 'POST', body: form });
    expect(await response.json()).toMatchObject({ ok: true, result: { invoice: { total_amount: 40 } } });
  });
});

describe('a user pays an invoice', () => {
  it('sends pre_checkout_query, then on ok a successful_payment message with a new charge id', async () => {
    const { bot, paid } = payingBot();
    const invoice = await sendStarsInvoice(bot, alice.id, 'inv-pay');

    const { status, json } = await control('/payments', { userId: alice.id, messageId: invoice.message_id });
    expect(status).toBe(200);
    const outcome = json as unknown as PaymentOutcome;
    expect(outcome).toMatchObject({
      outcome: 'paid',
      userId: alice.id,
      chatId: alice.id,
      messageId: invoice.message_id,
      invoicePayload: 'inv-pay',
      currency: 'XTR',
      totalAmount: 250,
      delivered: true,
    });
    expect(outcome.chargeId).toMatch(/^stx[A-Za-z0-9_-]{20,}$/);

    const query = sandbox.telegram.updates().find((u) => u.type === 'pre_checkout_query')?.update;
    expect(query?.pre_checkout_query).toEqual({
      id: outcome.preCheckoutQueryId,
      from: { id: alice.id, is_bot: false, first_name: 'Alice', username: 'alice' },
      currency: 'XTR',
      total_amount: 250,
      invoice_payload: 'inv-pay',
    });
    expect(outcome.preCheckoutQueryId).toMatch(/^\d+$/);

    await expect.poll(() => paid.length).toBe(1);
    expect(paid[0]).toMatchObject({
      message_id: outcome.paymentMessageId,
      from: { id: alice.id },
      chat: { id: alice.id, type: 'private' },
      successful_payment: {
        currency: 'XTR',
        total_amount: 250,
        invoice_payload: 'inv-pay',
        telegram_payment_charge_id: outcome.chargeId,
        provider_payment_charge_id: expect.any(String) as string,
      },
    });
    const { transactions } = await bot.api.getStarTransactions();
    expect(transactions).toEqual([
      {
        id: outcome.chargeId,
        date: expect.any(Number) as number,
        amount: 250,
        source: {
          type: 'user',
          transaction_type: 'invoice_payment',
          user: { id: alice.id, is_bot: false, first_name: 'Alice', username: 'alice' },
          invoice_payload: 'inv-pay',
        },
      },
    ]);
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.invoice?.charge_ids).toEqual([outcome.chargeId]);

    // The query was answered once; Telegram refuses a second answer.
    expect(await description(bot.api.answerPreCheckoutQuery(outcome.preCheckoutQueryId, true))).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
    expect(await description(bot.api.answerPreCheckoutQuery('12345', true))).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
    // A private invoice is paid once, unless forced (as a forwarded copy could be).
    expect(await control('/payments', { userId: alice.id, messageId: invoice.message_id })).toMatchObject({
      status: 409,
      json: { error: expect.stringMatching(/paid already/) as string },
    });
    const again = await sandbox.telegram.payInvoice({ userId: alice.id, payload: 'inv-pay', force: true });
    expect(again.outcome).toBe('paid');
    expect(again.chargeId).not.toBe(outcome.chargeId);
  });

  it('delivers the pre_checkout_query and successful_payment by webhook too', async () => {
    const bot = newBot();
    const paid: string[] = [];
    bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true));
    bot.on('message:successful_payment', (ctx) => {
      paid.push(ctx.message.successful_payment.telegram_payment_charge_id);
    });
    const server = Fastify();
    servers.push(server);
    server.post('/hook', webhookCallback(bot, 'fastify'));
    await bot.api.setWebhook(`${await server.listen({ port: 0, host: '127.0.0.1' })}/hook`);
    const invoice = await sendStarsInvoice(bot, bob.id, 'inv-hook', 5);

    const outcome = await sandbox.telegram.payInvoice({ userId: bob.id, messageId: invoice.message_id });
    expect(outcome.outcome).toBe('paid');
    await expect.poll(() => paid).toEqual([outcome.chargeId]);
    await expect
      .poll(() => sandbox.telegram.updates().map((u) => [u.type, u.via, u.state]))
      .toEqual([
        ['pre_checkout_query', 'webhook', 'confirmed'],
        ['message', 'webhook', 'confirmed'],
      ]);
  });

  it('fails with the error message when the bot declines', async () => {
    const { bot, paid } = payingBot((ctx) =>
      ctx.answerPreCheckoutQuery(false, { error_message: 'Sorry, this plan is no longer sold.' }),
    );
    const invoice = await sendStarsInvoice(bot, alice.id, 'inv-declined');
    expect(await description(bot.api.answerPreCheckoutQuery('1', false))).toBe(
      'Bad Request: parameter "error_message" is required',
    );

    const { json } = await control('/payments', { userId: alice.id, payload: 'inv-declined' });
    expect(json).toMatchObject({
      outcome: 'declined',
      messageId: invoice.message_id,
      errorMessage: 'Sorry, this plan is no longer sold.',
    });
    expect(json.chargeId).toBeUndefined();
    expect(sandbox.telegram.starTransactions()).toEqual([]);
    expect(sandbox.telegram.updates().map((u) => u.type)).toEqual(['pre_checkout_query']);
    expect(paid).toEqual([]);
    // Not paid, so it can be tried again.
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.invoice?.charge_ids).toEqual([]);
  });

  it('fails when the answer comes after the deadline, and refuses the late answer', async () => {
    let late: Promise<unknown> | undefined;
    const { bot, paid } = payingBot(async (ctx) => {
      // Answers only once the sandbox has given up on this query.
      await expect.poll(() => sandbox.telegram.payments().length, { timeout: 5_000 }).toBe(1);
      late = ctx.answerPreCheckoutQuery(true).catch((error: unknown) => error);
      await late;
    });
    const invoice = await sendStarsInvoice(bot, alice.id, 'inv-late');

    const started = Date.now();
    const { json } = await control('/payments', { userId: alice.id, messageId: invoice.message_id, deadlineMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(json).toMatchObject({ outcome: 'timeout', messageId: invoice.message_id });
    await expect.poll(() => late).toBeDefined();
    const error = await late;
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
    expect(sandbox.telegram.starTransactions()).toEqual([]);
    expect(paid).toEqual([]);
  });

  it('times out on the sandbox-wide deadline when no bot is listening', async () => {
    await sandbox.close();
    sandbox = await startSandbox({
      cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' },
      telegram: { preCheckoutDeadlineMs: 150 },
    });
    sandbox.telegram.addUser(alice, { startedBot: true });
    const invoice = await sendStarsInvoice(newBot(), alice.id, 'inv-nobody');
    const outcome = await sandbox.telegram.payInvoice({ userId: alice.id, messageId: invoice.message_id });
    expect(outcome.outcome).toBe('timeout');
    // The query still waits in the queue, as on Telegram; a bot that answers it now is refused.
    expect(sandbox.telegram.updates().map((u) => [u.type, u.state])).toEqual([['pre_checkout_query', 'pending']]);
    expect(await description(newBot().api.answerPreCheckoutQuery(outcome.preCheckoutQueryId, true))).toMatch(
      /query is too old/,
    );
  });

  it('lets a payment miss its successful_payment update while the transaction still exists', async () => {
    const { bot, paid } = payingBot();
    const first = await sendStarsInvoice(bot, alice.id, 'inv-missed-1');
    const second = await sendStarsInvoice(bot, alice.id, 'inv-missed-2');

    const missed = await sandbox.telegram.payInvoice({
      userId: alice.id,
      messageId: first.message_id,
      deliverSuccessfulPayment: false,
    });
    expect(missed).toMatchObject({ outcome: 'paid', delivered: false });
    expect(await control('/payments/settings', { deliverSuccessfulPayment: false }, 'PUT')).toMatchObject({
      status: 200,
      json: { settings: { deliverSuccessfulPayment: false } },
    });
    const alsoMissed = await sandbox.telegram.payInvoice({ userId: alice.id, messageId: second.message_id });
    expect(alsoMissed).toMatchObject({ outcome: 'paid', delivered: false });

    const messages = sandbox.telegram
      .updates()
      .filter((u) => u.type === 'message')
      .map((u) => [u.update.message?.successful_payment?.telegram_payment_charge_id, u.state]);
    expect(messages).toEqual([
      [missed.chargeId, 'dropped'],
      [alsoMissed.chargeId, 'dropped'],
    ]);
    expect((await bot.api.getStarTransactions()).transactions.map((t) => t.id)).toEqual([
      missed.chargeId,
      alsoMissed.chargeId,
    ]);
    expect((await control('/star-transactions')).json.transactions).toHaveLength(2);
    expect(paid).toEqual([]);
  });

  it('refuses to pay an invoice message that was deleted', async () => {
    const { bot } = payingBot();
    const invoice = await sendStarsInvoice(bot, alice.id, 'inv-deleted');
    await bot.api.deleteMessage(alice.id, invoice.message_id);
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.deleted).toBe(true);

    for (const target of [{ messageId: invoice.message_id }, { payload: 'inv-deleted' }]) {
      expect(await control('/payments', { userId: alice.id, ...target })).toMatchObject({
        status: 409,
        json: { error: expect.stringMatching(/was deleted/) as string },
      });
    }
    expect(sandbox.telegram.updates()).toEqual([]);
    expect(await control('/payments', { userId: alice.id, payload: 'no-such' })).toMatchObject({ status: 404 });
    expect(await control('/payments', { userId: 9999, payload: 'inv-deleted' })).toMatchObject({ status: 404 });
  });
});

describe('transactions and refunds', () => {
  async function paidInvoices(bot: Bot, count: number): Promise<PaymentOutcome[]> {
    const outcomes: PaymentOutcome[] = [];
    for (let i = 1; i <= count; i++) {
      const invoice = await sendStarsInvoice(bot, i % 2 ? alice.id : bob.id, `inv-${i}`, i * 10);
      outcomes.push(await sandbox.telegram.payInvoice({ userId: invoice.chat.id, messageId: invoice.message_id }));
    }
    return outcomes;
  }

  it('lists transactions in order, paged by offset and limit (clamped to 1–100)', async () => {
    const { bot } = payingBot();
    const outcomes = await paidInvoices(bot, 5);
    const ids = outcomes.map((o) => o.chargeId);
    const page = async (offset?: number, limit?: number) =>
      (await bot.api.getStarTransactions({ offset, limit })).transactions.map((t) => t.id);
    expect(await page()).toEqual(ids);
    expect(await page(0, 2)).toEqual(ids.slice(0, 2));
    expect(await page(2, 2)).toEqual(ids.slice(2, 4));
    expect(await page(4, 2)).toEqual(ids.slice(4));
    expect(await page(5, 2)).toEqual([]);
    expect(await page(0, 0)).toEqual(ids.slice(0, 1));
    expect(await page(-3, 500)).toEqual(ids);
    const amounts = (await bot.api.getStarTransactions()).transactions.map((t) => [t.amount, t.source?.type]);
    expect(amounts).toEqual([10, 20, 30, 40, 50].map((amount) => [amount, 'user']));
  });

  it('refunds a payment once, as an outgoing transaction with the same id', async () => {
    const { bot } = payingBot();
    const [first, second] = await paidInvoices(bot, 2);
    const chargeId = first?.chargeId ?? '';

    expect(await description(bot.api.refundStarPayment(bob.id, chargeId))).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect(await description(bot.api.refundStarPayment(alice.id, 'stxUnknown'))).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect(await bot.api.refundStarPayment(alice.id, chargeId)).toBe(true);
    expect(await description(bot.api.refundStarPayment(alice.id, chargeId))).toBe(
      'Bad Request: CHARGE_ALREADY_REFUNDED',
    );

    const { transactions } = await bot.api.getStarTransactions();
    expect(transactions.map((t) => [t.id, t.amount, t.source ? 'in' : 'out'])).toEqual([
      [chargeId, 10, 'in'],
      [second?.chargeId, 20, 'in'],
      [chargeId, 10, 'out'],
    ]);
    expect(transactions[2]).toMatchObject({
      receiver: { type: 'user', transaction_type: 'invoice_payment', user: { id: alice.id }, invoice_payload: 'inv-1' },
    });
    expect(transactions[2]?.source).toBeUndefined();
    expect((await control('/refunds')).json.refunds).toEqual([
      { chargeId, userId: alice.id, amount: 10, invoicePayload: 'inv-1', date: expect.any(Number) as number },
    ]);
  });
});

describe('control API', () => {
  it('lists payment attempts and refuses malformed requests', async () => {
    const { bot } = payingBot();
    await sendStarsInvoice(bot, alice.id, 'inv-list');
    await control('/payments', { userId: alice.id, payload: 'inv-list' });
    const listed = (await control('/payments')).json.payments as PaymentOutcome[];
    expect(listed.map((p) => [p.outcome, p.invoicePayload])).toEqual([['paid', 'inv-list']]);
    expect((await control('/payments', { userId: alice.id })).status).toBe(400);
    expect((await control('/payments', { userId: alice.id, payload: 'inv-list', deadlineMs: -1 })).status).toBe(400);
    expect((await control('/payments/settings', { deliverSuccessfulPayment: 'no' }, 'PUT')).status).toBe(400);
    expect((await control('/payments/settings')).json).toEqual({ settings: { deliverSuccessfulPayment: true } });
    const routes = (await (await fetch(`${sandbox.url}/_sandbox`)).json()) as { routes: string[] };
    const starsRoutes = routes.routes.filter((r) => /_sandbox\/telegram\/(payments|star-transactions|refunds)/.test(r));
    expect(starsRoutes).toHaveLength(6);
  });
});
