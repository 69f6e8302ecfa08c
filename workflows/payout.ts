/**
 * Payout workflow (`payout:<payoutId>`): a payee withdraws from their balance: a referrer's
 * commissions, a seller's released sales, or a buyer's crypto refund (the payee kind, `source`,
 * shown as the `PayeeKind` search attribute). The amount is reserved first, atomically, so two
 * requests cannot spend the same money; the caller learns the outcome through the `accepted` update
 * it sends with the start (update-with-start). Admins approve, mark paid (with the transaction hash)
 * or reject through the `decide` update, which answers with what was applied or why not; reminders
 * while nobody acts; the payee is told at each step in Telegram, and a seller by email too.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PayoutDecision, PayoutFacts, Reservation } from '../activities/payouts';
import { fromMinor } from '../domain/money';
import { payoutActionAllowed, type PayoutSource, type PayoutStatus } from '../domain/payout';
import { PayeeKind, ProcessStatus, TelegramUserId } from './search-attributes';

export interface PayoutInput extends PayoutFacts {
  /** From configuration (PAYOUT_REMINDER_EVERY). */
  reminderEveryMs: number;
}

export type PayoutOutcome = Reservation & { payoutId: string };

export interface PayoutView {
  payoutId: string;
  source: PayoutSource;
  requesterId: number;
  amountMinor: string;
  currency: string;
  network: string;
  wallet: string;
  status: PayoutStatus | 'reserving' | 'refused';
  decidedBy?: number;
  txHash?: string;
  reason?: string;
  remindersSent: number;
  /** How the reservation was decided, once it was. */
  reservation?: Reservation;
}

/** Sent with the start: answers once the reservation is decided. */
export const payoutAcceptedUpdate = defineUpdate<PayoutOutcome>('accepted');
export const approvePayoutSignal = defineSignal<[{ by: number }]>('approve');
export const markPayoutPaidSignal = defineSignal<[{ by: number; txHash: string }]>('markPaid');
export const rejectPayoutSignal = defineSignal<[{ by: number; reason: string }]>('reject');
export const payoutStateQuery = defineQuery<PayoutView>('payoutState');

/** What a decision did, answered once it is applied (read model and ledger moved). */
export interface PayoutDecisionOutcome {
  payoutId: string;
  source: PayoutSource;
  status: PayoutStatus;
  decidedBy: number;
  txHash?: string;
  reason?: string;
}

/** Why a decision was refused: the state it found and who put it there. Carried as the failure's details. */
export interface PayoutDecisionRefusal {
  payoutId: string;
  action: PayoutDecision['action'];
  status: PayoutView['status'];
  decidedBy?: number;
}
export const PAYOUT_DECISION_REFUSED = 'PayoutDecisionRefused';

/**
 * Admin approve / reject / mark paid, answered with the truth: the validator refuses what the
 * current state does not allow; an accepted decision waits its turn behind any other in flight,
 * and is refused then if the one before it settled the payout. Replaces the old signals (kept for
 * running workflows), which could not say whether they were applied.
 */
export const payoutDecisionUpdate = defineUpdate<PayoutDecisionOutcome, [PayoutDecision]>('decide');

