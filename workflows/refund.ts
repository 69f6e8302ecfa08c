/**
 * Invoice refund workflow (`refund:<invoiceId>`): an admin or ops marks a paid invoice refunded
 * (the money goes back to the buyer outside the platform). Durable so that marking the invoice,
 * taking back the subscription period it bought, reversing the referrer's commission and telling
 * the buyer all happen, even across a crash. Asked through the `refund` update (with the start), so
 * each of two admins refunding at once learns whether it was theirs or who refunded first.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { ProcessStatus } from './search-attributes';

export interface InvoiceRefundInput {
  invoiceId: string;
  /** Who asked: an admin's Telegram id or "ops". */
  by: string;
  reason?: string;
  /** The starting request's id (update-with-start): its update is the one that refunded. */
  requestId?: string;
}

export interface InvoiceRefundResult {
  invoiceId: string;
  alreadyRefunded: boolean;
  commissionReversed: boolean;
  /** The invoice's subscription was told to take its period back (false: none runs, it is over). */
  subscriptionShortened?: boolean;
  /** Who asked for the refund that was applied (set when answered through the update). */
  refundedBy?: string;
}

/** A request to refund; answers once the refund is done: `alreadyRefunded` unless this request did it. */
export const refundInvoiceUpdate = defineUpdate<InvoiceRefundResult, [{ by: string; requestId: string }]>('refund');
export const INVOICE_ALREADY_REFUNDED = 'InvoiceAlreadyRefunded';

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function invoiceRefundWorkflow(input: InvoiceRefundInput): Promise<InvoiceRefundResult> {
  const { invoiceId, by } = input;
  const done: { result?: InvoiceRefundResult } = {};
  const answerFor = (requestId: string): InvoiceRefundResult => ({
    ...done.result!,
    alreadyRefunded: done.result!.alreadyRefunded || requestId !== input.requestId,
    refundedBy: by,
  });
  setHandler(
    refundInvoiceUpdate,
    async ({ requestId }) => {
      await condition(() => done.result !== undefined);
      return answerFor(requestId);
    },
    {
      // Once refunded, a further request is refused at once with who did it.
      validator: ({ requestId }: { by: string; requestId: string }) => {
        if (done.result !== undefined && requestId !== input.requestId)
          throw ApplicationFailure.create({
            type: INVOICE_ALREADY_REFUNDED,
            nonRetryable: true,
            message: `Invoice ${invoiceId} was already refunded (by ${by})`,
            details: [answerFor(requestId)],
          });
      },
    },
  );
  // Since `rail-refund`: a rail that refunds by itself (Telegram Stars) gives the money back first;
  // a repeat is answered by the rail as already refunded, so two presses refund once.
  if (patched('rail-refund')) await acts.refundOnRail({ invoiceId });
  const marked = await acts.markInvoiceRefunded({ invoiceId, by, reason: input.reason });
  // Refunds recorded before this step took no period back; new ones end what they paid for.
  const period = patched('refund-ends-period') ? await acts.refundSubscriptionPeriod({ invoiceId }) : undefined;
  const commission = await acts.refundReferralCommission({ invoiceId, by });
  if (!marked.alreadyRefunded) {
    await acts.notifyUser({
      key: `${invoiceId}:refunded`,
      userId: marked.userId,
      message: 'invoice-refunded',
      vars: { amount: marked.amount, currency: marked.currency, invoiceId },
    });
  }
  upsertSearchAttributes([{ key: ProcessStatus, value: 'refunded' }]);
  done.result = {
    invoiceId,
    alreadyRefunded: marked.alreadyRefunded,
    commissionReversed: commission.signalled,
    ...(period ? { subscriptionShortened: period.signalled } : {}),
  };
  await condition(allHandlersFinished);
  return input.requestId !== undefined ? { ...done.result, refundedBy: by } : done.result;
}
