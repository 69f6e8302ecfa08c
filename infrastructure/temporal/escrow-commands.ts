/**
 * The edges' side of a sale's escrow (`escrow:<orderId>`), merged into `Commands` (commands.ts):
 * refund an order (inside the hold through the escrow's `refund` update, after the release as a
 * clawback in `clawback:<orderId>`), open a dispute (the buyer) and resolve it (an admin), and the
 * escrow's state. Each is an Update, so the caller learns what really happened, including what
 * another admin did first; the DB look before it only answers the obvious refusals early.
 */
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { DISPUTE_REFUSED, disputeReason, type DisputeDecision, type DisputeRefusal } from '../../domain/dispute';
import { OWNED_ORDER_STATUSES } from '../../domain/order';
import { STARS_CURRENCY } from '../../domain/rail';
import {
  CLAWBACK_DONE,
  clawbackUpdate,
  type ClawbackAnswer,
  type clawbackWorkflow,
  type ClawbackView,
} from '../../workflows/clawback';
import {
  DISPUTE_DECIDED,
  disputeUpdate,
  escrowStateQuery,
  refundEscrowUpdate,
  resolveDisputeUpdate,
  type EscrowView,
  type ResolveDisputeAnswer,
} from '../../workflows/escrow';
import { escrowWorkflowId } from '../../workflows/order-events';
import { OrderId, ProcessStatus, SellerId, TelegramUserId } from '../../workflows/search-attributes';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { disputes, orders } from '../db/schema';
import { openDisputes, salesReleasingSoon } from '../read-models/escrow';
import { UnknownOrderError } from './order-commands';

export const clawbackWorkflowId = (orderId: string) => `clawback:${orderId}`;

/** The buyer cannot open a dispute on this order now (`reason` says why, for the bot's message). */
export class DisputeRefusedError extends Error {
  constructor(
    orderId: string,
    readonly reason: DisputeRefusal,
  ) {
    super(`A dispute on order ${orderId} is refused: ${reason}`);
    this.name = 'DisputeRefusedError';
  }
}

/** A decision the dispute cannot take: there is none open (`no-dispute`), or the input is malformed. */
export class DisputeDecisionError extends Error {
  constructor(
    orderId: string,
    readonly reason: string,
  ) {
    super(`Order ${orderId}: ${reason}`);
    this.name = 'DisputeDecisionError';
  }
}

/** What a refund request came to: who asked for the refund that was applied, and where it ran. */
export type OrderRefundOutcome =
  | { outcome: 'refunded' | 'already-refunded'; orderId: string; by: string; escrow: EscrowView }
  | { outcome: 'clawed-back' | 'already-clawed-back'; orderId: string; by: string; clawback: ClawbackView }
  /** `split`: a dispute gave the buyer a part already; `not-released`: the escrow is neither held nor released whole. */
  | { outcome: 'refused'; orderId: string; reason: 'not-paid' | 'no-escrow' | 'split' | 'not-released' };

const failureOf = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause : undefined;

