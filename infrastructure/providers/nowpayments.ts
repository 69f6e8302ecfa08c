/**
 * NOWPayments rail (API v1, EXTERNAL-APIS.md "NOWPayments"): a payment is an address and a coin amount
 * shown in the bot. The IPN is only a hint (reportFromIpn); money is always read back with
 * `GET /payment/{id}` and counted in the PRICE currency, never in coins (ARCHITECTURE.md "Payment rails").
 */
import type { GatewayStatus, PaymentReport } from '../../domain/invoice';
import { addDecimal, compareDecimal, subtractDecimal } from '../../domain/money';
import type { PaymentStage } from '../../domain/rail';
import { GatewayRequestError, type Charge, type ChargeRequest, type PaymentRail } from './payment-rail';

export const NOWPAYMENTS_STATUSES = [
  'waiting',
  'confirming',
  'confirmed',
  'sending',
  'partially_paid',
  'finished',
  'failed',
  'refunded',
  'expired',
] as const;
export type NowPaymentsStatus = (typeof NOWPAYMENTS_STATUSES)[number];

export const isNowPaymentsStatus = (value: unknown): value is NowPaymentsStatus =>
  (NOWPAYMENTS_STATUSES as readonly unknown[]).includes(value);

/** Coins seen on chain, not final yet: told to the user, never money. */
const IN_FLIGHT: ReadonlySet<NowPaymentsStatus> = new Set(['confirming', 'confirmed', 'sending']);
/** Over without money for us. */
const DEAD: ReadonlySet<NowPaymentsStatus> = new Set(['failed', 'expired', 'refunded']);

export interface NowPaymentsOptions {
  /** Base including the version: `https://api.nowpayments.io/v1` (or the sandbox's `<url>/v1`). */
  apiUrl: string;
  apiKey: string;
  /** Our `/nowpayments_ipn` route, sent as every payment's `ipn_callback_url`. */
  ipnCallbackUrl: string;
  /** Count `confirmed` (and the `sending` after it) as paid, not only `finished` (default false). */
  fulfilOnConfirmed?: boolean;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * A payment as `GET /payment/{id}` (and create) answer, read with parseJsonExact: every JSON number
 * arrives as its literal text, so amounts are exact decimals as NOWPayments wrote them.
 */
export interface NowPaymentsPayment {
  payment_id?: string;
  payment_status?: string;
  pay_address?: string;
  payin_extra_id?: string | null;
  price_amount?: string;
  price_currency?: string;
  pay_amount?: string;
  actually_paid?: string;
  pay_currency?: string;
  order_id?: string | null;
  purchase_id?: string;
  parent_payment_id?: string | null;
  network?: string;
  valid_until?: string;
  expiration_estimate_date?: string;
  outcome_amount?: string;
  outcome_currency?: string;
}

export class NowPaymentsClient implements PaymentRail {
  readonly name = 'nowpayments';
  private readonly apiUrl: string;
  constructor(private readonly options: NowPaymentsOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
  }

  /**
   * `POST /payment`. NOWPayments takes no expiry for a payment (it expires by itself after 7 days
   * without funds): `expiresAt` is kept by the invoice workflow, which stops waiting on its own.
   */
  async createCharge(request: ChargeRequest): Promise<Charge> {
    if (!request.payCurrency) throw new GatewayRequestError('NOWPayments needs the coin the user picked (payCurrency)');
    const body: Record<string, unknown> = {
      price_amount: wirePrice(request.amount),
      price_currency: request.currency.toLowerCase(),
      pay_currency: request.payCurrency.toLowerCase(),
      order_id: request.invoiceId,
      order_description: request.description || request.title,
      ipn_callback_url: this.options.ipnCallbackUrl,
    };
    if (request.topUpOf) body.purchase_id = request.topUpOf;
    const payment = await this.call('POST', '/payment', body);
    const id = payment.payment_id;
    if (!id || !payment.pay_address || payment.pay_amount === undefined || !payment.pay_currency)
      throw new Error('NOWPayments answered POST /payment without payment_id, pay_address, pay_amount or pay_currency');
    const validUntil = Date.parse(payment.valid_until ?? payment.expiration_estimate_date ?? '');
    const memo = typeof payment.payin_extra_id === 'string' ? payment.payin_extra_id.trim() : '';
    return {
      providerInvoiceId: id,
      purchaseId: payment.purchase_id || undefined,
      address: {
        address: payment.pay_address,
        amount: exactAmount(payment.pay_amount, 'pay_amount'),
        coin: payment.pay_currency,
        ...(payment.network ? { network: payment.network } : {}),
        ...(memo ? { memo } : {}),
        ...(Number.isFinite(validUntil) ? { validUntil } : {}),
      },
    };
  }

