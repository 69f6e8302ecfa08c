/**
 * Commands for referral commissions, refunds, payouts and message replays, merged into `Commands`
 * (see commands.ts). Like the rest: validate, then start, signal, update or query a workflow.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { REFUNDABLE } from '../../domain/invoice';
import {
  payoutMinimum,
  PayoutRequestError,
  validatePayoutRequest,
  validateTxHash,
  type PayoutNetwork,
  type PayoutSource,
  type PayoutStatus,
} from '../../domain/payout';
import {
  commissionStateQuery,
  refundCommissionSignal,
  type commissionWorkflow,
  type CommissionView,
} from '../../workflows/commission';
import type { PayoutDecision } from '../../activities/payouts';
import {
  PAYOUT_DECISION_REFUSED,
  payoutAcceptedUpdate,
  payoutDecisionUpdate,
  payoutStateQuery,
  type PayoutDecisionOutcome,
  type PayoutDecisionRefusal,
  type PayoutOutcome,
  type payoutWorkflow,
  type PayoutView,
} from '../../workflows/payout';
import type { RedeliveryResult, redeliveryWorkflow } from '../../workflows/redelivery';
import {
  INVOICE_ALREADY_REFUNDED,
  refundInvoiceUpdate,
  type InvoiceRefundResult,
  type invoiceRefundWorkflow,
} from '../../workflows/refund';
import { InvoiceId, ProcessStatus, TelegramUserId } from '../../workflows/search-attributes';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { invoices, outboxMessages } from '../db/schema';

export const commissionWorkflowId = (invoiceId: string) => `commission:${invoiceId}`;
export const payoutWorkflowId = (payoutId: string) => `payout:${payoutId}`;
export const refundWorkflowId = (invoiceId: string) => `refund:${invoiceId}`;
export const redeliveryWorkflowId = (key: string) => `redeliver:${key}`;

const PAYOUT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class UnknownInvoiceError extends Error {
  constructor(invoiceId: string) {
    super(`There is no invoice "${invoiceId}"`);
    this.name = 'UnknownInvoiceError';
  }
}
export class InvoiceNotRefundableError extends Error {
  constructor(invoiceId: string, status: string, why = 'only a paid invoice can be refunded') {
    super(`Invoice ${invoiceId} is ${status}; ${why}`);
    this.name = 'InvoiceNotRefundableError';
  }
}
export class UnknownPayoutError extends Error {
  constructor(payoutId: string) {
    super(`There is no payout "${payoutId}"`);
    this.name = 'UnknownPayoutError';
  }
}
/** A decision the payout's state did not allow: says the state and which admin decided it. */
export class PayoutActionError extends Error {
  constructor(
    readonly payoutId: string,
    readonly status: string,
    readonly action: 'approve' | 'reject' | 'markPaid',
    readonly decidedBy?: number,
  ) {
    super(
      `Payout ${payoutId} is ${status}${decidedBy !== undefined ? ` (decided by ${decidedBy})` : ''}: it cannot be ${{ approve: 'approved', reject: 'rejected', markPaid: 'marked paid' }[action]}`,
    );
    this.name = 'PayoutActionError';
  }
}
export class UnknownMessageError extends Error {
  constructor(key: string) {
    super(`There is no outbox message "${key}"`);
    this.name = 'UnknownMessageError';
  }
}

export interface PayoutRequest {
  /** Give one (e.g. derived from the bot dialog) to make a repeated submission the same request. */
  payoutId?: string;
  requesterId: number;
  amountMinor: bigint;
  currency: string;
  network: string;
  wallet: string;
  source?: PayoutSource;
}

type MoneyConfig = Pick<Config, 'temporal' | 'referral' | 'payout'>;