export function createEscrowCommands(deps: {
  client: Client;
  db: Database;
  config: Pick<Config, 'temporal' | 'orders'>;
}) {
  const { client, db, config } = deps;
  const taskQueue = config.temporal.taskQueue;
  const escrowOf = (orderId: string) => client.workflow.getHandle(escrowWorkflowId(orderId));

  /** Where a sale's escrow stands; undefined when its workflow never ran (or is gone). */
  async function escrowState(orderId: string): Promise<EscrowView | undefined> {
    try {
      return await escrowOf(orderId).query(escrowStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  async function orderRow(orderId: string) {
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!order) throw new UnknownOrderError(orderId);
    return order;
  }

  /** After the release: `clawback:<orderId>`, started with its `refund` update (the first request claws back). */
  async function clawBack(order: typeof orders.$inferSelect, by: string): Promise<OrderRefundOutcome> {
    const workflowId = clawbackWorkflowId(order.id);
    const requestId = randomUUID();
    const start = new WithStartWorkflowOperation<typeof clawbackWorkflow>('clawbackWorkflow', {
      workflowId,
      taskQueue,
      args: [
        {
          orderId: order.id,
          invoiceId: order.invoiceId!,
          rail: order.rail,
          sellerId: order.sellerId,
          buyerId: order.buyerId,
          currency: order.rail === 'stars' ? STARS_CURRENCY : order.currency!,
          by,
          requestId,
        },
      ],
      // A request while it runs joins it; a clawback that failed may be asked again, a finished one not.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: OrderId, value: order.id },
        { key: SellerId, value: order.sellerId },
        { key: TelegramUserId, value: order.buyerId },
        { key: ProcessStatus, value: 'clawing-back' },
      ],
    });
    let answer: ClawbackAnswer;
    try {
      answer = await client.workflow.executeUpdateWithStart(clawbackUpdate, {
        args: [{ by, requestId }],
        startWorkflowOperation: start,
      });
    } catch (error) {
      const failure = failureOf(error);
      if (failure?.type === CLAWBACK_DONE && failure.details?.[0]) answer = failure.details[0] as ClawbackAnswer;
      else {
        // It has completed already: its result says who asked for it.
        const done = await client.workflow
          .getHandle<typeof clawbackWorkflow>(workflowId)
          .result()
          .catch(() => undefined);
        if (!done) throw error;
        answer = { outcome: done.stage === 'refused' ? 'refused' : 'already-clawed-back', clawback: done };
      }
    }
    if (answer.outcome === 'refused') return { outcome: 'refused', orderId: order.id, reason: 'not-released' };
    return { outcome: answer.outcome, orderId: order.id, by: answer.clawback.by, clawback: answer.clawback };
  }

  /** What the escrow's state says about a refund, once it can no longer take one (it has ended). */
  async function afterTheHold(order: typeof orders.$inferSelect, by: string): Promise<OrderRefundOutcome> {
    const view = await escrowState(order.id);
    if (!view) return { outcome: 'refused', orderId: order.id, reason: 'no-escrow' };
    if (view.stage === 'refunded')
      return { outcome: 'already-refunded', orderId: order.id, by: view.refundedBy ?? 'unknown', escrow: view };
    if (view.stage === 'split') return { outcome: 'refused', orderId: order.id, reason: 'split' };
    if (view.stage === 'released') return clawBack(order, by);
    return { outcome: 'refused', orderId: order.id, reason: 'not-released' };
  }

  return {
    escrowState,

    /**
     * Admin or ops: refunds a paid order. Inside the hold (disputed or not) the escrow's `refund`
     * update refunds it (Stars on the rail, once however often asked); after the release it is a
     * clawback from the seller's available balance. Either way the answer says whether this
     * request did it or who did before.
     */
    async refundOrder(orderId: string, by: string): Promise<OrderRefundOutcome> {
      const order = await orderRow(orderId);
      if (order.status === 'awaiting_payment' || order.status === 'expired' || order.status === 'cancelled')
        return { outcome: 'refused', orderId, reason: 'not-paid' };
      try {
        const answer = await escrowOf(orderId).executeUpdate(refundEscrowUpdate, { args: [{ by }] });
        if (answer.outcome === 'refunded' || answer.outcome === 'already-refunded')
          return { outcome: answer.outcome, orderId, by: answer.escrow.refundedBy ?? by, escrow: answer.escrow };
        if (answer.outcome === 'split') return { outcome: 'refused', orderId, reason: 'split' };
        return await clawBack(order, by);
      } catch (error) {
        // The escrow has ended (or never ran): its last state decides.
        if (!(error instanceof WorkflowNotFoundError || error instanceof WorkflowUpdateFailedError)) throw error;
        return afterTheHold(order, by);
      }
    },

    /**
     * The buyer opens a dispute on a purchase inside its hold: the escrow's `dispute` update, which
     * freezes the release and records the `disputes` row. Throws DisputeRefusedError with the reason.
     */
    async openDispute(orderId: string, buyerId: number, text: string): Promise<EscrowView> {
      const reason = disputeReason(text);
      if (reason === undefined) throw new DisputeRefusedError(orderId, 'bad-reason');
      const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
      if (!order || order.buyerId !== buyerId) throw new DisputeRefusedError(orderId, 'not-buyer');
      if (order.status === 'refunded') throw new DisputeRefusedError(orderId, 'refunded');
      if (!(OWNED_ORDER_STATUSES as readonly string[]).includes(order.status))
        throw new DisputeRefusedError(orderId, 'not-paid');
      const [open] = await db.select().from(disputes).where(eq(disputes.orderId, orderId));
      if (open) throw new DisputeRefusedError(orderId, 'already-disputed');
      try {
        return await escrowOf(orderId).executeUpdate(disputeUpdate, {
          args: [{ buyerId, reason, reminderEveryMs: config.orders.disputeReminderEveryMs }],
        });
      } catch (error) {
        const failure = failureOf(error);
        if (failure?.type === DISPUTE_REFUSED)
          throw new DisputeRefusedError(orderId, (failure.details?.[0] ?? failure.message) as DisputeRefusal);
        if (!(error instanceof WorkflowNotFoundError || error instanceof WorkflowUpdateFailedError)) throw error;
        const view = await escrowState(orderId);
        if (!view) throw new DisputeRefusedError(orderId, 'no-escrow');
        throw new DisputeRefusedError(orderId, view.stage === 'refunded' ? 'refunded' : 'outside-hold');
      }
    },

    /**
     * An admin's (or ops') decision on an open dispute: `applied` when this request decided, else
     * the escrow as another decision left it. Throws DisputeDecisionError when there is no open
     * dispute to decide or the decision is malformed (a split's share out of range, Stars).
     */
    async resolveDispute(orderId: string, decision: DisputeDecision, by: string): Promise<ResolveDisputeAnswer> {
      try {
        return await escrowOf(orderId).executeUpdate(resolveDisputeUpdate, { args: [{ decision, by }] });
      } catch (error) {
        const failure = failureOf(error);
        if (failure?.type === DISPUTE_DECIDED && failure.details?.[0])
          return { applied: false, escrow: failure.details[0] as EscrowView };
        if (failure?.type === DISPUTE_REFUSED) throw new DisputeDecisionError(orderId, failure.message);
        if (error instanceof WorkflowUpdateFailedError)
          throw new DisputeDecisionError(orderId, error.cause?.message ?? error.message);
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        // The escrow has ended: decided (or ended) before this request.
        const view = await escrowState(orderId);
        if (view?.dispute) return { applied: false, escrow: view };
        throw new DisputeDecisionError(orderId, 'no-dispute');
      }
    },

    /** For /escrow: the next sales to be released and the open disputes, from the DB and the ledger. */
    async escrowOverview(limit = 10) {
      const [{ sales: releasing, overdue }, disputed] = await Promise.all([
        salesReleasingSoon(db, { limit, holdMs: config.orders.escrowHoldMs }),
        openDisputes(db, { limit }),
      ]);
      return { releasing, overdue, disputed };
    },
  };
}
