/**
 * Invoice workflow (`invoice:<invoiceId>`): one gateway invoice from creation to settlement.
 * Webhooks arrive as `paymentReported` signals; durable timers reconcile with the gateway on a
 * schedule, so a dropped postback still settles; a payment after expiry is recorded, never lost.
 */
import {
  ActivityFailure,
  condition,
  defineQuery,
  defineSignal,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  applyReport,
  CLOSED_FOR_PAYMENT,
  missingAmount,
  overpayment,
  SETTLED,
  type InvoiceProgress,
  type InvoiceState,
  type PaymentReport,
} from '../domain/invoice';
import { compareDecimal, fromMinor, padDecimal } from '../domain/money';
import { ProcessStatus } from './search-attributes';

export interface InvoiceInput {
  invoiceId: string;
  userId: number;
  planId: string;
  provider: 'cryptocloud';
  /** Price in minor units (a decimal string: workflow input is JSON). */
  amountMinor: string;
  currency: string;
  ttlMs: number;
  /** Gateway checks as offsets from the start; then every `reconcileEveryMs`. */
  reconcileAtMs: number[];
  reconcileEveryMs: number;
  latePaymentWindowMs: number;
}

export interface InvoiceView {
  invoiceId: string;
  state: InvoiceState;
  received: string;
  amountDue: string;
  payUrl?: string;
  expiresAt: number;
  checks: number;
}

export type InvoiceResult = Pick<InvoiceView, 'invoiceId' | 'state' | 'received'>;

/** From the webhook: the gateway says something happened. Always re-checked with the gateway. */
export const paymentReportedSignal = defineSignal<[PaymentReport]>('paymentReported');
/** From the user (a new invoice instead) or an admin. Only an unpaid invoice can be cancelled. */
export const cancelInvoiceSignal = defineSignal<[{ by: string }]>('cancel');
/** From ops: check with the gateway now. */
export const reconcileNowSignal = defineSignal('reconcileNow');
export const invoiceStateQuery = defineQuery<InvoiceView>('invoiceState');

const {
  createGatewayInvoice,
  cancelGatewayInvoice,
  recordInvoiceState,
  notifyUser,
  notifyAdmins,
  deliverPaidInvoice,
  startReferralCommission,
} = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

/** A status check that fails is simply retried at the next tick of the schedule. */
const { checkGatewayInvoice } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

