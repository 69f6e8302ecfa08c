/**
 * Read model of the escrow for admins (`/escrow`): sales still held, the soonest release first,
 * and disputes waiting for a decision. What is held is the ledger's (the sum of each sale's entries
 * on the sellers' held accounts), the disputes are the `disputes` rows, never a Temporal query per
 * sale. The release time is the order's payment time + ESCROW_HOLD, as the escrow workflow sets it.
 */
import { and, asc, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { disputes, ledgerEntries, orders, products, sellers } from '../db/schema';

type Reader = Pick<Database, 'select' | '$with' | 'with'>;

export interface HeldSale {
  orderId: string;
  title: string;
  sellerId: number;
  shop: string;
  currency: string;
  /** The seller's part still held (the price less the platform's fee). */
  heldMinor: bigint;
  releaseAt: Date;
}

export interface OpenDispute {
  orderId: string;
  title: string;
  sellerId: number;
  shop: string;
  buyerId: number;
  currency: string;
  heldMinor: bigint;
  reason: string;
  openedAt: Date;
}

/** Each sale's held proceeds from the ledger: `escrow:<orderId>:*` postings on `seller:<id>:held`. */
function heldBySale(db: Reader) {
  return db.$with('held').as(
    db
      .select({
        orderId: sql<string>`split_part(${ledgerEntries.transactionKey}, ':', 2)`.as('held_order_id'),
        currency: ledgerEntries.currency,
        heldMinor: sql<string>`(-sum(${ledgerEntries.amountMinor}))::text`.as('held_minor'),
      })
      .from(ledgerEntries)
      .where(sql`${ledgerEntries.account} like 'seller:%:held'`)
      .groupBy(sql`1`, ledgerEntries.currency)
      .having(sql`sum(${ledgerEntries.amountMinor}) <> 0`),
  );
}

/**
 * Held sales without an open dispute (those wait for an admin, not the timer) whose release is
 * still ahead, the soonest first; and how many are past their release time yet held (the timer
 * fired with no worker to run it, or a release keeps failing): something for ops to look at.
 */
export async function salesReleasingSoon(
  db: Reader,
  options: { limit: number; holdMs: number; now?: number },
): Promise<{ sales: HeldSale[]; overdue: number }> {
  const held = heldBySale(db);
  // Released after paid_at + hold: the hold ends in the future for sales paid after this moment.
  const cutoff = new Date((options.now ?? Date.now()) - options.holdMs);
  const undisputed = (inHold: boolean) =>
    db
      .with(held)
      .select({
        orderId: held.orderId,
        currency: held.currency,
        heldMinor: held.heldMinor,
        paidAt: orders.paidAt,
        title: products.title,
        sellerId: orders.sellerId,
        shop: sellers.displayName,
        total: sql<number>`count(*) over ()`.mapWith(Number),
      })
      .from(held)
      .innerJoin(orders, eq(orders.id, held.orderId))
      .innerJoin(products, eq(products.id, orders.productId))
      .innerJoin(sellers, eq(sellers.userId, orders.sellerId))
      .leftJoin(disputes, and(eq(disputes.orderId, orders.id), eq(disputes.status, 'open')))
      .where(and(isNull(disputes.orderId), inHold ? gt(orders.paidAt, cutoff) : lte(orders.paidAt, cutoff)))
      .orderBy(asc(orders.paidAt), asc(orders.id));
  const [rows, overdue] = await Promise.all([undisputed(true).limit(options.limit), undisputed(false).limit(1)]);
  return {
    sales: rows.map(({ paidAt, heldMinor, total: _total, ...row }) => ({
      ...row,
      heldMinor: BigInt(heldMinor),
      releaseAt: new Date((paidAt?.getTime() ?? 0) + options.holdMs),
    })),
    overdue: overdue[0]?.total ?? 0,
  };
}

/** Disputes waiting for a decision, the oldest first, with what their sale holds. */
export async function openDisputes(db: Reader, options: { limit: number }): Promise<OpenDispute[]> {
  const held = heldBySale(db);
  const rows = await db
    .with(held)
    .select({
      orderId: disputes.orderId,
      title: products.title,
      sellerId: disputes.sellerId,
      shop: sellers.displayName,
      buyerId: disputes.buyerId,
      currency: sql<string>`coalesce(${held.currency}, ${disputes.currency}, '')`,
      heldMinor: sql<string>`coalesce(${held.heldMinor}, '0')`,
      reason: disputes.reason,
      openedAt: disputes.openedAt,
    })
    .from(disputes)
    .innerJoin(orders, eq(orders.id, disputes.orderId))
    .innerJoin(products, eq(products.id, orders.productId))
    .innerJoin(sellers, eq(sellers.userId, disputes.sellerId))
    .leftJoin(held, eq(held.orderId, disputes.orderId))
    .where(eq(disputes.status, 'open'))
    .orderBy(asc(disputes.openedAt), asc(disputes.orderId))
    .limit(options.limit);
  return rows.map(({ heldMinor, ...row }) => ({ ...row, heldMinor: BigInt(heldMinor) }));
}
