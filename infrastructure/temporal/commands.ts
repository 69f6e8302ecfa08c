/**
 * What the edges (api, bot, ops CLI) and activities may ask of the workflows: start, signal and
 * query by business id. No business state changes here; workflows own them.
 */
import { randomInt } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { newInvoiceId, OPEN_INVOICE_STATES, type PaymentReport } from '../../domain/invoice';
import type { invoiceWorkflow, InvoiceView } from '../../workflows/invoice';
import {
  cancelInvoiceSignal,
  cancelInvoiceUpdate,
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
import type { Rail } from '../../domain/rail';
import type { Database } from '../db/client';
import { invoices, plans } from '../db/schema';
import { selectedPromo } from '../catalog/promos';
import { createEscrowCommands } from './escrow-commands';
import { createMoneyCommands } from './money-commands';
import { createOrderCommands } from './order-commands';
import { InvoiceInProgressError, invoiceTimings, priceOnRail } from './pricing';
import { createResolutionCommands } from './resolution-commands';

export const invoiceWorkflowId = (invoiceId: string) => `invoice:${invoiceId}`;
export const subscriptionWorkflowId = (userId: number, planId: string) => `subscription:${userId}:${planId}`;

export {
  InvoiceInProgressError,
  RailUnavailableError,
  UnsupportedCurrencyError,
  invoiceTimings,
  priceOnRail,
} from './pricing';

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
  config: Pick<
    Config,
    | 'temporal'
    | 'invoice'
    | 'subscription'
    | 'referral'
    | 'payout'
    | 'cryptocloud'
    | 'resolution'
    | 'rails'
    | 'nowpayments'
    | 'orders'
    | 'api'
  >;
}) {
  const { client, db, config } = deps;
  const taskQueue = config.temporal.taskQueue;

  /** The open invoice row of user + plan, or a new one with a fresh random id (race-safe by the partial index). */
  async function openInvoiceRow(
    userId: number,
    planId: string,
    priceMinor: bigint,
    currency: string,
    rail: Rail,
    payCurrency: string | undefined,
  ) {
    const openRow = () =>
      db
        .select({ id: invoices.id, provider: invoices.provider, payCurrency: invoices.payCurrency })
        .from(invoices)
        .where(
          and(
            eq(invoices.userId, userId),
            eq(invoices.planId, planId),
            inArray(invoices.status, [...OPEN_INVOICE_STATES]),
          ),
        )
        .limit(1);
    for (let attempt = 0; attempt < 5; attempt++) {
      const [found] = await openRow();
      if (found && found.provider === rail && (found.payCurrency ?? undefined) === payCurrency) return found.id;
      if (found) {
        // The user chose another rail or coin: the unpaid invoice is cancelled first (one open per plan).
        const state = await client.workflow
          .getHandle(invoiceWorkflowId(found.id))
          .executeUpdate(cancelInvoiceUpdate, { args: [{ by: `user:${userId}:switch-rail` }] })
          .catch((error: unknown) => {
            if (error instanceof WorkflowNotFoundError) return 'cancelled' as const;
            throw error;
          });
        if (state !== 'cancelled' && state !== 'expired') throw new InvoiceInProgressError(found.id);
        await closeEndedRow(found.id, 'replaced by an invoice on another rail');
        continue;
      }
      const id = newInvoiceId(userId, planId, () => randomInt(0, 36) / 36);
      const inserted = await db
        .insert(invoices)
        .values({
          id,
          userId,
          purpose: 'subscription',
          planId,
          provider: rail,
          payCurrency,
          amountMinor: priceMinor,
          currency,
          status: 'creating',
          // The workflow sets the real expiry when it creates the gateway invoice.
          expiresAt: new Date(Date.now() + config.invoice.ttlMs),
          statusHistory: [{ status: 'creating', at: new Date().toISOString(), source: 'open-invoice' }],
        })
        .onConflictDoNothing()
        .returning({ id: invoices.id });
      if (inserted[0]) return inserted[0].id;
      // Another tap inserted the open row first: take that one.
    }
    throw new Error(`could not open an invoice for user ${userId} and plan ${planId}`);
  }

  /** Marks an open row whose workflow has ended (or was cancelled) as cancelled, so a new one can open. */
  async function closeEndedRow(invoiceId: string, note: string) {
    await db
      .update(invoices)
      .set({
        status: 'cancelled',
        updatedAt: new Date(),
        statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([{ status: 'cancelled', at: new Date().toISOString(), source: 'open-invoice', note }])}::jsonb`,
      })
      .where(and(eq(invoices.id, invoiceId), inArray(invoices.status, [...OPEN_INVOICE_STATES])));
  }

  const priceOn = (plan: typeof plans.$inferSelect, rail: Rail, payCurrency: string | undefined) =>
    priceOnRail(config, plan, rail, payCurrency);

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
    // Admin resolutions of needs_review, late and overpaid money (resolution-commands.ts).
    ...createResolutionCommands(deps),
    // Marketplace orders, their deliveries and replays (order-commands.ts).
    ...createOrderCommands(deps),
    // Escrow refunds and clawbacks, disputes and the admins' escrow view (escrow-commands.ts).
    ...createEscrowCommands(deps),

    /**
     * The user's open invoice for this plan, or a new one. The edge looks up the open invoice row
     * (creating/pending/partial) for user + plan, else inserts one with a fresh random id; a partial
     * unique index over the open statuses makes two concurrent taps meet on one row (the loser
     * re-selects). Then `invoice:<id>` is started with USE_EXISTING, so both get the same workflow.
     */
    async openInvoice({
      userId,
      planId,
      rail = 'cryptocloud',
      payCurrency,
    }: {
      userId: number;
      planId: string;
      /** The rail the user chose (CryptoCloud when not given, as before rails existed). */
      rail?: Rail;
      /** NOWPayments: the coin the user picked. */
      payCurrency?: string;
    }): Promise<{ invoiceId: string; workflowId: string }> {
      const [plan] = await db
        .select()
        .from(plans)
        .where(and(eq(plans.id, planId), eq(plans.active, true)));
      if (!plan) throw new UnknownPlanError(planId);
      const coin = rail === 'nowpayments' ? payCurrency : undefined;
      const price = priceOn(plan, rail, coin);
      // The code the user entered: the workflow redeems it (counted there, atomically) when it prices the invoice.
      const promo = await selectedPromo(db, userId);
      for (let attempt = 0; ; attempt++) {
        const invoiceId = await openInvoiceRow(userId, planId, price.amountMinor, price.currency, rail, coin);
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
                provider: rail,
                ...(coin ? { payCurrency: coin } : {}),
                ...(promo ? { promoCode: promo.code } : {}),
                amountMinor: price.amountMinor.toString(),
                currency: price.currency,
                ...invoiceTimings(config),
              },
            ],
            typedSearchAttributes: [
              { key: TelegramUserId, value: userId },
              { key: InvoiceId, value: invoiceId },
              { key: PaymentProvider, value: rail },
              { key: ProcessStatus, value: 'pending' },
            ],
          });
          return { invoiceId, workflowId };
        } catch (error) {
          // The row still reads open but its workflow has ended (it failed before recording a state):
          // close the row so the next attempt opens a fresh invoice.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError) || attempt >= 3) throw error;
          await closeEndedRow(invoiceId, 'workflow had ended');
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
    /** `key` makes a repeat of the same decision a no-op (workflow-issued grants pass one). */
    grant: (userId: number, planId: string, days: number, by: number, key?: string) =>
      toSubscription(userId, planId, grantSignal, [key === undefined ? { days, by } : { days, by, key }]),
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
