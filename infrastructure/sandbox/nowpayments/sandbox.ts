/**
 * NOWPayments API v1 emulator: `POST /v1/payment`, `GET /v1/payment/:id`, `GET /v1/estimate`,
 * `GET /v1/status` with the real paths, `x-api-key` auth and bodies, and IPNs signed like the real
 * ones. Payments are paid from tests or the control API; a paid payment walks waiting → confirming →
 * confirmed → sending → finished (or partially_paid when short), one IPN per status change. Coin
 * amounts come from configurable exact rates (price of one coin per price currency), so coins and
 * prices differ as on the real gateway; the 0.5% fee shows only in outcome_amount.
 * Money is held as BigInt counts of 10^-8 units.
 */
import type { FastifyInstance } from 'fastify';
import { isNowPaymentsStatus, type NowPaymentsStatus } from '../../providers/nowpayments';
import {
  COINS,
  defaultRates,
  divideUp,
  fakeMemo,
  formatAmount,
  parseAmount,
  randomId,
  ratesText,
  type Rates,
} from './amounts';
import { ApiFaults } from './faults';
import { IpnDispatcher } from './ipns';
import { registerNowPaymentsRoutes } from './routes';
import {
  NOWPAYMENTS_SANDBOX_DEFAULTS,
  NowPaymentsApiError,
  NowPaymentsSandboxError,
  type IpnDelivery,
  type IpnSettings,
  type NowPaymentsSandboxOptions,
  type PaymentRecord,
  type PaymentSnapshot,
} from './types';
import { ipnBody } from './wire';

const FINAL: ReadonlySet<NowPaymentsStatus> = new Set(['finished', 'partially_paid', 'failed', 'refunded', 'expired']);

export interface PaymentOutcome {
  payment: PaymentSnapshot;
  /** Settles when the status changes asked for have all happened. */
  done: Promise<PaymentSnapshot>;
}

export class NowPaymentsSandbox {
  readonly apiKey: string;
  readonly faults = new ApiFaults();
  private readonly defaultIpnCallbackUrl: string | undefined;
  private readonly rateValidityMs: number;
  private readonly configuredRates: Rates;
  private readonly now: () => number;
  private readonly ipns: IpnDispatcher;
  private rates: Rates;
  private records = new Map<number, PaymentRecord>();
  private walking = new Map<number, Promise<PaymentSnapshot>>();
  private lifetime = new AbortController();

  constructor(options: NowPaymentsSandboxOptions = {}) {
    this.apiKey = options.apiKey ?? NOWPAYMENTS_SANDBOX_DEFAULTS.apiKey;
    this.defaultIpnCallbackUrl = options.defaultIpnCallbackUrl;
    this.rateValidityMs = options.rateValidityMs ?? 20 * 60_000;
    this.now = options.now ?? Date.now;
    this.ipns = new IpnDispatcher({
      ipnSecret: options.ipnSecret ?? NOWPAYMENTS_SANDBOX_DEFAULTS.ipnSecret,
      stepDelayMs: options.stepDelayMs ?? 20,
      timeoutMs: options.ipnTimeoutMs ?? 3_000,
      now: this.now,
    });
    this.configuredRates = defaultRates();
    if (options.rates) mergeRates(this.configuredRates, options.rates);
    this.rates = cloneRates(this.configuredRates);
  }

  // ---- Settings --------------------------------------------------------------------------------

  ipnSettings(): IpnSettings {
    return this.ipns.current();
  }

  /** drop / repeat / reorder / badSignature / retries / retryDelayMs / stepDelayMs / ipnSecret. */
  configureIpns(changes: Partial<Record<keyof IpnSettings, unknown>>): IpnSettings {
    return this.ipns.configure(changes);
  }

  /** The next `count` IPNs are recorded but not sent (lost notifications). */
  dropIpns(count: number): void {
    this.ipns.configure({ drop: count });
  }

