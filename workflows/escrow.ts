/**
 * Escrow workflow (`escrow:<orderId>`): a paid marketplace sale between payment and the seller's
 * money. Started by the order workflow once the order is recorded paid. It splits the order's escrow
 * into the platform's fee and the seller's held proceeds, waits out the hold on a durable timer, and
 * releases the proceeds to the seller, unless one of these comes inside the hold:
 *   - `refund` (an admin or ops; an Update answering what happened, the old signal still heard):
 *     the money goes back to the buyer (on the rail itself for Stars) and the order is refunded;
 *   - `dispute` (the buyer, with a reason; an Update): the release is frozen, admins are alerted
 *     and reminded every DISPUTE_REMINDER_EVERY until one of them decides with `resolveDispute`
 *     (refund the buyer, release to the seller, or split).
 * Every end is one keyed posting by the order id, and only the main loop moves money, so a retry,
 * a repeated request or two admins deciding at once move it once; each caller is told the truth.
 * A refund after the release is not this workflow's (it has ended): see workflows/clawback.ts.
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
import {
  decidedBy,
  decisionRefusal,
  DISPUTE_REFUSED,
  disputeReason,
  disputeRefusal,
  type DisputeDecision,
  type DisputeDecisionType,
} from '../domain/dispute';
import { FINAL_ESCROW_STAGES, salePrice, type EscrowStage } from '../domain/escrow';
import type { Rail } from '../domain/rail';
import { ProcessStatus, ReleaseAt } from './search-attributes';

export interface EscrowInput {
  orderId: string;
  invoiceId: string;
  rail: Rail;
  sellerId: number;
  buyerId: number;
  /** The sale's currency (XTR for Stars). */
  currency: string;
  /** From configuration (ESCROW_HOLD). */
  holdMs: number;
  /** From configuration (MARKETPLACE_FEE_BPS): the platform's commission in basis points. */
  feeBps: number;
}

/** How a dispute was decided, and by whom (an admin's Telegram id, or `ops`). */
export interface DisputeOutcome {
  type: DisputeDecisionType;
  /** Split: what the buyer got back, minor units. */
  buyerShareMinor?: string;
  /** Split: what the seller got released, minor units. */
  releasedMinor?: string;
  by: string;
  at: number;
}

export interface DisputeView {
  reason: string;
  openedAt: number;
  remindersSent: number;
  outcome?: DisputeOutcome;
}

export interface EscrowView {
  orderId: string;
  stage: EscrowStage;
  /** When the hold ends (the order's payment time + the hold); a dispute freezes the release past it. */
  releaseAt?: number;
  currency: string;
  priceMinor?: string;
  feeMinor?: string;
  heldMinor?: string;
  refundedBy?: string;
  dispute?: DisputeView;
}

/** What a `refund` request came to: this request refunded, another one had, or the hold ended otherwise. */
export type RefundOutcome = 'refunded' | 'already-refunded' | 'released' | 'split';
export interface RefundAnswer {
  outcome: RefundOutcome;
  escrow: EscrowView;
}

export interface DisputeRequest {
  buyerId: number;
  reason: string;
  /** From configuration (DISPUTE_REMINDER_EVERY), given by the edge that opens the dispute. */
  reminderEveryMs: number;
}

export interface ResolveDisputeRequest {
  decision: DisputeDecision;
  /** The admin's Telegram id, or `ops`. */
  by: string;
}

/** `applied`: this request decided; otherwise `escrow.dispute.outcome` (or the stage) says what was. */
export interface ResolveDisputeAnswer {
  applied: boolean;
  escrow: EscrowView;
}

/** The validator's refusal of a decision on a dispute already decided: the escrow as decided, in `details`. */
export const DISPUTE_DECIDED = 'DisputeDecided';

/** The old fire-and-forget refund, still heard for signals sent before the Update existed. */
export const refundEscrowSignal = defineSignal<[{ by: string }]>('refund');
export const refundEscrowUpdate = defineUpdate<RefundAnswer, [{ by: string }]>('refund');
export const disputeUpdate = defineUpdate<EscrowView, [DisputeRequest]>('dispute');
export const resolveDisputeUpdate = defineUpdate<ResolveDisputeAnswer, [ResolveDisputeRequest]>('resolveDispute');
export const escrowStateQuery = defineQuery<EscrowView>('escrowState');

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

