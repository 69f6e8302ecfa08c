/**
 * What the edges (api, bot, ops CLI) and activities may ask of the workflows: start, signal and
 * query by business id. No business state changes here; workflows own them.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, count, eq, inArray } from 'drizzle-orm';
import { invoiceIdFor, type PaymentReport } from '../../domain/invoice';
import type { invoiceWorkflow, InvoiceView } from '../../workflows/invoice';
import {
  cancelInvoiceSignal,
  invoiceStateQuery,
  paymentReportedSignal,
  reconcileNowSignal,
} from '../../workflows/invoice';
import { InvoiceId, PaymentProvider, ProcessStatus, TelegramUserId } from '../../workflows/search-attributes';
import type { subscriptionWorkflow, SubscriptionSettings, SubscriptionView } from '../../workflows/subscription';
import {
  grantSignal,
  invoicePaidSignal,
  invoiceRefundedSignal,
  joinRequestedSignal,
  markTrialSignal,
  resetTrialSignal,
  revokeSignal,
  setDaysSignal,
  subscriptionStateQuery,
  trialRequestedSignal,
} from '../../workflows/subscription';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { invoices, plans } from '../db/schema';
import { createMoneyCommands } from './money-commands';

export const invoiceWorkflowId = (invoiceId: string) => `invoice:${invoiceId}`;
export const subscriptionWorkflowId = (userId: number, planId: string) => `subscription:${userId}:${planId}`;

const CLOSED_INVOICE_STATUSES = [
  'paid',
  'overpaid',
  'expired',
  'cancelled',
  'needs_review',
  'late_paid',
  'refunded',
] as const;

export class UnknownPlanError extends Error {
  constructor(planId: string) {
    super(`There is no active plan "${planId}"`);
    this.name = 'UnknownPlanError';
  }
}

export function subscriptionSettings(config: Pick<Config, 'subscription'>): SubscriptionSettings {
  return {
    gracePeriodMs: config.subscription.gracePeriodMs,
    reminderOffsetsMs: config.subscription.reminderOffsetsMs,
    removalDryRun: config.subscription.removalDryRun,
  };
}

export function createCommands(deps: {
  client: Client;
  db: Database;
  config: Pick<Config, 'temporal' | 'invoice' | 'subscription' | 'referral' | 'payout'>;
}) {
  const { client, db, config } = deps;
  const taskQueue = config.temporal.taskQueue;

  /** Signal the subscription entity, starting it when it is not running (signal-with-start). */
  async function toSubscription(userId: number, planId: string, signal: { name: string }, args: unknown[]) {
    await client.workflow.signalWithStart<typeof subscriptionWorkflow, [unknown]>('subscriptionWorkflow', {
      workflowId: subscriptionWorkflowId(userId, planId),
      taskQueue,
      args: [{ userId, planId, settings: subscriptionSettings(config) }],
      signal: signal.name,
      signalArgs: args as [unknown],
      typedSearchAttributes: [
        { key: TelegramUserId, value: userId },
        { key: ProcessStatus, value: 'starting' },
      ],
    });
  }

  /** Signal a running subscription only; false when there is none. */
  async function toRunningSubscription<A extends unknown[]>(
    userId: number,
    planId: string,
    signal: { name: string },
    args: A,
  ): Promise<boolean> {
    try {
      await client.workflow.getHandle(subscriptionWorkflowId(userId, planId)).signal(signal.name, ...args);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  return {
    // Referral commissions, refunds, payouts and message replays (money-commands.ts).
    ...createMoneyCommands(deps),

    /**
     * The user's open invoice for this plan, or a new one. One open invoice per user and plan follows
     * from the workflow id: while one is payable, its id is the one this computes.
     */
    async openInvoice({
      userId,
      planId,
    }: {
      userId: number;
      planId: string;
    }): Promise<{ invoiceId: string; workflowId: string }> {
      const [plan] = await db
        .select()
        .from(plans)
        .where(and(eq(plans.id, planId), eq(plans.active, true)));
      if (!plan) throw new UnknownPlanError(planId);
      for (let attempt = 0; ; attempt++) {
        const [closed] = await db
          .select({ n: count() })
          .from(invoices)
          .where(
            and(
              eq(invoices.userId, userId),
              eq(invoices.planId, planId),
              inArray(invoices.status, [...CLOSED_INVOICE_STATUSES]),
            ),
          );
        const invoiceId = invoiceIdFor(userId, planId, (closed?.n ?? 0) + attempt);
        const workflowId = invoiceWorkflowId(invoiceId);
        try {
          await client.workflow.start<typeof invoiceWorkflow>('invoiceWorkflow', {
            workflowId,
            taskQueue,
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            args: [
              {
                invoiceId,
                userId,
                planId,
                provider: 'cryptocloud',
                amountMinor: plan.priceMinor.toString(),
                currency: plan.currency,
                ttlMs: config.invoice.ttlMs,
                reconcileAtMs: config.invoice.reconcileAtMs,
                reconcileEveryMs: config.invoice.reconcileEveryMs,
                latePaymentWindowMs: config.invoice.latePaymentWindowMs,
              },
            ],
            typedSearchAttributes: [
              { key: TelegramUserId, value: userId },
              { key: InvoiceId, value: invoiceId },
              { key: PaymentProvider, value: 'cryptocloud' },
              { key: ProcessStatus, value: 'pending' },
            ],
          });
          return { invoiceId, workflowId };
        } catch (error) {
          // That id belonged to an invoice that has just closed: take the next one.
          if (error instanceof WorkflowExecutionAlreadyStartedError && attempt < 3) continue;
          throw error;
        }
      }
    },

    invoiceState: (invoiceId: string): Promise<InvoiceView> =>
      client.workflow.getHandle(invoiceWorkflowId(invoiceId)).query(invoiceStateQuery),
    reportPayment: (invoiceId: string, report: PaymentReport) =>
      client.workflow.getHandle(invoiceWorkflowId(invoiceId)).signal(paymentReportedSignal, report),
    reconcileInvoice: (invoiceId: string) =>
      client.workflow.getHandle(invoiceWorkflowId(invoiceId)).signal(reconcileNowSignal),
    cancelInvoice: (invoiceId: string, by: string) =>
      client.workflow.getHandle(invoiceWorkflowId(invoiceId)).signal(cancelInvoiceSignal, { by }),

    invoicePaid: (userId: number, planId: string, invoiceId: string) =>
      toSubscription(userId, planId, invoicePaidSignal, [{ invoiceId }]),
    /** The refund of a paid invoice into its subscription, if one runs (else its period is already over). */
    invoiceRefunded: (userId: number, planId: string, invoiceId: string) =>
      toRunningSubscription(userId, planId, invoiceRefundedSignal, [{ invoiceId }]),
    requestTrial: (userId: number, planId: string) => toSubscription(userId, planId, trialRequestedSignal, []),
    grant: (userId: number, planId: string, days: number, by: number) =>
      toSubscription(userId, planId, grantSignal, [{ days, by }]),
    setDays: (userId: number, planId: string, days: number, by: number) =>
      toSubscription(userId, planId, setDaysSignal, [{ days, by }]),
    revoke: (userId: number, planId: string, by: number) =>
      toRunningSubscription(userId, planId, revokeSignal, [{ by }]),
    joinRequested: (userId: number, planId: string, chatId: number) =>
      toRunningSubscription(userId, planId, joinRequestedSignal, [{ chatId }]),
    /** Trials are per user: any plan's subscription entity of the user records it (started for this if none runs). */
    markTrial: (userId: number, planId: string, by: number) =>
      toSubscription(userId, planId, markTrialSignal, [{ by }]),
    resetTrial: (userId: number, planId: string, by: number) =>
      toSubscription(userId, planId, resetTrialSignal, [{ by }]),

    async subscriptionState(userId: number, planId: string): Promise<SubscriptionView | undefined> {
      try {
        return await client.workflow.getHandle(subscriptionWorkflowId(userId, planId)).query(subscriptionStateQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    },
  };
}

export type Commands = ReturnType<typeof createCommands>;
