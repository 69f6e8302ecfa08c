/**
 * Commission workflow (`commission:<invoiceId>`): a referrer's share of one paid invoice. Posted as
 * held at once, released to available by a durable timer when the hold ends, reversed by a `refund`
 * signal before or after that. Every step is keyed by the invoice id, so a later run (started by a
 * refund after this one ended) continues from what the ledger and read model already hold.
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
import type { CommissionStatus } from '../domain/referral';
import { InvoiceId, ProcessStatus, TelegramUserId } from './search-attributes';

export interface CommissionInput {
  invoiceId: string;
  /** From configuration (REFERRAL_HOLD). */
  holdMs: number;
}

export interface CommissionView {
  invoiceId: string;
  status: CommissionStatus | 'none' | 'preparing';
  referrerId?: number;
  amountMinor?: string;
  currency?: string;
  releaseAt?: number;
}

/** From the refund command: the invoice's payment went back to the buyer. */
export const refundCommissionSignal = defineSignal<[{ by: string }]>('refund');
export const commissionStateQuery = defineQuery<CommissionView>('commissionState');

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function commissionWorkflow(input: CommissionInput): Promise<CommissionView> {
  const { invoiceId } = input;
  let refundBy: string | undefined;
  let view: CommissionView = { invoiceId, status: 'preparing' };
  setHandler(refundCommissionSignal, ({ by }) => {
    refundBy ??= by;
  });
  setHandler(commissionStateQuery, () => view);

  const facts = await acts.prepareCommission({ invoiceId, holdMs: input.holdMs });
  if (!facts) {
    view = { invoiceId, status: 'none' };
    upsertSearchAttributes([{ key: ProcessStatus, value: 'none' }]);
    return view;
  }
  if (facts.invoiceRefunded) refundBy ??= 'invoice-refunded';
  let status = facts.status;
  const update = (next: CommissionStatus) => {
    status = next;
    view = {
      invoiceId,
      status,
      referrerId: facts.referrerId,
      amountMinor: facts.amountMinor,
      currency: facts.currency,
      releaseAt: facts.releaseAt,
    };
    upsertSearchAttributes([{ key: ProcessStatus, value: status }]);
  };
  upsertSearchAttributes([
    { key: TelegramUserId, value: facts.referrerId },
    { key: InvoiceId, value: invoiceId },
  ]);
  update(status);
  const vars = { amount: facts.amount, currency: facts.currency, invoiceId };
  const userId = facts.referrerId;

  if (status === 'held') {
    await acts.notifyUser({
      key: `commission:${invoiceId}:held`,
      userId,
      message: 'referral-commission-held',
      vars: { ...vars, releaseAt: facts.releaseAt },
    });
    // The hold is a durable timer: a worker restart does not shorten or lose it.
    await condition(() => refundBy !== undefined, Math.max(facts.releaseAt - Date.now(), 1));
    if (refundBy === undefined) {
      const released = await acts.releaseCommission({ invoiceId });
      update(released.status);
      if (released.status === 'available')
        await acts.notifyUser({
          key: `commission:${invoiceId}:available`,
          userId,
          message: 'referral-commission-available',
          vars,
        });
    }
  }
  if (refundBy !== undefined && status !== 'reversed') {
    const reversed = await acts.reverseCommission({ invoiceId });
    update(reversed.status);
    log.info('commission reversed', { invoiceId, from: reversed.from, by: refundBy });
    await acts.notifyUser({
      key: `commission:${invoiceId}:reversed`,
      userId,
      message: 'referral-commission-reversed',
      vars,
    });
  }
  return view;
}
