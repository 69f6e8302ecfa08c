/**
 * Side effects of the commission workflow (`commission:<invoiceId>`) and of invoice refunds: the
 * referral_commissions read model and the ledger, each step once per invoice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { isSettledStatus, SETTLED_INVOICE_STATES } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { fromMinor } from '../domain/money';
import { commissionOn, heldPosting, releasePosting, reversalPosting, type CommissionStatus } from '../domain/referral';
import { auditLog, invoices, ledgerEntries, referralCommissions, referrers, users } from '../infrastructure/db/schema';
import { lockAccount } from './balances';
import type { ActivityDeps } from './deps';
import { post } from './ledger';

/** What the commission workflow works from; amounts are decimal strings (workflow data is JSON). */
export interface CommissionFacts {
  invoiceId: string;
  referrerId: number;
  referredId: number;
  amountMinor: string;
  /** For messages: the amount in the currency's units, e.g. "1.50". */
  amount: string;
  currency: string;
  status: CommissionStatus;
  releaseAt: number;
  /** The invoice was refunded before this run could receive the refund signal. */
  invoiceRefunded: boolean;
}

export function createReferralActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Who earns on this invoice, if anyone: the payer was referred by a referrer who is active now. */
  async function eligibility(reader: Pick<ActivityDeps['db'], 'select'>, invoiceId: string) {
    const [row] = await reader
      .select({
        invoiceId: invoices.id,
        userId: invoices.userId,
        status: invoices.status,
        amountMinor: invoices.amountMinor,
        currency: invoices.currency,
        referrerId: users.referredBy,
        commissionBps: referrers.commissionBps,
        active: referrers.active,
      })
      .from(invoices)
      .innerJoin(users, eq(users.id, invoices.userId))
      .leftJoin(referrers, eq(referrers.userId, users.referredBy))
      .where(eq(invoices.id, invoiceId));
    if (!row) throw ApplicationFailure.nonRetryable(`Invoice ${invoiceId} does not exist`, 'InvalidRequest');
    if (row.referrerId === null || row.commissionBps === null || !row.active)
      return { ...row, eligible: false as const, why: 'not referred by an active referrer' };
    const amountMinor = commissionOn(row.amountMinor, row.commissionBps);
    if (amountMinor <= 0n) return { ...row, eligible: false as const, why: 'commission rounds to zero' };
    return {
      ...row,
      referrerId: row.referrerId,
      commissionBps: row.commissionBps,
      eligible: true as const,
      commissionMinor: amountMinor,
    };
  }

  const factsOf = (row: typeof referralCommissions.$inferSelect, invoiceRefunded: boolean): CommissionFacts => ({
    invoiceId: row.invoiceId,
    referrerId: row.referrerId,
    referredId: row.referredId,
    amountMinor: row.amountMinor.toString(),
    amount: fromMinor(row.amountMinor, row.currency),
    currency: row.currency,
    status: row.status,
    releaseAt: row.releaseAt.getTime(),
    invoiceRefunded,
  });

  const commissionOf = (row: typeof referralCommissions.$inferSelect) => ({
    invoiceId: row.invoiceId,
    referrerId: row.referrerId,
    amountMinor: row.amountMinor,
    currency: row.currency,
  });

  return {
    /**
     * Called by the invoice workflow once it has settled: starts `commission:<invoiceId>` when the
     * payer was referred. Starting twice finds the first run.
     */
    async startReferralCommission({
      invoiceId,
    }: {
      invoiceId: string;
    }): Promise<{ started: boolean; reason?: string }> {
      const found = await eligibility(db, invoiceId);
      if (!found.eligible) return { started: false, reason: found.why };
      await deps.workflows.startCommission(invoiceId, found.userId, found.referrerId);
      return { started: true };
    },

    /**
     * Fixes the commission (rate and amount at payment time) and posts it as held, in one transaction;
     * later runs of the workflow get the recorded row back. Null when nothing is earned.
     */
    async prepareCommission({
      invoiceId,
      holdMs,
    }: {
      invoiceId: string;
      holdMs: number;
    }): Promise<CommissionFacts | null> {
      return db.transaction(async (tx) => {
        const [invoice] = await tx.select({ status: invoices.status }).from(invoices).where(eq(invoices.id, invoiceId));
        const refunded = invoice?.status === 'refunded';
        const [existing] = await tx
          .select()
          .from(referralCommissions)
          .where(eq(referralCommissions.invoiceId, invoiceId));
        if (existing) return factsOf(existing, refunded);
        if (!invoice || !isSettledStatus(invoice.status)) return null; // unpaid, or refunded before anything was earned
        const found = await eligibility(tx, invoiceId);
        if (!found.eligible) return null;
        const now = new Date();
        const [row] = await tx
          .insert(referralCommissions)
          .values({
            invoiceId,
            referrerId: found.referrerId,
            referredId: found.userId,
            commissionBps: found.commissionBps,
            baseAmountMinor: found.amountMinor,
            amountMinor: found.commissionMinor,
            currency: found.currency,
            status: 'held',
            releaseAt: new Date(now.getTime() + holdMs),
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning();
        const recorded =
          row ?? (await tx.select().from(referralCommissions).where(eq(referralCommissions.invoiceId, invoiceId)))[0]!;
        await post(tx, heldPosting(commissionOf(recorded)));
        return factsOf(recorded, refunded);
      });
    },

    /** The hold is over: held → available, unless it was reversed meanwhile. */
    async releaseCommission({ invoiceId }: { invoiceId: string }): Promise<{ status: CommissionStatus }> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(referralCommissions)
          .where(eq(referralCommissions.invoiceId, invoiceId))
          .for('update');
        if (!row) throw ApplicationFailure.nonRetryable(`No commission on invoice ${invoiceId}`, 'InvalidRequest');
        if (row.status !== 'held') return { status: row.status };
        await post(tx, releasePosting(commissionOf(row)));
        await tx
          .update(referralCommissions)
          .set({ status: 'available', availableAt: new Date(), updatedAt: new Date() })
          .where(eq(referralCommissions.invoiceId, invoiceId));
        return { status: 'available' };
      });
    },

    /**
     * The payment was refunded: takes the commission back from held or, after the hold, from
     * available (which may go below zero if it was already paid out; later commissions cover it).
     */
    async reverseCommission({
      invoiceId,
    }: {
      invoiceId: string;
    }): Promise<{ status: CommissionStatus; from?: 'held' | 'available' }> {
      return db.transaction(async (tx) => {
        const [peek] = await tx
          .select({ referrerId: referralCommissions.referrerId })
          .from(referralCommissions)
          .where(eq(referralCommissions.invoiceId, invoiceId));
        if (!peek) throw ApplicationFailure.nonRetryable(`No commission on invoice ${invoiceId}`, 'InvalidRequest');
        // Same lock as payout reservations: a reversal from available and a payout never interleave.
        await lockAccount(tx, accounts.referrerAvailable(peek.referrerId));
        const [row] = await tx
          .select()
          .from(referralCommissions)
          .where(eq(referralCommissions.invoiceId, invoiceId))
          .for('update');
        if (!row || row.status === 'reversed') return { status: 'reversed' };
        await post(tx, reversalPosting(commissionOf(row), row.status));
        await tx
          .update(referralCommissions)
          .set({ status: 'reversed', reversedAt: new Date(), updatedAt: new Date() })
          .where(eq(referralCommissions.invoiceId, invoiceId));
        return { status: 'reversed', from: row.status };
      });
    },

    /**
     * Marks a paid invoice refunded (read model, audit, and the payment's reversal in the ledger),
     * once. The money itself goes back to the buyer outside the platform.
     */
    async markInvoiceRefunded({
      invoiceId,
      by,
      reason,
    }: {
      invoiceId: string;
      by: string;
      reason?: string;
    }): Promise<{ userId: number; amount: string; currency: string; alreadyRefunded: boolean }> {
      return db.transaction(async (tx) => {
        const now = new Date();
        const [updated] = await tx
          .update(invoices)
          .set({
            status: 'refunded',
            updatedAt: now,
            statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([{ status: 'refunded', at: now.toISOString(), source: `refund:${by}`, note: reason }])}::jsonb`,
          })
          .where(and(eq(invoices.id, invoiceId), inArray(invoices.status, [...SETTLED_INVOICE_STATES])))
          .returning();
        const row = updated ?? (await tx.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
        if (!row) throw ApplicationFailure.nonRetryable(`Invoice ${invoiceId} does not exist`, 'InvalidRequest');
        const result = {
          userId: row.userId,
          amount: fromMinor(row.amountMinor, row.currency),
          currency: row.currency,
          alreadyRefunded: !updated,
        };
        if (!updated) {
          if (row.status === 'refunded') return result;
          throw ApplicationFailure.nonRetryable(
            `Invoice ${invoiceId} is ${row.status}; only a paid invoice can be refunded`,
            'InvalidRequest',
          );
        }
        // What the invoice paid into revenue is reversed: the gateway's part (its payment, or the partial
        // money an admin accepted as paid) back through the gateway, a balance applied to it back to the balance.
        const paid = await tx
          .select({ kind: ledgerEntries.kind, sum: sql<string>`sum(${ledgerEntries.amountMinor})::text` })
          .from(ledgerEntries)
          .where(
            and(
              eq(ledgerEntries.account, accounts.revenue('subscriptions')),
              eq(ledgerEntries.currency, row.currency),
              or(
                inArray(ledgerEntries.transactionKey, [
                  `invoice:${invoiceId}:payment`,
                  `invoice:${invoiceId}:credit:consume`,
                ]),
                and(
                  sql`starts_with(${ledgerEntries.transactionKey}, ${`resolution:${invoiceId}:`})`,
                  eq(ledgerEntries.kind, 'resolution-accept'),
                ),
              ),
            ),
          )
          .groupBy(ledgerEntries.kind);
        const fromCredit = -BigInt(paid.find((p) => p.kind === 'credit-payment')?.sum ?? '0');
        const fromGateway = paid.filter((p) => p.kind !== 'credit-payment').reduce((sum, p) => sum - BigInt(p.sum), 0n);
        if (fromGateway + fromCredit > 0n)
          await post(tx, {
            key: `invoice:${invoiceId}:refund`,
            kind: 'refund',
            currency: row.currency,
            memo: reason?.slice(0, 200),
            legs: [
              { account: accounts.revenue('subscriptions'), amountMinor: fromGateway + fromCredit },
              ...(fromGateway > 0n ? [{ account: accounts.gateway(row.provider), amountMinor: -fromGateway }] : []),
              ...(fromCredit > 0n ? [{ account: accounts.userCredit(row.userId), amountMinor: -fromCredit }] : []),
            ],
          });
        await tx.insert(auditLog).values({
          actor: by,
          actorId: /^\d+$/.test(by) ? Number(by) : null,
          action: 'invoice.refund',
          target: invoiceId,
          details: { reason: reason ?? null },
        });
        return result;
      });
    },

    /** Tells `commission:<invoiceId>` about the refund when the payer was referred (starting a run if the last one ended). */
    async refundReferralCommission({
      invoiceId,
      by,
    }: {
      invoiceId: string;
      by: string;
    }): Promise<{ signalled: boolean }> {
      const [row] = await db
        .select({ referredBy: users.referredBy, recorded: referralCommissions.invoiceId })
        .from(invoices)
        .innerJoin(users, eq(users.id, invoices.userId))
        .leftJoin(referralCommissions, eq(referralCommissions.invoiceId, invoices.id))
        .where(eq(invoices.id, invoiceId));
      if (!row || (row.recorded === null && row.referredBy === null)) return { signalled: false };
      await deps.workflows.refundCommission(invoiceId, by);
      return { signalled: true };
    },
  };
}
