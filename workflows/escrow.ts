/**
 * Escrow workflow (`escrow:<orderId>`): a paid marketplace sale between payment and the seller's
 * money. Started by the order workflow once the order is recorded paid. It splits the order's escrow
 * into the platform's fee and the seller's held proceeds, waits out the hold on a durable timer, and
 * releases the proceeds to the seller, unless a `refund` signal comes inside the hold: then the
 * money goes back to the buyer (on the rail itself for Stars) and the order is refunded. Every
 * step is keyed by the order id, so a retry or a repeated signal moves money once.
 */
import {
  condition,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { EscrowStage } from '../domain/escrow';
import type { Rail } from '../domain/rail';
import { ProcessStatus } from './search-attributes';

export interface EscrowInput {
  orderId: string;
  invoiceId: string;
  rail: Rail;
  sellerId: number;
  buyerId: number;
  /** The sale's currency (XTR for Stars). */
  currency: string;
  /** From configuration (ESCROW_HOLD). */
  holdMs: number;
  /** From configuration (MARKETPLACE_FEE_BPS): the platform's commission in basis points. */
  feeBps: number;
}

export interface EscrowView {
  orderId: string;
  stage: EscrowStage;
  /** When the hold ends (the order's payment time + the hold). */
  releaseAt?: number;
  currency: string;
  priceMinor?: string;
  feeMinor?: string;
  heldMinor?: string;
  refundedBy?: string;
}

/** A refund inside the hold (from `refundOrder`): the sale goes back to the buyer, nothing is released. */
export const refundEscrowSignal = defineSignal<[{ by: string }]>('refund');
export const escrowStateQuery = defineQuery<EscrowView>('escrowState');

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function escrowWorkflow(input: EscrowInput): Promise<EscrowView> {
  const { orderId, sellerId } = input;
  let refundBy: string | undefined;
  let view: EscrowView = { orderId, stage: 'holding', currency: input.currency };
  const update = (stage: EscrowStage) => {
    view = { ...view, stage, ...(refundBy !== undefined && stage === 'refunded' ? { refundedBy: refundBy } : {}) };
    upsertSearchAttributes([{ key: ProcessStatus, value: stage }]);
  };
  setHandler(refundEscrowSignal, ({ by }) => {
    // Only inside the hold; the first refund counts, a repeat changes nothing.
    if (view.stage === 'holding' || view.stage === 'held') refundBy ??= by;
  });
  setHandler(escrowStateQuery, () => view);

  const facts = await acts.holdSale({
    orderId,
    sellerId,
    currency: input.currency,
    feeBps: input.feeBps,
    holdMs: input.holdMs,
  });
  view = { ...view, ...facts };
  update('held');

  // The hold is a durable timer: a worker restart does not shorten or lose it; a refund ends it early.
  await condition(() => refundBy !== undefined, Math.max(facts.releaseAt - Date.now(), 1));

  if (refundBy === undefined) {
    const { released } = await acts.releaseSale({ orderId, sellerId });
    if (released) {
      update('released');
      const vars = await acts.escrowNoticeVars({ orderId, sellerId });
      await acts.notifyUser({
        key: `${orderId}:escrow-released`,
        userId: sellerId,
        message: 'escrow-released-seller',
        vars,
      });
      return view;
    }
    refundBy = 'ledger';
  }

  // Stars give the money back on the rail (already refunded counts as done), then the ledger follows.
  const { refundedOnRail } = await acts.refundOnRail({ invoiceId: input.invoiceId });
  await acts.refundSale({
    orderId,
    sellerId,
    buyerId: input.buyerId,
    by: refundBy,
    ...(refundedOnRail ? { gateway: input.rail } : {}),
  });
  await acts.markInvoiceRefunded({ invoiceId: input.invoiceId, by: refundBy, reason: `order ${orderId} refunded` });
  update('refunded');
  log.info('escrow refunded', { orderId, by: refundBy, refundedOnRail });
  return view;
}
