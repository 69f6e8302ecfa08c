/**
 * Resolution workflow (`resolution:<invoiceId>`): owns the money an invoice could not settle by
 * itself (a partial payment closed at expiry, money after the invoice closed unpaid, an overpayment)
 * until an admin decides: accept a partial as paid, credit the user (days of the plan, or a balance
 * for the next invoice), refund (payable, then paid out with a transaction hash) or write off.
 *
 * The invoice workflow opens it through the `openResolution` activity (signal-with-start of
 * `moneyArrived`); more money for the same invoice arrives as more signals, idempotent by key. What
 * is actually held comes from the ledger, never from the signals. Admins get the alert with buttons
 * and reminders while it waits; their decision is the `resolve` Update: the validator refuses
 * malformed input, actions the case does not allow and decisions on a case already decided, so of
 * two admins acting at once one decides and the other is answered with what was decided.
 */
import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { HeldForInvoice } from '../activities/resolutions';
import { fromMinor } from '../domain/money';
import {
  actionsFor,
  inputRefusal,
  stateRefusal,
  type ResolutionAction,
  type ResolutionActor,
  type ResolutionKind,
  type ResolutionStatus,
} from '../domain/resolution';
import { InvoiceId, ProcessStatus, TelegramUserId } from './search-attributes';

export interface ResolutionInput {
  invoiceId: string;
  userId: number;
  planId: string;
  currency: string;
  provider: string;
  /** From configuration (RESOLUTION_REMINDER_EVERY). */
  reminderEveryMs: number;
}

/** From the invoice workflow (through `openResolution`): money of this kind, its total so far. */
export interface MoneyArrived {
  /** Idempotency: the same key twice is one arrival. */
  key: string;
  kind: ResolutionKind;
  /** Exact decimal in the invoice currency: the total of this kind so far, as the invoice saw it. */
  amount: string;
}

export interface ResolutionOutcome {
  round: number;
  action: Exclude<ResolutionAction, { type: 'refundPaid' }>;
  by: ResolutionActor;
  at: number;
  /** What the decision moved, minor units. */
  amountMinor: string;
  /** Refunds: set once paid out. */
  refundPaid?: { txHash: string; by: ResolutionActor; at: number };
}

export interface ResolutionView {
  invoiceId: string;
  userId: number;
  planId: string;
  currency: string;
  status: ResolutionStatus;
  /** Which money is waiting (from the ledger): decides the actions offered. */
  kinds: ResolutionKind[];
  /** What the ledger holds for this invoice, minor units, by kind. */
  held: HeldForInvoice['held'];
  heldMinor: string;
  /** Days of the plan the held money is worth (at least 1), offered on the Credit button. */
  suggestedDays: number;
  /** What the invoice workflow reported, by kind (for the record). */
  reported: Partial<Record<ResolutionKind, string>>;
  round: number;
  /** The latest decision, and every one of this run. */
  outcome?: ResolutionOutcome;
  outcomes: ResolutionOutcome[];
  remindersSent: number;
}

export interface ResolveRequest {
  action: ResolutionAction;
  by: ResolutionActor;
}

/** `applied`: this request decided; otherwise `view.outcome` says what had already been decided. */
export interface ResolveResult {
  applied: boolean;
  view: ResolutionView;
}

export const moneyArrivedSignal = defineSignal<[MoneyArrived]>('moneyArrived');
export const resolveUpdate = defineUpdate<ResolveResult, [ResolveRequest]>('resolve');
export const resolutionStateQuery = defineQuery<ResolutionView>('resolutionState');

