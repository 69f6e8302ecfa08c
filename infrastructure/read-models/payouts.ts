/**
 * Read model of payout requests (`payout_requests`, written by the payout workflow's activities at
 * each step), for the admins' /payouts: what waits for them, oldest first. Visibility in Temporal
 * is only eventually consistent; this table is current as soon as a step is recorded.
 */
import { asc, count, inArray } from 'drizzle-orm';
import type { PayoutStatus } from '../../domain/payout';
import type { Database } from '../db/client';
import { payoutRequests } from '../db/schema';

type Reader = Pick<Database, 'select'>;

/** Waiting for an admin: to be approved (or rejected), or approved and waiting to be marked paid. */
export const PENDING_PAYOUT_STATUSES = ['requested', 'approved'] as const satisfies readonly PayoutStatus[];

export type PendingPayout = Pick<
  typeof payoutRequests.$inferSelect,
  'id' | 'source' | 'requesterId' | 'amountMinor' | 'currency' | 'network' | 'wallet' | 'status' | 'requestedAt'
>;

export async function pendingPayouts(db: Reader, limit: number): Promise<{ total: number; shown: PendingPayout[] }> {
  const pending = inArray(payoutRequests.status, [...PENDING_PAYOUT_STATUSES]);
  const [[total], shown] = await Promise.all([
    db.select({ n: count() }).from(payoutRequests).where(pending),
    db
      .select({
        id: payoutRequests.id,
        source: payoutRequests.source,
        requesterId: payoutRequests.requesterId,
        amountMinor: payoutRequests.amountMinor,
        currency: payoutRequests.currency,
        network: payoutRequests.network,
        wallet: payoutRequests.wallet,
        status: payoutRequests.status,
        requestedAt: payoutRequests.requestedAt,
      })
      .from(payoutRequests)
      .where(pending)
      .orderBy(asc(payoutRequests.requestedAt), asc(payoutRequests.id))
      .limit(limit),
  ]);
  return { total: total?.n ?? 0, shown };
}
