/** CryptoCloud API v2 client and postback verification (see EXTERNAL-APIS.md). */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { GatewayStatus, PaymentReport } from '../../domain/invoice';
import { addDecimal, compareDecimal, subtractDecimal } from '../../domain/money';
import { GatewayRequestError, type Charge, type ChargeRequest, type PaymentRail } from './payment-rail';

export interface CryptoCloudOptions {
  apiUrl: string;
  apiKey: string;
  shopId: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface CryptoCloudInvoice {
  uuid: string;
  status: string;
  order_id?: string;
  /** Coins to pay (the invoice's cryptocurrency). */
  amount?: number | string;
  amount_usd?: number | string;
  /** The price in the invoice's fiat currency, as the merchant asked. */
  amount_in_fiat?: number | string;
  fiat_currency?: string;
  /** Coins received. */
  received?: number | string;
  received_usd?: number | string;
  link?: string;
  expiry_date?: string;
}

const STATUSES: Record<string, GatewayStatus> = {
  created: 'created',
  paid: 'paid',
  partial: 'partial',
  overpaid: 'overpaid',
  canceled: 'canceled',
  cancelled: 'canceled',
};

export class CryptoCloudClient implements PaymentRail {
  readonly name = 'cryptocloud' as const;
  constructor(private readonly options: CryptoCloudOptions) {}

  async createCharge(request: ChargeRequest): Promise<Charge> {
    const minutes = Math.max(Math.ceil((request.expiresAt - Date.now()) / 60_000), 1);
    const result = await this.call<CryptoCloudInvoice>('/v2/invoice/create', {
      shop_id: this.options.shopId,
      amount: request.amount,
      currency: request.currency,
      order_id: request.invoiceId,
      add_fields: { time_to_pay: { hours: Math.floor(minutes / 60), minutes: minutes % 60 } },
    });
    if (!result.uuid || !result.link) throw new Error('CryptoCloud answered without uuid or link');
    return { providerInvoiceId: result.uuid, payUrl: result.link };
  }

  /** A CryptoCloud invoice takes top-ups itself, so an invoice has one charge. */
  async getStatus([providerInvoiceId]: string[]): Promise<PaymentReport> {
    if (!providerInvoiceId) throw new GatewayRequestError('No CryptoCloud invoice to check');
    const [invoice] = await this.call<CryptoCloudInvoice[]>('/v2/invoice/merchant/info', {
      uuids: [providerInvoiceId],
    });
    if (!invoice) throw new GatewayRequestError(`CryptoCloud does not know invoice ${providerInvoiceId}`);
    const status = STATUSES[invoice.status];
    if (!status) throw new Error(`CryptoCloud invoice ${providerInvoiceId} has an unknown status "${invoice.status}"`);
    return receivedInPriceCurrency(providerInvoiceId, status, invoice);
  }