export async function invoiceWorkflow(input: InvoiceInput): Promise<InvoiceResult> {
  const startedAt = Date.now();
  const expiresAt = startedAt + input.ttlMs;
  const watchUntil = expiresAt + input.latePaymentWindowMs;
  const amountDue = fromMinor(BigInt(input.amountMinor), input.currency);
  let progress: InvoiceProgress = { state: 'pending', received: '0' };
  let checks = 0;
  /** Filled once the gateway invoice exists; queries may come before. */
  const created: { payUrl?: string } = {};
  let scheduledChecks = 0;
  let nextCheckAt = startedAt + (input.reconcileAtMs[0] ?? input.reconcileEveryMs);
  const reports: PaymentReport[] = [];
  let cancelRequestedBy: string | undefined;
  let checkRequested = false;

  setHandler(paymentReportedSignal, (report) => {
    reports.push(report);
  });
  setHandler(cancelInvoiceSignal, ({ by }) => {
    cancelRequestedBy = by;
  });
  setHandler(reconcileNowSignal, () => {
    checkRequested = true;
  });
  setHandler(invoiceStateQuery, () => ({
    invoiceId: input.invoiceId,
    state: progress.state,
    received: progress.received,
    amountDue,
    payUrl: created.payUrl,
    expiresAt,
    checks,
  }));

  const gateway = await createGatewayInvoice({
    invoiceId: input.invoiceId,
    userId: input.userId,
    planId: input.planId,
    provider: input.provider,
    amountMinor: input.amountMinor,
    currency: input.currency,
    expiresAt,
  });
  created.payUrl = gateway.payUrl;
  await notifyUser({
    key: `${input.invoiceId}:created`,
    userId: input.userId,
    message: 'invoice-created',
    vars: { amount: amountDue, currency: input.currency, expiresAt },
    button: { message: 'invoice-pay-button', url: gateway.payUrl },
  });

  const transition = async (next: InvoiceProgress, source: string) => {
    progress = next;
    upsertSearchAttributes([{ key: ProcessStatus, value: next.state }]);
    await recordInvoiceState({
      invoiceId: input.invoiceId,
      state: next.state,
      received: next.received,
      overpaid: overpayment(next.received, amountDue),
      source,
      amountMinor: input.amountMinor,
      currency: input.currency,
      provider: input.provider,
    });
    await announce(input, next, amountDue, gateway.payUrl);
  };

  const consider = async (report: PaymentReport) => {
    if (CLOSED_FOR_PAYMENT.has(progress.state)) {
      // Money after the invoice closed unpaid: keep it, tell admins.
      if (SETTLED.has(progress.state) || compareDecimal(report.received, progress.received) <= 0) return;
      await transition({ state: 'late_paid', received: report.received }, report.source);
      return;
    }
    const next = applyReport(progress, report, amountDue);
    if (next) await transition(next, report.source);
  };

  const checkWithGateway = async () => {
    checks += 1;
    try {
      await consider(
        await checkGatewayInvoice({ provider: input.provider, providerInvoiceId: gateway.providerInvoiceId }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('gateway status check failed; the schedule will try again', { invoiceId: input.invoiceId });
      return false;
    }
  };

  while (!SETTLED.has(progress.state)) {
    const open = !CLOSED_FOR_PAYMENT.has(progress.state);
    const now = Date.now();
    if (!open && now >= watchUntil) break;
    const wakeAt = Math.min(nextCheckAt, open ? expiresAt : watchUntil);
    await condition(
      () => reports.length > 0 || checkRequested || cancelRequestedBy !== undefined,
      Math.max(wakeAt - now, 1),
    );

    if (reports.length > 0) {
      // A signed webhook that would move the invoice is a reason to ask the gateway (its own report
      // counts only if the gateway cannot be reached); one that would not, like a repeat, is dropped.
      const webhookReports = reports.splice(0).filter((report) => wouldMove(progress, report, amountDue));
      if (webhookReports.length > 0 && !(await checkWithGateway()))
        for (const report of webhookReports) await consider(report);
    }
    if (checkRequested || Date.now() >= nextCheckAt) {
      checkRequested = false;
      await checkWithGateway();
      if (Date.now() >= nextCheckAt) {
        scheduledChecks += 1;
        const offset = input.reconcileAtMs[scheduledChecks];
        nextCheckAt = offset !== undefined ? startedAt + offset : Date.now() + input.reconcileEveryMs;
      }
    }
    if (cancelRequestedBy !== undefined) {
      const by = cancelRequestedBy;
      cancelRequestedBy = undefined;
      // Only an unpaid invoice can be cancelled; once money arrived, expiry and admins decide.
      if (progress.state === 'pending') {
        await cancelGatewayInvoice({ provider: input.provider, providerInvoiceId: gateway.providerInvoiceId });
        await transition({ ...progress, state: 'cancelled' }, `cancel:${by}`);
      } else {
        log.warn('cancel ignored', { invoiceId: input.invoiceId, state: progress.state, by });
      }
    }
    if (!CLOSED_FOR_PAYMENT.has(progress.state) && Date.now() >= expiresAt) {
      await checkWithGateway(); // last word from the gateway before closing
      if (!CLOSED_FOR_PAYMENT.has(progress.state)) {
        if (progress.state === 'pending')
          await cancelGatewayInvoice({ provider: input.provider, providerInvoiceId: gateway.providerInvoiceId });
        await transition({ ...progress, state: progress.state === 'partial' ? 'needs_review' : 'expired' }, 'expiry');
      }
    }
  }
  if (SETTLED.has(progress.state)) {
    await deliverPaidInvoice({
      invoiceId: input.invoiceId,
      userId: input.userId,
      planId: input.planId,
      paidAt: Date.now(),
    });
    // Runs started before referral commissions existed replay without this step.
    if (patched('referral-commission')) await startReferralCommission({ invoiceId: input.invoiceId });
  }
  log.info('invoice closed', { invoiceId: input.invoiceId, state: progress.state });
  return { invoiceId: input.invoiceId, state: progress.state, received: progress.received };
}

/** Tells the user (and admins where needed) what a transition means for them; each message once. */
async function announce(input: InvoiceInput, next: InvoiceProgress, amountDue: string, payUrl: string): Promise<void> {
  const key = `${input.invoiceId}:${next.state}:${next.received}`;
  const money = (value: string) => padDecimal(value, input.currency);
  const vars = {
    amount: amountDue,
    received: money(next.received),
    currency: input.currency,
    invoiceId: input.invoiceId,
  };
  switch (next.state) {
    case 'partial':
      await notifyUser({
        key,
        userId: input.userId,
        message: 'invoice-partial',
        vars: { ...vars, missing: money(missingAmount(next.received, amountDue)) },
        button: { message: 'invoice-topup-button', url: payUrl },
      });
      return;
    case 'paid':
    case 'overpaid':
      await notifyUser({
        key,
        userId: input.userId,
        message: next.state === 'paid' ? 'invoice-paid' : 'invoice-overpaid',
        vars: { ...vars, extra: money(overpayment(next.received, amountDue) ?? '0') },
      });
      if (next.state === 'overpaid')
        await notifyAdmins({
          key,
          message: 'admin-invoice-overpaid',
          vars: { ...vars, userId: input.userId, extra: money(overpayment(next.received, amountDue) ?? '0') },
        });
      return;
    case 'expired':
      await notifyUser({ key, userId: input.userId, message: 'invoice-expired', vars });
      return;
    case 'cancelled':
      await notifyUser({ key, userId: input.userId, message: 'invoice-cancelled', vars });
      return;
    case 'needs_review':
      await notifyUser({
        key,
        userId: input.userId,
        message: 'invoice-needs-review',
        vars: { ...vars, missing: money(missingAmount(next.received, amountDue)) },
      });
      await notifyAdmins({ key, message: 'admin-invoice-needs-review', vars: { ...vars, userId: input.userId } });
      return;
    case 'late_paid':
      await notifyUser({ key, userId: input.userId, message: 'invoice-late-paid', vars });
      await notifyAdmins({ key, message: 'admin-invoice-late-paid', vars: { ...vars, userId: input.userId } });
      return;
    case 'pending':
      return;
  }
}

/** Whether a report could change anything: progress on an open invoice, or new money on a closed one. */
function wouldMove(progress: InvoiceProgress, report: PaymentReport, amountDue: string): boolean {
  if (CLOSED_FOR_PAYMENT.has(progress.state)) return compareDecimal(report.received, progress.received) > 0;
  return applyReport(progress, report, amountDue) !== undefined;
}
