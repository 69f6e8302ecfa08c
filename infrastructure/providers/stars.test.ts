/**
 * The Stars rail against the Telegram sandbox over HTTP, with a real grammY Api: invoices sent as Telegram
 * takes them, status from the bot's Star transactions (paged, also when successful_payment was missed),
 * cancel by deleting the invoice, idempotent refunds, and which failures are worth retrying.
 */
import { Api, Bot } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { GatewayRequestError, type ChargeRequest } from './payment-rail';
import { StarsRail, wholeStars } from './stars';

const TOKEN = '4444:stars-rail-token';
const alice = { id: 3001, first_name: 'Alice' };
const bob = { id: 3002, first_name: 'Bob' };

let sandbox: Sandbox;
let api: Api;
let bot: Bot;

beforeEach(async () => {
  sandbox = await startSandbox({ cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' } });
  sandbox.telegram.addUser(alice, { startedBot: true });
  sandbox.telegram.addUser(bob, { startedBot: true });
  api = new Api(TOKEN, { apiRoot: sandbox.url });
  // The bot process: approves every pre-checkout query, as the real handlers do for a valid invoice.
  bot = new Bot(TOKEN, { client: { apiRoot: sandbox.url } });
  bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true));
  // Stopping aborts the long poll in flight; that rejection is the stop itself.
  bot.start({ timeout: 30 }).catch(() => undefined);
});

afterEach(async () => {
  if (bot.isRunning()) await bot.stop();
  await sandbox.close();
});

function request(over: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    invoiceId: '3001-premium-abc123def456',
    userId: alice.id,
    amount: '250',
    currency: 'XTR',
    expiresAt: Date.now() + 3_600_000,
    title: 'Premium, 30 days',
    description: 'Access to the Premium Signals channel',
    ...over,
  };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('createCharge', () => {
  it('sends a Stars invoice whose payload is the invoice id', async () => {
    const rail = new StarsRail(api);
    expect(rail.name).toBe('stars');
    const charge = await rail.createCharge(request());
    expect(charge).toEqual({ providerInvoiceId: '3001-premium-abc123def456', messageId: expect.any(Number) as number });
    const [message] = sandbox.telegram.messagesTo(alice.id);
    expect(message).toMatchObject({
      message_id: charge.messageId,
      method: 'sendInvoice',
      invoice: { payload: '3001-premium-abc123def456', currency: 'XTR', total_amount: 250 },
      message: { invoice: { title: 'Premium, 30 days', currency: 'XTR', total_amount: 250 } },
    });
    expect(sandbox.telegram.calls('sendInvoice')[0]?.params).toMatchObject({
      chat_id: alice.id,
      provider_token: '',
      prices: [{ label: 'Premium, 30 days', amount: 250 }],
    });
  });

  it('shortens texts Telegram would refuse as too long', async () => {
    await new StarsRail(api).createCharge(request({ title: 'T'.repeat(40), description: '' }));
    const invoice = sandbox.telegram.messagesTo(alice.id)[0]?.message.invoice;
    expect(invoice?.title).toBe(`${'T'.repeat(31)}…`);
    expect(invoice?.description).toBe(`${'T'.repeat(40)}`);
  });

  it('refuses amounts that are not whole Stars, other currencies, and Telegram refusals, without retry', async () => {
    const rail = new StarsRail(api);
    for (const amount of ['2.5', '0', '-3', '', '1e3']) {
      expect(await refusal(rail.createCharge(request({ amount })))).toBeInstanceOf(GatewayRequestError);
    }
    expect(await refusal(rail.createCharge(request({ currency: 'USD' })))).toBeInstanceOf(GatewayRequestError);
    expect(sandbox.telegram.calls('sendInvoice')).toEqual([]);

    // Telegram's own refusals: too many Stars (400), a user who never started the bot (403).
    const tooMuch = await refusal(rail.createCharge(request({ amount: '10001' })));
    expect(tooMuch).toBeInstanceOf(GatewayRequestError);
    expect(tooMuch.message).toMatch(/400: Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID/);
    sandbox.telegram.addUser({ id: 3003, first_name: 'Carol' });
    expect(await refusal(rail.createCharge(request({ userId: 3003 })))).toBeInstanceOf(GatewayRequestError);
    expect(wholeStars('250')).toBe(250);
  });

  it('leaves rate limits, Telegram 5xx and network failures retryable', async () => {
    const rail = new StarsRail(api);
    sandbox.telegram.injectFault({ method: 'sendInvoice', fault: { kind: 'rate_limit', retryAfter: 5 } });
    const limited = await refusal(rail.createCharge(request()));
    expect(limited).not.toBeInstanceOf(GatewayRequestError);
    expect(limited.message).toMatch(/sendInvoice answered 429/);
    sandbox.telegram.injectFault({ method: 'getStarTransactions', fault: { kind: 'server_error', status: 502 } });
    const down = await refusal(rail.getStatus(['x'], 'x'));
    expect(down).not.toBeInstanceOf(GatewayRequestError);
    expect(down.message).toMatch(/getStarTransactions answered 502/);
    const unreachable = new StarsRail(new Api(TOKEN, { apiRoot: 'http://127.0.0.1:1' }));
    const offline = await refusal(unreachable.refund({ userId: alice.id, chargeId: 'stx1' }));
    expect(offline).not.toBeInstanceOf(GatewayRequestError);
    expect(offline.message).toMatch(/refundStarPayment unreachable/);
  });
});

