/**
 * The payment state machine of an invoice, provider-neutral. A report moves the state only forward,
 * so duplicated and re-ordered webhooks and reconciliation results are harmless.
 */
import { compareDecimal, subtractDecimal } from './money';

/** What a gateway says about an invoice, normalised. Amounts are exact decimal strings in the invoice currency. */
export type GatewayStatus = 'created' | 'partial' | 'paid' | 'overpaid' | 'canceled';

export interface PaymentReport {
  status: GatewayStatus;
  /** Total received so far, in the invoice's currency. */
  received: string;
  source: 'webhook' | 'reconciliation' | 'admin';
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

export const SETTLED: ReadonlySet<InvoiceState> = new Set(['paid', 'overpaid']);
export const CLOSED_FOR_PAYMENT: ReadonlySet<InvoiceState> = new Set([
  'paid',
  'overpaid',
  'expired',
  'cancelled',
  'needs_review',
  'late_paid',
]);

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
 * Our invoice id, also the gateway's order_id. One open invoice per user and plan follows from it:
 * while an invoice is payable the sequence number does not change, so a second start of
 * `invoice:<id>` finds the running workflow instead of creating another invoice.
 */
export function invoiceIdFor(userId: number, planId: string, closedBefore: number): string {
  return `${userId}-${planId}-${closedBefore + 1}`;
}

export const INVOICE_ID_PATTERN = /^-?\d+-[a-z0-9_]+-\d+$/;
