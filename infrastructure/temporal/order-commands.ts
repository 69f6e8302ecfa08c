/**
 * The edges' side of marketplace orders: open one (Buy), tell a delivery about the first download,
 * and let ops replay a failed delivery. The order and delivery workflows own every state change.
 * Refunds, disputes and the escrow's views are in escrow-commands.ts.
 */
import { randomInt } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import { newInvoiceId } from '../../domain/invoice';
import { newOrderId, OWNED_ORDER_STATUSES } from '../../domain/order';
import { isVisibleInCatalog } from '../../domain/product';
import { STARS_CURRENCY, type Rail } from '../../domain/rail';
import { cancelInvoiceUpdate } from '../../workflows/invoice';
import {
  deliveryStateQuery,
  downloadedSignal,
  replayDeliverySignal,
  type DeliveryView,
} from '../../workflows/delivery';
import type { orderWorkflow } from '../../workflows/order';
import { deliveryWorkflowId, orderWorkflowId } from '../../workflows/order-events';
import { OrderId, PaymentProvider, ProcessStatus, SellerId, TelegramUserId } from '../../workflows/search-attributes';
import { selectedPromo } from '../catalog/promos';
import { publicLink, type Config } from '../config';
import type { Database } from '../db/client';
import { invoices, orders, products } from '../db/schema';
import { InvoiceInProgressError, invoiceTimings, priceOnRail } from './pricing';

/** The product is not sold now (hidden, deleted, under review) or does not exist. */
export class ProductUnavailableError extends Error {
  constructor(productId: string) {
    super(`Product "${productId}" is not for sale`);
    this.name = 'ProductUnavailableError';
  }
}

/** The buyer owns the product already: the edge opens their library instead of charging again. */
export class ProductOwnedError extends Error {
  constructor(readonly orderId: string) {
    super(`The product is already owned (order ${orderId})`);
    this.name = 'ProductOwnedError';
  }
}

/** Sellers do not buy their own products. */
export class OwnProductError extends Error {
  constructor(productId: string) {
    super(`Product "${productId}" is the buyer's own`);
    this.name = 'OwnProductError';
  }
}

export class UnknownOrderError extends Error {
  constructor(orderId: string) {
    super(`There is no order ${orderId}`);
    this.name = 'UnknownOrderError';
  }
}

/** What a replay did: tried again (and how that went), or why there was nothing to replay. */
export type ReplayOutcome =
  | { replayed: true; delivery: DeliveryView }
  | { replayed: false; reason: 'already-delivered' | 'in-progress' | 'not-paid' | 'refunded' };

const REPLAY_WAIT_MS = 60_000;

