/**
 * The NOWPayments emulator over HTTP: the merchant API with its auth, validation and error shapes,
 * payments walking through their statuses with one IPN each, IPNs that verify with the IPN secret
 * (and only with it), the IPN switches (drop, repeat, reorder, bad signature, retries) and API faults.
 */
import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyNowPaymentsSignature } from '../providers/nowpayments-signature';
import { startSandbox, type Sandbox } from './server';

const API_KEY = 'np-sandbox-test-key';
const IPN_SECRET = 'np-sandbox-test-ipn-secret';

interface ReceivedIpn {
  raw: string;
  signature: string | undefined;
  body: Record<string, unknown>;
}

let sandbox: Sandbox;
let receiver: FastifyInstance;
let ipnUrl: string;
let received: ReceivedIpn[];
let answerStatus: number;

beforeAll(async () => {
  // The emulator's fetch keeps its sockets alive: close them rather than wait them out.
  receiver = Fastify({ forceCloseConnections: true });
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  receiver.post('/nowpayments_ipn', async (request, reply) => {
    const raw = request.body as string;
    const header = request.headers['x-nowpayments-sig'];
    received.push({
      raw,
      signature: typeof header === 'string' ? header : undefined,
      body: JSON.parse(raw) as Record<string, unknown>,
    });
    return reply.code(answerStatus).send({ ok: answerStatus < 300 });
  });
  ipnUrl = `${await receiver.listen({ port: 0, host: '127.0.0.1' })}/nowpayments_ipn`;
  sandbox = await startSandbox({
    cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' },
    nowpayments: { apiKey: API_KEY, ipnSecret: IPN_SECRET, stepDelayMs: 2 },
  });
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

beforeEach(() => {
  sandbox.reset();
  received = [];
  answerStatus = 200;
});

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a fault's plain-text body
  }
  return { status: response.status, text, json, headers: response.headers };
}

const api = (method: string, path: string, body?: unknown) => http(method, path, body, { 'x-api-key': API_KEY });
const control = (path: string, body: unknown = {}) => http('POST', `/_sandbox/nowpayments${path}`, body);

async function createPayment(fields: Record<string, unknown> = {}) {
  const { status, json } = await api('POST', '/v1/payment', {
    price_amount: 10,
    price_currency: 'usd',
    pay_currency: 'btc',
    order_id: 'order-1',
    order_description: 'Basic plan',
    ipn_callback_url: ipnUrl,
    ...fields,
  });
  expect(status).toBe(201);
  return json;
}

/** The IPNs the receiver got for a payment, in arrival order, once `count` of them have been recorded. */
async function ipnsOf(paymentId: unknown, count: number): Promise<ReceivedIpn[]> {
  let seen = 0;
  await sandbox.nowpayments.waitForIpn((d) => d.paymentId === Number(paymentId) && ++seen >= count);
  return received.filter((ipn) => ipn.body.payment_id === Number(paymentId));
}

const statuses = (ipns: ReceivedIpn[]) => ipns.map((ipn) => ipn.body.payment_status);

