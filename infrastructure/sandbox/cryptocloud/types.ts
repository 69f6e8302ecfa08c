/** Public types and errors of the CryptoCloud emulator. */

// ---------------------------------------------------------------------------------------------
// Public types

export interface CryptoCloudSandboxOptions {
  apiKey: string;
  /** The project SECRET KEY that signs postback tokens. */
  secretKey: string;
  shopId: string;
  /** Where postbacks go (the project's notification URL); none = postbacks are recorded, not sent. */
  notifyUrl?: string;
  /** Postback body encoding, a project setting on the real dashboard (default json). */
  postbackEncoding?: PostbackEncoding;
  /** Base of the hosted pay page links (default: the sandbox's own URL, set by the server). */
  publicUrl?: string;
  projectName?: string;
  /** Invoice lifetime when the request has no add_fields.time_to_pay (default 24 h). */
  defaultTimeToPayMs?: number;
  /** How long one postback POST may take (default 10 s). */
  postbackTimeoutMs?: number;
  /** Clock for created/expiry dates (default `Date.now`). */
  now?: () => number;
}

export type PostbackEncoding = 'json' | 'form';
export type InvoiceStatus = 'created' | 'paid' | 'partial' | 'overpaid' | 'canceled';

export interface CryptoCloudCurrency {
  id: number;
  code: string;
  fullcode: string;
  network: { code: string; id: number; icon: string; fullname: string };
  name: string;
  is_email_required: boolean;
  stablecoin: boolean;
  icon_base: string;
  icon_network: string;
  icon_qr: string;
  order: number;
}

/** The invoice object as merchant/info, invoice/create and postbacks' invoice_info carry it. */
export interface CryptoCloudInvoice {
  uuid: string;
  created: string;
  address: string;
  expiry_date: string;
  side_commission: 'client';
  side_commission_cc: 'client';
  amount: number;
  amount_usd: number;
  amount_in_fiat: number;
  fee: number;
  fee_usd: number;
  service_fee: number;
  service_fee_usd: number;
  received: number;
  received_usd: number;
  type_payments: 'crypto';
  fiat_currency: string;
  status: InvoiceStatus;
  is_email_required: boolean;
  link: string;
  invoice_id: null;
  order_id: string | null;
  email: string | null;
  currency: CryptoCloudCurrency;
  project: { id: number; name: string; fail: string | null; success: string | null; logo: null };
  test_mode: true;
}

export interface PaymentRecord {
  kind: 'pay' | 'partial' | 'overpay';
  /** Exact decimal string. */
  amount: string;
  at: number;
  /** The invoice was no longer open (canceled or expired) when the funds arrived. */
  late: boolean;
}

export interface PostbackDelivery {
  seq: number;
  /** Invoice id without the INV- prefix. */
  invoiceId: string;
  orderId: string | null;
  reason: 'payment' | 'resend';
  url: string | null;
  encoding: PostbackEncoding;
  /** The fields as sent (form bodies: the string values). */
  body: Record<string, unknown>;
  /** dropPostbacks swallowed it: recorded, never sent. */
  dropped: boolean;
  /** 1..n when repeatPostbacks(n) sends copies. */
  copy: number;
  at: number;
  status?: number;
  responseBody?: string;
  error?: string;
  durationMs?: number;
}

export interface PaymentOutcome {
  invoice: CryptoCloudInvoice;
  postbacks: PostbackDelivery[];
}

export interface CryptoCloudSettings {
  notifyUrl: string | null;
  encoding: PostbackEncoding;
  /** Postbacks still to be dropped. */
  drop: number;
  /** Copies sent of each postback. */
  repeat: number;
}

/** Invalid use of the control API (unknown invoice, bad amount...). */
export class CryptoCloudSandboxError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'CryptoCloudSandboxError';
  }
}

/** A request the real API would refuse with `{status: "error", result: {validate_error}}`. */
export class CryptoCloudValidationError extends Error {
  override name = 'CryptoCloudValidationError';
}
