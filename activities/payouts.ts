/**
 * Side effects of the payout workflow (`payout:<payoutId>`): the reservation that makes a request
 * safe against double spending, the admin decisions, the payout_requests read model and the ledger.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray } from 'drizzle-orm';
import { fromMinor } from '../domain/money';
import {
  paidPosting,
  payoutAccounts,
  payoutKeys,
  releasePosting,
  reservePosting,
  type PayoutMoney,
  type PayoutSource,
  type PayoutStatus,
} from '../domain/payout';
import { auditLog, ledgerEntries, payoutRequests } from '../infrastructure/db/schema';
import { owedOn } from '../infrastructure/read-models/balances';
import { lockAccount } from './balances';
import type { ActivityDeps } from './deps';
import { post } from './ledger';

export interface PayoutFacts {
  payoutId: string;
  source: PayoutSource;
  requesterId: number;
  /** Minor units as a decimal string (workflow data is JSON). */
  amountMinor: string;
  currency: string;
  network: string;
  wallet: string;
}

export type Reservation =
  | { accepted: true; availableAfterMinor: string }
  | { accepted: false; reason: 'insufficient_balance'; availableMinor: string };

/**
 * An admin's decision. `expectedStatus`: the state the admin saw when deciding (a button on a
 * request); the decision is refused if the payout has moved on since, so two admins pressing
 * Approve and Reject at once get one outcome, not an approval undone a moment later.
 */
export type PayoutDecision = (
  | { action: 'approve'; by: number }
  | { action: 'reject'; by: number; reason: string }
  | { action: 'markPaid'; by: number; txHash: string }
) & { expectedStatus?: PayoutStatus };

const money = (p: PayoutFacts): PayoutMoney => ({
  payoutId: p.payoutId,
  source: p.source,
  requesterId: p.requesterId,
  amountMinor: BigInt(p.amountMinor),
  currency: p.currency,
});

export function createPayoutActivities(deps: ActivityDeps) {
  const { db } = deps;

  return {
    /**
     * Moves the amount from available to reserved if, and only if, the available balance covers it.
     * The advisory lock on the account makes check-and-post atomic across concurrent requests;
     * a retry after success finds its own reservation and answers the same.
     */
    async reservePayout(p: PayoutFacts): Promise<Reservation> {
      const amount = BigInt(p.amountMinor);
      if (amount <= 0n) throw ApplicationFailure.nonRetryable(`Payout ${p.payoutId} has no amount`, 'InvalidRequest');
      const { available } = payoutAccounts(p.source, p.requesterId);
      return db.transaction(async (tx) => {
        await lockAccount(tx, available);
        const [mine] = await tx
          .select({ id: ledgerEntries.id })
          .from(ledgerEntries)
          .where(eq(ledgerEntries.transactionKey, payoutKeys.reserve(p.payoutId)))
          .limit(1);
        const balance = await owedOn(tx, available, p.currency);
        if (mine) return { accepted: true, availableAfterMinor: balance.toString() };
        if (balance < amount)
          return { accepted: false, reason: 'insufficient_balance', availableMinor: balance.toString() };
        await post(tx, reservePosting(money(p)));
        await tx
          .insert(payoutRequests)
          .values({
            id: p.payoutId,
            source: p.source,
            requesterId: p.requesterId,
            amountMinor: amount,
            currency: p.currency,
            network: p.network,
            wallet: p.wallet,
            status: 'requested',
          })
          .onConflictDoNothing();
        return { accepted: true, availableAfterMinor: (balance - amount).toString() };
      });
    },

    /** Records an admin decision with its money movement, once: reject releases, paid sends out. */
    async recordPayoutDecision({
      payout,
      decision,
    }: {
      payout: PayoutFacts;
      decision: PayoutDecision;
    }): Promise<{ status: PayoutStatus }> {
      const now = new Date();
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(payoutRequests)
          .where(eq(payoutRequests.id, payout.payoutId))
          .for('update');
        if (!row)
          throw ApplicationFailure.nonRetryable(`Payout ${payout.payoutId} was never reserved`, 'InvalidRequest');
        const target: PayoutStatus =
          decision.action === 'approve' ? 'approved' : decision.action === 'reject' ? 'rejected' : 'paid';
        if (row.status === target) return { status: target }; // a retry of this very step
        if (row.status === 'paid' || row.status === 'rejected') {
          throw ApplicationFailure.nonRetryable(`Payout ${payout.payoutId} is already ${row.status}`, 'InvalidRequest');
        }
        switch (decision.action) {
          case 'approve':
            await tx
              .update(payoutRequests)
              .set({ status: 'approved', decidedBy: decision.by, approvedAt: now })
              .where(eq(payoutRequests.id, payout.payoutId));
            break;
          case 'reject':
            await post(tx, releasePosting(money(payout)));
            await tx
              .update(payoutRequests)
              .set({ status: 'rejected', decidedBy: decision.by, reason: decision.reason, rejectedAt: now })
              .where(
                and(eq(payoutRequests.id, payout.payoutId), inArray(payoutRequests.status, ['requested', 'approved'])),
              );
            break;
          case 'markPaid':
            await post(tx, paidPosting(money(payout), decision.txHash));
            await tx
              .update(payoutRequests)
              .set({
                status: 'paid',
                decidedBy: decision.by,
                txHash: decision.txHash,
                paidAt: now,
                approvedAt: row.approvedAt ?? now,
              })
              .where(
                and(eq(payoutRequests.id, payout.payoutId), inArray(payoutRequests.status, ['requested', 'approved'])),
              );
            break;
        }
        await tx.insert(auditLog).values({
          actor: 'admin',
          actorId: decision.by,
          action: `payout.${decision.action}`,
          target: payout.payoutId,
          details: {
            amount: fromMinor(BigInt(payout.amountMinor), payout.currency),
            currency: payout.currency,
            ...(decision.action === 'reject' ? { reason: decision.reason } : {}),
            ...(decision.action === 'markPaid' ? { txHash: decision.txHash } : {}),
          },
        });
        return { status: target };
      });
    },
  };
}