describe('getStatus', () => {
  it('is created until paid, then paid with the Stars received and the charge id', async () => {
    const rail = new StarsRail(api);
    const charge = await rail.createCharge(request());
    const invoiceId = request().invoiceId;
    expect(await rail.getStatus([charge.providerInvoiceId], invoiceId)).toEqual({
      status: 'created',
      received: '0',
      source: 'reconciliation',
      currency: 'XTR',
    });
    const paid = await sandbox.telegram.payInvoice({ userId: alice.id, messageId: charge.messageId });
    expect(await rail.getStatus([charge.providerInvoiceId], invoiceId)).toEqual({
      status: 'paid',
      received: '250',
      source: 'reconciliation',
      currency: 'XTR',
      chargeId: paid.chargeId,
    });
  });

  it('finds a payment whose successful_payment the bot missed, paging through other transactions', async () => {
    const rail = new StarsRail(api, { pageSize: 2 });
    // Five other payments first (three of them on Bob's invoices), so ours sits on the third page.
    for (let i = 0; i < 5; i++) {
      const userId = i % 2 ? alice.id : bob.id;
      const other = await rail.createCharge(request({ invoiceId: `other-${i}`, userId, amount: '10' }));
      await sandbox.telegram.payInvoice({ userId, messageId: other.messageId });
    }
    const charge = await rail.createCharge(request());
    const paid = await sandbox.telegram.payInvoice({
      userId: alice.id,
      messageId: charge.messageId,
      deliverSuccessfulPayment: false,
    });
    expect(paid).toMatchObject({ outcome: 'paid', delivered: false });

    const since = sandbox.telegram.calls().at(-1)?.seq ?? 0;
    const report = await rail.getStatus([charge.providerInvoiceId], request().invoiceId);
    expect(report).toMatchObject({ status: 'paid', received: '250', chargeId: paid.chargeId });
    const pages = sandbox.telegram
      .calls('getStarTransactions')
      .filter((c) => c.seq > since)
      .map((c) => c.params);
    // Six transactions in pages of two: offsets 0, 2, 4, then a short (empty) page ends the scan.
    expect(pages).toEqual([0, 2, 4, 6].map((offset) => ({ offset, limit: 2 })));
  });

  it('reports a declined or timed-out payment as still unpaid', async () => {
    const rail = new StarsRail(api);
    await bot.stop();
    const charge = await rail.createCharge(request());
    const outcome = await sandbox.telegram.payInvoice({
      userId: alice.id,
      messageId: charge.messageId,
      deadlineMs: 50,
    });
    expect(outcome.outcome).toBe('timeout');
    expect(await rail.getStatus([charge.providerInvoiceId], request().invoiceId)).toMatchObject({
      status: 'created',
      received: '0',
    });
  });

  it('sums an invoice paid twice (a forwarded copy) as overpaid', async () => {
    const rail = new StarsRail(api);
    const charge = await rail.createCharge(request({ amount: '7' }));
    const first = await sandbox.telegram.payInvoice({ userId: alice.id, messageId: charge.messageId });
    await sandbox.telegram.payInvoice({ userId: alice.id, messageId: charge.messageId, force: true });
    expect(await rail.getStatus([charge.providerInvoiceId], request().invoiceId)).toMatchObject({
      status: 'overpaid',
      received: '14',
      chargeId: first.chargeId,
    });
  });
});

describe('cancel and refund', () => {
  it('cancels by deleting the invoice message, which then cannot be paid; a second cancel is a no-op', async () => {
    const rail = new StarsRail(api);
    const charge = await rail.createCharge(request());
    const target = { providerInvoiceId: charge.providerInvoiceId, messageId: charge.messageId, userId: alice.id };
    await rail.cancel(target);
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.deleted).toBe(true);
    await rail.cancel(target);
    await rail.cancel({ providerInvoiceId: charge.providerInvoiceId, userId: alice.id });
    expect(sandbox.telegram.calls('deleteMessage').map((c) => c.ok)).toEqual([true, false]);
    await expect(sandbox.telegram.payInvoice({ userId: alice.id, messageId: charge.messageId })).rejects.toThrow(
      /was deleted/,
    );
    // Other refusals still surface.
    const wrongChat = await refusal(rail.cancel({ ...target, userId: 999 }));
    expect(wrongChat).toBeInstanceOf(GatewayRequestError);
  });

  it('refunds once; a retried refund succeeds without refunding again, and the status keeps what was received', async () => {
    const rail = new StarsRail(api);
    const charge = await rail.createCharge(request());
    const paid = await sandbox.telegram.payInvoice({ userId: alice.id, messageId: charge.messageId });
    const chargeId = paid.chargeId ?? '';

    await rail.refund({ userId: alice.id, chargeId });
    await rail.refund({ userId: alice.id, chargeId });
    expect(sandbox.telegram.calls('refundStarPayment').map((c) => [c.ok, c.description])).toEqual([
      [true, undefined],
      [false, 'Bad Request: CHARGE_ALREADY_REFUNDED'],
    ]);
    expect(sandbox.telegram.refunds()).toEqual([
      expect.objectContaining({ chargeId, userId: alice.id, amount: 250, invoicePayload: request().invoiceId }),
    ]);
    expect(await rail.getStatus([charge.providerInvoiceId], request().invoiceId)).toMatchObject({
      status: 'paid',
      received: '250',
      chargeId,
    });
    const unknown = await refusal(rail.refund({ userId: alice.id, chargeId: 'stxNoSuchCharge' }));
    expect(unknown).toBeInstanceOf(GatewayRequestError);
    expect(unknown.message).toMatch(/CHARGE_NOT_FOUND/);
  });
});