  /** Every IPN is sent `count` times at once (duplicates racing each other); 1 restores normal. */
  repeatIpns(count: number): void {
    this.ipns.configure({ repeat: count });
  }

  /** The next `count` IPNs are held and then sent last first (out of order). */
  reorderIpns(count: number): void {
    this.ipns.configure({ reorder: count });
  }

  /** The next `count` IPNs are signed with a wrong secret. */
  signIpnsWrongly(count: number): void {
    this.ipns.configure({ badSignature: count });
  }

  /** Sends a held reorder batch now (last first). */
  flushIpns(): number {
    return this.ipns.flush();
  }

  /** Merges coin prices: `{usd: {btc: '65000'}}` (one coin in the price currency), for payments created from now on. */
  setRates(rates: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
    mergeRates(this.rates, rates);
    return ratesText(this.rates);
  }

  currentRates(): Record<string, Record<string, string>> {
    return ratesText(this.rates);
  }

  // ---- Observation -------------------------------------------------------------------------------

  payments(): PaymentSnapshot[] {
    return [...this.records.values()].map(snapshot);
  }

  /** A payment by id, or failing that the latest with that order_id. */
  payment(idOrOrderId: number | string): PaymentSnapshot | undefined {
    const record = this.find(idOrOrderId);
    return record ? snapshot(record) : undefined;
  }

  /** @internal the record itself, for the routes. */
  record(id: number): PaymentRecord | undefined {
    return this.records.get(id);
  }

  ipnDeliveries(): IpnDelivery[] {
    return this.ipns.list();
  }

  onIpn(listener: (delivery: IpnDelivery) => void): () => void {
    return this.ipns.onIpn(listener);
  }

  waitForIpn(predicate?: (delivery: IpnDelivery) => boolean, timeoutMs?: number): Promise<IpnDelivery> {
    return this.ipns.waitFor(predicate, timeoutMs);
  }

  // ---- Merchant API (also callable in-process) -----------------------------------------------------

