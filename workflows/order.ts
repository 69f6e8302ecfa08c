/**
 * Order workflow (`order:<orderId>`): one buyer buying one product at the price it had when they
 * pressed Buy. It starts the invoice on the chosen rail as a child, waits until the invoice settles
 * or closes unpaid, then records the sale, starts the delivery (`delivery:<orderId>`) and tells the
 * seller. The sale's money is posted by the invoice to the order's escrow account in the same
 * transaction that records it paid, so there is one sale in the ledger however often anything repeats.
 */
import {
  condition,
  defineQuery,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { DeliveryOptions } from '../activities/orders';
import { SETTLED, type InvoiceState } from '../domain/invoice';
import type { Rail } from '../domain/rail';
import { deliveryWorkflow } from './delivery';
import { escrowWorkflow } from './escrow';
import { invoiceWorkflow, type InvoiceInput } from './invoice';
import { deliveryWorkflowId, escrowWorkflowId, invoiceClosedSignal } from './order-events';
import { InvoiceId, OrderId, PaymentProvider, ProcessStatus, SellerId, TelegramUserId } from './search-attributes';

export interface OrderInput {
  orderId: string;
  buyerId: number;
  productId: string;
  sellerId: number;
  rail: Rail;
  /** The invoice the order starts, its price the order's snapshot (with `orderId` set). */
  invoice: InvoiceInput;
  delivery: DeliveryOptions & {
    /** Remind the buyer once if nothing was downloaded this long after delivery. */
    reminderAfterMs: number;
    /** Attempts at the delivery message (429s and 5xx wait and retry) before it shows `failed`. */
    maxAttempts: number;
  };
  /**
   * The sale's escrow (ESCROW_HOLD, MARKETPLACE_FEE_BPS): held this long, then released to the
   * seller less the platform's fee. Orders started without it (before escrow) start no escrow.
   */
  escrow?: { holdMs: number; feeBps: number };
}

export type OrderStage = 'awaiting_payment' | 'paid' | 'expired' | 'cancelled' | 'needs_review';

export interface OrderView {
  orderId: string;
  invoiceId: string;
  stage: OrderStage;
}

export const orderStateQuery = defineQuery<OrderView>('orderState');

const { recordOrderPaid, recordOrderClosed, notifySellerOfSale } = proxyActivities<ReturnType<typeof createActivities>>(
  {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  },
);

/** A short, idempotent write of this database: inside the workflow task, no round trip to the server. */
const local = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function orderWorkflow(input: OrderInput): Promise<OrderView> {
  const invoiceId = input.invoice.invoiceId;
  let stage: OrderStage = 'awaiting_payment';
  let closed: InvoiceState | undefined;
  setHandler(invoiceClosedSignal, ({ state }) => {
    closed ??= state;
  });
  setHandler(orderStateQuery, () => ({ orderId: input.orderId, invoiceId, stage }));

  // Abandoned, not terminated, when the order ends: a paid invoice still watches for late money.
  const invoice = await startChild(invoiceWorkflow, {
    workflowId: `invoice:${invoiceId}`,
    args: [{ ...input.invoice, orderId: input.orderId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [
      { key: TelegramUserId, value: input.buyerId },
      { key: InvoiceId, value: invoiceId },
      { key: OrderId, value: input.orderId },
      { key: PaymentProvider, value: input.rail },
      { key: ProcessStatus, value: 'pending' },
    ],
  });
  // The invoice signals as soon as it closes; its end is the fallback (it failed, or never signalled).
  let ended: InvoiceState | undefined;
  invoice.result().then(
    (result) => void (ended = result.state),
    () => void (ended = 'cancelled'),
  );
  await condition(() => closed !== undefined || ended !== undefined);
  const outcome = closed ?? ended!;

  if (!SETTLED.has(outcome)) {
    stage = outcome === 'needs_review' ? 'needs_review' : outcome === 'expired' ? 'expired' : 'cancelled';
    upsertSearchAttributes([{ key: ProcessStatus, value: stage }]);
    // needs_review: partly paid; an admin resolves the money (resolution workflow), the order owned nothing.
    await recordOrderClosed({ orderId: input.orderId, status: stage === 'expired' ? 'expired' : 'cancelled' });
    return { orderId: input.orderId, invoiceId, stage };
  }

  // Since `delivery-beside-escrow`: the paid row is written inside the workflow task, and the
  // delivery starts beside the escrow rather than after it: the buyer waits for neither.
  const fast = patched('delivery-beside-escrow');
  if (fast) await local.recordOrderPaid({ orderId: input.orderId, invoiceId });
  else await recordOrderPaid({ orderId: input.orderId, invoiceId });
  stage = 'paid';
  upsertSearchAttributes([{ key: ProcessStatus, value: stage }]);
  // Since `escrow`: the sale waits in escrow for the hold, then goes to the seller less the fee.
  const escrow = patched('escrow') && input.escrow ? input.escrow : undefined;
  const startEscrow = async () => {
    if (!escrow) return;
    await startChild(escrowWorkflow, {
      workflowId: escrowWorkflowId(input.orderId),
      args: [
        {
          orderId: input.orderId,
          invoiceId,
          rail: input.rail,
          sellerId: input.sellerId,
          buyerId: input.buyerId,
          currency: input.invoice.currency,
          holdMs: escrow.holdMs,
          feeBps: escrow.feeBps,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: OrderId, value: input.orderId },
        { key: SellerId, value: input.sellerId },
        { key: TelegramUserId, value: input.buyerId },
        { key: ProcessStatus, value: 'held' },
      ],
    });
  };
  const { reminderAfterMs, maxAttempts, ...options } = input.delivery;
  const startDelivery = async () => {
    await startChild(deliveryWorkflow, {
      workflowId: deliveryWorkflowId(input.orderId),
      args: [{ orderId: input.orderId, options, reminderAfterMs, maxAttempts }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: TelegramUserId, value: input.buyerId },
        { key: OrderId, value: input.orderId },
        { key: SellerId, value: input.sellerId },
        { key: ProcessStatus, value: 'delivering' },
      ],
    });
  };
  if (fast) await Promise.all([startDelivery(), startEscrow()]);
  else {
    await startEscrow();
    await startDelivery();
  }
  await notifySellerOfSale({ orderId: input.orderId });
  return { orderId: input.orderId, invoiceId, stage };
}