export function createMoneyCommands(deps: { client: Client; db: Database; config: MoneyConfig }) {
  const { client, db, config } = deps;
  const taskQueue = config.temporal.taskQueue;

  async function payoutView(payoutId: string): Promise<PayoutView> {
    try {
      return await client.workflow.getHandle(payoutWorkflowId(payoutId)).query(payoutStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new UnknownPayoutError(payoutId);
      throw error;
    }
  }

  /**
   * Sends the decision as an update and answers with what really happened: the outcome once the
   * workflow has applied it, or PayoutActionError with the state someone else's decision left.
   */
  async function decide(payoutId: string, decision: PayoutDecision): Promise<PayoutDecisionOutcome> {
    if (!PAYOUT_ID.test(payoutId)) throw new UnknownPayoutError(payoutId);
    try {
      return await client.workflow
        .getHandle(payoutWorkflowId(payoutId))
        .executeUpdate(payoutDecisionUpdate, { args: [decision] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        if (cause instanceof ApplicationFailure && cause.type === PAYOUT_DECISION_REFUSED) {
          const refusal = cause.details?.[0] as PayoutDecisionRefusal | undefined;
          if (refusal) throw new PayoutActionError(payoutId, refusal.status, decision.action, refusal.decidedBy);
        }
        throw error;
      }
      // Ended (decided) before this update reached it, or never existed: the state says which.
      if (error instanceof WorkflowNotFoundError) {
        const view = await payoutView(payoutId);
        throw new PayoutActionError(payoutId, view.status, decision.action, view.decidedBy);
      }
      throw error;
    }
  }

  return {
    /** From the invoice workflow (through an activity): start `commission:<invoiceId>` once. */
    async startCommission(invoiceId: string, payerId: number, referrerId: number): Promise<void> {
      try {
        await client.workflow.start<typeof commissionWorkflow>('commissionWorkflow', {
          workflowId: commissionWorkflowId(invoiceId),
          taskQueue,
          args: [{ invoiceId, holdMs: config.referral.holdMs }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: TelegramUserId, value: referrerId },
            { key: InvoiceId, value: invoiceId },
            { key: ProcessStatus, value: 'starting' },
          ],
          memo: { payerId },
        });
      } catch (error) {
        // Already ran (e.g. a refund reached it first): nothing more to start.
        if (error instanceof WorkflowExecutionAlreadyStartedError) return;
        throw error;
      }
    },

    /** Tells the commission about a refund; starts a new run when the last one ended (after the hold). */
    async refundCommission(invoiceId: string, by: string): Promise<void> {
      await client.workflow.signalWithStart<typeof commissionWorkflow, [{ by: string }]>('commissionWorkflow', {
        workflowId: commissionWorkflowId(invoiceId),
        taskQueue,
        args: [{ invoiceId, holdMs: config.referral.holdMs }],
        signal: refundCommissionSignal,
        signalArgs: [{ by }],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: InvoiceId, value: invoiceId },
          { key: ProcessStatus, value: 'starting' },
        ],
      });
    },

    async commissionState(invoiceId: string): Promise<CommissionView | undefined> {
      try {
        return await client.workflow.getHandle(commissionWorkflowId(invoiceId)).query(commissionStateQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    },

    /**
     * Admin/ops: the invoice's payment went back to the buyer. Marks it refunded and reverses the
     * referrer's commission, through `refund:<invoiceId>` (update-with-start); waits for it. Refunding twice
     * is a no-op, and the second caller is told so (`alreadyRefunded`, `refundedBy`), even when both ask at once.
     */
    async refundInvoice(invoiceId: string, by: string, reason?: string): Promise<InvoiceRefundResult> {
      const [row] = await db
        .select({ status: invoices.status, orderId: invoices.orderId })
        .from(invoices)
        .where(eq(invoices.id, invoiceId));
      if (!row) throw new UnknownInvoiceError(invoiceId);
      // An order's money sits in its escrow: refunding the invoice alone would let the escrow pay the seller too.
      if (row.orderId)
        throw new InvoiceNotRefundableError(
          invoiceId,
          row.status,
          `it pays for order ${row.orderId}: refund the order instead (refund-order ${row.orderId})`,
        );
      if (!REFUNDABLE.has(row.status)) throw new InvoiceNotRefundableError(invoiceId, row.status);
      const workflowId = refundWorkflowId(invoiceId);
      const requestId = randomUUID();
      const start = new WithStartWorkflowOperation<typeof invoiceRefundWorkflow>('invoiceRefundWorkflow', {
        workflowId,
        taskQueue,
        args: [{ invoiceId, by, reason, requestId }],
        // A request while the refund runs joins it (and is told whose refund it was).
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A refund that failed (e.g. a bug fixed since) may be asked again; a completed one not.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: InvoiceId, value: invoiceId },
          { key: ProcessStatus, value: 'refunding' },
        ],
      });
      try {
        return await client.workflow.executeUpdateWithStart(refundInvoiceUpdate, {
          args: [{ by, requestId }],
          startWorkflowOperation: start,
        });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          const cause = error.cause;
          if (cause instanceof ApplicationFailure && cause.type === INVOICE_ALREADY_REFUNDED && cause.details?.[0])
            return cause.details[0] as InvoiceRefundResult;
          throw error;
        }
        // The refund has completed already: its result says who asked for it.
        const done = await client.workflow
          .getHandle<typeof invoiceRefundWorkflow>(workflowId)
          .result()
          .catch(() => undefined);
        if (!done) throw error;
        return { ...done, alreadyRefunded: true };
      }
    },

    /**
     * A referrer, a seller or a buyer owed a refund asks to be paid. Validates wallet, network,
     * currency (not Stars) and the payee kind's minimum (throws PayoutRequestError), then starts
     * `payout:<id>` with an update that answers once the amount is reserved, or refused because the
     * available balance does not cover it (a negative balance after a clawback covers nothing).
     */
    async requestPayout(request: PayoutRequest): Promise<PayoutOutcome> {
      const source = request.source ?? 'referrer';
      const valid = validatePayoutRequest(request, payoutMinimum(config.payout, source));
      const payoutId = request.payoutId ?? `po${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
      if (!PAYOUT_ID.test(payoutId))
        throw new PayoutRequestError({ code: 'amount', message: `"${payoutId.slice(0, 70)}" is not a payout id` });
      const workflowId = payoutWorkflowId(payoutId);
      const start = new WithStartWorkflowOperation<typeof payoutWorkflow>('payoutWorkflow', {
        workflowId,
        taskQueue,
        args: [
          {
            payoutId,
            source,
            requesterId: request.requesterId,
            amountMinor: valid.amountMinor.toString(),
            currency: valid.currency,
            network: valid.network,
            wallet: valid.wallet,
            reminderEveryMs: config.payout.reminderEveryMs,
          },
        ],
        // The same payout id again (a double tap) gets the first request's answer.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: TelegramUserId, value: request.requesterId },
          { key: ProcessStatus, value: 'reserving' },
        ],
      });
      try {
        return await client.workflow.executeUpdateWithStart(payoutAcceptedUpdate, { startWorkflowOperation: start });
      } catch (error) {
        // That id belongs to a payout that has already ended: report how it was decided.
        const view = await client.workflow
          .getHandle(workflowId)
          .query(payoutStateQuery)
          .catch(() => undefined);
        if (!view?.reservation) throw error;
        return { ...view.reservation, payoutId };
      }
    },

    payoutState: payoutView,
    /** `expectedStatus`: decide only if the payout is still as the admin saw it (a button on a request). */
    approvePayout: (payoutId: string, by: number, expectedStatus?: PayoutStatus) =>
      decide(payoutId, { action: 'approve', by, expectedStatus }),
    rejectPayout: (payoutId: string, by: number, reason: string, expectedStatus?: PayoutStatus) =>
      decide(payoutId, {
        action: 'reject',
        by,
        reason: reason.trim().slice(0, 500) || 'no reason given',
        expectedStatus,
      }),
    async markPayoutPaid(payoutId: string, by: number, txHash: string): Promise<PayoutDecisionOutcome> {
      if (!PAYOUT_ID.test(payoutId)) throw new UnknownPayoutError(payoutId);
      const view = await payoutView(payoutId);
      const hash = validateTxHash(view.network as PayoutNetwork, txHash);
      if (typeof hash !== 'string') throw new PayoutRequestError(hash);
      return decide(payoutId, { action: 'markPaid', by, txHash: hash });
    },

    /**
     * Ops: sends a failed message again, exactly once: concurrent replays of one message share the
     * workflow `redeliver:<key>`, and only a failed outbox row is re-opened.
     */
    async replayDelivery(key: string, by: string): Promise<RedeliveryResult> {
      const [row] = await db
        .select({ chatId: outboxMessages.chatId })
        .from(outboxMessages)
        .where(eq(outboxMessages.key, key));
      if (!row) throw new UnknownMessageError(key);
      const handle = await client.workflow.start<typeof redeliveryWorkflow>('redeliveryWorkflow', {
        workflowId: redeliveryWorkflowId(key),
        taskQueue,
        args: [{ key, by }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: TelegramUserId, value: row.chatId },
          { key: ProcessStatus, value: 'replaying' },
        ],
      });
      return handle.result();
    },
  };
}