/** Callback data of the admin buttons (the admin bot feature parses these). */
export const payoutCallbacks = {
  approve: (payoutId: string) => `payout:approve:${payoutId}`,
  reject: (payoutId: string) => `payout:reject:${payoutId}`,
};

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function payoutWorkflow(input: PayoutInput): Promise<PayoutView> {
  const { payoutId, requesterId } = input;
  const facts: PayoutFacts = {
    payoutId,
    source: input.source,
    requesterId,
    amountMinor: input.amountMinor,
    currency: input.currency,
    network: input.network,
    wallet: input.wallet,
  };
  /** Decisions in arrival order; those from the update carry a sequence number for their answer. */
  const decisions: Array<{ decision: PayoutDecision; seq?: number }> = [];
  const answers = new Map<number, PayoutDecisionOutcome | PayoutDecisionRefusal>();
  let nextSeq = 0;
  /** Set once the reservation is decided; the `accepted` update waits for it. */
  const decided: { outcome?: PayoutOutcome } = {};
  const view: PayoutView = {
    payoutId,
    source: input.source,
    requesterId,
    amountMinor: input.amountMinor,
    currency: input.currency,
    network: input.network,
    wallet: input.wallet,
    status: 'reserving',
    remindersSent: 0,
  };

  setHandler(payoutAcceptedUpdate, async () => {
    await condition(() => decided.outcome !== undefined);
    return decided.outcome!;
  });
  setHandler(approvePayoutSignal, ({ by }) => {
    decisions.push({ decision: { action: 'approve', by } });
  });
  setHandler(markPayoutPaidSignal, ({ by, txHash }) => {
    decisions.push({ decision: { action: 'markPaid', by, txHash } });
  });
  setHandler(rejectPayoutSignal, ({ by, reason }) => {
    decisions.push({ decision: { action: 'reject', by, reason } });
  });
  setHandler(payoutStateQuery, () => view);

  const refusal = (action: PayoutDecision['action']): PayoutDecisionRefusal => ({
    payoutId,
    action,
    status: view.status,
    decidedBy: view.decidedBy,
  });
  const refuse = (r: PayoutDecisionRefusal) =>
    ApplicationFailure.create({
      type: PAYOUT_DECISION_REFUSED,
      nonRetryable: true,
      message: `Payout ${payoutId} is ${r.status}${r.decidedBy !== undefined ? ` (decided by ${r.decidedBy})` : ''}`,
      details: [r],
    });
  /** Allowed in this state, and decided on the state it is in (a button names the state it was pressed on). */
  const allowedNow = ({ action, expectedStatus }: PayoutDecision) =>
    (view.status === 'requested' || view.status === 'approved') &&
    payoutActionAllowed(view.status, action) &&
    (expectedStatus === undefined || expectedStatus === view.status);
  setHandler(
    payoutDecisionUpdate,
    async (decision) => {
      const seq = nextSeq++;
      decisions.push({ decision, seq });
      await condition(() => answers.has(seq));
      const answer = answers.get(seq)!;
      answers.delete(seq);
      if ('action' in answer) throw refuse(answer);
      return answer;
    },
    {
      validator: (decision: PayoutDecision) => {
        if (!allowedNow(decision)) throw refuse(refusal(decision.action));
      },
    },
  );

  const setStatus = (status: PayoutView['status']) => {
    view.status = status;
    upsertSearchAttributes([{ key: ProcessStatus, value: status }]);
  };
  upsertSearchAttributes([{ key: TelegramUserId, value: requesterId }]);
  // Payouts started before sellers and refunds were paid out carry no payee kind (all referrers').
  if (patched('payout-payee-kind')) upsertSearchAttributes([{ key: PayeeKind, value: input.source }]);

  const reservation = await acts.reservePayout(facts);
  decided.outcome = { ...reservation, payoutId };
  view.reservation = reservation;
  if (!reservation.accepted) {
    setStatus('refused');
    await condition(allHandlersFinished);
    return view;
  }
  setStatus('requested');

  const amount = fromMinor(BigInt(input.amountMinor), input.currency);
  // Ids as text: Fluent would group a number's digits (1,234,567).
  const vars = {
    payoutId,
    amount,
    currency: input.currency,
    network: input.network,
    wallet: input.wallet,
    userId: String(requesterId),
  };
  // A refund is the buyer's own money coming back, not earnings: it reads differently.
  const payeeMessage = (step: 'requested' | 'approved' | 'paid' | 'rejected') =>
    input.source === 'refund' ? `refund-payout-${step}` : `payout-${step}`;
  /** A seller is told by email too (unless they opted out of payout emails), once per step. */
  const emailSeller = async (step: 'requested' | 'approved' | 'paid' | 'rejected', extra: Record<string, string>) => {
    if (input.source !== 'seller' || !patched('payout-seller-email')) return;
    await acts.emailSellerAlert({
      sellerId: requesterId,
      alert: 'payout',
      key: `payout:${payoutId}:${step}`,
      subject: `email-payout-${step}-subject`,
      text: `email-payout-${step}-text`,
      vars: { ...vars, ...extra },
    });
  };
  const adminButtons = [
    { message: 'payout-approve-button', callback: payoutCallbacks.approve(payoutId) },
    { message: 'payout-reject-button', callback: payoutCallbacks.reject(payoutId) },
  ];
  await acts.notifyUser({
    key: `payout:${payoutId}:requested`,
    userId: requesterId,
    message: payeeMessage('requested'),
    vars,
  });
  await emailSeller('requested', {});
  await acts.notifyAdmins({
    key: `payout:${payoutId}:requested`,
    message: input.source === 'referrer' ? 'admin-payout-requested' : `admin-payout-requested-${input.source}`,
    vars,
    buttons: adminButtons,
  });

  while (view.status === 'requested' || view.status === 'approved') {
    if (decisions.length === 0) {
      const acted = await condition(() => decisions.length > 0, input.reminderEveryMs);
      if (!acted) {
        view.remindersSent += 1;
        const waitingFor = view.status === 'requested' ? 'admin-payout-reminder' : 'admin-payout-reminder-unpaid';
        await acts.notifyAdmins({
          key: `payout:${payoutId}:reminder:${view.remindersSent}`,
          message: waitingFor,
          vars,
          buttons: view.status === 'requested' ? adminButtons : [],
        });
        continue;
      }
    }
    const { decision, seq } = decisions.shift()!;
    if (!allowedNow(decision)) {
      log.warn('payout decision ignored in this state', {
        payoutId,
        status: view.status,
        action: decision.action,
        by: decision.by,
      });
      if (seq !== undefined) answers.set(seq, refusal(decision.action));
      continue;
    }
    const { status } = await acts.recordPayoutDecision({ payout: facts, decision });
    view.decidedBy = decision.by;
    if (decision.action === 'markPaid') view.txHash = decision.txHash;
    if (decision.action === 'reject') view.reason = decision.reason;
    setStatus(status);
    if (seq !== undefined)
      answers.set(seq, {
        payoutId,
        source: input.source,
        status,
        decidedBy: decision.by,
        txHash: view.txHash,
        reason: view.reason,
      });
    switch (status) {
      case 'approved':
        await acts.notifyUser({
          key: `payout:${payoutId}:approved`,
          userId: requesterId,
          message: payeeMessage('approved'),
          vars,
        });
        await emailSeller('approved', {});
        break;
      case 'paid':
        await acts.notifyUser({
          key: `payout:${payoutId}:paid`,
          userId: requesterId,
          message: payeeMessage('paid'),
          vars: { ...vars, txHash: view.txHash ?? '' },
        });
        await emailSeller('paid', { txHash: view.txHash ?? '' });
        break;
      case 'rejected':
        await acts.notifyUser({
          key: `payout:${payoutId}:rejected`,
          userId: requesterId,
          message: payeeMessage('rejected'),
          vars: { ...vars, reason: view.reason ?? '' },
        });
        await emailSeller('rejected', { reason: view.reason ?? '' });
        break;
      case 'requested':
        break;
    }
  }
  // Decisions that came after the one that settled the payout: each is told what happened.
  for (const { decision, seq } of decisions.splice(0))
    if (seq !== undefined) answers.set(seq, refusal(decision.action));
  await condition(allHandlersFinished);
  return view;
}
