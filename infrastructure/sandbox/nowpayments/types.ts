/** Public types and errors of the NOWPayments emulator. */
import type { NowPaymentsStatus } from '../../providers/nowpayments';

export interface NowPaymentsSandboxOptions {
  /** The merchant's `x-api-key` (default: NOWPAYMENTS_SANDBOX_DEFAULTS.apiKey). */
  apiKey?: string;
  /** Signs IPNs; empty = no IPN is sent at all, as on NOWPayments (default: NOWPAYMENTS_SANDBOX_DEFAULTS.ipnSecret). */
  ipnSecret?: string;
  /** Used when a payment is created without `ipn_callback_url` (default: none, no IPN for it). */
  defaultIpnCallbackUrl?: string;
  /** Pause between two status changes of a payment being paid (default 20 ms). */
  stepDelayMs?: number;
  /** How long valid_until / expiration_estimate_date lie ahead of creation (default 20 minutes). */
  rateValidityMs?: number;
  /** How long one IPN POST may take before it counts as failed (default 3000 ms, NOWPayments' limit). */
  ipnTimeoutMs?: number;
  /** Prices of one coin per price currency, exact decimals, merged over the defaults: `{usd: {btc: '60000'}}`. */
  rates?: Record<string, Record<string, string>>;
  /** Clock for created_at/updated_at (default `Date.now`); pauses between steps use real timers. */
  now?: () => number;
}

/** The dev credentials: they only open the local emulator (the same in the dev stack and `npm run sandbox`). */
export const NOWPAYMENTS_SANDBOX_DEFAULTS = {
  apiKey: 'dev-sandbox-nowpayments-api-key',
  ipnSecret: 'dev-sandbox-nowpayments-ipn-secret',
} as const;

/** A payment as the emulator holds it. Amounts are BigInt counts of 10^-8. */
export interface PaymentRecord {
  id: number;
  purchaseId: string;
  parentId: number | null;
  orderId: string | null;
  orderDescription: string | null;
  ipnCallbackUrl: string | null;
  priceAmount: bigint;
  priceCurrency: string;
  payCurrency: string;
  payAmount: bigint;
  actuallyPaid: bigint;
  network: string;
  payAddress: string;
  payinExtraId: string | null;
  status: NowPaymentsStatus;
  createdAt: number;
  updatedAt: number;
  validUntil: number;
  /** Status changes still to come (a payment paid with fewer `confirmations` than its path). */
  pending: NowPaymentsStatus[];
  /** Every status it has had, in order. */
  history: Array<{ status: NowPaymentsStatus; at: number }>;
}

/** A payment for tests and the control API: amounts as exact decimal strings. */
export interface PaymentSnapshot {
  paymentId: number;
  status: NowPaymentsStatus;
  orderId: string | null;
  purchaseId: string;
  parentPaymentId: number | null;
  priceAmount: string;
  priceCurrency: string;
  payAmount: string;
  actuallyPaid: string;
  payCurrency: string;
  payAddress: string;
  payinExtraId: string | null;
  ipnCallbackUrl: string | null;
  pending: NowPaymentsStatus[];
  history: Array<{ status: NowPaymentsStatus; at: number }>;
}

/** One IPN POST (or one copy of it), as sent or withheld. */
export interface IpnDelivery {
  seq: number;
  paymentId: number;
  orderId: string | null;
  paymentStatus: NowPaymentsStatus;
  url: string | null;
  /** The body as sent (before JSON serialisation). */
  body: Record<string, unknown>;
  signature: string | null;
  /** signWrongly() made it: signed with another secret. */
  badSignature: boolean;
  /** dropIpns() swallowed it: recorded, never sent. */
  dropped: boolean;
  /** 1..n when repeatIpns(n) sends copies. */
  copy: number;
  /** 0 for the first POST, then 1.. for retries after a failed answer. */
  retry: number;
  /** Held back by reorderIpns() and sent in a reversed batch. */
  reordered: boolean;
  at: number;
  /** The receiver's HTTP answer. */
  answerStatus?: number;
  answerBody?: string;
  error?: string;
  durationMs?: number;
}

export interface IpnSettings {
  ipnSecret: string;
  stepDelayMs: number;
  /** IPNs still to be dropped. */
  drop: number;
  /** Copies sent of each IPN. */
  repeat: number;
  /** Size of the batch being held for reverse sending (0 = off); `held` of them are waiting. */
  reorder: number;
  held: number;
  /** IPNs still to be signed with a wrong secret. */
  badSignature: number;
  /** Retries after a failed answer (non-2xx, error, timeout), `retryDelayMs` apart; 0 = none. */
  retries: number;
  retryDelayMs: number;
}

/** An API fault: answers instead of the API on matching requests. */
export interface ApiFault {
  /** Matches requests whose path starts with this (e.g. `/v1/payment`). */
  path: string;
  method?: string;
  fault: 500 | 502 | 503 | 429 | 401 | 403 | 'timeout';
  /** For `timeout`: how long the request hangs before being answered normally (default 30 s). */
  delayMs: number;
  /** How many more requests it hits (null = until cleared). */
  remaining: number | null;
}

/** Invalid use of the control API (unknown payment, wrong state, bad amount...). */
export class NowPaymentsSandboxError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'NowPaymentsSandboxError';
  }
}

/** A request the real API refuses with `{status: false, statusCode, code, message}`. */
export class NowPaymentsApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NowPaymentsApiError';
  }

  toBody() {
    return { status: false, statusCode: this.statusCode, code: this.code, message: this.message };
  }
}