/** Callback data of the admin buttons (bot/features/resolutions.ts parses these). */
export const resolutionCallbacks = {
  accept: (invoiceId: string) => `res:accept:${invoiceId}`,
  credit: (invoiceId: string) => `res:credit:${invoiceId}`,
  refund: (invoiceId: string) => `res:refund:${invoiceId}`,
  writeoff: (invoiceId: string) => `res:writeoff:${invoiceId}`,
  refundPaid: (invoiceId: string) => `res:refundpaid:${invoiceId}`,
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

export async function resolutionWorkflow(input: ResolutionInput): Promise<ResolutionView> {
  const { invoiceId, userId, currency } = input;
  const { runId } = workflowInfo();
  const seenKeys = new Set<string>();
  let moneyVersion = 0;
  const view: ResolutionView = {
    invoiceId,
    userId,
    planId: input.planId,
    currency,
    status: 'open',
    kinds: [],
    held: [],
    heldMinor: '0',
    suggestedDays: 1,
    reported: {},
    round: 0,
    outcomes: [],
    remindersSent: 0,
  };
  /** The main loop is sending an alert or reminder (a decision waits for it before editing them). */
  let alerting = false;
  /** The main loop's messages to admins about this case. */
  const alertAdmins = async (n: Parameters<typeof acts.notifyAdmins>[0]) => {
    alerting = true;
    try {
      await acts.notifyAdmins(n);
    } finally {
      alerting = false;
    }
  };
  /** The status a decision in progress started from (restored if the decision fails). */
  let decidingFrom: ResolutionStatus | undefined;

  const setStatus = (status: ResolutionStatus) => {
    view.status = status;
    upsertSearchAttributes([{ key: ProcessStatus, value: status }]);
  };
  upsertSearchAttributes([
    { key: InvoiceId, value: invoiceId },
    { key: TelegramUserId, value: userId },
  ]);

  setHandler(moneyArrivedSignal, ({ key, kind, amount }) => {
    if (seenKeys.has(key)) return;
    seenKeys.add(key);
    view.reported[kind] = amount;
    moneyVersion += 1;
  });
  setHandler(resolutionStateQuery, () => view);
  setHandler(
    resolveUpdate,
    async ({ action, by }): Promise<ResolveResult> => {
      // Someone else's decision is being applied: answer with its outcome, not "try again".
      if (view.status === 'resolving') await condition(() => view.status !== 'resolving');
      if (stateRefusal(view.status, view.kinds, action)) return { applied: false, view: snapshot(view) };
      decidingFrom = view.status;
      setStatus('resolving');
      try {
        if (action.type === 'refundPaid') {
          const outcome = view.outcome!;
          await acts.recordResolutionRefundPaid({
            invoiceId,
            userId,
            currency,
            runId,
            round: outcome.round,
            txHash: action.txHash,
            by,
          });
          outcome.refundPaid = { txHash: action.txHash, by, at: Date.now() };
          setStatus('resolved');
          await tellUser(outcome, 'paid');
          await tellAdmins(outcome, 'refund-paid');
          return { applied: true, view: snapshot(view) };
        }
        const settled = await acts.settleResolution({
          invoiceId,
          userId,
          planId: input.planId,
          currency,
          runId,
          round: view.round,
          kinds: view.kinds,
          action,
          by,
        });
        const outcome: ResolutionOutcome = {
          round: view.round,
          action,
          by,
          at: Date.now(),
          amountMinor: settled.amountMinor,
        };
        view.outcome = outcome;
        view.outcomes.push(outcome);
        setStatus(action.type === 'refund' ? 'refund_pending' : 'resolved');
        await tellUser(outcome, 'decided');
        await tellAdmins(outcome, 'decided');
        return { applied: true, view: snapshot(view) };
      } catch (error) {
        if (view.status === 'resolving') setStatus(decidingFrom);
        throw error;
      } finally {
        decidingFrom = undefined;
      }
    },
    {
      validator: ({ action, by }: ResolveRequest) => {
        const malformed = inputRefusal(action);
        if (malformed) throw new Error(malformed);
        if (!by || (by.actor !== 'admin' && by.actor !== 'ops')) throw new Error('who decides must be an admin or ops');
        // A marketplace order's invoice has no plan: no days to add, and accepting it cannot deliver.
        if (input.planId === '' && (action.type === 'accept' || (action.type === 'credit' && action.mode === 'extend')))
          throw new Error("an order's payment is kept as balance, refunded or written off");
        // While another decision is applied the handler waits for it and answers with its outcome.
        if (view.status === 'resolving') return;
        const refusal = stateRefusal(view.status, view.kinds, action);
        if (refusal) throw new Error(refusal.reason);
      },
    },
  );

  const vars = () => ({
    invoiceId,
    userId: String(userId),
    kind: view.kinds.join('+') || 'none',
    amount: fromMinor(BigInt(view.heldMinor), currency),
    currency,
    days: String(view.suggestedDays),
  });
  const outcomeVars = (outcome: ResolutionOutcome) => ({
    ...vars(),
    amount: fromMinor(BigInt(outcome.amountMinor), currency),
    action: outcome.action.type === 'credit' ? `credit-${outcome.action.mode}` : outcome.action.type,
    days: outcome.action.type === 'credit' && outcome.action.mode === 'extend' ? String(outcome.action.days) : '',
    reason: outcome.action.type === 'writeoff' ? outcome.action.reason : '',
    by: outcome.by.actor === 'admin' ? `admin ${outcome.by.id ?? '?'}` : 'ops',
    txHash: outcome.refundPaid?.txHash ?? '',
  });
  const buttons = () =>
    actionsFor(view.kinds).map((type) => ({
      message: `resolution-${type}-button`,
      callback: resolutionCallbacks[type](invoiceId),
    }));

  async function tellUser(outcome: ResolutionOutcome, step: 'decided' | 'paid'): Promise<void> {
    const message =
      step === 'paid'
        ? 'resolution-user-refund-paid'
        : {
            accept: 'resolution-user-accepted',
            credit:
              outcome.action.type === 'credit' && outcome.action.mode === 'extend'
                ? 'resolution-user-extended'
                : 'resolution-user-balance',
            refund: 'resolution-user-refund',
            writeoff: 'resolution-user-closed',
          }[outcome.action.type];
    await acts.notifyUser({
      key: `resolution:${invoiceId}:${runId}:${outcome.round}:${step}`,
      userId,
      message,
      vars: outcomeVars(outcome),
    });
  }
  async function tellAdmins(outcome: ResolutionOutcome, step: 'decided' | 'refund-paid'): Promise<void> {
    const outcomeText = outcomeVars(outcome);
    // An alert or reminder still being sent is edited too, once it is out.
    await condition(() => !alerting);
    // First the alerts (buttons gone, the decision under them), so the Update answers after that.
    await acts.markResolutionAlerts({
      invoiceId,
      runId,
      round: outcome.round,
      message: 'admin-resolution-done',
      vars: { ...outcomeText, action: step === 'refund-paid' ? 'refund-paid' : outcomeText.action },
    });
    await acts.notifyAdmins({
      key: `resolution:${invoiceId}:${runId}:${outcome.round}:${step}`,
      message: step === 'refund-paid' ? 'admin-resolution-refund-paid' : 'admin-resolution-decided',
      vars: outcomeText,
    });
  }

  /** Reads what the ledger holds for this invoice now; false when nothing is. */
  async function refreshHeld(): Promise<boolean> {
    const found = await acts.heldForResolution({ invoiceId, userId, planId: input.planId, currency });
    view.held = found.held;
    view.heldMinor = found.totalMinor;
    view.kinds = found.kinds;
    view.suggestedDays = found.suggestedDays;
    return BigInt(found.totalMinor) > 0n;
  }

  // Handlers change the status while the main loop waits: read it through a function, not a narrowed field.
  const currentStatus = (): ResolutionStatus => view.status;
  let seenVersion = 0;
  await condition(() => moneyVersion > 0);
  // One round per batch of money: a late payment that arrives after a decision opens the next round.
  while (moneyVersion > seenVersion) {
    seenVersion = moneyVersion;
    view.round += 1;
    view.remindersSent = 0;
    if (!(await refreshHeld())) {
      // Nothing left for this invoice (e.g. a repeated call after the money was decided): no alert.
      log.info('resolution opened with nothing held', { invoiceId, round: view.round });
      setStatus('resolved');
      continue;
    }
    setStatus('open');
    let alerts = 1;
    await alertAdmins({
      key: `resolution:${invoiceId}:${runId}:${view.round}:alert:${alerts}`,
      message: 'admin-resolution-open',
      vars: vars(),
      buttons: buttons(),
    });
    while (view.status !== 'resolved') {
      const woke = await condition(
        () => view.status === 'resolved' || (view.status === 'open' && moneyVersion > seenVersion),
        input.reminderEveryMs,
      );
      if (currentStatus() === 'resolved') break;
      if (woke) {
        // More money while the admins have not decided: they decide on all of it.
        seenVersion = moneyVersion;
        await refreshHeld();
        alerts += 1;
        await alertAdmins({
          key: `resolution:${invoiceId}:${runId}:${view.round}:alert:${alerts}`,
          message: 'admin-resolution-open',
          vars: vars(),
          buttons: buttons(),
        });
        continue;
      }
      if (currentStatus() === 'resolving') continue;
      view.remindersSent += 1;
      const refundPending = view.status === 'refund_pending';
      await alertAdmins({
        key: `resolution:${invoiceId}:${runId}:${view.round}:reminder:${view.remindersSent}`,
        message: refundPending ? 'admin-resolution-refund-reminder' : 'admin-resolution-reminder',
        vars: refundPending ? outcomeVars(view.outcome!) : vars(),
        buttons: refundPending
          ? [{ message: 'resolution-refundPaid-button', callback: resolutionCallbacks.refundPaid(invoiceId) }]
          : buttons(),
      });
    }
  }
  await condition(allHandlersFinished);
  return view;
}

/** A copy, so an Update's answer is the state when it was decided. */
function snapshot(view: ResolutionView): ResolutionView {
  return JSON.parse(JSON.stringify(view)) as ResolutionView;
}
