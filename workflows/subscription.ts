/**
 * Subscription workflow (`subscription:<userId>:<planId>`): a long-lived entity for one subscriber of
 * one plan. Payments, trials and admin actions arrive as signals; durable timers send reminders, open
 * the grace period and remove the member at the end. Continues as new at each renewal, and whenever
 * the server suggests it (a long run of signals), carrying all its state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { hasAccess, renewedExpiry, reminderTimes, statusAt, type SubscriptionStatus } from '../domain/subscription';
import { ProcessStatus } from './search-attributes';

const DAY_MS = 86_400_000;

export interface SubscriptionSettings {
  gracePeriodMs: number;
  reminderOffsetsMs: number[];
  /** Log removals instead of doing them. */
  removalDryRun: boolean;
}

/** What survives continue-as-new. */
export interface SubscriptionCarry {
  expiresAt: number;
  periodStart: number;
  trial: boolean;
  /** When access (invite links) was granted; keys the invite DM so it is sent once. */
  accessGrantedAt: number;
  remindersSent: number[];
  /** Recent paid invoices, so a repeated `invoicePaid` never extends twice. */
  appliedInvoices: string[];
  /** Invoices refunded (their period taken back), so a repeated `invoiceRefunded` never shortens twice. */
  refundedInvoices?: string[];
  /** Keys of keyed grants already applied (a retried resolution never grants twice). */
  appliedGrants?: string[];
  version: number;
}

export interface SubscriptionInput {
  userId: number;
  planId: string;
  settings: SubscriptionSettings;
  carry?: SubscriptionCarry;
  /** Signals received but not yet handled when the last run continued as new: handled first, in order. */
  pending?: SubscriptionEvent[];
}

export interface SubscriptionView {
  userId: number;
  planId: string;
  status: SubscriptionStatus | 'none';
  expiresAt?: number;
  accessUntil?: number;
  trial: boolean;
}

export type SubscriptionEvent =
  | { type: 'invoicePaid'; invoiceId: string }
  | { type: 'invoiceRefunded'; invoiceId: string }
  | { type: 'trialRequested' }
  | { type: 'grant'; days: number; by: number; key?: string }
  | { type: 'setDays'; days: number; by: number }
  | { type: 'revoke'; by: number }
  | { type: 'joinRequested'; chatId: number }
  | { type: 'markTrial'; by: number }
  | { type: 'resetTrial'; by: number };

export const invoicePaidSignal = defineSignal<[{ invoiceId: string }]>('invoicePaid');
/** From the refund workflow: the invoice's payment went back, so the period it bought is taken back (once). */
export const invoiceRefundedSignal = defineSignal<[{ invoiceId: string }]>('invoiceRefunded');
export const trialRequestedSignal = defineSignal('trialRequested');
/** Admin `/activate <user> <days>`: adds days to the current period. */
/** `key` (from a workflow, e.g. a resolution) makes a repeated grant of the same decision a no-op. */
export const grantSignal = defineSignal<[{ days: number; by: number; key?: string }]>('grant');
/** Admin `/edit <user> setdays <days>`: the period ends `days` from now. */
export const setDaysSignal = defineSignal<[{ days: number; by: number }]>('setDays');
/** Admin `/edit <user> remove`: access ends now, no grace. */
export const revokeSignal = defineSignal<[{ by: number }]>('revoke');
export const joinRequestedSignal = defineSignal<[{ chatId: number }]>('joinRequested');
/** Admin `/edit <user> marktrial`: the user's one trial counts as used (trials are per user, not per plan). */
export const markTrialSignal = defineSignal<[{ by: number }]>('markTrial');
/** Admin `/edit <user> resettrial`: the user may start a trial again. */
export const resetTrialSignal = defineSignal<[{ by: number }]>('resetTrial');
export const subscriptionStateQuery = defineQuery<SubscriptionView>('subscriptionState');

// Telegram-bound: a call held longer than this (e.g. a long retry_after) is retried by Temporal instead.
const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

