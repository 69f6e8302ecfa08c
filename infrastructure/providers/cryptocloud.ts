/** CryptoCloud API v2 client and postback verification (see EXTERNAL-APIS.md). */
import { errors as joseErrors, jwtVerify } from 'jose';
import type { GatewayStatus, PaymentReport } from '../../domain/invoice';
import { GatewayRequestError, type PaymentGateway } from './payment-gateway';

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
  amount?: number | string;
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

export class CryptoCloudClient implements PaymentGateway {
  readonly name = 'cryptocloud';
  constructor(private readonly options: CryptoCloudOptions) {}

  async createInvoice(request: { orderId: string; amount: string; currency: string; expiresAt: number }) {
    const minutes = Math.max(Math.ceil((request.expiresAt - Date.now()) / 60_000), 1);
    const result = await this.call<CryptoCloudInvoice>('/v2/invoice/create', {
      shop_id: this.options.shopId,
      amount: request.amount,
      currency: request.currency,
      order_id: request.orderId,
      add_fields: { time_to_pay: { hours: Math.floor(minutes / 60), minutes: minutes % 60 } },
    });
    if (!result.uuid || !result.link) throw new Error('CryptoCloud answered without uuid or link');
    return { providerInvoiceId: result.uuid, payUrl: result.link };
  }

  async getStatus(providerInvoiceId: string): Promise<PaymentReport> {
    const [invoice] = await this.call<CryptoCloudInvoice[]>('/v2/invoice/merchant/info', {
      uuids: [providerInvoiceId],
    });
    if (!invoice) throw new GatewayRequestError(`CryptoCloud does not know invoice ${providerInvoiceId}`);
    const status = STATUSES[invoice.status];
    if (!status) throw new Error(`CryptoCloud invoice ${providerInvoiceId} has an unknown status "${invoice.status}"`);
    return { status, received: decimal(invoice.received_usd ?? invoice.received ?? '0'), source: 'reconciliation' };
  }

  async cancel(providerInvoiceId: string): Promise<void> {
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
export async function verifyPostbackToken(token: unknown, secret: string): Promise<PostbackVerdict> {
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: 'token is missing' };
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
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
