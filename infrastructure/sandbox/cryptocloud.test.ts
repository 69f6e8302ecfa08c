/**
 * The CryptoCloud emulator over HTTP: the merchant API with its auth and validation, payments of
 * every shape, and postbacks whose JWT verifies with the project secret (and only with it).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { errors, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCryptoCloudPostback, type CryptoCloudInvoice } from './cryptocloud';
import { startSandbox, type Sandbox } from './server';

const API_KEY = 'test-api-key';
const SECRET = 'test-project-secret';
const SHOP_ID = 'SHOP42';

interface Received {
  contentType: string;
  body: Record<string, unknown>;
}

let sandbox: Sandbox;
let receiver: FastifyInstance;
let received: Received[];
let receiverStatus: number;
let clock: number;

beforeEach(async () => {
  received = [];
  receiverStatus = 200;
  receiver = Fastify();
  await receiver.register(formbody);
  receiver.post('/cryptocloud_webhook', async (request, reply) => {
    received.push({
      contentType: String(request.headers['content-type']),
      body: request.body as Record<string, unknown>,
    });
    return reply.code(receiverStatus).send({ message: 'Postback received' });
  });
  const receiverUrl = await receiver.listen({ port: 0, host: '127.0.0.1' });
  clock = Date.now();
  sandbox = await startSandbox({
    cryptocloud: {
      apiKey: API_KEY,
      secretKey: SECRET,
      shopId: SHOP_ID,
      notifyUrl: `${receiverUrl}/cryptocloud_webhook`,
    },
    now: () => clock,
  });
});

afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

async function api(
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Token ${API_KEY}` },
) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a fault's plain-text body
  }
  return { status: response.status, json };
}

async function createInvoice(amount: number | string = 10, orderId = 'order-1'): Promise<CryptoCloudInvoice> {
  const { status, json } = await api('/v2/invoice/create', {
    shop_id: SHOP_ID,
    amount,
    currency: 'USD',
    order_id: orderId,
    add_fields: { time_to_pay: { hours: 0, minutes: 30 } },
  });
  expect(status).toBe(200);
  return json.result as CryptoCloudInvoice;
}

async function info(...uuids: string[]): Promise<CryptoCloudInvoice[]> {
  const { status, json } = await api('/v2/invoice/merchant/info', { uuids });
  expect(status).toBe(200);
  return json.result as CryptoCloudInvoice[];
}

const key = (secret: string) => new TextEncoder().encode(secret);

describe('merchant API', () => {
  it('creates an invoice with the API key and refuses requests without it', async () => {
    const invoice = await createInvoice('10.50');
    expect(invoice.uuid).toMatch(/^INV-[A-Z0-9]{8}$/);
    const id = invoice.uuid.slice(4);
    expect(invoice).toMatchObject({
      status: 'created',
      amount: 10.5,
      amount_usd: 10.5,
      received: 0,
      order_id: 'order-1',
      test_mode: true,
      link: `${sandbox.url}/pay/${id}`,
      currency: { code: 'USDT', fullcode: 'USDT_TRC20', network: { code: 'TRC20' } },
    });
    expect(invoice.expiry_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    // time_to_pay of 30 minutes, in UTC.
    expect(
      Date.parse(`${invoice.expiry_date.replace(' ', 'T').slice(0, 23)}Z`) -
        Date.parse(`${invoice.created.replace(' ', 'T').slice(0, 23)}Z`),
    ).toBe(30 * 60_000);

    const anonymous = await api('/v2/invoice/create', { shop_id: SHOP_ID, amount: 10 }, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toHaveProperty('detail');
    const wrongKey = await api('/v2/invoice/create', { shop_id: SHOP_ID, amount: 10 }, { authorization: 'Token nope' });
    expect(wrongKey.status).toBe(401);
    expect(
      (await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] }, { authorization: `Bearer ${API_KEY}` }))
        .status,
    ).toBe(401);
  });

  it('validates shop_id and amount', async () => {
    for (const body of [
      { shop_id: 'OTHER', amount: 10 },
      { amount: 10 },
      { shop_id: SHOP_ID, amount: -1 },
      { shop_id: SHOP_ID, amount: 'ten' },
      { shop_id: SHOP_ID },
    ]) {
      const { status, json } = await api('/v2/invoice/create', body);
      expect(status).toBe(400);
      expect(json).toMatchObject({ status: 'error', result: { validate_error: expect.any(String) as string } });
    }
  });

  it('accepts a form body and the locale parameter', async () => {
    const response = await fetch(`${sandbox.url}/v2/invoice/create?locale=ru`, {
      method: 'POST',
      headers: { authorization: `Token ${API_KEY}` },
      body: new URLSearchParams({ shop_id: SHOP_ID, amount: '7.25', order_id: 'form-order' }),
    });
    expect(response.status).toBe(200);
    const created = ((await response.json()) as { result: CryptoCloudInvoice }).result;
    expect(created).toMatchObject({ amount: 7.25, order_id: 'form-order' });
    const status = await fetch(`${sandbox.url}/v2/invoice/merchant/info`, {
      method: 'POST',
      headers: { authorization: `Token ${API_KEY}` },
      body: new URLSearchParams({ uuids: created.uuid }),
    });
    expect(((await status.json()) as { result: CryptoCloudInvoice[] }).result.map((i) => i.uuid)).toEqual([
      created.uuid,
    ]);
  });

  it('reports invoices by uuid with or without the prefix, at most 100', async () => {
    const a = await createInvoice(5, 'a');
    const b = await createInvoice(6, 'b');
    const result = await info(a.uuid, b.uuid.slice(4));
    expect(result.map((i) => [i.uuid, i.order_id, i.status])).toEqual([
      [a.uuid, 'a', 'created'],
      [b.uuid, 'b', 'created'],
    ]);
    const tooMany = await api('/v2/invoice/merchant/info', { uuids: Array.from({ length: 101 }, () => a.uuid) });
    expect(tooMany.status).toBe(400);
  });

  it('cancels only created invoices', async () => {
    const open = await createInvoice(5, 'to-cancel');
    expect((await api('/v2/invoice/merchant/canceled', { uuid: open.uuid })).json).toEqual({
      status: 'success',
      result: ['ok'],
    });
    expect((await info(open.uuid))[0]?.status).toBe('canceled');
    const again = await api('/v2/invoice/merchant/canceled', { uuid: open.uuid });
    expect(again).toMatchObject({
      status: 400,
      json: { status: 'error', result: { validate_error: 'Invoice is not created' } },
    });

    const paid = await createInvoice(5, 'paid');
    await sandbox.cryptocloud.pay(paid.uuid);
    expect((await api('/v2/invoice/merchant/canceled', { uuid: paid.uuid })).json).toMatchObject({
      status: 'error',
      result: { validate_error: 'Invoice is not created' },
    });
    expect((await api('/v2/invoice/merchant/canceled', {})).json).toMatchObject({
      result: { validate_error: 'uuid is required' },
    });
  });
});

describe('payments and postbacks', () => {
  it('pays in full: merchant/info shows paid and a postback signed with the secret arrives', async () => {
    const invoice = await createInvoice(10, 'order-paid');
    const id = invoice.uuid.slice(4);
    const outcome = await sandbox.cryptocloud.pay('order-paid');
    expect(outcome.invoice).toMatchObject({ status: 'paid', received: 10 });
    expect((await info(invoice.uuid))[0]).toMatchObject({ status: 'paid', received: 10, received_usd: 10 });

    expect(received).toHaveLength(1);
    const postback = received[0]!;
    expect(postback.contentType).toMatch(/^application\/json/);
    expect(Object.keys(postback.body).sort()).toEqual([
      'amount_crypto',
      'currency',
      'invoice_id',
      'invoice_info',
      'order_id',
      'status',
      'token',
    ]);
    expect(postback.body).toMatchObject({
      status: 'success',
      invoice_id: id,
      amount_crypto: 10,
      currency: 'USDT_TRC20',
      order_id: 'order-paid',
    });
    expect(postback.body.invoice_info).toMatchObject({ uuid: invoice.uuid, status: 'paid' });

    const { payload, protectedHeader } = await jwtVerify(String(postback.body.token), key(SECRET), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.id).toBe(id);
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(290);
    await expect(jwtVerify(String(postback.body.token), key('another-secret'))).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
    await expect(jwtVerify(String(postback.body.token), key(API_KEY))).rejects.toThrow();

    expect(sandbox.cryptocloud.postbacks()).toMatchObject([
      { invoiceId: id, orderId: 'order-paid', status: 200, dropped: false, copy: 1 },
    ]);
  });

  it('lets a test forge tokens that fail verification', async () => {
    const forged = await signCryptoCloudPostback({ id: 'ABCDEFGH' }, 'attacker-secret');
    await expect(jwtVerify(forged, key(SECRET))).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    const expired = await signCryptoCloudPostback({ id: 'ABCDEFGH', exp: Math.floor(Date.now() / 1000) - 10 }, SECRET);
    await expect(jwtVerify(expired, key(SECRET))).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('adds a top-up to a partial payment, exactly', async () => {
    const invoice = await createInvoice('0.3', 'order-partial');
    const first = await sandbox.cryptocloud.payPartially(invoice.uuid, '0.1');
    expect(first.invoice).toMatchObject({ status: 'partial', received: 0.1 });
    const second = await sandbox.cryptocloud.pay(invoice.uuid);
    // 0.1 + 0.2 is 0.3 here, not 0.30000000000000004.
    expect(second.invoice).toMatchObject({ status: 'paid', received: 0.3 });
    expect(sandbox.cryptocloud.payments(invoice.uuid).map((p) => p.amount)).toEqual(['0.1', '0.2']);
    expect(received.map((r) => [r.body.amount_crypto, (r.body.invoice_info as CryptoCloudInvoice).status])).toEqual([
      [0.1, 'partial'],
      [0.3, 'paid'],
    ]);
  });

  it('defaults a partial payment to half and an overpayment to a tenth extra', async () => {
    const half = await createInvoice(10, 'half');
    expect((await sandbox.cryptocloud.payPartially(half.uuid)).invoice).toMatchObject({
      status: 'partial',
      received: 5,
    });
    await expect(sandbox.cryptocloud.payPartially(half.uuid, '5')).rejects.toThrow(/below the missing 5/);
    const over = await createInvoice(10, 'over');
    expect((await sandbox.cryptocloud.overpay(over.uuid, '2.5')).invoice).toMatchObject({
      status: 'overpaid',
      received: 12.5,
    });
    const tenth = await createInvoice(10, 'tenth');
    expect((await sandbox.cryptocloud.overpay(tenth.uuid)).invoice).toMatchObject({ status: 'overpaid', received: 11 });
    expect((await info(over.uuid))[0]?.status).toBe('overpaid');
  });

  it('expires unpaid invoices to canceled, by hand and by the clock, and still records late funds', async () => {
    const byHand = await createInvoice(10, 'by-hand');
    expect(sandbox.cryptocloud.expire(byHand.uuid).status).toBe('canceled');
    expect(received).toHaveLength(0);

    const byClock = await createInvoice(10, 'by-clock');
    clock += 29 * 60_000;
    expect((await info(byClock.uuid))[0]?.status).toBe('created');
    clock += 60_000;
    expect((await info(byClock.uuid))[0]?.status).toBe('canceled');

    const late = await sandbox.cryptocloud.pay(byClock.uuid);
    expect(late.invoice).toMatchObject({ status: 'paid', received: 10 });
    expect(sandbox.cryptocloud.payments(byClock.uuid)).toMatchObject([{ kind: 'pay', amount: '10', late: true }]);
    expect(received).toHaveLength(1);
  });

  it('drops and repeats postbacks on demand', async () => {
    const dropped = await createInvoice(10, 'dropped');
    sandbox.cryptocloud.dropPostbacks(1);
    await sandbox.cryptocloud.pay(dropped.uuid);
    expect(received).toHaveLength(0);
    expect(sandbox.cryptocloud.postbacks()).toMatchObject([{ orderId: 'dropped', dropped: true }]);
    // The gateway still knows the truth.
    expect((await info(dropped.uuid))[0]?.status).toBe('paid');

    const repeated = await createInvoice(10, 'repeated');
    sandbox.cryptocloud.repeatPostbacks(3);
    await sandbox.cryptocloud.pay(repeated.uuid);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(
      sandbox.cryptocloud
        .postbacks()
        .filter((p) => p.orderId === 'repeated')
        .map((p) => p.copy),
    ).toEqual(expect.arrayContaining([1, 2, 3]));

    sandbox.cryptocloud.repeatPostbacks(1);
    const resent = await sandbox.cryptocloud.resendLastPostback();
    expect(resent).toHaveLength(1);
    expect(received).toHaveLength(4);
    expect(received[3]!.body).toMatchObject({ invoice_id: repeated.uuid.slice(4), order_id: 'repeated' });
    await jwtVerify(String(received[3]!.body.token), key(SECRET));
    expect(sandbox.cryptocloud.postbacks().at(-1)).toMatchObject({ reason: 'resend', status: 200 });
  });

  it('sends form-encoded postbacks with invoice_info as a JSON string', async () => {
    sandbox.cryptocloud.setPostbackEncoding('form');
    const invoice = await createInvoice('12.34', 'form-order');
    await sandbox.cryptocloud.pay(invoice.uuid);
    const [postback] = received;
    expect(postback?.contentType).toBe('application/x-www-form-urlencoded');
    expect(postback?.body).toMatchObject({
      status: 'success',
      invoice_id: invoice.uuid.slice(4),
      amount_crypto: '12.34',
      currency: 'USDT_TRC20',
      order_id: 'form-order',
    });
    expect(JSON.parse(String(postback?.body.invoice_info))).toMatchObject({
      uuid: invoice.uuid,
      status: 'paid',
      received: 12.34,
    });
    await jwtVerify(String(postback?.body.token), key(SECRET));
  });

  it('records a failing receiver without retrying on its own', async () => {
    receiverStatus = 500;
    const invoice = await createInvoice(10, 'failing');
    const outcome = await sandbox.cryptocloud.pay(invoice.uuid);
    expect(outcome.postbacks).toMatchObject([{ status: 500, responseBody: '{"message":"Postback received"}' }]);
    expect(received).toHaveLength(1);
  });
});

describe('pay page and control API', () => {
  it('shows the invoice and pays from the page form', async () => {
    const invoice = await createInvoice('10', 'page');
    const id = invoice.uuid.slice(4);
    const page = await fetch(invoice.link);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain(invoice.uuid);
    expect(html).toContain(`/_sandbox/cryptocloud/invoices/${id}/pay`);
    expect(html).toContain('created');

    const submitted = await fetch(`${sandbox.url}/_sandbox/cryptocloud/invoices/${id}/partial`, {
      method: 'POST',
      body: new URLSearchParams({ amount: '3', redirect: `/pay/${id}` }),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    expect(submitted.headers.get('location')).toBe(`/pay/${id}`);
    expect(sandbox.cryptocloud.invoice(id)).toMatchObject({ status: 'partial', received: 3 });
    expect((await fetch(`${sandbox.url}/pay/NOPE1234`)).status).toBe(404);
  });

  it('drives payments and settings over HTTP', async () => {
    const invoice = await createInvoice('10', 'http-order');
    const control = async (path: string, body: unknown = {}) => {
      const response = await fetch(`${sandbox.url}/_sandbox/cryptocloud${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    expect(await control('/settings', { drop: 1, encoding: 'json' })).toMatchObject({
      status: 200,
      json: { drop: 1, repeat: 1, encoding: 'json' },
    });
    expect(await control('/invoices/http-order/pay', { amount: '4' })).toMatchObject({
      status: 200,
      json: { invoice: { status: 'partial', received: 4 } },
    });
    expect(received).toHaveLength(0);
    expect(await control(`/invoices/${invoice.uuid}/overpay`, { extra: '1' })).toMatchObject({
      json: { invoice: { status: 'overpaid', received: 11 } },
    });
    expect(received).toHaveLength(1);
    expect(await control('/invoices/unknown/pay')).toMatchObject({ status: 404 });
    expect(await control(`/invoices/${invoice.uuid}/pay`, { amount: 'lots' })).toMatchObject({ status: 400 });
    const list = (await (await fetch(`${sandbox.url}/_sandbox/cryptocloud/postbacks`)).json()) as {
      postbacks: unknown[];
    };
    expect(list.postbacks).toHaveLength(2);
    const invoices = (await (await fetch(`${sandbox.url}/_sandbox/cryptocloud/invoices`)).json()) as {
      invoices: CryptoCloudInvoice[];
    };
    expect(invoices.invoices.map((i) => i.uuid)).toEqual([invoice.uuid]);
  });
});

describe('rates, faults and lag', () => {
  const control = async (path: string, body: unknown = {}) => {
    const response = await fetch(`${sandbox.url}/_sandbox/cryptocloud${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('prices EUR and RUB invoices in coins at its rates; received_usd is the coins, amount_in_fiat the price', async () => {
    const create = async (amount: string, currency: string) =>
      (await api('/v2/invoice/create', { shop_id: SHOP_ID, amount, currency, order_id: `o-${currency}` })).json
        .result as CryptoCloudInvoice;
    expect(await create('10', 'EUR')).toMatchObject({ fiat_currency: 'EUR', amount_in_fiat: 10, amount: 10.8 });
    expect(await create('1000', 'RUB')).toMatchObject({ fiat_currency: 'RUB', amount_in_fiat: 1000, amount: 11 });
    expect((await api('/v2/invoice/create', { shop_id: SHOP_ID, amount: '10', currency: 'JPY' })).status).toBe(400);
    expect(await control('/rates', { EUR: '1.1' })).toMatchObject({ status: 200, json: { rates: { EUR: '1.1' } } });
    const eur = await create('10', 'EUR');
    expect(eur.amount).toBe(11);
    const { invoice } = await sandbox.cryptocloud.payPartially(eur.uuid, '5.5');
    expect(invoice).toMatchObject({ status: 'partial', received: 5.5, received_usd: 5.5, amount_in_fiat: 10 });
  });

  it('fails the merchant API on demand (500, 429, 401, slow) and recovers', async () => {
    const invoice = await createInvoice();
    expect(await control('/faults', { mode: 'error', count: 1 })).toMatchObject({
      json: { merchantApi: { mode: 'error', remaining: 1 } },
    });
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(500);
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(200);
    sandbox.cryptocloud.failMerchantApi('rate_limit');
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(429);
    sandbox.cryptocloud.failMerchantApi('unauthorized');
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(401);
    sandbox.cryptocloud.failMerchantApi('slow', { delayMs: 300 });
    const started = Date.now();
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await control('/faults', { mode: 'none' })).toMatchObject({ json: { merchantApi: { mode: null } } });
    expect((await api('/v2/invoice/merchant/info', { uuids: [invoice.uuid] })).status).toBe(200);
  });

  it('lags: merchant/info shows a payment only some time after its postback', async () => {
    const invoice = await createInvoice();
    await control('/faults', { statusLagMs: 5_000 });
    await sandbox.cryptocloud.pay(invoice.uuid);
    expect(received.at(-1)?.body).toMatchObject({ invoice_info: { status: 'paid' } });
    expect((await info(invoice.uuid))[0]).toMatchObject({ status: 'created', received: 0 });
    clock += 5_000;
    expect((await info(invoice.uuid))[0]).toMatchObject({ status: 'paid', received: 10 });
  });
});
