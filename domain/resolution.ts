/**
 * Admin resolution of money an invoice could not settle by itself (workflow `resolution:<invoiceId>`):
 * a partly paid invoice closed at expiry (needs_review), money after an invoice closed unpaid
 * (late_paid), or money above the price (overpaid). Pure rules: which actions each case allows, how
 * their input is checked, and where the money goes.
 */
import { accounts, type Posting } from './ledger';

export type ResolutionKind = 'partial' | 'late' | 'overpaid';
export const RESOLUTION_KINDS: readonly ResolutionKind[] = ['partial', 'late', 'overpaid'];

export type ResolutionAction =
  /** The partial payment counts as full payment: the subscription is activated (partial only). */
  | { type: 'accept' }
  /** The money buys days of the invoice's plan. */
  | { type: 'credit'; mode: 'extend'; days: number }
  /** The money is kept for the user's next invoice. */
  | { type: 'credit'; mode: 'balance' }
  /** The money goes back to the user: payable until `refundPaid` records the transaction. */
  | { type: 'refund' }
  | { type: 'writeoff'; reason: string }
  | { type: 'refundPaid'; txHash: string };

export type ResolutionActionType = ResolutionAction['type'];

/** Who decided: an admin (Telegram id) or the ops CLI. */
export interface ResolutionActor {
  actor: 'admin' | 'ops';
  id?: number;
}

/** What the invoice workflow hands over at needs_review (partial), late_paid (late) and overpaid. */
export interface OpenResolutionInput {
  invoiceId: string;
  userId: number;
  planId: string;
  kind: ResolutionKind;
  /** Exact decimal in the invoice currency: the total of this kind so far (a repeat is a no-op, a larger total is new money). */
  amount: string;
  currency: string;
  provider: string;
}

export type ResolutionStatus = 'open' | 'resolving' | 'refund_pending' | 'resolved';

export const MAX_CREDIT_DAYS = 3650;
export const MAX_REASON_LENGTH = 500;
/** A transaction hash on the networks payouts use: 64 hexadecimal digits, with or without 0x (EVM, TRON). */
const TX_HASH = /^(0x)?[0-9a-fA-F]{64}$/;

/** What settles each case. Accept only turns a partial payment into a paid invoice. */
export function actionsFor(kinds: readonly ResolutionKind[]): ResolutionActionType[] {
  return [...(kinds.includes('partial') ? (['accept'] as const) : []), 'credit', 'refund', 'writeoff'];
}

/** Why an action's input is malformed (one line for an admin), whatever the state of the case. */
export function inputRefusal(action: ResolutionAction): string | undefined {
  switch (action?.type) {
    case 'accept':
    case 'refund':
      return undefined;
    case 'credit':
      if (action.mode === 'balance') return undefined;
      if (action.mode !== 'extend') return 'credit is "extend <days>" or "balance"';
      if (!(Number.isSafeInteger(action.days) && action.days > 0)) return 'days must be a whole number above 0';
      if (action.days > MAX_CREDIT_DAYS) return `at most ${MAX_CREDIT_DAYS} days`;
      return undefined;
    case 'writeoff':
      if (typeof action.reason !== 'string' || action.reason.trim() === '') return 'a write-off needs a reason';
      if (action.reason.length > MAX_REASON_LENGTH) return `the reason is longer than ${MAX_REASON_LENGTH} characters`;
      return undefined;
    case 'refundPaid':
      return typeof action.txHash === 'string' && TX_HASH.test(action.txHash)
        ? undefined
        : 'a transaction hash is 64 hexadecimal digits (0x optional)';
    default:
      return 'unknown action';
  }
}

/**
 * Why the case, as it stands, does not take this action, or undefined when it does. `settled`:
 * the refusal only says the case was decided already (the edges then show what was decided).
 */
export function stateRefusal(
  status: ResolutionStatus,
  kinds: readonly ResolutionKind[],
  action: ResolutionAction,
): { reason: string; settled: boolean } | undefined {
  if (action.type === 'refundPaid') {
    if (status === 'refund_pending') return undefined;
    if (status === 'open') return { reason: 'no refund is waiting to be paid out', settled: false };
    return { reason: 'the case is already resolved', settled: true };
  }
  if (status !== 'open') return { reason: 'the case is already resolved', settled: true };
  if (!actionsFor(kinds).includes(action.type))
    return {
      reason: `"${action.type}" does not apply to ${kinds.join(' + ') || 'this'} money (allowed: ${actionsFor(kinds).join(', ')})`,
      settled: false,
    };
  return undefined;
}

