/**
 * Clawback workflow (`clawback:<orderId>`): a refund asked after the sale's escrow released the
 * money to the seller (the escrow workflow has ended by then). The buyer gets the whole price back
 * (Stars on the rail, else a refund payable with their wallet asked), the seller's available
 * balance pays for it (it may go negative, and then covers nothing until later sales do), the
 * platform gives its fee back, and the buyer owns the product no more. Asked through the `refund`
 * update with the start, so of two admins refunding at once one claws back and the other is told.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { salePrice } from '../domain/escrow';
import type { Rail } from '../domain/rail';
import { ProcessStatus } from './search-attributes';

export interface ClawbackInput {
  orderId: string;
  invoiceId: string;
  rail: Rail;
  sellerId: number;
  buyerId: number;
  currency: string;
  /** Who asked: an admin's Telegram id or `ops`. */
  by: string;
  /** The starting request's id (update-with-start): its update is the one that clawed back. */
  requestId: string;
}

export interface ClawbackView {
  orderId: string;
  /** `refused`: the sale was not released whole (refunded, split, or still held): nothing was done. */
  stage: 'clawing-back' | 'clawed-back' | 'refused';
  by: string;
  currency: string;
  amountMinor?: string;
  refundedOnRail?: boolean;
}

export type ClawbackOutcome = 'clawed-back' | 'already-clawed-back' | 'refused';
export interface ClawbackAnswer {
  outcome: ClawbackOutcome;
  clawback: ClawbackView;
}

export const clawbackUpdate = defineUpdate<ClawbackAnswer, [{ by: string; requestId: string }]>('refund');
export const clawbackStateQuery = defineQuery<ClawbackView>('clawbackState');
/** The validator's answer to a request after the clawback is done: the answer in `details`. */
export const CLAWBACK_DONE = 'ClawbackDone';

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function clawbackWorkflow(input: ClawbackInput): Promise<ClawbackView> {
  const { orderId, sellerId, buyerId, by } = input;
  const view: ClawbackView = { orderId, stage: 'clawing-back', by, currency: input.currency };
  const done = () => view.stage !== 'clawing-back';
  const answerFor = (requestId: string): ClawbackAnswer => ({
    outcome:
      view.stage === 'refused' ? 'refused' : requestId === input.requestId ? 'clawed-back' : 'already-clawed-back',
    clawback: { ...view },
  });
  setHandler(
    clawbackUpdate,
    async ({ requestId }) => {
      await condition(done);
      return answerFor(requestId);
    },
    {
      validator: ({ requestId }: { by: string; requestId: string }) => {
        if (done() && requestId !== input.requestId)
          throw ApplicationFailure.create({
            type: CLAWBACK_DONE,
            nonRetryable: true,
            message: `Order ${orderId} was already clawed back (by ${by})`,
            details: [answerFor(requestId)],
          });
      },
    },
  );
  setHandler(clawbackStateQuery, () => view);

  // Checked before the rail is asked: Stars given back for a sale that was not released would be lost.
  const steps = await acts.escrowSteps({ orderId });
  if (!steps.clawedBack && (!steps.released || steps.refunded || steps.split)) {
    view.stage = 'refused';
    upsertSearchAttributes([{ key: ProcessStatus, value: 'refused' }]);
    await condition(allHandlersFinished);
    return view;
  }
  const { refundedOnRail } = await acts.refundOnRail({ invoiceId: input.invoiceId });
  const clawed = await acts.clawBackSale({
    orderId,
    sellerId,
    buyerId,
    by,
    ...(refundedOnRail ? { gateway: input.rail } : {}),
  });
  await acts.markInvoiceRefunded({ invoiceId: input.invoiceId, by, reason: `order ${orderId} clawed back` });
  view.amountMinor = clawed.amountMinor;
  view.refundedOnRail = refundedOnRail;
  view.stage = 'clawed-back';
  upsertSearchAttributes([{ key: ProcessStatus, value: 'clawed-back' }]);
  log.info('escrow clawed back', { orderId, by, refundedOnRail });

  const vars = {
    ...(await acts.escrowNoticeVars({ orderId, sellerId })),
    refund: salePrice(BigInt(clawed.amountMinor), clawed.currency),
  };
  await acts.tellBuyerOfRefund({
    key: `${orderId}:clawback:buyer`,
    buyerId,
    onRail: refundedOnRail,
    kind: 'refund',
    vars,
  });
  await acts.notifySeller({
    sellerId,
    key: `${orderId}:clawback:seller`,
    message: 'escrow-clawback-seller',
    vars,
    email: { alert: 'dispute', subject: 'email-clawback-subject', text: 'email-clawback-text' },
  });
  await condition(allHandlersFinished);
  return view;
}