export function createOrderCommands(deps: {
  client: Client;
  db: Database;
  config: Pick<Config, 'temporal' | 'invoice' | 'rails' | 'cryptocloud' | 'nowpayments' | 'orders' | 'api'>;
}) {
  const { client, db, config } = deps;
  const taskQueue = config.temporal.taskQueue;

  /** The buyer's open order of this product, with its invoice's coin. */
  const openOrderOf = async (buyerId: number, productId: string) => {
    const [found] = await db
      .select({ order: orders, payCurrency: invoices.payCurrency })
      .from(orders)
      .leftJoin(invoices, eq(invoices.id, orders.invoiceId))
      .where(and(eq(orders.buyerId, buyerId), eq(orders.productId, productId), eq(orders.status, 'awaiting_payment')));
    return found;
  };

  /** Closes an open order row whose invoice was cancelled (or whose workflow ended), so a new one can open. */
  const closeOpenRow = (orderId: string) =>
    db
      .update(orders)
      .set({ status: 'cancelled', updatedAt: new Date() })
      .where(and(eq(orders.id, orderId), eq(orders.status, 'awaiting_payment')));

  const startOrder = (order: typeof orders.$inferSelect, payCurrency: string | undefined, promoCode?: string) => {
    const amountMinor = order.rail === 'stars' ? BigInt(order.priceStars ?? 0) : (order.priceMinor ?? 0n);
    return client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
      workflowId: orderWorkflowId(order.id),
      taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [
        {
          orderId: order.id,
          buyerId: order.buyerId,
          productId: order.productId,
          sellerId: order.sellerId,
          rail: order.rail,
          invoice: {
            invoiceId: order.invoiceId!,
            userId: order.buyerId,
            orderId: order.id,
            productId: order.productId,
            sellerId: order.sellerId,
            provider: order.rail,
            ...(payCurrency ? { payCurrency } : {}),
            ...(promoCode ? { promoCode } : {}),
            amountMinor: amountMinor.toString(),
            currency: order.rail === 'stars' ? STARS_CURRENCY : order.currency!,
            ...invoiceTimings(config),
          },
          delivery: {
            orderId: order.id,
            downloadPageUrl: publicLink(config.api.publicUrl, `miniapp/download?order=${order.id}`),
            maxDocumentBytes: config.orders.maxDocumentBytes,
            reminderAfterMs: config.orders.downloadReminderMs,
            maxAttempts: config.orders.deliveryAttempts,
          },
          escrow: { holdMs: config.orders.escrowHoldMs, feeBps: config.orders.feeBps },
        },
      ],
      typedSearchAttributes: [
        { key: OrderId, value: order.id },
        { key: TelegramUserId, value: order.buyerId },
        { key: SellerId, value: order.sellerId },
        { key: PaymentProvider, value: order.rail },
        { key: ProcessStatus, value: 'awaiting_payment' },
      ],
    });
  };

  /** Where a delivery stands; undefined when its workflow is gone (it finished long ago) or never ran. */
  async function deliveryState(orderId: string): Promise<DeliveryView | undefined> {
    try {
      return await client.workflow.getHandle(deliveryWorkflowId(orderId)).query(deliveryStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  return {
    /**
     * Buy: the buyer's open order of this product on this rail (and coin), or a new one at today's
     * price. The partial unique index `orders_one_open` makes two taps meet on one row, and the
     * workflow id `order:<orderId>` (USE_EXISTING) on one workflow. An open order on another rail is
     * replaced once its invoice is really cancelled; an owned product is refused (ProductOwnedError).
     */
    async openOrder({
      buyerId,
      productId,
      rail,
      payCurrency,
    }: {
      buyerId: number;
      productId: string;
      rail: Rail;
      payCurrency?: string;
    }): Promise<{ orderId: string; invoiceId: string; reused: boolean }> {
      const [product] = await db.select().from(products).where(eq(products.id, productId));
      if (!product || !isVisibleInCatalog(product)) throw new ProductUnavailableError(productId);
      if (product.sellerId === buyerId) throw new OwnProductError(productId);
      const [owned] = await db
        .select({ id: orders.id })
        .from(orders)
        .where(
          and(
            eq(orders.buyerId, buyerId),
            eq(orders.productId, productId),
            inArray(orders.status, [...OWNED_ORDER_STATUSES]),
          ),
        );
      if (owned) throw new ProductOwnedError(owned.id);
      const coin = rail === 'nowpayments' ? payCurrency : undefined;
      const price = priceOnRail(config, product, rail, coin);
      const promo = await selectedPromo(db, buyerId);

      for (let attempt = 0; attempt < 5; attempt++) {
        const open = await openOrderOf(buyerId, productId);
        if (open && open.order.rail === rail && (open.payCurrency ?? undefined) === coin) {
          try {
            await startOrder(open.order, coin, promo?.code);
            return { orderId: open.order.id, invoiceId: open.order.invoiceId!, reused: true };
          } catch (error) {
            // Its workflow ended without closing the row (it failed): close it and open a new one.
            if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
            await closeOpenRow(open.order.id);
            continue;
          }
        }
        if (open) {
          // Another rail or coin: the unpaid invoice is cancelled first (one open order per product).
          const state = await client.workflow
            .getHandle(`invoice:${open.order.invoiceId}`)
            .executeUpdate(cancelInvoiceUpdate, { args: [{ by: `user:${buyerId}:switch-rail` }] })
            .catch((error: unknown) => {
              if (error instanceof WorkflowNotFoundError) return 'cancelled' as const;
              throw error;
            });
          if (state !== 'cancelled' && state !== 'expired') throw new InvoiceInProgressError(open.order.invoiceId!);
          await closeOpenRow(open.order.id);
          continue;
        }
        const [inserted] = await db
          .insert(orders)
          .values({
            id: newOrderId(),
            buyerId,
            productId,
            sellerId: product.sellerId,
            rail,
            invoiceId: newInvoiceId(buyerId, 'order', () => randomInt(0, 36) / 36),
            ...(rail === 'stars'
              ? { priceStars: Number(price.amountMinor) }
              : { priceMinor: price.amountMinor, currency: price.currency }),
          })
          .onConflictDoNothing()
          .returning();
        if (!inserted) continue; // another tap opened it first: take that one
        await startOrder(inserted, coin, promo?.code);
        return { orderId: inserted.id, invoiceId: inserted.invoiceId!, reused: false };
      }
      throw new Error(`could not open an order for buyer ${buyerId} and product ${productId}`);
    },

    /** The buyer's first download: the delivery stops waiting to remind them (gone: nothing to stop). */
    async orderDownloaded(orderId: string): Promise<void> {
      try {
        await client.workflow.getHandle(deliveryWorkflowId(orderId)).signal(downloadedSignal);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    },

    deliveryState,

    /**
     * Ops: sends a failed delivery again by signal, and waits for that try's outcome. The workflow
     * counts one try per replay while failed and ignores replays once delivered, so repeating this,
     * or running it twice at once, never sends twice.
     */
    async replayOrderDelivery(orderId: string, by: string): Promise<ReplayOutcome> {
      const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
      if (!order) throw new UnknownOrderError(orderId);
      const handle = client.workflow.getHandle(deliveryWorkflowId(orderId));
      // A purchase refunded before it reached the buyer is not theirs any more.
      if (order.status === 'refunded') return { replayed: false, reason: 'refunded' };
      const before = await deliveryState(orderId);
      if (!before || before.stage !== 'failed') {
        if (order.status === 'awaiting_payment' || order.status === 'expired' || order.status === 'cancelled')
          return { replayed: false, reason: 'not-paid' };
        return { replayed: false, reason: before?.stage === 'delivering' ? 'in-progress' : 'already-delivered' };
      }
      await handle.signal(replayDeliverySignal, { by });
      const until = Date.now() + REPLAY_WAIT_MS;
      for (;;) {
        const now = await deliveryState(orderId);
        if (now && now.tries > before.tries && now.stage !== 'delivering') return { replayed: true, delivery: now };
        if (Date.now() > until) return { replayed: false, reason: 'in-progress' };
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  };
}