  /** `POST /v1/payment` from its request body. */
  createPayment(body: Record<string, unknown>): PaymentRecord {
    const invalid = (message: string) => new NowPaymentsApiError(400, 'INVALID_REQUEST_PARAMS', message);
    if (body.price_amount === undefined || body.price_amount === null || body.price_amount === '')
      throw invalid('"price_amount" is required');
    const priceAmount = parseAmount(body.price_amount);
    if (priceAmount === undefined || priceAmount <= 0n) throw invalid('"price_amount" must be a positive number');
    if (typeof body.price_currency !== 'string' || !body.price_currency) throw invalid('"price_currency" is required');
    const priceCurrency = body.price_currency.toLowerCase();
    if (!this.rates[priceCurrency]) throw invalid(`"price_currency" ${priceCurrency} is not supported by the sandbox`);
    if (typeof body.pay_currency !== 'string' || !body.pay_currency) throw invalid('"pay_currency" is required');
    const payCurrency = body.pay_currency.toLowerCase();
    const coin = COINS[payCurrency];
    const rate = this.rates[priceCurrency][payCurrency];
    if (!coin || rate === undefined)
      throw new NowPaymentsApiError(400, 'CURRENCY_UNAVAILABLE', `Currency ${payCurrency} is unavailable`);
    const url = optionalText(body.ipn_callback_url, 'ipn_callback_url');
    if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) throw invalid('"ipn_callback_url" must be a valid uri');
    let payAmount = divideUp(priceAmount, rate);
    if (body.pay_amount !== undefined && body.pay_amount !== null && body.pay_amount !== '') {
      const given = parseAmount(body.pay_amount);
      if (given === undefined || given <= 0n) throw invalid('"pay_amount" must be a positive number');
      payAmount = given;
    }
    let purchaseId = String(randomId());
    const topUpOf = optionalText(body.purchase_id, 'purchase_id');
    if (topUpOf !== undefined) {
      // Several payments for one order: only a partially_paid purchase can be topped up.
      const earlier = [...this.records.values()].filter((r) => r.purchaseId === topUpOf);
      if (earlier.length === 0) throw invalid(`purchase ${topUpOf} not found`);
      if (!earlier.some((r) => r.status === 'partially_paid'))
        throw invalid(`purchase ${topUpOf} is not partially_paid and cannot be topped up`);
      purchaseId = topUpOf;
    }
    const created = this.now();
    const record: PaymentRecord = {
      id: this.newId(),
      purchaseId,
      parentId: null,
      orderId: optionalText(body.order_id, 'order_id') ?? null,
      orderDescription: optionalText(body.order_description, 'order_description') ?? null,
      ipnCallbackUrl: url ?? this.defaultIpnCallbackUrl ?? null,
      priceAmount,
      priceCurrency,
      payCurrency,
      payAmount,
      actuallyPaid: 0n,
      network: coin.network,
      payAddress: coin.address(),
      payinExtraId: coin.memo ? fakeMemo() : null,
      status: 'waiting',
      createdAt: created,
      updatedAt: created,
      validUntil: created + this.rateValidityMs,
      pending: [],
      history: [{ status: 'waiting', at: created }],
    };
    this.records.set(record.id, record);
    // The docs' IPN example is a `waiting` one: creation is announced too.
    this.notify(record);
    return record;
  }

  /** `GET /v1/estimate`: coins for a price at the current rate. */
  estimate(
    amount: unknown,
    from: unknown,
    to: unknown,
  ): { amount: bigint; from: string; to: string; estimated: bigint } {
    const units = parseAmount(amount);
    const currencyFrom = typeof from === 'string' ? from.toLowerCase() : '';
    const currencyTo = typeof to === 'string' ? to.toLowerCase() : '';
    if (units === undefined || units <= 0n)
      throw new NowPaymentsApiError(400, 'INVALID_REQUEST_PARAMS', '"amount" must be a positive number');
    const rate = this.rates[currencyFrom]?.[currencyTo];
    if (rate === undefined)
      throw new NowPaymentsApiError(400, 'CURRENCY_UNAVAILABLE', `Pair ${currencyFrom}/${currencyTo} is unavailable`);
    return { amount: units, from: currencyFrom, to: currencyTo, estimated: divideUp(units, rate) };
  }

  // ---- The customer's side ---------------------------------------------------------------------

  /**
   * The customer sends coins to a waiting payment (default: exactly pay_amount). It then walks
   * confirming → confirmed → sending → finished, or → partially_paid when short. `confirmations`:
   * how many of those status changes happen now (the rest wait for advance()), or the path itself.
   */
  pay(id: number | string, options: { amount?: string; confirmations?: number | string[] } = {}): PaymentOutcome {
    const record = this.require(id);
    this.assertIdle(record);
    if (record.status !== 'waiting')
      throw new NowPaymentsSandboxError(
        `payment ${record.id} is ${record.status}: only a waiting payment is paid (a second deposit is a repeat)`,
        409,
      );
    record.actuallyPaid = options.amount === undefined ? record.payAmount : requireAmount(options.amount);
    return this.walk(record, options.confirmations);
  }

  /** Continues a walk paused by `confirmations` (default: all remaining steps). */
  advance(id: number | string, steps?: number): PaymentOutcome {
    const record = this.require(id);
    this.assertIdle(record);
    if (record.pending.length === 0) throw new NowPaymentsSandboxError(`payment ${record.id} has nothing pending`, 409);
    return this.walk(record, steps, record.pending);
  }

  /**
   * A second deposit to the address of a payment that already got coins: NOWPayments books it as a
   * new payment with parent_payment_id and the same order, price and pay_amount; it ends finished
   * when it covers pay_amount, else partially_paid.
   */
  repeatDeposit(id: number | string, options: { amount: string; confirmations?: number | string[] }): PaymentOutcome {
    const parent = this.require(id);
    if (parent.status === 'waiting')
      throw new NowPaymentsSandboxError(`payment ${parent.id} is still waiting: pay it instead`, 409);
    const created = this.now();
    const child: PaymentRecord = {
      ...parent,
      id: this.newId(),
      purchaseId: String(randomId()),
      parentId: parent.id,
      actuallyPaid: requireAmount(options.amount),
      status: 'waiting',
      createdAt: created,
      updatedAt: created,
      validUntil: created + this.rateValidityMs,
      pending: [],
      history: [{ status: 'waiting', at: created }],
    };
    this.records.set(child.id, child);
    return this.walk(child, options.confirmations);
  }

  /** No coins arrived in time: waiting → expired (one IPN). */
  expire(id: number | string): PaymentSnapshot {
    const record = this.require(id);
    this.assertIdle(record);
    if (record.status !== 'waiting')
      throw new NowPaymentsSandboxError(`payment ${record.id} is ${record.status}: only a waiting one expires`, 409);
    this.setStatus(record, 'expired');
    return snapshot(record);
  }

  /** Something went wrong on their side: any unfinished payment → failed (one IPN). */
  fail(id: number | string): PaymentSnapshot {
    const record = this.require(id);
    this.assertIdle(record);
    if (FINAL.has(record.status))
      throw new NowPaymentsSandboxError(`payment ${record.id} is already ${record.status}`, 409);
    record.pending = [];
    this.setStatus(record, 'failed');
    return snapshot(record);
  }

  /** The merchant refunded it from the dashboard: finished/partially_paid → refunded (one IPN). */
  refund(id: number | string): PaymentSnapshot {
    const record = this.require(id);
    this.assertIdle(record);
    if (record.status !== 'finished' && record.status !== 'partially_paid')
      throw new NowPaymentsSandboxError(`payment ${record.id} is ${record.status}: nothing to refund`, 409);
    this.setStatus(record, 'refunded');
    return snapshot(record);
  }

  /** Sends the IPN of the payment's current state again (honouring the IPN switches). */
  renotify(id: number | string): PaymentSnapshot {
    const record = this.require(id);
    this.notify(record);
    return snapshot(record);
  }

  // ---- Lifecycle ---------------------------------------------------------------------------------

  /** Forgets payments, IPNs, faults and changed rates; in-flight walks and IPNs are abandoned. */
  reset(): void {
    this.lifetime.abort();
    this.lifetime = new AbortController();
    this.ipns.reset();
    this.faults.clear();
    this.records = new Map();
    this.walking = new Map();
    this.rates = cloneRates(this.configuredRates);
  }

  shutdown(): void {
    this.lifetime.abort();
    this.ipns.shutdown();
  }

  /** Registers the merchant API under /v1 and the control API under /_sandbox/nowpayments. */
  register(app: FastifyInstance): void {
    registerNowPaymentsRoutes(app, this, () => this.lifetime.signal);
  }

  // ---- Internals -------------------------------------------------------------------------------

  private walk(record: PaymentRecord, confirmations?: number | string[], path?: NowPaymentsStatus[]): PaymentOutcome {
    const final: NowPaymentsStatus = record.actuallyPaid < record.payAmount ? 'partially_paid' : 'finished';
    let steps = path ?? (['confirming', 'confirmed', 'sending', final] as NowPaymentsStatus[]);
    let count = steps.length;
    if (Array.isArray(confirmations)) {
      if (confirmations.length === 0 || !confirmations.every(isNowPaymentsStatus))
        throw new NowPaymentsSandboxError('confirmations must be a number or a non-empty list of NOWPayments statuses');
      steps = confirmations;
      count = steps.length;
    } else if (confirmations !== undefined) {
      if (!Number.isSafeInteger(confirmations) || confirmations < 1)
        throw new NowPaymentsSandboxError('confirmations must be at least 1');
      count = Math.min(confirmations, steps.length);
    }
    const now = steps.slice(0, count);
    record.pending = steps.slice(count);
    const signal = this.lifetime.signal;
    // The first change happens before this returns (an async function runs up to its first await).
    const done = (async () => {
      for (const [index, status] of now.entries()) {
        if (index > 0) await sleep(this.ipns.stepDelayMs, signal);
        if (signal.aborted) break;
        this.setStatus(record, status);
      }
      return snapshot(record);
    })().finally(() => this.walking.delete(record.id));
    this.walking.set(record.id, done);
    return { payment: snapshot(record), done };
  }

  private setStatus(record: PaymentRecord, status: NowPaymentsStatus): void {
    const at = this.now();
    record.status = status;
    record.updatedAt = at;
    record.history.push({ status, at });
    this.notify(record);
  }

  private notify(record: PaymentRecord): void {
    this.ipns.notify(
      { id: record.id, orderId: record.orderId, status: record.status, url: record.ipnCallbackUrl },
      ipnBody(record),
    );
  }

  private assertIdle(record: PaymentRecord): void {
    if (this.walking.has(record.id))
      throw new NowPaymentsSandboxError(`payment ${record.id} is still changing status; wait for it`, 409);
  }

  private newId(): number {
    let id: number;
    do id = randomId();
    while (this.records.has(id));
    return id;
  }

  private find(idOrOrderId: number | string): PaymentRecord | undefined {
    const text = String(idOrOrderId).trim();
    const direct = /^\d+$/.test(text) ? this.records.get(Number(text)) : undefined;
    if (direct) return direct;
    return [...this.records.values()].filter((r) => r.orderId === text).at(-1);
  }

  private require(idOrOrderId: number | string): PaymentRecord {
    const record = this.find(idOrOrderId);
    if (!record) throw new NowPaymentsSandboxError(`unknown payment or order ${idOrOrderId}`, 404);
    return record;
  }
}

