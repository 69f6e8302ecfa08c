/**
 * Invoice refund workflow (`refund:<invoiceId>`): an admin or ops marks a paid invoice refunded
 * (the money goes back to the buyer outside the platform). Durable so that marking the invoice,
 * taking back the subscription period it bought, reversing the referrer's commission and telling
 * the buyer all happen, even across a crash.
 */
import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { ProcessStatus } from './search-attributes';

export interface InvoiceRefundInput {
  invoiceId: string;
  /** Who asked: an admin's Telegram id or "ops". */
  by: string;
  reason?: string;
}

export interface InvoiceRefundResult {
  invoiceId: string;
  alreadyRefunded: boolean;
  commissionReversed: boolean;
  /** The invoice's subscription was told to take its period back (false: none runs, it is over). */
  subscriptionShortened?: boolean;
}

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
  return {
    invoiceId,
    alreadyRefunded: marked.alreadyRefunded,
    commissionReversed: commission.signalled,
    ...(period ? { subscriptionShortened: period.signalled } : {}),
  };
}