describe('merchant API', () => {
  it('answers status without a key and refuses payments without the right x-api-key', async () => {
    expect(await http('GET', '/v1/status')).toMatchObject({ status: 200, json: { message: 'OK' } });
    const body = { price_amount: 10, price_currency: 'usd', pay_currency: 'btc' };
    const expected = { status: false, statusCode: 403, code: 'INVALID_API_KEY', message: 'Invalid api key' };
    expect(await http('POST', '/v1/payment', body)).toMatchObject({ status: 403, json: expected });
    expect(await http('POST', '/v1/payment', body, { 'x-api-key': 'wrong' })).toMatchObject({
      status: 403,
      json: expected,
    });
    expect(
      await http('GET', '/v1/payment/5000000000', undefined, { authorization: `Bearer ${API_KEY}` }),
    ).toMatchObject({
      status: 403,
    });
    expect(sandbox.nowpayments.payments()).toHaveLength(0);
  });

  it('creates a payment with the documented fields and exact amounts, and shows it by id', async () => {
    const created = await createPayment();
    expect(created).toMatchObject({
      payment_id: expect.stringMatching(/^\d{10}$/) as string,
      payment_status: 'waiting',
      pay_address: expect.stringMatching(/^bc1q[a-z0-9]{38}$/) as string,
      price_amount: 10,
      price_currency: 'usd',
      pay_amount: 0.00016667,
      pay_currency: 'btc',
      order_id: 'order-1',
      order_description: 'Basic plan',
      ipn_callback_url: ipnUrl,
      purchase_id: expect.stringMatching(/^\d{10}$/) as string,
      network: 'btc',
      payin_extra_id: null,
    });
    expect(Date.parse(created.valid_until as string)).toBeGreaterThan(Date.parse(created.created_at as string));
    expect(created.expiration_estimate_date).toBe(created.valid_until);

    const shown = await api('GET', `/v1/payment/${String(created.payment_id)}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({
      payment_id: Number(created.payment_id),
      payment_status: 'waiting',
      actually_paid: 0,
      pay_address: created.pay_address,
      purchase_id: created.purchase_id,
      outcome_currency: 'btc',
    });
    // Amounts are written as decimals, never as a float's exponent form.
    const tiny = await createPayment({ price_amount: '0.01', order_id: 'order-2' });
    const tinyText = (await api('GET', `/v1/payment/${String(tiny.payment_id)}`)).text;
    expect(tinyText).toContain('"pay_amount":0.00000017');
    expect(tinyText).not.toMatch(/\de-/);
  });

  it('gives coins that need one a memo, and plausible addresses per network', async () => {
    const xrp = await createPayment({ pay_currency: 'xrp' });
    expect(xrp).toMatchObject({ network: 'xrp', payin_extra_id: expect.stringMatching(/^\d+$/) as string });
    expect(xrp.pay_address).toMatch(/^r/);
    expect((await createPayment({ pay_currency: 'xlm' })).payin_extra_id).toMatch(/^\d+$/);
    expect((await createPayment({ pay_currency: 'usdterc20' })).pay_address).toMatch(/^0x[0-9a-f]{40}$/);
    expect((await createPayment({ pay_currency: 'usdttrc20' })).pay_address).toMatch(/^T\w{33}$/);
  });

  it('refuses invalid bodies with NOWPayments-shaped errors', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ price_currency: 'usd', pay_currency: 'btc' }, 'INVALID_REQUEST_PARAMS'],
      [{ price_amount: -1, price_currency: 'usd', pay_currency: 'btc' }, 'INVALID_REQUEST_PARAMS'],
      [{ price_amount: 10, pay_currency: 'btc' }, 'INVALID_REQUEST_PARAMS'],
      [{ price_amount: 10, price_currency: 'usd' }, 'INVALID_REQUEST_PARAMS'],
      [{ price_amount: 10, price_currency: 'usd', pay_currency: 'doge' }, 'CURRENCY_UNAVAILABLE'],
      [
        { price_amount: 10, price_currency: 'usd', pay_currency: 'btc', ipn_callback_url: 'ftp://x' },
        'INVALID_REQUEST_PARAMS',
      ],
      [{ price_amount: 10, price_currency: 'usd', pay_currency: 'btc', purchase_id: '123' }, 'INVALID_REQUEST_PARAMS'],
    ];
    for (const [body, code] of cases) {
      const { status, json } = await api('POST', '/v1/payment', body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(json).toMatchObject({ status: false, statusCode: 400, code, message: expect.any(String) as string });
    }
    expect(await api('GET', '/v1/payment/4000000001')).toMatchObject({ status: 404, json: { statusCode: 404 } });
    expect(await api('GET', '/v1/payment/abc')).toMatchObject({ status: 400 });
  });

  it('estimates coins at the configured rates', async () => {
    expect((await api('GET', '/v1/estimate?amount=10&currency_from=usd&currency_to=btc')).json).toEqual({
      currency_from: 'usd',
      amount_from: 10,
      currency_to: 'btc',
      estimated_amount: 0.00016667,
    });
    expect((await control('/rates', { usd: { btc: '50000' } })).json).toMatchObject({
      rates: { usd: { btc: '50000' } },
    });
    expect((await createPayment()).pay_amount).toBe(0.0002);
    sandbox.reset();
    expect((await createPayment()).pay_amount).toBe(0.00016667);
  });
});

describe('payments and IPNs', () => {
  it('walks a paid payment to finished with one signed IPN per status change', async () => {
    const created = await createPayment();
    const paid = await control(`/payments/${String(created.payment_id)}/pay`, { wait: true });
    expect(paid.json).toMatchObject({
      payment: { payment_status: 'finished', actually_paid: 0.00016667 },
      history: [
        { status: 'waiting' },
        { status: 'confirming' },
        { status: 'confirmed' },
        { status: 'sending' },
        { status: 'finished' },
      ],
    });
    const ipns = await ipnsOf(created.payment_id, 5);
    expect(statuses(ipns)).toEqual(['waiting', 'confirming', 'confirmed', 'sending', 'finished']);
    for (const ipn of ipns) {
      expect(verifyNowPaymentsSignature(ipn.raw, ipn.signature, IPN_SECRET)).toMatchObject({ ok: true });
      expect(verifyNowPaymentsSignature(ipn.raw, ipn.signature, 'another-secret').ok).toBe(false);
      // The nested fee object is why the top-level-only recipe must not be used.
      const oldRecipe = createHmac('sha512', IPN_SECRET)
        .update(JSON.stringify(ipn.body, Object.keys(ipn.body).sort()))
        .digest('hex');
      expect(oldRecipe).not.toBe(ipn.signature);
    }
    expect(ipns.at(-1)?.body).toMatchObject({
      payment_id: Number(created.payment_id),
      payment_status: 'finished',
      order_id: 'order-1',
      price_amount: 10,
      price_currency: 'usd',
      pay_amount: 0.00016667,
      actually_paid: 0.00016667,
      purchase_id: created.purchase_id,
      parent_payment_id: null,
      fee: { currency: 'btc', depositFee: 0 },
    });
    const log = await http('GET', '/_sandbox/nowpayments/ipns');
    expect((log.json.ipns as Array<{ answerStatus: number }>).map((d) => d.answerStatus)).toEqual([
      200, 200, 200, 200, 200,
    ]);
  });

  it('ends short payments partially_paid, pauses on confirmations and continues on advance', async () => {
    const created = await createPayment();
    const id = String(created.payment_id);
    const first = await control(`/payments/${id}/pay`, { amount: '0.0001', confirmations: 1 });
    expect(first.json).toMatchObject({
      payment: { payment_status: 'confirming' },
      pending: ['confirmed', 'sending', 'partially_paid'],
    });
    expect((await control(`/payments/${id}/pay`, {})).status).toBe(409);
    const rest = await control(`/payments/${id}/advance`, { wait: true });
    expect(rest.json).toMatchObject({
      payment: { payment_status: 'partially_paid', actually_paid: 0.0001 },
      pending: [],
    });
    expect(statuses(await ipnsOf(id, 5))).toEqual(['waiting', 'confirming', 'confirmed', 'sending', 'partially_paid']);
    expect((await control(`/payments/${id}/advance`, {})).status).toBe(409);

    // The top-up names the purchase and keeps its purchase_id.
    const topUp = await createPayment({ purchase_id: created.purchase_id, price_amount: 4, order_id: 'order-1' });
    expect(topUp.purchase_id).toBe(created.purchase_id);
  });

  it('books a repeat deposit as a child payment of the same order', async () => {
    const created = await createPayment();
    const id = String(created.payment_id);
    expect((await control(`/payments/${id}/repeat`, { amount: '0.0001' })).status).toBe(409);
    await control(`/payments/${id}/pay`, { wait: true });
    const repeat = await control(`/payments/${id}/repeat`, { amount: '0.0002', wait: true });
    expect(repeat.json).toMatchObject({
      payment: {
        parent_payment_id: Number(id),
        order_id: 'order-1',
        payment_status: 'finished',
        actually_paid: 0.0002,
        pay_address: created.pay_address,
        price_amount: 10,
      },
    });
    const childId = (repeat.json.payment as { payment_id: number }).payment_id;
    const childIpns = await ipnsOf(childId, 4);
    expect(statuses(childIpns)).toEqual(['confirming', 'confirmed', 'sending', 'finished']);
    expect(childIpns[0]?.body.parent_payment_id).toBe(Number(id));
    expect((await api('GET', `/v1/payment/${childId}`)).json).toMatchObject({ parent_payment_id: Number(id) });
  });

  it('expires, fails and refunds payments with one IPN each, and refuses what their state forbids', async () => {
    const a = String((await createPayment()).payment_id);
    expect((await control(`/payments/${a}/expire`)).json).toMatchObject({ payment: { payment_status: 'expired' } });
    expect((await control(`/payments/${a}/expire`)).status).toBe(409);
    const b = String((await createPayment({ order_id: 'order-2' })).payment_id);
    expect((await control(`/payments/${b}/fail`)).json).toMatchObject({ payment: { payment_status: 'failed' } });
    const c = String((await createPayment({ order_id: 'order-3' })).payment_id);
    expect((await control(`/payments/${c}/refund`)).status).toBe(409);
    await control(`/payments/${c}/pay`, { wait: true });
    expect((await control(`/payments/${c}/refund`)).json).toMatchObject({ payment: { payment_status: 'refunded' } });
    expect(statuses(await ipnsOf(a, 2))).toEqual(['waiting', 'expired']);
    expect(statuses(await ipnsOf(c, 6))).toEqual([
      'waiting',
      'confirming',
      'confirmed',
      'sending',
      'finished',
      'refunded',
    ]);
    expect((await control('/payments/4000000001/pay')).status).toBe(404);
    // By order id, the latest payment of the order.
    expect((await http('GET', '/_sandbox/nowpayments/payments/order-3')).json).toMatchObject({
      payment: { payment_id: Number(c) },
      ipns: expect.any(Array) as unknown[],
    });
  });

  it('sends no IPN without an IPN secret or a callback URL', async () => {
    await control('/settings', { ipnSecret: '' });
    const created = await createPayment();
    await control(`/payments/${String(created.payment_id)}/pay`, { wait: true });
    const silent = await createPayment({ ipn_callback_url: undefined, order_id: 'order-2' });
    await control('/settings', { ipnSecret: IPN_SECRET });
    await control(`/payments/${String(silent.payment_id)}/expire`);
    const deliveries = sandbox.nowpayments.ipnDeliveries();
    expect(deliveries).toHaveLength(7);
    expect(deliveries.every((d) => d.answerStatus === undefined && d.error)).toBe(true);
    expect(received).toHaveLength(0);
  });
});

describe('IPN switches', () => {
  it('drops the next IPNs', async () => {
    await control('/settings', { drop: 2 });
    const created = await createPayment();
    await control(`/payments/${String(created.payment_id)}/pay`, { wait: true });
    const ipns = await ipnsOf(created.payment_id, 5);
    expect(statuses(ipns)).toEqual(['confirmed', 'sending', 'finished']);
    expect(
      sandbox.nowpayments
        .ipnDeliveries()
        .filter((d) => d.dropped)
        .map((d) => d.paymentStatus),
    ).toEqual(['waiting', 'confirming']);
  });

  it('repeats each IPN', async () => {
    await control('/settings', { repeat: 3 });
    const created = await createPayment();
    await control(`/payments/${String(created.payment_id)}/expire`);
    const ipns = await ipnsOf(created.payment_id, 6);
    expect(statuses(ipns)).toEqual(['waiting', 'waiting', 'waiting', 'expired', 'expired', 'expired']);
    expect(new Set(ipns.map((ipn) => ipn.signature)).size).toBe(2);
  });

  it('sends a held batch in reverse order', async () => {
    const created = await createPayment();
    await ipnsOf(created.payment_id, 1);
    expect((await control('/settings', { reorder: 3 })).json).toMatchObject({ reorder: 3, held: 0 });
    await control(`/payments/${String(created.payment_id)}/pay`, { wait: true });
    const ipns = await ipnsOf(created.payment_id, 5);
    expect(statuses(ipns)).toEqual(['waiting', 'sending', 'confirmed', 'confirming', 'finished']);

    // A batch that does not fill up goes out on flush.
    const other = await createPayment({ order_id: 'order-2' });
    await ipnsOf(other.payment_id, 1);
    await control('/settings', { reorder: 5 });
    await control(`/payments/${String(other.payment_id)}/expire`);
    expect((await http('GET', '/_sandbox/nowpayments/settings')).json).toMatchObject({ held: 1 });
    expect((await control('/ipns/flush')).json).toEqual({ sent: 1 });
    expect(statuses(await ipnsOf(other.payment_id, 2))).toEqual(['waiting', 'expired']);
  });

  it('signs the next IPNs wrongly', async () => {
    await control('/settings', { badSignature: 1 });
    const created = await createPayment();
    await control(`/payments/${String(created.payment_id)}/expire`);
    const [bad, good] = await ipnsOf(created.payment_id, 2);
    expect(verifyNowPaymentsSignature(bad!.raw, bad!.signature, IPN_SECRET)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyNowPaymentsSignature(good!.raw, good!.signature, IPN_SECRET).ok).toBe(true);
    expect(sandbox.nowpayments.ipnDeliveries().map((d) => d.badSignature)).toEqual([true, false]);
  });

  it('retries an IPN the receiver refused', async () => {
    await control('/settings', { retries: 2, retryDelayMs: 5 });
    answerStatus = 500;
    const created = await createPayment();
    await sandbox.nowpayments.waitForIpn((d) => d.retry === 2);
    const deliveries = sandbox.nowpayments.ipnDeliveries();
    expect(deliveries.map((d) => [d.retry, d.answerStatus])).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
    ]);
    expect(statuses(received)).toEqual(['waiting', 'waiting', 'waiting']);
    answerStatus = 200;
    await control(`/payments/${String(created.payment_id)}/ipn`);
    await sandbox.nowpayments.waitForIpn((d) => d.answerStatus === 200);
    expect(sandbox.nowpayments.ipnDeliveries()).toHaveLength(4);
  });
});

describe('API faults', () => {
  it('fails a path N times with 500, 429 and 503, then answers again', async () => {
    await control('/faults', { path: '/v1/payment', method: 'POST', fault: 500, times: 2 });
    expect((await api('POST', '/v1/payment', {})).json).toMatchObject({ statusCode: 500 });
    expect((await api('POST', '/v1/payment', {})).status).toBe(500);
    expect((await api('POST', '/v1/payment', {})).status).toBe(400);
    expect((await api('GET', '/v1/status')).status).toBe(200);

    await control('/faults', { path: '/v1/', fault: 429 });
    const limited = await api('GET', '/v1/status');
    expect(limited).toMatchObject({ status: 429, json: { code: 'TOO_MANY_REQUESTS' } });
    expect(limited.headers.get('retry-after')).toBe('1');

    await control('/faults', { path: '/v1/payment', fault: '503', times: null });
    expect((await api('GET', '/v1/payment/4000000001')).status).toBe(503);
    expect((await api('GET', '/v1/payment/4000000001')).text).toBe('Service Unavailable');
    expect((await http('GET', '/_sandbox/nowpayments/faults')).json).toMatchObject({
      faults: [{ remaining: 0 }, { remaining: 0 }, { fault: 503, remaining: null }],
    });
    await http('DELETE', '/_sandbox/nowpayments/faults');
    expect((await api('GET', '/v1/payment/4000000001')).status).toBe(404);
    expect((await control('/faults', { path: 'v1', fault: 500 })).status).toBe(400);
    expect((await control('/faults', { path: '/v1', fault: 418 })).status).toBe(400);
  });

  it('hangs a request on timeout', async () => {
    await control('/faults', { path: '/v1/status', fault: 'timeout', delayMs: 5_000 });
    const started = Date.now();
    await expect(fetch(`${sandbox.url}/v1/status`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4_000);
    // Only once (times defaults to 1).
    expect((await http('GET', '/v1/status')).status).toBe(200);
  });

  it('forgets faults, payments and settings on reset', async () => {
    await createPayment();
    await control('/faults', { path: '/v1', fault: 500, times: null });
    await control('/settings', { drop: 3, repeat: 2 });
    expect((await http('POST', '/_sandbox/reset')).status).toBe(200);
    expect((await http('GET', '/_sandbox/nowpayments/payments')).json).toEqual({ payments: [] });
    expect((await http('GET', '/_sandbox/nowpayments/settings')).json).toMatchObject({ drop: 0, repeat: 1 });
    expect((await api('GET', '/v1/status')).status).toBe(200);
    expect((await http('GET', '/')).text).toContain('NOWPayments payments');
    expect((await http('GET', '/_sandbox')).text).toContain('/_sandbox/nowpayments/payments/:id/pay');
  });
});
