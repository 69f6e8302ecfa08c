/**
 * Side effects of the order and delivery workflows: the `orders` read model, the seller's sale
 * notice and the buyer's delivery message (through the once-only outbox of notifications.ts).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, desc, eq, sql } from 'drizzle-orm';
import { libraryDownloadData } from '../bot/keyboards/callback-data';
import { formatMoney } from '../domain/money';
import { deliveryMessageKey } from '../domain/order';
import { orders, productFiles, products } from '../infrastructure/db/schema';
import type { ActivityDeps } from './deps';
import { createNotificationActivities, type Delivery } from './notifications';
import { createSellerAlertActivities } from './seller-alerts';

export interface DeliveryOptions {
  orderId: string;
  /** The download Mini App of this order (`/miniapp/download?order=`). */
  downloadPageUrl: string;
  /** Files up to this size also come as a document in the chat (the Bot API's upload limit is 50 MB). */
  maxDocumentBytes: number;
}

export function createOrderActivities(deps: ActivityDeps) {
  const notifications = createNotificationActivities(deps);
  const notifyUser = (n: Parameters<typeof notifications.notifyUser>[0]) => notifications.notifyUser(n);
  const sellerAlerts = createSellerAlertActivities(deps);

  const orderOf = async (orderId: string) => {
    const [row] = await deps.db
      .select({ order: orders, title: products.title })
      .from(orders)
      .innerJoin(products, eq(products.id, orders.productId))
      .where(eq(orders.id, orderId));
    if (!row) throw ApplicationFailure.nonRetryable(`There is no order ${orderId}`, 'InvalidRequest');
    return row;
  };

  return {
    /**
     * The invoice settled: the buyer owns the product from now on, and the product counts one sale.
     * Conditional on `awaiting_payment`, so a retry changes nothing.
     */
    async recordOrderPaid({ orderId, invoiceId }: { orderId: string; invoiceId: string }) {
      await deps.db.transaction(async (tx) => {
        const [paid] = await tx
          .update(orders)
          .set({ status: 'paid', invoiceId, paidAt: new Date(), updatedAt: new Date() })
          .where(and(eq(orders.id, orderId), eq(orders.status, 'awaiting_payment')))
          .returning({ productId: orders.productId });
        if (paid)
          await tx
            .update(products)
            .set({ salesCount: sql`${products.salesCount} + 1` })
            .where(eq(products.id, paid.productId));
      });
    },

    /** The invoice closed unpaid: the order is over and owned nothing. */
    async recordOrderClosed({ orderId, status }: { orderId: string; status: 'expired' | 'cancelled' }) {
      await deps.db
        .update(orders)
        .set({ status, updatedAt: new Date() })
        .where(and(eq(orders.id, orderId), eq(orders.status, 'awaiting_payment')));
    },

    /**
     * Tells the seller about the sale, once per order: in Telegram, and by email to the address they
     * gave with /alerts (once per order too; a refused address is logged, the sale goes on).
     */
    async notifySellerOfSale({ orderId }: { orderId: string }): Promise<Delivery> {
      const { order, title } = await orderOf(orderId);
      const price =
        order.rail === 'stars'
          ? `⭐ ${order.priceStars ?? 0}`
          : formatMoney(order.priceMinor ?? 0n, order.currency ?? '');
      const vars = { title, price, orderId };
      const told = await notifyUser({
        key: `${orderId}:sold`,
        userId: order.sellerId,
        message: 'order-sold-seller',
        vars,
      });
      await sellerAlerts.emailSellerAlert({
        sellerId: order.sellerId,
        alert: 'sale',
        key: `${orderId}:sold`,
        subject: 'email-sale-subject',
        text: 'email-sale-text',
        vars,
      });
      return told;
    },

    /**
     * Sends the buyer the delivery message once: the product, Download buttons (the download page, a
     * fresh link), and the file itself when it is small enough for the Bot API. `blocked` and
     * `refused` come back as results (the workflow shows them as failed); a 429 or 5xx is thrown, so
     * the activity's retry policy waits and tries again. A delivered order is recorded `delivered`.
     */
    async deliverOrder(options: DeliveryOptions): Promise<Delivery> {
      const { order, title } = await orderOf(options.orderId);
      // Refunded before it reached the buyer (say the chat was blocked): nothing to deliver any more.
      if (order.status === 'refunded') return { delivered: false, reason: 'refused' };
      const [file] = await deps.db
        .select()
        .from(productFiles)
        .where(
          and(
            eq(productFiles.productId, order.productId),
            eq(productFiles.role, 'file'),
            eq(productFiles.state, 'stored'),
          ),
        )
        .orderBy(desc(productFiles.createdAt))
        .limit(1);
      const asDocument = file !== undefined && file.sizeBytes <= options.maxDocumentBytes;
      const result = await notifyUser({
        key: deliveryMessageKey(options.orderId),
        userId: order.buyerId,
        message: asDocument ? 'order-delivered-document' : 'order-delivered',
        vars: { title, fileName: file?.originalName ?? '—', size: fileSize(file?.sizeBytes ?? 0) },
        buttons: downloadButtons(options),
        ...(asDocument ? { document: { objectKey: file.objectKey, fileName: file.originalName } } : {}),
      });
      if (result.delivered || result.reason === 'already-sent')
        await deps.db
          .update(orders)
          .set({ status: 'delivered', deliveredAt: sql`coalesce(${orders.deliveredAt}, now())`, updatedAt: new Date() })
          .where(and(eq(orders.id, options.orderId), eq(orders.status, 'paid')));
      return result;
    },

    /** Nothing downloaded a while after delivery: one reminder with the same buttons. */
    async remindUndownloaded(options: DeliveryOptions): Promise<Delivery> {
      const { order, title } = await orderOf(options.orderId);
      if (order.status === 'refunded') return { delivered: false, reason: 'refused' };
      return notifyUser({
        key: `${options.orderId}:download-reminder`,
        userId: order.buyerId,
        message: 'order-download-reminder',
        vars: { title },
        buttons: downloadButtons(options),
      });
    },
  };
}

/** Under the delivery and its reminder: the download page, and a fresh single-use link (bot/features/library.ts). */
const downloadButtons = (options: DeliveryOptions) => [
  { webApp: options.downloadPageUrl, message: 'order-download-page-button' },
  { callback: libraryDownloadData.pack({ orderId: options.orderId }), message: 'order-download-link-button' },
];

/** A size as buyers read it: kilobytes under a megabyte, else megabytes with one decimal. */
function fileSize(bytes: number): string {
  if (bytes < 1_048_576) return `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
  const tenths = Math.round(bytes / 104_857.6);
  return `${Math.trunc(tenths / 10)}.${tenths % 10} MB`;
}