  /** Every payment of the invoice (the original first, then top-ups and repeat deposits), summed in the price currency. */
  async getStatus(providerInvoiceIds: string[], invoiceId: string): Promise<PaymentReport> {
    if (providerInvoiceIds.length === 0) throw new GatewayRequestError('no NOWPayments payment ids to check');
    const payments: NowPaymentsPayment[] = [];
    for (const id of providerInvoiceIds) {
      if (!/^\d{1,20}$/.test(id)) throw new GatewayRequestError(`"${id}" is not a NOWPayments payment id`);
      payments.push(await this.call('GET', `/payment/${id}`));
    }
    return reportFromPayments(payments, invoiceId, { fulfilOnConfirmed: this.options.fulfilOnConfirmed });
  }

  /**
   * NOWPayments has no call to cancel a payment: an unpaid one expires by itself. The invoice
   * workflow closes the invoice at its own expiry and treats later funds as late payments.
   */
  async cancel(): Promise<void> {}

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<NowPaymentsPayment> {
    const what = `NOWPayments ${method} ${path}`;
    let status: number;
    let text: string;
    try {
      const response = await (this.options.fetch ?? fetch)(`${this.apiUrl}${path}`, {
        method,
        headers: {
          'x-api-key': this.options.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      // Unreachable or too slow: a plain Error, so the activity retries.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`${what} failed: ${reason}`, { cause: error });
    }
    // Their side or a rate limit: retrying later helps.
    if (status >= 500 || status === 429) throw new Error(`${what} answered ${status}: ${text.slice(0, 200)}`);
    let payload: unknown;
    try {
      payload = parseJsonExact(text);
    } catch {
      payload = undefined;
    }
    if (status < 200 || status >= 300) {
      // Error bodies look like {status: false, statusCode, code, message}.
      const detail = (payload ?? {}) as { code?: unknown; message?: unknown };
      const reason =
        typeof detail.message === 'string'
          ? `${typeof detail.code === 'string' ? `${detail.code}: ` : ''}${detail.message}`
          : text.slice(0, 200);
      throw new GatewayRequestError(`${what} refused (${status}): ${reason}`);
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      throw new Error(`${what} answered ${status} without a JSON object`);
    return payload;
  }
}

/**
 * The invoice's money from its payments. Each payment counts in the PRICE currency from its own
 * price_amount and its own coin amount for that price (so its own rate):
 * - `finished` (or `confirmed`/`sending` with fulfilOnConfirmed): price_amount × actually_paid / pay_amount,
 *   truncated to 8 decimals; exactly price_amount when the coins are exactly pay_amount;
 * - `partially_paid`: the same, kept strictly below price_amount (their verdict: not fully paid);
 * - anything else (not final, or failed/expired/refunded): nothing.
 * The first payment is the original: its price_amount is what the invoice is due.
 */
export function reportFromPayments(
  payments: NowPaymentsPayment[],
  invoiceId: string,
  options: { fulfilOnConfirmed?: boolean } = {},
): PaymentReport {
  const [original] = payments;
  if (!original) throw new GatewayRequestError('no NOWPayments payments to report on');
  const currency = original.price_currency?.toUpperCase();
  if (!currency) throw new Error(`NOWPayments payment ${original.payment_id} has no price_currency`);
  const due = exactAmount(original.price_amount, 'price_amount');
  let received = '0';
  let inFlight = false;
  let waiting = false;
  let dead = 0;
  for (const payment of payments) {
    const id = payment.payment_id ?? '?';
    if (payment.order_id !== invoiceId)
      throw new GatewayRequestError(
        `NOWPayments payment ${id} belongs to order "${payment.order_id}", not ${invoiceId}`,
      );
    if (payment.price_currency?.toUpperCase() !== currency)
      throw new GatewayRequestError(
        `NOWPayments payment ${id} is priced in ${payment.price_currency}, not ${currency}`,
      );
    const status = payment.payment_status;
    if (!isNowPaymentsStatus(status)) throw new Error(`NOWPayments payment ${id} has an unknown status "${status}"`);
    const fulfilled =
      status === 'finished' || (options.fulfilOnConfirmed === true && (status === 'confirmed' || status === 'sending'));
    if (fulfilled || status === 'partially_paid') {
      const price = exactAmount(payment.price_amount, 'price_amount');
      let figure = priceShare(
        price,
        exactAmount(payment.actually_paid ?? '0', 'actually_paid'),
        exactAmount(payment.pay_amount, 'pay_amount'),
      );
      if (status === 'partially_paid' && compareDecimal(figure, price) >= 0)
        figure = subtractDecimal(price, '0.00000001');
      if (compareDecimal(figure, '0') < 0) figure = '0';
      received = addDecimal(received, figure);
    } else if (IN_FLIGHT.has(status)) inFlight = true;
    else if (status === 'waiting') waiting = true;
    else if (DEAD.has(status)) dead += 1;
  }
  const vsDue = compareDecimal(received, due);
  const zero = compareDecimal(received, '0') === 0;
  const status: GatewayStatus = zero
    ? dead === payments.length
      ? 'canceled'
      : 'created'
    : vsDue < 0
      ? 'partial'
      : vsDue === 0
        ? 'paid'
        : 'overpaid';
  const stage: PaymentStage | undefined = inFlight ? 'confirming' : waiting ? 'waiting' : undefined;
  return { status, received: trimDecimal(received), source: 'reconciliation', currency, ...(stage ? { stage } : {}) };
}

/** What a verified IPN tells the route: enough to audit, de-duplicate and signal; never money. */
export interface NowPaymentsIpnHints {
  paymentId: string;
  /** A repeat deposit names the payment it repeats: the workflow adds it to what it checks. */
  parentPaymentId?: string;
  orderId?: string;
  status: NowPaymentsStatus;
  stage?: PaymentStage;
}

/** Reads a verified IPN body; undefined when it has no payment id or an unknown status. */
export function reportFromIpn(body: Record<string, unknown>): NowPaymentsIpnHints | undefined {
  const id = (value: unknown) =>
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === 'string' && /^\d{1,20}$/.test(value))
      ? String(value)
      : undefined;
  const paymentId = id(body.payment_id);
  const status = body.payment_status;
  if (!paymentId || !isNowPaymentsStatus(status)) return undefined;
  const parentPaymentId = id(body.parent_payment_id);
  const orderId = typeof body.order_id === 'string' && body.order_id ? body.order_id : undefined;
  const stage: PaymentStage | undefined = IN_FLIGHT.has(status)
    ? 'confirming'
    : status === 'waiting'
      ? 'waiting'
      : undefined;
  return {
    paymentId,
    status,
    ...(parentPaymentId ? { parentPaymentId } : {}),
    ...(orderId ? { orderId } : {}),
    ...(stage ? { stage } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Exact numbers

const NUMBER_TOKEN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * JSON.parse with every number kept as its literal text (`0.00016667` stays "0.00016667"), so no
 * amount ever passes through a float. Node 20 has no JSON.parse source access, so number tokens
 * outside strings are quoted before parsing; strings are skipped with their escapes.
 */
export function parseJsonExact(text: string): unknown {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      i += 1;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i += 1;
      continue;
    }
    if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER_TOKEN.lastIndex = i;
      const token = NUMBER_TOKEN.exec(text)?.[0];
      if (token) {
        out += `${text.slice(copied, i)}"${token}"`;
        i += token.length;
        copied = i;
        continue;
      }
    }
    i += 1;
  }
  return JSON.parse(out + text.slice(copied));
}

/** A non-negative amount as a plain exact decimal string (an exponent like `1e-8` is written out). */
export function exactAmount(value: unknown, field: string): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const match = typeof text === 'string' ? /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim()) : null;
  if (!match) throw new Error(`NOWPayments sent a malformed ${field} "${String(value)}"`);
  const [, whole = '0', fraction = '', exponent] = match;
  if (exponent === undefined) return fraction ? `${whole}.${fraction}` : whole;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return trimDecimal(plain);
}

/** "007.50" → "7.5", "0.000" → "0". */
function trimDecimal(value: string): string {
  const [whole = '0', fraction = ''] = value.split('.');
  const w = whole.replace(/^0+(?=\d)/, '');
  const f = fraction.replace(/0+$/, '');
  return f ? `${w}.${f}` : w;
}

/**
 * price × part / whole, exact (bigint), truncated to 8 decimals; exactly `price` when part = whole.
 * Nothing is truncated on the way in, so an 18-decimal coin amount counts in full.
 */
export function priceShare(price: string, part: string, whole: string): string {
  if (compareDecimal(part, whole) === 0) return price;
  const SCALE = 8;
  const split = (value: string): [bigint, number] => {
    const [w = '0', f = ''] = value.split('.');
    return [BigInt(w + f), f.length];
  };
  const [p, sp] = split(price);
  const [a, sa] = split(part);
  const [w, sw] = split(whole);
  if (w === 0n) throw new Error('NOWPayments payment has a pay_amount of zero');
  // p/10^sp × a/10^sa ÷ (w/10^sw), in units of 10^-SCALE.
  const exponent = sw + SCALE - sp - sa;
  const numerator = p * a * (exponent >= 0 ? 10n ** BigInt(exponent) : 1n);
  const denominator = w * (exponent < 0 ? 10n ** BigInt(-exponent) : 1n);
  const units = (numerator / denominator).toString().padStart(SCALE + 1, '0');
  return trimDecimal(`${units.slice(0, -SCALE)}.${units.slice(-SCALE)}`);
}

/**
 * The price as a JSON number, exactly: `request.amount` is a decimal string; NOWPayments documents
 * price_amount as a number, and a number prints back as the same decimal when it has at most 15
 * significant digits. Anything longer is refused rather than rounded.
 */
function wirePrice(amount: string): number {
  const text = amount.trim();
  if (!/^\d+(\.\d+)?$/.test(text) || compareDecimal(text, '0') <= 0)
    throw new GatewayRequestError(`"${amount}" is not a positive decimal price`);
  const value = Number(text);
  if (String(value) !== trimDecimal(text))
    throw new GatewayRequestError(`price ${amount} cannot be sent to NOWPayments as an exact number`);
  return value;
}
