/**
 * Side effects of the resolution workflow (`resolution:<invoiceId>`): what the ledger holds for an
 * invoice, the admin's decision with its money movement and audit row (one transaction, idempotent
 * by key), the subscription effect, and the refund's payout. `openResolution` is the invoice
 * workflow's way in.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { isSettledStatus, type InvoiceStatus } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { fromMinor } from '../domain/money';
import {
  inputRefusal,
  RESOLUTION_KINDS,
  resolutionAccounts,
  resolutionKeys,
  settlePosting,
  type OpenResolutionInput,
  type ResolutionAction,
  type ResolutionActor,
  type ResolutionKind,
} from '../domain/resolution';
import { auditLog, invoices, ledgerEntries, plans } from '../infrastructure/db/schema';
import { lockAccount } from './balances';
import { appendToAdminAlerts } from './admin-alerts';
import type { ActivityDeps } from './deps';
import { post } from './ledger';

export type { ResolutionActor } from '../domain/resolution';

export interface HeldForInvoice {
  held: Array<{ kind: ResolutionKind; account: string; amountMinor: string }>;
  totalMinor: string;
  kinds: ResolutionKind[];
  suggestedDays: number;
}

type Reader = Pick<ActivityDeps['db'], 'select'>;

const DAY_SECONDS = 86_400n;

/** What each source account holds for this invoice: its own postings and its resolutions', as a credit. */
async function heldFor(db: Reader, invoiceId: string, userId: number, currency: string) {
  const sources = RESOLUTION_KINDS.map((kind) => ({ kind, account: resolutionAccounts.source(kind, userId) }));
  const [invoicePrefix, resolutionPrefix] = resolutionKeys.prefixes(invoiceId);
  const rows = await db
    .select({ account: ledgerEntries.account, sum: sql<string>`sum(${ledgerEntries.amountMinor})::text` })
    .from(ledgerEntries)
    .where(
      and(
        inArray(
          ledgerEntries.account,
          sources.map((s) => s.account),
        ),
        eq(ledgerEntries.currency, currency),
        or(
          sql`starts_with(${ledgerEntries.transactionKey}, ${invoicePrefix})`,
          sql`starts_with(${ledgerEntries.transactionKey}, ${resolutionPrefix})`,
        ),
      ),
    )
    .groupBy(ledgerEntries.account);
  const owed = new Map(rows.map((r) => [r.account, -BigInt(r.sum)]));
  return sources.map((s) => ({ ...s, amountMinor: owed.get(s.account) ?? 0n })).filter((s) => s.amountMinor > 0n);
}

type Writer = Parameters<Parameters<ActivityDeps['db']['transaction']>[0]>[0];

const actorName = (by: ResolutionActor) => (by.actor === 'admin' ? `admin ${by.id ?? '?'}` : 'ops');

/**
 * The decision on the invoices read model: a statusHistory entry (named by the decision's key, so a
 * retry adds none) and, where the decision settles the row's status, the new status.
 */
async function recordOnInvoice(
  tx: Writer,
  input: { invoiceId: string; key: string; by: ResolutionActor; note: string; status?: InvoiceStatus },
): Promise<void> {
  const now = new Date();
  const entry = sql`jsonb_build_object('status', coalesce(${input.status ?? null}::text, ${invoices.status}), 'at', ${now.toISOString()}::text, 'source', ${`resolution:${actorName(input.by)}`}::text, 'note', ${input.note}::text, 'key', ${input.key}::text)`;
  await tx
    .update(invoices)
    .set({
      ...(input.status ? { status: input.status } : {}),
      ...(input.status === 'paid'
        ? { paidAt: sql`coalesce(${invoices.paidAt}, ${now.toISOString()}::timestamptz)` }
        : {}),
      updatedAt: now,
      statusHistory: sql`${invoices.statusHistory} || jsonb_build_array(${entry})`,
    })
    .where(
      and(
        eq(invoices.id, input.invoiceId),
        sql`not (${invoices.statusHistory} @> ${JSON.stringify([{ key: input.key }])}::jsonb)`,
      ),
    );
}