/** Normalises an action from an edge (trimmed reason and hash) before it is checked and sent. */
export function normaliseAction(action: ResolutionAction): ResolutionAction {
  if (action.type === 'writeoff') return { type: 'writeoff', reason: action.reason.trim() };
  if (action.type === 'refundPaid') return { type: 'refundPaid', txHash: action.txHash.trim() };
  return action;
}

/** Parses the text form used by the bot command and the ops CLI: `accept`, `credit <days>`, `balance`, `refund`, `writeoff <reason>`. */
export function parseAction(words: string[]): ResolutionAction | string {
  const [verb, ...rest] = words;
  switch (verb?.toLowerCase()) {
    case 'accept':
      return rest.length === 0 ? { type: 'accept' } : 'accept takes no arguments';
    case 'credit':
    case 'extend': {
      if (rest[0]?.toLowerCase() === 'balance' && rest.length === 1) return { type: 'credit', mode: 'balance' };
      const days = /^\d{1,5}$/.test(rest[0] ?? '') ? Number(rest[0]) : NaN;
      return rest.length === 1 && days > 0 ? { type: 'credit', mode: 'extend', days } : 'credit needs a number of days';
    }
    case 'balance':
      return rest.length === 0 ? { type: 'credit', mode: 'balance' } : 'balance takes no arguments';
    case 'refund':
      return rest.length === 0 ? { type: 'refund' } : 'refund takes no arguments';
    case 'writeoff':
    case 'write-off': {
      const reason = rest.join(' ').trim();
      return reason ? { type: 'writeoff', reason } : 'a write-off needs a reason';
    }
    default:
      return 'the action is one of accept, credit <days>, balance, refund, writeoff <reason>';
  }
}

export const resolutionAccounts = {
  /** Where each kind of money waits for the admin, as the invoice posted it. */
  source(kind: ResolutionKind, userId: number): string {
    switch (kind) {
      case 'partial':
        return accounts.userUnapplied(userId);
      case 'late':
        return accounts.latePayments();
      case 'overpaid':
        return accounts.userOverpayment(userId);
    }
  },
  /** Where a resolution moves it. */
  target(action: Exclude<ResolutionAction, { type: 'refundPaid' }>, userId: number): string {
    switch (action.type) {
      case 'accept':
      case 'credit':
        return action.type === 'credit' && action.mode === 'balance'
          ? accounts.userCredit(userId)
          : accounts.revenue('subscriptions');
      case 'refund':
        return accounts.userRefund(userId);
      case 'writeoff':
        return accounts.writtenOff();
    }
  },
};

/** Ledger keys of a resolution: one transaction per run and step, so a retried step posts nothing more. */
export const resolutionKeys = {
  settle: (invoiceId: string, runId: string) => `resolution:${invoiceId}:${runId}:settle`,
  refundPaid: (invoiceId: string, runId: string) => `resolution:${invoiceId}:${runId}:refund-paid`,
  /** Entries that belong to this invoice's money: the invoice's own postings and its resolutions'. */
  prefixes: (invoiceId: string) => [`invoice:${invoiceId}:`, `resolution:${invoiceId}:`],
};

export interface HeldMoney {
  account: string;
  /** What the account holds for this invoice (a credit, shown positive), minor units. */
  amountMinor: bigint;
}

/** One posting that empties every source account of this invoice into the target; undefined when nothing is held. */
export function settlePosting(input: {
  key: string;
  currency: string;
  held: HeldMoney[];
  target: string;
  kind: string;
  memo: string;
}): Posting | undefined {
  const legs = input.held
    .filter((h) => h.amountMinor > 0n && h.account !== input.target)
    .map((h) => ({ account: h.account, amountMinor: h.amountMinor }));
  const total = legs.reduce((sum, leg) => sum + leg.amountMinor, 0n);
  if (total === 0n) return undefined;
  return {
    key: input.key,
    kind: input.kind,
    currency: input.currency,
    legs: [...legs, { account: input.target, amountMinor: -total }],
    memo: input.memo.slice(0, 200),
  };
}