/** Short reads and writes of this database, idempotent: inside the workflow task, no round trip to the server. */
const local = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionView> {
  const { userId, planId, settings } = input;
  const events: SubscriptionEvent[] = [...(input.pending ?? [])];
  let carry: SubscriptionCarry | undefined = input.carry;
  let revoked = false;
  /** A refund took back the whole remaining period: access ends now, without grace. */
  let refundEnded = false;

  setHandler(invoicePaidSignal, ({ invoiceId }) => {
    events.push({ type: 'invoicePaid', invoiceId });
  });
  setHandler(invoiceRefundedSignal, ({ invoiceId }) => {
    events.push({ type: 'invoiceRefunded', invoiceId });
  });
  setHandler(trialRequestedSignal, () => {
    events.push({ type: 'trialRequested' });
  });
  setHandler(grantSignal, (args) => {
    events.push({ type: 'grant', ...args });
  });
  setHandler(setDaysSignal, (args) => {
    events.push({ type: 'setDays', ...args });
  });
  setHandler(revokeSignal, (args) => {
    events.push({ type: 'revoke', ...args });
  });
  setHandler(joinRequestedSignal, (args) => {
    events.push({ type: 'joinRequested', ...args });
  });
  setHandler(markTrialSignal, (args) => {
    events.push({ type: 'markTrial', ...args });
  });
  setHandler(resetTrialSignal, (args) => {
    events.push({ type: 'resetTrial', ...args });
  });

  const accessUntil = () => (carry ? carry.expiresAt + (revoked || refundEnded ? 0 : settings.gracePeriodMs) : 0);
  const status = (): SubscriptionStatus | 'none' => {
    if (!carry) return 'none';
    if (revoked) return 'revoked';
    if (refundEnded) return 'expired';
    return statusAt(Date.now(), carry.expiresAt, settings.gracePeriodMs, carry.trial);
  };
  setHandler(subscriptionStateQuery, () => ({
    userId,
    planId,
    status: status(),
    expiresAt: carry?.expiresAt,
    accessUntil: carry ? accessUntil() : undefined,
    trial: carry?.trial ?? false,
  }));

  // Since `local-plan-load`: the plan is read inside the first workflow task.
  const plan = patched('local-plan-load') ? await local.loadPlan({ planId }) : await acts.loadPlan({ planId });
  const save = async () => {
    if (!carry) return;
    carry.version += 1;
    const current = status();
    upsertSearchAttributes([{ key: ProcessStatus, value: current }]);
    await acts.saveSubscriptionView({
      userId,
      planId,
      status: current === 'none' ? 'expired' : current,
      periodStart: carry.periodStart,
      expiresAt: carry.expiresAt,
      accessUntil: accessUntil(),
      version: carry.version,
      workflowId: workflowInfo().workflowId,
    });
  };
  const grantAccess = async () => {
    if (!carry) return;
    const links = await acts.ensureInviteLinks({ userId, planId, channelIds: plan.channelIds });
    await acts.notifyUser({
      key: `subscription:${userId}:${planId}:access:${carry.accessGrantedAt}`,
      userId,
      message: carry.trial ? 'subscription-trial-started' : 'subscription-activated',
      vars: { plan: plan.title, expiresAt: carry.expiresAt },
      buttons: links.map((link) => ({ text: link.title, url: link.link })),
    });
  };

  /** Starts or extends the period; returns whether this was a renewal of a running period. */
  const extend = async (newExpiry: number, trial: boolean, reason: string) => {
    const now = Date.now();
    const hadAccess =
      carry !== undefined && hasAccess(statusAt(now, carry.expiresAt, settings.gracePeriodMs, carry.trial));
    if (!carry || !hadAccess) {
      carry = {
        expiresAt: newExpiry,
        periodStart: now,
        trial,
        accessGrantedAt: now,
        remindersSent: [],
        appliedInvoices: carry?.appliedInvoices ?? [],
        ...(carry?.refundedInvoices ? { refundedInvoices: carry.refundedInvoices } : {}),
        ...(carry?.appliedGrants ? { appliedGrants: carry.appliedGrants } : {}),
        version: carry?.version ?? 0,
      };
      // Since `grant-beside-save`: the invite and its message do not wait for the read model.
      if (patched('grant-beside-save')) await Promise.all([save(), grantAccess()]);
      else {
        await save();
        await grantAccess();
      }
    } else {
      carry = { ...carry, expiresAt: newExpiry, trial: trial && carry.trial, remindersSent: [] };
      await save();
      await acts.notifyUser({
        key: `subscription:${userId}:${planId}:extended:${newExpiry}`,
        userId,
        message: 'subscription-extended',
        vars: { plan: plan.title, expiresAt: newExpiry },
      });
    }
    log.info('subscription period set', { userId, planId, expiresAt: newExpiry, reason });
    return hadAccess;
  };

  const handle = async (event: SubscriptionEvent): Promise<'renewed' | undefined> => {
    const now = Date.now();
    switch (event.type) {
      case 'invoicePaid': {
        if (carry?.appliedInvoices.includes(event.invoiceId)) return undefined;
        const renewed = await extend(
          renewedExpiry(
            carry && hasAccess(status() as SubscriptionStatus) ? carry.expiresAt : undefined,
            now,
            plan.durationMs,
          ),
          false,
          `invoice ${event.invoiceId}`,
        );
        carry!.appliedInvoices = [...carry!.appliedInvoices, event.invoiceId].slice(-50);
        return renewed ? 'renewed' : undefined;
      }
      case 'invoiceRefunded': {
        // Only an invoice this subscription applied, once: an older one's period is already over.
        if (!carry || !carry.appliedInvoices.includes(event.invoiceId)) return undefined;
        if ((carry.refundedInvoices ?? []).includes(event.invoiceId)) return undefined;
        carry.refundedInvoices = [...(carry.refundedInvoices ?? []), event.invoiceId].slice(-50);
        const shortened = carry.expiresAt - plan.durationMs;
        log.info('refund takes back its period', { userId, planId, invoiceId: event.invoiceId, expiresAt: shortened });
        if (shortened <= now) {
          carry.expiresAt = Math.min(carry.expiresAt, now);
          refundEnded = true;
          return undefined;
        }
        carry = { ...carry, expiresAt: shortened, remindersSent: [] };
        await save();
        await acts.notifyUser({
          key: `subscription:${userId}:${planId}:refund-shortened:${event.invoiceId}`,
          userId,
          message: 'subscription-refund-shortened',
          vars: { plan: plan.title, expiresAt: shortened },
        });
        return undefined;
      }
      case 'trialRequested': {
        if (plan.trialMs <= 0) {
          await acts.notifyUser({
            key: `subscription:${userId}:${planId}:no-trial:${now}`,
            userId,
            message: 'trial-not-offered',
            vars: { plan: plan.title },
          });
          return undefined;
        }
        if (carry && hasAccess(status() as SubscriptionStatus)) {
          await acts.notifyUser({
            key: `subscription:${userId}:${planId}:trial-while-active:${now}`,
            userId,
            message: 'trial-while-active',
            vars: { plan: plan.title },
          });
          return undefined;
        }
        if (!(await acts.claimTrial({ userId }))) {
          await acts.notifyUser({
            key: `subscription:${userId}:${planId}:trial-used:${now}`,
            userId,
            message: 'trial-already-used',
            vars: { plan: plan.title },
          });
          return undefined;
        }
        await extend(now + plan.trialMs, true, 'trial');
        return undefined;
      }
      case 'grant': {
        if (event.key !== undefined && carry?.appliedGrants?.includes(event.key)) return undefined;
        const renewed = await extend(
          renewedExpiry(
            carry && hasAccess(status() as SubscriptionStatus) ? carry.expiresAt : undefined,
            now,
            event.days * DAY_MS,
          ),
          false,
          `admin ${event.by} grant`,
        );
        if (event.key !== undefined) carry!.appliedGrants = [...(carry!.appliedGrants ?? []), event.key].slice(-50);
        return renewed ? 'renewed' : undefined;
      }
      case 'setDays': {
        if (event.days <= 0) {
          revoked = true;
          return undefined;
        }
        await extend(now + event.days * DAY_MS, false, `admin ${event.by} setdays`);
        return undefined;
      }
      case 'revoke':
        revoked = true;
        return undefined;
      case 'joinRequested': {
        const approve =
          carry !== undefined &&
          !revoked &&
          hasAccess(status() as SubscriptionStatus) &&
          plan.channelIds.includes(event.chatId);
        await acts.answerJoinRequest({ chatId: event.chatId, userId, approve });
        return undefined;
      }
      case 'markTrial':
      case 'resetTrial':
        // No period change; a run started only for this handles it, then ends like a refused trial.
        await acts.setTrialUsed({ userId, used: event.type === 'markTrial' });
        log.info('trial flag set by admin', { userId, used: event.type === 'markTrial', by: event.by });
        return undefined;
    }
  };

  const removeAccess = async (final: 'expired' | 'revoked', why: 'refund' | undefined = undefined) => {
    await acts.removeChannelAccess({ userId, planId, channelIds: plan.channelIds, dryRun: settings.removalDryRun });
    if (carry) {
      carry.version += 1;
      upsertSearchAttributes([{ key: ProcessStatus, value: final }]);
      await acts.saveSubscriptionView({
        userId,
        planId,
        status: final,
        periodStart: carry.periodStart,
        expiresAt: carry.expiresAt,
        accessUntil: Math.min(accessUntil(), Date.now()),
        version: carry.version,
        workflowId: workflowInfo().workflowId,
      });
    }
    await acts.notifyUser({
      key: `subscription:${userId}:${planId}:${final}:${carry?.accessGrantedAt ?? 0}`,
      userId,
      message:
        final === 'revoked'
          ? 'subscription-revoked'
          : why === 'refund'
            ? 'subscription-refund-ended'
            : 'subscription-ended',
      vars: { plan: plan.title },
      buttons: [{ message: 'renew-button', callback: `plan:${planId}` }],
    });
  };

  /**
   * Keeps the history small however many signals arrive (e.g. join requests, admin grants): when the
   * server suggests it, once no handler is running, the run continues as new with all its state and
   * the signals not yet handled (the next run handles them first, in order). A signal that reaches
   * the server during the hand-over makes it refuse the hand-over and deliver the signal here first,
   * so none is lost.
   */
  const continueIfSuggested = async () => {
    if (!workflowInfo().continueAsNewSuggested) return;
    if (!patched('subscription-continue-as-new-suggested')) return;
    await condition(allHandlersFinished);
    const pending = events.splice(0);
    await continueAsNew<typeof subscriptionWorkflow>({
      userId,
      planId,
      settings,
      carry,
      ...(pending.length > 0 ? { pending } : {}),
    });
  };

  let graceAnnounced = carry !== undefined && Date.now() >= carry.expiresAt;
  for (;;) {
    // Signals first, in arrival order.
    let renewed = false;
    while (events.length > 0) {
      if ((await handle(events.shift()!)) === 'renewed') renewed = true;
      if (revoked || refundEnded) break;
      if (events.length > 0) await continueIfSuggested();
    }
    if (revoked || refundEnded) {
      if (revoked) await removeAccess('revoked');
      else await removeAccess('expired', 'refund');
      if (events.length === 0 || !carry) break;
      // Something arrived while removing (e.g. a payment): carry on with access ended.
      revoked = false;
      refundEnded = false;
      carry.expiresAt = Math.min(carry.expiresAt, Date.now() - settings.gracePeriodMs);
      continue;
    }
    if (carry && Date.now() < carry.expiresAt) graceAnnounced = false;
    if (renewed && events.length === 0) {
      await condition(allHandlersFinished);
      if (events.length === 0) await continueAsNew<typeof subscriptionWorkflow>({ userId, planId, settings, carry });
      continue;
    }
    if (!carry) {
      // Started by a signal that gave no access (a refused trial, a join request): nothing to keep alive.
      await continueIfSuggested();
      if (events.length === 0) await condition(() => events.length > 0, '1 minute');
      if (events.length === 0) return { userId, planId, status: 'none', trial: false };
      continue;
    }
    const now = Date.now();
    const reminders = reminderTimes(carry.expiresAt, settings.reminderOffsetsMs, now).filter(
      (at) => !carry!.remindersSent.includes(at),
    );
    const dueReminders = reminderTimes(carry.expiresAt, settings.reminderOffsetsMs, -Infinity).filter(
      (at) => at <= now && !carry!.remindersSent.includes(at) && carry!.expiresAt > now,
    );
    for (const at of dueReminders) {
      carry.remindersSent.push(at);
      await acts.notifyUser({
        key: `subscription:${userId}:${planId}:reminder:${carry.expiresAt}:${at}`,
        userId,
        message: 'subscription-reminder',
        vars: { plan: plan.title, expiresAt: carry.expiresAt },
        buttons: [{ message: 'renew-button', callback: `renew:${planId}` }],
      });
    }
    if (now >= carry.expiresAt && !graceAnnounced) {
      graceAnnounced = true;
      await save();
      if (now < accessUntil()) {
        await acts.notifyUser({
          key: `subscription:${userId}:${planId}:grace:${carry.expiresAt}`,
          userId,
          message: 'subscription-grace',
          vars: { plan: plan.title, accessUntil: accessUntil() },
          buttons: [{ message: 'renew-button', callback: `renew:${planId}` }],
        });
      }
    }
    if (now >= accessUntil()) {
      // Re-check right before removal: a payment or grant that arrived meanwhile wins.
      if (events.length > 0) continue;
      await removeAccess('expired');
      if (events.length === 0) break;
      continue;
    }
    const nextAt = Math.min(...reminders, carry.expiresAt > now ? carry.expiresAt : Infinity, accessUntil());
    await continueIfSuggested();
    await condition(() => events.length > 0, Math.max(nextAt - Date.now(), 1));
  }
  await condition(allHandlersFinished);
  return {
    userId,
    planId,
    status: status(),
    expiresAt: carry?.expiresAt,
    accessUntil: carry ? accessUntil() : undefined,
    trial: carry?.trial ?? false,
  };
}