function decisionNote(action: Exclude<ResolutionAction, { type: 'refundPaid' }>, amount: string, currency: string) {
  const money = `${amount} ${currency}`;
  switch (action.type) {
    case 'accept':
      return `${money} accepted`;
    case 'credit':
      return action.mode === 'extend' ? `${money} credited as ${action.days} days` : `${money} kept as balance`;
    case 'refund':
      return `${money} to be refunded`;
    case 'writeoff':
      return `${money} written off: ${action.reason}`.slice(0, 200);
  }
}

const describe = (action: ResolutionAction) =>
  action.type === 'credit' ? `credit-${action.mode}` : action.type === 'refundPaid' ? 'refund-paid' : action.type;

export function createResolutionActivities(deps: ActivityDeps) {
  const { db } = deps;

  return {
    /**
     * Every admin's alert and reminder of this round is edited to show the decision under its text,
     * its buttons gone, so no admin presses a stale button (each edit re-renders the message from the
     * outbox, so a second decision, refund paid, replaces the first line instead of adding to it).
     * An edit Telegram refuses is logged and skipped: the decision stands and admins were told anyway.
     */
    markResolutionAlerts(input: {
      invoiceId: string;
      runId: string;
      round: number;
      message: string;
      vars: Record<string, string>;
    }) {
      return appendToAdminAlerts(deps, {
        keyPrefix: `resolution:${input.invoiceId}:${input.runId}:${input.round}:`,
        alertKey: /:(alert|reminder):\d+:admin:/,
        message: input.message,
        vars: input.vars,
      });
    },

    /** From the invoice workflow at needs_review, late_paid and overpaid: starts or feeds `resolution:<invoiceId>`. */
    async openResolution(input: OpenResolutionInput): Promise<void> {
      await deps.workflows.openResolution(input);
    },

    async heldForResolution(input: {
      invoiceId: string;
      userId: number;
      planId: string;
      currency: string;
    }): Promise<HeldForInvoice> {
      const held = await heldFor(db, input.invoiceId, input.userId, input.currency);
      const total = held.reduce((sum, h) => sum + h.amountMinor, 0n);
      const [plan] = await db
        .select({ priceMinor: plans.priceMinor, durationSeconds: plans.durationSeconds })
        .from(plans)
        .where(eq(plans.id, input.planId));
      // The plan's days the money pays for, pro rata (rounded down, at least one).
      const worth =
        plan && plan.priceMinor > 0n ? (total * BigInt(plan.durationSeconds)) / plan.priceMinor / DAY_SECONDS : 0n;
      return {
        held: held.map((h) => ({ kind: h.kind, account: h.account, amountMinor: h.amountMinor.toString() })),
        totalMinor: total.toString(),
        kinds: held.map((h) => h.kind),
        suggestedDays: Number(worth > 0n ? (worth > 3650n ? 3650n : worth) : 1n),
      };
    },

    /**
     * The admin's decision: moves everything the ledger holds for the invoice to where the decision
     * says (one posting, keyed by run and round, so a retry moves nothing more), with its audit row, in
     * one transaction; then the subscription effect (accept: the invoice counts as paid; extend: days).
     */
    async settleResolution(input: {
      invoiceId: string;
      userId: number;
      planId: string;
      currency: string;
      runId: string;
      round: number;
      kinds: ResolutionKind[];
      action: Exclude<ResolutionAction, { type: 'refundPaid' }>;
      by: ResolutionActor;
    }): Promise<{ amountMinor: string }> {
      const { action } = input;
      const malformed = inputRefusal(action);
      if (malformed) throw ApplicationFailure.nonRetryable(malformed, 'InvalidRequest');
      const key = `${resolutionKeys.settle(input.invoiceId, input.runId)}:${input.round}`;
      const target = resolutionAccounts.target(action, input.userId);
      const amountMinor = await db.transaction(async (tx) => {
        await lockAccount(tx, `resolution:${input.invoiceId}`);
        const [done] = await tx
          .select({ amount: ledgerEntries.amountMinor })
          .from(ledgerEntries)
          .where(and(eq(ledgerEntries.transactionKey, key), eq(ledgerEntries.account, target)));
        if (done) return -done.amount; // a retry of this very step
        const held = await heldFor(tx, input.invoiceId, input.userId, input.currency);
        const posting = settlePosting({
          key,
          currency: input.currency,
          held,
          target,
          kind: `resolution-${describe(action)}`,
          memo:
            action.type === 'writeoff'
              ? `invoice ${input.invoiceId} written off: ${action.reason}`
              : `invoice ${input.invoiceId} resolved: ${describe(action)}`,
        });
        const total = posting ? -posting.legs.at(-1)!.amountMinor : 0n;
        if (posting) await post(tx, posting);
        await tx.insert(auditLog).values({
          actor: input.by.actor,
          actorId: input.by.id ?? null,
          action: `resolution.${describe(action)}`,
          target: input.invoiceId,
          details: {
            kinds: input.kinds,
            amount: fromMinor(total, input.currency),
            currency: input.currency,
            from: held.map((h) => h.account),
            to: target,
            ...(action.type === 'credit' && action.mode === 'extend' ? { days: action.days } : {}),
            ...(action.type === 'writeoff' ? { reason: action.reason } : {}),
          },
        });
        await recordOnInvoice(tx, {
          invoiceId: input.invoiceId,
          key,
          by: input.by,
          note: `${decisionNote(action, fromMinor(total, input.currency), input.currency)} by ${actorName(input.by)}`,
          ...(action.type === 'accept' ? { status: 'paid' as const } : {}),
        });
        return total;
      });
      const by = input.by.id ?? 0;
      if (action.type === 'accept') await deps.workflows.invoicePaid(input.userId, input.planId, input.invoiceId);
      if (action.type === 'credit' && action.mode === 'extend')
        await deps.workflows.grant(input.userId, input.planId, action.days, by, key);
      return { amountMinor: amountMinor.toString() };
    },

    /** The refund went out: what the decision made payable leaves the platform, with the transaction in the memo. */
    async recordResolutionRefundPaid(input: {
      invoiceId: string;
      userId: number;
      currency: string;
      runId: string;
      round: number;
      txHash: string;
      by: ResolutionActor;
    }): Promise<{ amountMinor: string }> {
      const malformed = inputRefusal({ type: 'refundPaid', txHash: input.txHash });
      if (malformed) throw ApplicationFailure.nonRetryable(malformed, 'InvalidRequest');
      const settleKey = `${resolutionKeys.settle(input.invoiceId, input.runId)}:${input.round}`;
      const key = `${resolutionKeys.refundPaid(input.invoiceId, input.runId)}:${input.round}`;
      const refundAccount = accounts.userRefund(input.userId);
      return db.transaction(async (tx) => {
        await lockAccount(tx, `resolution:${input.invoiceId}`);
        const [payable] = await tx
          .select({ amount: ledgerEntries.amountMinor })
          .from(ledgerEntries)
          .where(and(eq(ledgerEntries.transactionKey, settleKey), eq(ledgerEntries.account, refundAccount)));
        const amount = payable ? -payable.amount : 0n;
        if (amount <= 0n)
          throw ApplicationFailure.nonRetryable(`Invoice ${input.invoiceId} has no refund payable`, 'InvalidRequest');
        const posted = await post(tx, {
          key,
          kind: 'resolution-refund-paid',
          currency: input.currency,
          legs: [
            { account: refundAccount, amountMinor: amount },
            { account: accounts.payoutsSent(), amountMinor: -amount },
          ],
          memo: `refund of invoice ${input.invoiceId} sent in ${input.txHash}`.slice(0, 200),
        });
        // A refund of money that paid for nothing (partial, late) leaves the invoice refunded; the
        // overpayment of a paid invoice leaves it paid (its subscription stands), with the note.
        const [row] = await tx
          .select({ status: invoices.status })
          .from(invoices)
          .where(eq(invoices.id, input.invoiceId));
        await recordOnInvoice(tx, {
          invoiceId: input.invoiceId,
          key,
          by: input.by,
          note: `refund of ${fromMinor(amount, input.currency)} ${input.currency} paid in ${input.txHash}`.slice(
            0,
            200,
          ),
          ...(row && !isSettledStatus(row.status) ? { status: 'refunded' as const } : {}),
        });
        // Audited with the posting, once (a retry of a committed step posts nothing and audits nothing).
        if (posted)
          await tx.insert(auditLog).values({
            actor: input.by.actor,
            actorId: input.by.id ?? null,
            action: 'resolution.refund-paid',
            target: input.invoiceId,
            details: { amount: fromMinor(amount, input.currency), currency: input.currency, txHash: input.txHash },
          });
        return { amountMinor: amount.toString() };
      });
    },
  };
}