/** How the hold ends: decided by the main loop only, from the requests the handlers recorded. */
type Ending =
  | { type: 'release'; by?: string }
  | { type: 'refund'; by: string }
  | { type: 'split'; buyerShareMinor: string; by: string };

const refused = (reason: string) =>
  ApplicationFailure.create({ type: DISPUTE_REFUSED, message: reason, details: [reason], nonRetryable: true });

export async function escrowWorkflow(input: EscrowInput): Promise<EscrowView> {
  const { orderId, sellerId, buyerId } = input;
  // Since `escrow-disputes`: ReleaseAt, the seller's release email, the refund notices. Asked first,
  // so a run started before it keeps its old commands throughout.
  const disputesEra = patched('escrow-disputes');
  let refundBy: string | undefined;
  let view: EscrowView = { orderId, stage: 'holding', currency: input.currency };
  /** The dispute's decision, taken by the first admin whose request got here. */
  let decision: (DisputeDecision & { by: string }) | undefined;
  let disputeRecorded = false;
  let reminderEveryMs = 0;
  /** The money has moved and everyone was told: the handlers answer now. */
  let settled = false;

  const setStage = (stage: EscrowStage) => {
    view = { ...view, stage, ...(refundBy !== undefined && stage === 'refunded' ? { refundedBy: refundBy } : {}) };
    upsertSearchAttributes([{ key: ProcessStatus, value: stage }]);
  };
  const snapshot = (): EscrowView => JSON.parse(JSON.stringify(view)) as EscrowView;
  const ended = () => FINAL_ESCROW_STAGES.has(view.stage);
  /** A refund or a decision is on its way: nothing else can start now. */
  const ending = () => ended() || refundBy !== undefined || decision !== undefined;

  setHandler(refundEscrowSignal, ({ by }) => {
    // The first refund counts, a repeat changes nothing; once the hold has ended, nothing does.
    if (!ending()) refundBy = by;
  });
  setHandler(
    refundEscrowUpdate,
    async ({ by }): Promise<RefundAnswer> => {
      const mine = !ending();
      if (mine) refundBy = by;
      await condition(() => settled);
      const outcome: RefundOutcome =
        view.stage === 'refunded'
          ? mine && view.refundedBy === by
            ? 'refunded'
            : 'already-refunded'
          : view.stage === 'split'
            ? 'split'
            : 'released';
      return { outcome, escrow: snapshot() };
    },
    {
      validator: ({ by }: { by: string }) => {
        if (typeof by !== 'string' || by.length === 0 || by.length > 100) throw new Error('who refunds must be named');
      },
    },
  );
  setHandler(
    disputeUpdate,
    async (request: DisputeRequest): Promise<EscrowView> => {
      view = {
        ...view,
        dispute: { reason: disputeReason(request.reason)!, openedAt: Date.now(), remindersSent: 0 },
      };
      reminderEveryMs = request.reminderEveryMs;
      // Before the hold is posted the main loop sets the stage; after it, the dispute does.
      if (view.stage === 'held') setStage('disputed');
      await acts.recordDispute({
        orderId,
        buyerId,
        sellerId,
        reason: view.dispute!.reason,
        currency: input.currency,
      });
      disputeRecorded = true;
      return snapshot();
    },
    {
      validator: (request: DisputeRequest) => {
        if (request?.buyerId !== buyerId) throw refused('not-buyer');
        if (disputeReason(request.reason) === undefined) throw refused('bad-reason');
        if (!(Number.isSafeInteger(request.reminderEveryMs) && request.reminderEveryMs > 0))
          throw new Error('reminderEveryMs must be a whole number of ms above 0');
        if (refundBy !== undefined) throw refused('refunded');
        const refusal = disputeRefusal({
          stage: view.stage,
          releaseAt: view.releaseAt,
          disputed: view.dispute !== undefined,
          now: Date.now(),
        });
        if (refusal) throw refused(refusal);
      },
    },
  );
  setHandler(
    resolveDisputeUpdate,
    async (request: ResolveDisputeRequest): Promise<ResolveDisputeAnswer> => {
      // Of two admins deciding at once the first decides; the other is answered with that decision.
      const mine = !ending();
      if (mine) decision = { ...request.decision, by: request.by };
      await condition(() => settled);
      return { applied: mine, escrow: snapshot() };
    },
    {
      validator: ({ decision: asked, by }: ResolveDisputeRequest) => {
        if (typeof by !== 'string' || by.length === 0 || by.length > 100) throw new Error('who decides must be named');
        if (view.dispute === undefined) throw refused('no-dispute');
        // Decided already: refused at once, with what was decided.
        if (settled)
          throw ApplicationFailure.create({
            type: DISPUTE_DECIDED,
            message: `The dispute on order ${orderId} was already decided`,
            details: [snapshot()],
            nonRetryable: true,
          });
        const malformed = decisionRefusal(asked, {
          priceMinor: BigInt(view.priceMinor ?? '0'),
          currency: input.currency,
        });
        if (malformed) throw new Error(malformed);
      },
    },
  );
  setHandler(escrowStateQuery, () => view);

  const facts = await acts.holdSale({
    orderId,
    sellerId,
    currency: input.currency,
    feeBps: input.feeBps,
    holdMs: input.holdMs,
  });
  view = { ...view, ...facts };
  view = { ...view, stage: view.dispute ? 'disputed' : 'held' };
  upsertSearchAttributes([
    { key: ProcessStatus, value: view.stage },
    ...(disputesEra ? [{ key: ReleaseAt, value: new Date(facts.releaseAt) }] : []),
  ]);

  const noticeVars = async () => ({
    ...(await acts.disputeNoticeVars({ orderId })),
    reason: view.dispute?.reason ?? '',
  });
  let chosen: Ending | undefined;
  let alerted = false;
  while (chosen === undefined) {
    if (view.dispute === undefined) {
      // The hold is a durable timer: a worker restart does not shorten or lose it; a refund ends it
      // early, a dispute freezes it.
      await condition(
        () => refundBy !== undefined || view.dispute !== undefined,
        Math.max(facts.releaseAt - Date.now(), 1),
      );
      if (refundBy !== undefined) chosen = { type: 'refund', by: refundBy };
      else if (view.dispute === undefined) chosen = { type: 'release' };
      continue;
    }
    if (!alerted) {
      await condition(() => disputeRecorded);
      const vars = await noticeVars();
      await acts.alertAdminsOfDispute({
        orderId,
        key: `dispute:${orderId}:alert`,
        message: 'admin-dispute-open',
        vars,
      });
      await acts.notifySeller({
        sellerId,
        key: `${orderId}:dispute-opened`,
        message: 'dispute-opened-seller',
        vars,
        email: { alert: 'dispute', subject: 'email-dispute-subject', text: 'email-dispute-text' },
      });
      alerted = true;
      continue;
    }
    const decided = await condition(() => refundBy !== undefined || decision !== undefined, reminderEveryMs);
    if (decision !== undefined) {
      chosen =
        decision.type === 'split'
          ? { type: 'split', buyerShareMinor: decision.buyerShareMinor, by: decision.by }
          : decision.type === 'refund'
            ? { type: 'refund', by: decision.by }
            : { type: 'release', by: decision.by };
      // The refund path names who refunded.
      if (decision.type === 'refund') refundBy = decision.by;
    } else if (refundBy !== undefined) chosen = { type: 'refund', by: refundBy };
    else if (!decided) {
      const remindersSent = view.dispute.remindersSent + 1;
      view = { ...view, dispute: { ...view.dispute, remindersSent } };
      await acts.alertAdminsOfDispute({
        orderId,
        key: `dispute:${orderId}:reminder:${remindersSent}`,
        message: 'admin-dispute-reminder',
        vars: await noticeVars(),
      });
    }
  }

  let end: Ending = chosen;
  let splitReleasedMinor: string | undefined;
  if (end.type === 'release') {
    const { released } = await acts.releaseSale({ orderId, sellerId });
    if (released) {
      setStage('released');
      const vars = await acts.escrowNoticeVars({ orderId, sellerId });
      await acts.notifyUser({
        key: `${orderId}:escrow-released`,
        userId: sellerId,
        message: 'escrow-released-seller',
        vars,
      });
      if (disputesEra)
        await acts.emailSellerAlert({
          sellerId,
          alert: 'release',
          key: `${orderId}:escrow-released`,
          subject: 'email-release-subject',
          text: 'email-release-text',
          vars,
        });
    } else {
      refundBy = 'ledger';
      end = { type: 'refund', by: refundBy };
    }
  }
  if (end.type === 'split') {
    // Split is refused for Stars (the validator): the buyer's share is a refund payable, paid to their wallet.
    const result = await acts.settleSplit({
      orderId,
      sellerId,
      buyerId,
      buyerShareMinor: end.buyerShareMinor,
      by: end.by,
    });
    splitReleasedMinor = result.releasedMinor;
    setStage('split');
    await acts.tellBuyerOfRefund({
      key: `${orderId}:escrow-split:buyer`,
      buyerId,
      onRail: false,
      kind: 'split',
      vars: {
        ...(await acts.escrowNoticeVars({ orderId, sellerId })),
        refund: salePrice(BigInt(end.buyerShareMinor), input.currency),
      },
    });
  }
  if (end.type === 'refund') {
    // Stars give the money back on the rail (already refunded counts as done), then the ledger follows.
    const by = end.by;
    const { refundedOnRail } = await acts.refundOnRail({ invoiceId: input.invoiceId });
    await acts.refundSale({
      orderId,
      sellerId,
      buyerId,
      by,
      ...(refundedOnRail ? { gateway: input.rail } : {}),
    });
    await acts.markInvoiceRefunded({ invoiceId: input.invoiceId, by, reason: `order ${orderId} refunded` });
    refundBy = by;
    setStage('refunded');
    log.info('escrow refunded', { orderId, by, refundedOnRail });
    if (disputesEra) {
      const vars = {
        ...(await acts.escrowNoticeVars({ orderId, sellerId })),
        refund: salePrice(BigInt(view.priceMinor ?? '0'), input.currency),
      };
      await acts.tellBuyerOfRefund({
        key: `${orderId}:escrow-refunded:buyer`,
        buyerId,
        onRail: refundedOnRail,
        kind: 'refund',
        vars,
      });
      // A disputed sale's seller hears it as the dispute's decision (below).
      if (view.dispute === undefined)
        await acts.notifySeller({
          sellerId,
          key: `${orderId}:escrow-refunded:seller`,
          message: 'escrow-refunded-seller',
          vars,
        });
    }
  }

  if (view.dispute !== undefined) {
    const type: DisputeDecisionType = end.type;
    const by = end.by ?? 'ops';
    const outcome: DisputeOutcome = {
      type,
      by,
      at: Date.now(),
      ...(end.type === 'split' ? { buyerShareMinor: end.buyerShareMinor, releasedMinor: splitReleasedMinor } : {}),
    };
    view = { ...view, dispute: { ...view.dispute, outcome } };
    await condition(() => disputeRecorded);
    await acts.closeDispute({
      orderId,
      decision: type,
      ...(/^\d+$/.test(by) ? { by: Number(by) } : {}),
      ...(outcome.buyerShareMinor !== undefined ? { buyerShareMinor: outcome.buyerShareMinor } : {}),
    });
    const vars = {
      ...(await noticeVars()),
      outcome: type,
      by: decidedBy(by),
      share: outcome.buyerShareMinor ? salePrice(BigInt(outcome.buyerShareMinor), input.currency) : '',
      released: outcome.releasedMinor ? salePrice(BigInt(outcome.releasedMinor), input.currency) : '',
    };
    // Every admin's alert shows the decision (its buttons gone) before any request is answered.
    await acts.markDisputeAlerts({ orderId, message: 'admin-dispute-decided', vars });
    await acts.notifySeller({
      sellerId,
      key: `${orderId}:dispute-decided:seller`,
      message: 'dispute-decided-seller',
      vars,
      email: { alert: 'dispute', subject: 'email-dispute-decided-subject', text: 'email-dispute-decided-text' },
    });
    // A refund or split told the buyer already, with the money; a release is told here.
    if (type === 'release')
      await acts.notifyUser({
        key: `${orderId}:dispute-decided:buyer`,
        userId: buyerId,
        message: 'dispute-released-buyer',
        vars,
      });
  }
  settled = true;
  await condition(allHandlersFinished);
  return view;
}