  async cancel({ providerInvoiceId }: { providerInvoiceId: string }): Promise<void> {
    try {
      await this.call('/v2/invoice/merchant/canceled', { uuid: providerInvoiceId });
    } catch (error) {
      // Only `created` invoices can be cancelled; anything else already moved on, which is fine here.
      if (!(error instanceof GatewayRequestError)) throw error;
    }
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const response = await (this.options.fetch ?? fetch)(`${this.options.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Token ${this.options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let payload: { status?: string; result?: unknown; detail?: unknown } = {};
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch {
      /* reported below */
    }
    if (response.status >= 500) throw new Error(`CryptoCloud ${path} answered ${response.status}`);
    if (!response.ok || payload.status !== 'success') {
      throw new GatewayRequestError(
        `CryptoCloud ${path} refused (${response.status}): ${JSON.stringify(payload.result ?? payload.detail ?? text.slice(0, 200))}`,
      );
    }
    return payload.result as T;
  }
}

/**
 * What the gateway received, in the invoice's own price currency (fiat_currency), from the gateway's
 * own figures; a coin amount is never compared with a fiat price. The rule:
 * - the gateway's verdict decides the class: `created`/`canceled` with no coins → nothing received;
 *   `paid` → exactly the price (`amount_in_fiat`); `partial` → less than the price; `overpaid` → more;
 * - the figure is the price pro rata of the coins: amount_in_fiat × received / amount (the invoice's
 *   own coin amount for that price, so its own rate), truncated to 8 decimals; for a USD price the
 *   gateway's `received_usd` is used where it agrees with the verdict;
 * - a figure that contradicts the verdict is clamped to it (partial stays below the price by at least
 *   10^-8, overpaid above it), so the state machine's amount check and the gateway agree.
 */
export function receivedInPriceCurrency(
  providerInvoiceId: string,
  status: GatewayStatus,
  invoice: Pick<CryptoCloudInvoice, 'amount' | 'amount_in_fiat' | 'fiat_currency' | 'received' | 'received_usd'>,
): PaymentReport {
  const currency = typeof invoice.fiat_currency === 'string' ? invoice.fiat_currency.toUpperCase() : undefined;
  const coins = decimal(invoice.received ?? '0');
  const report = (received: string): PaymentReport => ({ status, received, source: 'reconciliation', currency });
  if (compareDecimal(coins, '0') <= 0 && status !== 'paid' && status !== 'overpaid') return report('0');
  if (invoice.amount_in_fiat === undefined || invoice.amount === undefined)
    throw new Error(`CryptoCloud invoice ${providerInvoiceId} has no amount_in_fiat/amount`);
  const price = decimal(invoice.amount_in_fiat);
  if (status === 'paid') return report(price);
  const coinAmount = decimal(invoice.amount);
  let figure =
    currency === 'USD' && invoice.received_usd !== undefined
      ? decimal(invoice.received_usd)
      : proRata(price, coins, coinAmount);
  const vsPrice = compareDecimal(figure, price);
  if (status === 'overpaid' && vsPrice <= 0) figure = addDecimal(price, '0.00000001');
  if (status !== 'overpaid' && vsPrice >= 0) figure = subtractDecimal(price, '0.00000001');
  if (compareDecimal(figure, '0') < 0) figure = '0';
  return report(figure);
}

/** price × part / whole, truncated to 8 decimals, exact (bigint). */
function proRata(price: string, part: string, whole: string): string {
  const SCALE = 8;
  const units = (value: string) => {
    const [w = '0', f = ''] = value.split('.');
    return BigInt(w + f.slice(0, SCALE).padEnd(SCALE, '0'));
  };
  const wholeUnits = units(whole);
  if (wholeUnits === 0n) throw new Error('CryptoCloud invoice amount is zero');
  const result = (units(price) * units(part)) / wholeUnits;
  const text = result.toString().padStart(SCALE + 1, '0');
  const fraction = text.slice(-SCALE).replace(/0+$/, '');
  return `${text.slice(0, -SCALE)}${fraction ? `.${fraction}` : ''}`;
}

/** CryptoCloud ids appear with and without the INV- prefix; compared without it, upper-case. */
export function normaliseInvoiceId(id: string): string {
  return id.trim().replace(/^INV-/i, '').toUpperCase();
}

/** Gateway numbers as exact decimal strings (a JSON number like 10.5 is printed as written). */
function decimal(value: number | string): string {
  const text = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`CryptoCloud sent a malformed amount "${text}"`);
  return text;
}

export type PostbackVerdict = { ok: true; invoiceId: string | undefined } | { ok: false; reason: string };

/**
 * Verifies a postback's `token`: HS256 only (so `alg: none` and key confusion fail), signed with
 * the project secret, not expired. jose compares the signature in constant time.
 */
/** The HMAC key of each secret, imported once: importing it for every postback costs more than the check. */
const postbackKeys = new Map<string, KeyObject>();
const postbackKey = (secret: string) => {
  let key = postbackKeys.get(secret);
  if (!key) postbackKeys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

export async function verifyPostbackToken(token: unknown, secret: string): Promise<PostbackVerdict> {
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: 'token is missing' };
  try {
    const { payload } = await jwtVerify(token, postbackKey(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
    });
    return { ok: true, invoiceId: typeof payload.id === 'string' ? payload.id : undefined };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired' };
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return { ok: false, reason: 'token algorithm not allowed' };
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      return { ok: false, reason: 'token signature invalid' };
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      return { ok: false, reason: `token claim invalid: ${error.claim}` };
    return { ok: false, reason: 'token malformed' };
  }
}
