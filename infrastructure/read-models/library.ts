/**
 * A buyer's library: every product they own (an order paid or delivered), newest purchase first, a
 * page at a time. Products the seller hid or deleted since stay here: a purchase is kept for good.
 * A refunded purchase stays listed too, marked refunded (no longer theirs to download), and each
 * item says whether a dispute was opened on it.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { OWNED_ORDER_STATUSES, type DisputeStatus } from '../../domain/order';
import type { Database } from '../db/client';
import { disputes, orders, products, sellers } from '../db/schema';

export interface LibraryItem {
  orderId: string;
  productId: string;
  title: string;
  shopName: string;
  paidAt: Date;
  downloadCount: number;
  /** The seller removed it from the catalog; the buyer keeps it. */
  removedFromCatalog: boolean;
  /** Refunded: the buyer owns it no more. */
  refunded: boolean;
  dispute: DisputeStatus | null;
}

const LISTED_STATUSES = [...OWNED_ORDER_STATUSES, 'refunded'] as const;

export async function libraryOf(
  db: Pick<Database, 'select'>,
  buyerId: number,
  page: { limit: number; offset: number },
): Promise<{ items: LibraryItem[]; total: number }> {
  const listed = and(eq(orders.buyerId, buyerId), inArray(orders.status, [...LISTED_STATUSES]));
  const rows = await db
    .select({
      orderId: orders.id,
      productId: products.id,
      title: products.title,
      shopName: sellers.displayName,
      paidAt: orders.paidAt,
      downloadCount: orders.downloadCount,
      removedFromCatalog: sql<boolean>`${products.deletedAt} is not null`,
      refunded: sql<boolean>`${orders.status} = 'refunded'`,
      dispute: disputes.status,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(orders)
    .innerJoin(products, eq(products.id, orders.productId))
    .innerJoin(sellers, eq(sellers.userId, orders.sellerId))
    .leftJoin(disputes, eq(disputes.orderId, orders.id))
    .where(listed)
    .orderBy(desc(orders.paidAt), desc(orders.id))
    .limit(page.limit)
    .offset(page.offset);
  return {
    items: rows.map(({ total: _total, paidAt, ...item }) => ({ ...item, paidAt: paidAt! })),
    total: rows[0]?.total ?? 0,
  };
}
