/**
 * Commands for admin resolutions (`resolution:<invoiceId>`), merged into `Commands` (see commands.ts):
 * the invoice workflow opens a case (through an activity), admins and ops decide it with the
 * `resolve` Update, and ops lists the open ones.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { INVOICE_ID_PATTERN } from '../../domain/invoice';
import {
  inputRefusal,
  normaliseAction,
  stateRefusal,
  type OpenResolutionInput,
  type ResolutionAction,
  type ResolutionActor,
} from '../../domain/resolution';
import {
  moneyArrivedSignal,
  resolutionStateQuery,
  type MoneyArrived,
  resolveUpdate,
  type resolutionWorkflow,
  type ResolutionView,
  type ResolveResult,
} from '../../workflows/resolution';
import { InvoiceId, ProcessStatus, TelegramUserId } from '../../workflows/search-attributes';
import type { Config } from '../config';

export const resolutionWorkflowId = (invoiceId: string) => `resolution:${invoiceId}`;

export type { OpenResolutionInput } from '../../domain/resolution';

export class UnknownResolutionError extends Error {
  constructor(invoiceId: string) {
    super(`There is no resolution for invoice "${invoiceId}"`);
    this.name = 'UnknownResolutionError';
  }
}

/** The action cannot be taken: malformed, or not one this case allows. Nothing was changed. */
export class ResolutionRefusedError extends Error {
  constructor(
    invoiceId: string,
    readonly reason: string,
  ) {
    super(`Invoice ${invoiceId}: ${reason}`);
    this.name = 'ResolutionRefusedError';
  }
}

export const unresolvedQuery = `WorkflowType = 'resolutionWorkflow' AND ExecutionStatus = 'Running'`;

export function createResolutionCommands(deps: { client: Client; config: Pick<Config, 'temporal' | 'resolution'> }) {
  const { client, config } = deps;
  const taskQueue = config.temporal.taskQueue;

  async function resolutionState(invoiceId: string): Promise<ResolutionView | undefined> {
    if (!INVOICE_ID_PATTERN.test(invoiceId)) return undefined;
    try {
      return await client.workflow.getHandle(resolutionWorkflowId(invoiceId)).query(resolutionStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * An admin's or ops' decision. Resolves with `applied: true` when this request decided, or
   * `applied: false` with what had been decided already (another admin was first). Throws
   * ResolutionRefusedError for malformed input or an action the case does not allow,
   * UnknownResolutionError when there is no case for the invoice.
   */
  async function resolve(invoiceId: string, raw: ResolutionAction, by: ResolutionActor): Promise<ResolveResult> {
    const action = normaliseAction(raw);
    const malformed = inputRefusal(action);
    if (malformed) throw new ResolutionRefusedError(invoiceId, malformed);
    const before = await resolutionState(invoiceId);
    if (!before) throw new UnknownResolutionError(invoiceId);
    const refusal = before.status === 'resolving' ? undefined : stateRefusal(before.status, before.kinds, action);
    if (refusal && !refusal.settled) throw new ResolutionRefusedError(invoiceId, refusal.reason);
    if (refusal) return { applied: false, view: before };
    try {
      return await client.workflow
        .getHandle(resolutionWorkflowId(invoiceId))
        .executeUpdate(resolveUpdate, { args: [{ action, by }] });
    } catch (error) {
      // Decided (or closed) between the look and the update: say what was decided.
      if (!(error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError)) throw error;
      const now = await resolutionState(invoiceId);
      if (!now) throw new UnknownResolutionError(invoiceId);
      const after = stateRefusal(now.status, now.kinds, action);
      if (after?.settled) return { applied: false, view: now };
      throw new ResolutionRefusedError(
        invoiceId,
        error instanceof WorkflowUpdateFailedError ? (error.cause?.message ?? error.message) : error.message,
      );
    }
  }

  return {
    /** Starts the case or adds money to it (signal-with-start); after a closed case, a new run for new money. */
    async openResolution(input: OpenResolutionInput): Promise<void> {
      await client.workflow.signalWithStart<typeof resolutionWorkflow, [MoneyArrived]>('resolutionWorkflow', {
        workflowId: resolutionWorkflowId(input.invoiceId),
        taskQueue,
        args: [
          {
            invoiceId: input.invoiceId,
            userId: input.userId,
            planId: input.planId,
            currency: input.currency,
            provider: input.provider,
            reminderEveryMs: config.resolution.reminderEveryMs,
          },
        ],
        signal: moneyArrivedSignal,
        signalArgs: [{ key: `${input.kind}:${input.amount}`, kind: input.kind, amount: input.amount }],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: InvoiceId, value: input.invoiceId },
          { key: TelegramUserId, value: input.userId },
          { key: ProcessStatus, value: 'open' },
        ],
      });
    },

    resolutionState,

    resolve,

    /** The refund of a decided case was paid out in this transaction. */
    refundPaid: (invoiceId: string, txHash: string, by: ResolutionActor): Promise<ResolveResult> =>
      // Through the same Update (and validator) as every other decision.
      resolve(invoiceId, { type: 'refundPaid', txHash }, by),

    /** Cases still waiting for a decision or a refund payout (Temporal visibility, newest first). */
    async unresolved(limit = 100): Promise<ResolutionView[]> {
      const views: ResolutionView[] = [];
      for await (const info of client.workflow.list({ query: unresolvedQuery, pageSize: Math.min(limit, 100) })) {
        const invoiceId = info.typedSearchAttributes.get(InvoiceId) ?? info.workflowId.replace(/^resolution:/, '');
        const view = await resolutionState(invoiceId).catch(() => undefined);
        if (view && view.status !== 'resolved') views.push(view);
        if (views.length >= limit) break;
      }
      return views;
    },
  };
}