function snapshot(record: PaymentRecord): PaymentSnapshot {
  return {
    paymentId: record.id,
    status: record.status,
    orderId: record.orderId,
    purchaseId: record.purchaseId,
    parentPaymentId: record.parentId,
    priceAmount: formatAmount(record.priceAmount),
    priceCurrency: record.priceCurrency,
    payAmount: formatAmount(record.payAmount),
    actuallyPaid: formatAmount(record.actuallyPaid),
    payCurrency: record.payCurrency,
    payAddress: record.payAddress,
    payinExtraId: record.payinExtraId,
    ipnCallbackUrl: record.ipnCallbackUrl,
    pending: [...record.pending],
    history: record.history.map((entry) => ({ ...entry })),
  };
}

function requireAmount(text: string): bigint {
  const amount = parseAmount(text);
  if (amount === undefined || amount <= 0n)
    throw new NowPaymentsSandboxError(`"${text}" is not a positive decimal amount (up to 8 decimals)`);
  return amount;
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new NowPaymentsApiError(400, 'INVALID_REQUEST_PARAMS', `"${name}" must be a string`);
}

function mergeRates(into: Rates, changes: Record<string, Record<string, string>>): void {
  for (const [fiat, coins] of Object.entries(changes)) {
    if (!/^[a-z]{3}$/i.test(fiat) || !coins || typeof coins !== 'object')
      throw new NowPaymentsSandboxError('rates look like {usd: {btc: "60000"}}');
    const table = (into[fiat.toLowerCase()] ??= {});
    for (const [coin, price] of Object.entries(coins)) {
      const value = parseAmount(price);
      if (!COINS[coin.toLowerCase()]) throw new NowPaymentsSandboxError(`the sandbox has no coin ${coin}`);
      if (value === undefined || value <= 0n)
        throw new NowPaymentsSandboxError(`rate ${fiat}/${coin} must be a positive decimal`);
      table[coin.toLowerCase()] = value;
    }
  }
}

function cloneRates(rates: Rates): Rates {
  return Object.fromEntries(Object.entries(rates).map(([fiat, coins]) => [fiat, { ...coins }]));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
