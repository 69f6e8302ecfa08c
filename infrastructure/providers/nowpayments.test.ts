/**
 * The NOWPayments client against the emulator over HTTP: charges with an address and an exact coin
 * amount, money counted in the price currency across the original payment, top-ups and repeat
 * deposits, and failures sorted into retryable (Error) and refused (GatewayRequestError).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server';
import {
  exactAmount,
  NowPaymentsClient,
  parseJsonExact,
  priceShare,
  reportFromIpn,
  reportFromPayments,
  type NowPaymentsPayment,
} from './nowpayments';
import { verifyNowPaymentsSignature } from './nowpayments-signature';
import { GatewayRequestError, type ChargeRequest } from './payment-rail';

const API_KEY = 'np-test-api-key';
const IPN_SECRET = 'np-test-ipn-secret';

let sandbox: Sandbox;
let receiver: FastifyInstance;
let ipnUrl: string;
let client: NowPaymentsClient;
let invoiceSeq = 0;
let invoiceId: string;

beforeAll(async () => {
  // The emulator's fetch keeps its sockets alive: close them rather than wait them out.
  receiver = Fastify({ forceCloseConnections: true });
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  receiver.post('/nowpayments_ipn', async () => ({ ok: true }));
  ipnUrl = `${await receiver.listen({ port: 0, host: '127.0.0.1' })}/nowpayments_ipn`;
  sandbox = await startSandbox({
    cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' },
    nowpayments: { apiKey: API_KEY, ipnSecret: IPN_SECRET, stepDelayMs: 2 },
  });
  client = new NowPaymentsClient({ apiUrl: `${sandbox.url}/v1`, apiKey: API_KEY, ipnCallbackUrl: ipnUrl });
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

beforeEach(() => {
  sandbox.reset();
  invoiceId = `1001-basic-inv${String(++invoiceSeq).padStart(9, '0')}`;
});

const charge = (overrides: Partial<ChargeRequest> = {}): ChargeRequest => ({
  invoiceId,
  userId: 1001,
  amount: '10',
  currency: 'USD',
  expiresAt: Date.now() + 3_600_000,
  title: 'Basic plan',
  description: 'Basic plan, 30 days',
  payCurrency: 'btc',
  ...overrides,
});

describe('createCharge', () => {
  it('creates a payment for the invoice and hands back the address and the exact coin amount', async () => {
    const created = await client.createCharge(charge());
    expect(created.providerInvoiceId).toMatch(/^\d{10}$/);
    expect(created.purchaseId).toMatch(/^\d{10}$/);
    expect(created.address).toMatchObject({ amount: '0.00016667', coin: 'btc', network: 'btc' });
    expect(created.address?.address).toMatch(/^bc1q/);
    expect(created.address?.memo).toBeUndefined();
    expect(created.address?.validUntil).toBeGreaterThan(Date.now());
    const payment = sandbox.nowpayments.payment(created.providerInvoiceId)!;
    expect(payment).toMatchObject({
      orderId: invoiceId,
      priceAmount: '10',
      priceCurrency: 'usd',
      payCurrency: 'btc',
      ipnCallbackUrl: ipnUrl,
    });
  });

  it('passes the memo of coins that need one, and amounts too small for a float’s plain print', async () => {
    const xrp = await client.createCharge(charge({ payCurrency: 'XRP' }));
    expect(xrp.address).toMatchObject({ coin: 'xrp', network: 'xrp', memo: expect.stringMatching(/^\d+$/) as string });
    // 0.01 USD in BTC is 1.7e-7 as a float: it must arrive as the decimal NOWPayments wrote.
    const tiny = await client.createCharge(charge({ amount: '0.01', invoiceId: `${invoiceId}x` }));
    expect(tiny.address?.amount).toBe('0.00000017');
  });

  it('refuses without a coin, and with a price that is no exact number', async () => {
    await expect(client.createCharge(charge({ payCurrency: undefined }))).rejects.toBeInstanceOf(GatewayRequestError);
    await expect(client.createCharge(charge({ amount: '12345678901234567.5' }))).rejects.toBeInstanceOf(
      GatewayRequestError,
    );
    await expect(client.createCharge(charge({ amount: '-1' }))).rejects.toBeInstanceOf(GatewayRequestError);
    expect(sandbox.nowpayments.payments()).toHaveLength(0);
  });

  it('refuses a coin the gateway does not take, as NOWPayments answers it', async () => {
    await expect(client.createCharge(charge({ payCurrency: 'doge' }))).rejects.toThrow(
      /refused \(400\): CURRENCY_UNAVAILABLE/,
    );
  });
});

describe('getStatus', () => {
  it('reads an unpaid payment as created and a finished one as exactly the price', async () => {
    const created = await client.createCharge(charge());
    const ids = [created.providerInvoiceId];
    expect(await client.getStatus(ids, invoiceId)).toEqual({
      status: 'created',
      received: '0',
      source: 'reconciliation',
      currency: 'USD',
      stage: 'waiting',
    });
    const paid = await sandbox.nowpayments.pay(created.providerInvoiceId).done;
    expect(paid.status).toBe('finished');
    expect(await client.getStatus(ids, invoiceId)).toEqual({
      status: 'paid',
      received: '10',
      source: 'reconciliation',
      currency: 'USD',
    });
  });

  it('reports coins being confirmed as the confirming stage with nothing received', async () => {
    const created = await client.createCharge(charge());
    const ids = [created.providerInvoiceId];
    sandbox.nowpayments.pay(created.providerInvoiceId, { confirmations: 1 });
    expect(sandbox.nowpayments.payment(created.providerInvoiceId)?.status).toBe('confirming');
    expect(await client.getStatus(ids, invoiceId)).toMatchObject({
      status: 'created',
      received: '0',
      stage: 'confirming',
    });

    await sandbox.nowpayments.advance(created.providerInvoiceId, 1).done;
    expect(sandbox.nowpayments.payment(created.providerInvoiceId)?.status).toBe('confirmed');
    expect(await client.getStatus(ids, invoiceId)).toMatchObject({
      status: 'created',
      received: '0',
      stage: 'confirming',
    });
    // A merchant who fulfils on `confirmed` counts it already.
    const eager = new NowPaymentsClient({
      apiUrl: `${sandbox.url}/v1`,
      apiKey: API_KEY,
      ipnCallbackUrl: ipnUrl,
      fulfilOnConfirmed: true,
    });
    expect(await eager.getStatus(ids, invoiceId)).toMatchObject({ status: 'paid', received: '10' });

    await sandbox.nowpayments.advance(created.providerInvoiceId).done;
    expect(await client.getStatus(ids, invoiceId)).toMatchObject({ status: 'paid', received: '10' });
  });

  it('counts an underpayment pro rata in the price currency, and a top-up by purchase_id completes it', async () => {
    // 10 EUR in USDT at 0.92 EUR per USDT: 10.86956522 coins; 5 coins are worth 4.59999999 EUR, not 5.
    const first = await client.createCharge(charge({ currency: 'EUR', payCurrency: 'usdttrc20' }));
    expect(first.address?.amount).toBe('10.86956522');
    expect(first.address?.address).toMatch(/^T/);
    const short = await sandbox.nowpayments.pay(first.providerInvoiceId, { amount: '5' }).done;
    expect(short.status).toBe('partially_paid');
    const partial = await client.getStatus([first.providerInvoiceId], invoiceId);
    expect(partial).toMatchObject({ status: 'partial', received: '4.59999999', currency: 'EUR' });

    const topUp = await client.createCharge(
      charge({ currency: 'EUR', payCurrency: 'usdttrc20', amount: '5.40000001', topUpOf: first.purchaseId }),
    );
    expect(topUp.purchaseId).toBe(first.purchaseId);
    expect(topUp.address?.amount).toBe('5.86956523');
    const ids = [first.providerInvoiceId, topUp.providerInvoiceId];
    expect(await client.getStatus(ids, invoiceId)).toMatchObject({ status: 'partial', stage: 'waiting' });
    await sandbox.nowpayments.pay(topUp.providerInvoiceId).done;
    expect(await client.getStatus(ids, invoiceId)).toMatchObject({ status: 'paid', received: '10', currency: 'EUR' });
  });

  it('refuses a top-up of a purchase that is not partly paid', async () => {
    const first = await client.createCharge(charge());
    await expect(client.createCharge(charge({ topUpOf: first.purchaseId }))).rejects.toThrow(
      /refused \(400\): INVALID_REQUEST_PARAMS: .*partially_paid/,
    );
  });

  it('counts an overpayment above the price', async () => {
    const created = await client.createCharge(charge());
    await sandbox.nowpayments.pay(created.providerInvoiceId, { amount: '0.0002' }).done;
    expect(await client.getStatus([created.providerInvoiceId], invoiceId)).toMatchObject({
      status: 'overpaid',
      received: '11.99976',
    });
  });

  it('adds a repeat deposit the IPN names by parent_payment_id', async () => {
    const created = await client.createCharge(charge());
    await sandbox.nowpayments.pay(created.providerInvoiceId).done;
    const repeat = await sandbox.nowpayments.repeatDeposit(created.providerInvoiceId, { amount: '0.00008' }).done;
    expect(repeat).toMatchObject({ status: 'partially_paid', orderId: invoiceId });
    const childId = String(repeat.paymentId);

    // The route learns of the child from its (verified) IPN.
    const delivery = await sandbox.nowpayments.waitForIpn(
      (d) => d.paymentId === repeat.paymentId && d.paymentStatus === 'partially_paid',
    );
    const raw = JSON.stringify(delivery.body);
    const verdict = verifyNowPaymentsSignature(raw, delivery.signature ?? undefined, IPN_SECRET);
    expect(verdict.ok).toBe(true);
    expect(reportFromIpn(verdict.ok ? verdict.body : {})).toEqual({
      paymentId: childId,
      parentPaymentId: created.providerInvoiceId,
      orderId: invoiceId,
      status: 'partially_paid',
    });

    expect(await client.getStatus([created.providerInvoiceId, childId], invoiceId)).toMatchObject({
      status: 'overpaid',
      received: '14.799904',
    });
  });

  it('refuses payments of another order', async () => {
    const created = await client.createCharge(charge());
    await expect(client.getStatus([created.providerInvoiceId], 'someone-else-order')).rejects.toThrow(
      GatewayRequestError,
    );
    await expect(client.getStatus([], invoiceId)).rejects.toThrow(GatewayRequestError);
    await expect(client.getStatus(['../status'], invoiceId)).rejects.toThrow(GatewayRequestError);
    await expect(client.getStatus(['4000000001'], invoiceId)).rejects.toThrow(/refused \(404\)/);
  });

  it('reads every failed or expired payment as canceled', async () => {
    const created = await client.createCharge(charge());
    sandbox.nowpayments.expire(created.providerInvoiceId);
    expect(await client.getStatus([created.providerInvoiceId], invoiceId)).toMatchObject({
      status: 'canceled',
      received: '0',
    });
  });
});

describe('failures', () => {
  it('makes 5xx, 429 and timeouts retryable Errors and 401/403 refusals', async () => {
    const created = await client.createCharge(charge());
    const ids = [created.providerInvoiceId];
    const expectRetryable = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(GatewayRequestError);
    };

    sandbox.nowpayments.faults.add({ path: '/v1/payment', fault: 500, times: 1 });
    await expectRetryable(client.getStatus(ids, invoiceId));
    expect((await client.getStatus(ids, invoiceId)).status).toBe('created');

    sandbox.nowpayments.faults.add({ path: '/v1/payment', method: 'POST', fault: 503 });
    await expectRetryable(client.createCharge(charge()));
    sandbox.nowpayments.faults.add({ path: '/v1/payment', fault: 429 });
    await expectRetryable(client.getStatus(ids, invoiceId));

    const impatient = new NowPaymentsClient({
      apiUrl: `${sandbox.url}/v1`,
      apiKey: API_KEY,
      ipnCallbackUrl: ipnUrl,
      timeoutMs: 100,
    });
    sandbox.nowpayments.faults.add({ path: '/v1/payment/', fault: 'timeout', delayMs: 2_000 });
    await expectRetryable(impatient.getStatus(ids, invoiceId));

    for (const fault of [401, 403] as const) {
      sandbox.nowpayments.faults.add({ path: '/v1/payment', fault });
      await expect(client.getStatus(ids, invoiceId)).rejects.toThrow(GatewayRequestError);
    }
    const wrongKey = new NowPaymentsClient({ apiUrl: `${sandbox.url}/v1/`, apiKey: 'nope', ipnCallbackUrl: ipnUrl });
    await expect(wrongKey.getStatus(ids, invoiceId)).rejects.toThrow(/refused \(403\): INVALID_API_KEY/);

    const unreachable = new NowPaymentsClient({
      apiUrl: 'http://127.0.0.1:1/v1',
      apiKey: API_KEY,
      ipnCallbackUrl: ipnUrl,
    });
    await expectRetryable(unreachable.getStatus(ids, invoiceId));
  });

  it('has nothing to cancel: an unpaid payment expires by itself', async () => {
    const created = await client.createCharge(charge());
    await client.cancel();
    expect(sandbox.nowpayments.payment(created.providerInvoiceId)?.status).toBe('waiting');
  });
});

describe('exact amounts', () => {
  it('keeps JSON numbers as the text NOWPayments wrote', () => {
    const parsed = parseJsonExact(
      '{"a":0.1000000000000000055511,"b":-1e-8,"c":"1.5 \\" 2","d":[12,{"e":3.50}],"f":true,"g":null}',
    );
    expect(parsed).toEqual({
      a: '0.1000000000000000055511',
      b: '-1e-8',
      c: '1.5 " 2',
      d: ['12', { e: '3.50' }],
      f: true,
      g: null,
    });
    expect(() => parseJsonExact('{"a":}')).toThrow();
  });

  it('writes exponents out and refuses what is no amount', () => {
    expect(exactAmount('1e-8', 'x')).toBe('0.00000001');
    expect(exactAmount('1.5E+3', 'x')).toBe('1500');
    expect(exactAmount('2.50', 'x')).toBe('2.50');
    expect(exactAmount(0.5, 'x')).toBe('0.5');
    for (const bad of ['-1', 'abc', '', null, undefined, {}]) expect(() => exactAmount(bad, 'x')).toThrow(/malformed/);
  });

  it('shares the price pro rata, truncated, without losing coin decimals', () => {
    expect(priceShare('10', '0.00016667', '0.00016667')).toBe('10');
    expect(priceShare('10', '5', '10.86956522')).toBe('4.59999999');
    expect(priceShare('100', '0.000000000000000001', '0.000000000000000002')).toBe('50');
    expect(priceShare('10', '0', '3')).toBe('0');
  });
});

describe('reportFromPayments', () => {
  const payment = (fields: Partial<NowPaymentsPayment>): NowPaymentsPayment => ({
    payment_id: '5000000001',
    payment_status: 'finished',
    price_amount: '10',
    price_currency: 'usd',
    pay_amount: '10',
    actually_paid: '10',
    order_id: 'order-1',
    ...fields,
  });

  it('keeps a partially_paid payment below its price even when its coins say otherwise', () => {
    expect(reportFromPayments([payment({ payment_status: 'partially_paid' })], 'order-1')).toMatchObject({
      status: 'partial',
      received: '9.99999999',
    });
  });

  it('counts nothing of refunded or failed payments, and in-flight coins only as a stage', () => {
    const report = reportFromPayments(
      [
        payment({ payment_status: 'refunded' }),
        payment({ payment_id: '5000000002', payment_status: 'sending' }),
        payment({ payment_id: '5000000003', payment_status: 'failed' }),
      ],
      'order-1',
    );
    expect(report).toEqual({
      status: 'created',
      received: '0',
      source: 'reconciliation',
      currency: 'USD',
      stage: 'confirming',
    });
  });

  it('refuses mixed price currencies and unknown statuses', () => {
    expect(() =>
      reportFromPayments([payment({}), payment({ payment_id: '5000000002', price_currency: 'eur' })], 'order-1'),
    ).toThrow(GatewayRequestError);
    expect(() => reportFromPayments([payment({ payment_status: 'lost' })], 'order-1')).toThrow(/unknown status/);
  });
});

describe('reportFromIpn', () => {
  it('reads the hints and refuses bodies without a payment id or a known status', () => {
    expect(
      reportFromIpn({ payment_id: 5000000001, payment_status: 'confirming', order_id: 'o', parent_payment_id: null }),
    ).toEqual({
      paymentId: '5000000001',
      status: 'confirming',
      orderId: 'o',
      stage: 'confirming',
    });
    expect(reportFromIpn({ payment_id: '5000000001', payment_status: 'waiting' })).toMatchObject({ stage: 'waiting' });
    expect(reportFromIpn({ payment_status: 'finished' })).toBeUndefined();
    expect(reportFromIpn({ payment_id: 1.5, payment_status: 'finished' })).toBeUndefined();
    expect(reportFromIpn({ payment_id: 1, payment_status: 'done' })).toBeUndefined();
  });
});
