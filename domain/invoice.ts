/**
 * The payment state machine of an invoice, provider-neutral. A report moves the state only forward,
 * so duplicated and re-ordered webhooks and reconciliation results are harmless.
 */
import { compareDecimal, subtractDecimal } from './money';
import type { PaymentStage } from './rail';

/** What a gateway says about an invoice, normalised. Amounts are exact decimal strings in the invoice currency. */
export const GATEWAY_STATUSES = ['created', 'partial', 'paid', 'overpaid', 'canceled'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

export interface PaymentReport {
  status: GatewayStatus;
  /** Total received so far, in the invoice's currency. */
  received: string;
  /**
   * `telegram`: a Stars `successful_payment` update, which Telegram (the rail itself) sends over the
   * bot's authenticated channel: the rail's own confirmation, applied without a further check.
   */
  source: 'webhook' | 'reconciliation' | 'admin' | 'telegram';
  /** The currency `received` is in, where the gateway says (a mismatch with the invoice's is refused). */
  currency?: string;
  /** Coins seen but not final yet (NOWPayments `confirming`): told to the user, never activates. */
  stage?: PaymentStage;
  /** The rail's id of the settling payment (Stars `telegram_payment_charge_id`), kept for refunds. */
  chargeId?: string;
  /**
   * Charges of this invoice the rail knows and the workflow may not (a NOWPayments repeat deposit,
   * `parent_payment_id` = one of ours): the workflow adds them to what it checks.
   */
  relatedChargeIds?: string[];
}

export type InvoiceState =
  | 'pending'
  | 'partial'
  | 'paid'
  | 'overpaid'
  /** Unpaid at expiry. */
  | 'expired'
  | 'cancelled'
  /** Partly paid at expiry: an admin resolves it. */
  | 'needs_review'
  /** Funds arrived after the invoice closed: recorded and reported to admins, nothing activated. */
  | 'late_paid';

/** Still waiting for money: the invoice workflow is running (its ProcessStatus search attribute). */
export const OPEN_FOR_PAYMENT_STATES = ['pending', 'partial'] as const satisfies readonly InvoiceState[];
/** Paid in full (or more): what activates a subscription and earns a referral commission. */
export const SETTLED_INVOICE_STATES = ['paid', 'overpaid'] as const satisfies readonly InvoiceState[];
export const SETTLED: ReadonlySet<InvoiceState> = new Set(SETTLED_INVOICE_STATES);
export const CLOSED_FOR_PAYMENT: ReadonlySet<InvoiceState> = new Set([
  'paid',
  'overpaid',
  'expired',
  'cancelled',
  'needs_review',
  'late_paid',
]);

/**
 * Every status an invoice row can have: the workflow's states, plus `creating` (the row exists, the
 * gateway has not answered yet) and `refunded`.
 */
export const INVOICE_STATUSES = [
  'creating',
  'pending',
  'partial',
  'paid',
  'overpaid',
  'expired',
  'cancelled',
  'late_paid',
  'needs_review',
  'refunded',
] as const satisfies readonly (InvoiceState | 'creating' | 'refunded')[];
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Rows that can still be paid: at most one per user and plan (a unique partial index), reused by a new open. */
export const OPEN_INVOICE_STATES = ['creating', ...OPEN_FOR_PAYMENT_STATES] as const satisfies readonly InvoiceStatus[];
/** Rows a refund may be recorded for (again: a repeated refund is answered, not refused). */
export const REFUNDABLE_INVOICE_STATES = ['paid', 'overpaid', 'refunded'] as const satisfies readonly InvoiceStatus[];
export const REFUNDABLE: ReadonlySet<string> = new Set(REFUNDABLE_INVOICE_STATES);
/** Whether a stored status (any string) is settled. */
export const isSettledStatus = (status: string): boolean => (SETTLED as ReadonlySet<string>).has(status);

export interface InvoiceProgress {
  state: InvoiceState;
  /** Highest total received seen, exact decimal. */
  received: string;
}

/**
 * Applies a report to an open invoice. Returns the new progress, or undefined when the report does
 * not move the invoice forward (a duplicate, an older status, or a smaller amount).
 */
export function applyReport(
  current: InvoiceProgress,
  report: PaymentReport,
  amountDue: string,
): InvoiceProgress | undefined {
  if (CLOSED_FOR_PAYMENT.has(current.state)) return undefined;
  const received = compareDecimal(report.received, current.received) > 0 ? report.received : current.received;
  const next = classify(report.status, received, amountDue);
  if (!next) return undefined;
  const moved = rank(next) > rank(current.state) || (next === 'partial' && received !== current.received);
  return moved ? { state: next, received } : undefined;
}

/**
 * Any report, open or closed invoice: on an open one as applyReport; on one closed unpaid (expired,
 * cancelled, needs_review, late_paid) more money than recorded makes it late_paid with the new total;
 * a settled one never moves. Returns undefined when nothing changes.
 */
export function applyAnyReport(
  current: InvoiceProgress,
  report: Pick<PaymentReport, 'status' | 'received'>,
  amountDue: string,
): InvoiceProgress | undefined {
  if (!CLOSED_FOR_PAYMENT.has(current.state)) return applyReport(current, report as PaymentReport, amountDue);
  if (SETTLED.has(current.state) || compareDecimal(report.received, current.received) <= 0) return undefined;
  return { state: 'late_paid', received: report.received };
}

/** What an open invoice becomes at expiry: partly paid → needs_review, unpaid → expired. */
export function expire(current: InvoiceProgress): InvoiceProgress | undefined {
  if (CLOSED_FOR_PAYMENT.has(current.state)) return undefined;
  return { ...current, state: current.state === 'partial' ? 'needs_review' : 'expired' };
}

/**
 * What the money says. The amount decides over the gateway's label where both are known (a "paid"
 * label with less than due is partial), so an inconsistent report never activates.
 */
function classify(status: GatewayStatus, received: string, amountDue: string): InvoiceState | undefined {
  const zero = compareDecimal(received, '0') <= 0;
  if (status === 'canceled' && zero) return 'cancelled';
  if (zero) return undefined;
  const vsDue = compareDecimal(received, amountDue);
  if (vsDue < 0) return 'partial';
  if (vsDue === 0) return 'paid';
  return 'overpaid';
}

function rank(state: InvoiceState): number {
  switch (state) {
    case 'pending':
      return 0;
    case 'partial':
      return 1;
    default:
      return 2;
  }
}

/** How much is still missing (never negative). */
export function missingAmount(received: string, amountDue: string): string {
  return compareDecimal(received, amountDue) >= 0 ? '0' : subtractDecimal(amountDue, received);
}

/** The overpayment, or undefined when none. */
export function overpayment(received: string, amountDue: string): string | undefined {
  return compareDecimal(received, amountDue) > 0 ? subtractDecimal(received, amountDue) : undefined;
}

/**
 * Our invoice id, also the gateway's order_id and the workflow id suffix: `<userId>-<planId>-<random>`,
 * the random part 12 lower-case base-36 characters from the caller's randomness (the edge, never a
 * workflow). One open invoice per user and plan is kept by the database (a partial unique index over
 * the open statuses), not by the id. Safe as a CryptoCloud order_id (letters, digits, - and _).
 */
export function newInvoiceId(userId: number, planId: string, random: () => number = Math.random): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let suffix = '';
  for (let i = 0; i < 12; i++) suffix += alphabet[Math.floor(random() * alphabet.length)] ?? '0';
  return `${userId}-${planId}-${suffix}`;
}

/** Our ids: new ones end in a random base-36 part, old ones (before random ids) in a sequence number. */
export const INVOICE_ID_PATTERN = /^-?\d+-[a-z0-9_]+-[a-z0-9]{1,20}$/;
