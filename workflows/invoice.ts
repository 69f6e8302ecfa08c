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
  defineUpdate,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  applyAnyReport,
  applyReport,
  CLOSED_FOR_PAYMENT,
  missingAmount,
  overpayment,
  SETTLED,
  type InvoiceProgress,
  type InvoiceState,
  type PaymentReport,
} from '../domain/invoice';
import { compareDecimal, fromMinor, padDecimal, subtractDecimal } from '../domain/money';
import type { PayAddress, Rail } from '../domain/rail';
import { invoiceClosedSignal, orderWorkflowId } from './order-events';
import { ProcessStatus } from './search-attributes';

export interface InvoiceInput {
  invoiceId: string;
  userId: number;
  /** What is bought: a plan's period, or (with `orderId`, started by `order:<orderId>`) a product. */
  planId?: string;
  /** A marketplace order's invoice: its settlement is signalled to the order, which delivers. */
  orderId?: string;
  /** An order's product and its seller (a promo code may be for them only). */
  productId?: string;
  sellerId?: number;
  /** The rail this invoice is paid on; the state machine and its timers are the same for all. */
  provider: Rail;
  /** NOWPayments: the coin the user picked (e.g. `btc`). */
  payCurrency?: string;
  /** The promo code the user entered, redeemed when the invoice is priced (since `promo-codes`). */
  promoCode?: string;
  /** Price in minor units (a decimal string: workflow input is JSON). */
  amountMinor: string;
  currency: string;
  ttlMs: number;
  /** Gateway checks as offsets from the start; then every `reconcileEveryMs`. */
  reconcileAtMs: number[];
  reconcileEveryMs: number;
  latePaymentWindowMs: number;
  /**
   * Short re-checks after a failed gateway status check or a signed report the gateway does not
   * confirm yet (e.g. 2s, 5s, 15s, 1m), before the normal schedule takes over. Absent in runs
   * started before it existed.
   */
  recheckBackoffMs?: number[];
  /** Tell admins (once per outage) when the status API has failed for this long. */
  gatewayOutageAlertMs?: number;
}

export interface InvoiceView {
  invoiceId: string;
  state: InvoiceState;
  received: string;
  amountDue: string;
  payUrl?: string;
  /** NOWPayments: where to send the coins (the latest top-up's after a partial payment). */
  address?: PayAddress;
  provider?: Rail;
  expiresAt: number;
  checks: number;
}

export type InvoiceResult = Pick<InvoiceView, 'invoiceId' | 'state' | 'received'>;

/**
 * From the webhook: the gateway says something happened. Only a reason to ask the gateway; since
 * patch `postback-trust` the report itself never moves money (the check decides).
 */
export const paymentReportedSignal = defineSignal<[PaymentReport]>('paymentReported');
/** From the user (a new invoice instead) or an admin. Only an unpaid invoice can be cancelled. */
export const cancelInvoiceSignal = defineSignal<[{ by: string }]>('cancel');
/** From ops: check with the gateway now. */
export const reconcileNowSignal = defineSignal('reconcileNow');
export const invoiceStateQuery = defineQuery<InvoiceView>('invoiceState');
/**
 * Like `cancel`, but answers with the state the invoice is in once the request was handled: the edge
 * replaces an unpaid invoice (another rail or coin) only after it is really cancelled.
 */
export const cancelInvoiceUpdate = defineUpdate<InvoiceState, [{ by: string }]>('cancelInvoice');

const {
  createGatewayInvoice,
  cancelGatewayInvoice,
  recordInvoiceState,
  notifyUser,
  notifyAdmins,
  deliverPaidInvoice,
  startReferralCommission,
  openResolution,
  reserveCredit,
  settleInvoiceByCredit,
  releaseInvoiceCredit,
  releaseWebhookClaims,
  redeemPromo,
  markPromoUsed,
  releasePromo,
  createTopUpCharge,
  editNotification,
} = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

/** Short, idempotent database steps: inside the workflow task, no round trip to the server. */
const local = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
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
  /** What the activities record the invoice as paying for. */
  const purchase = input.orderId !== undefined ? { orderId: input.orderId } : { planId: input.planId ?? '' };
  /**
   * An order's invoice tells its order once it settles or closes unpaid (the order delivers, or
   * closes); a plan's invoice hands the paid period to the subscription.
   */
  let orderTold = false;
  const tellOrder = async (state: InvoiceState) => {
    if (input.orderId === undefined || orderTold) return;
    orderTold = true;
    try {
      await getExternalWorkflowHandle(orderWorkflowId(input.orderId)).signal(invoiceClosedSignal, {
        invoiceId: input.invoiceId,
        state,
      });
    } catch (error) {
      log.warn('the order of this invoice no longer runs', { invoiceId: input.invoiceId, error: String(error) });
    }
  };
  let delivered = false;
  const deliver = async () => {
    if (input.orderId !== undefined) return tellOrder(progress.state);
    if (delivered) return;
    delivered = true;
    await deliverPaidInvoice({
      invoiceId: input.invoiceId,
      userId: input.userId,
      planId: input.planId ?? '',
      paidAt: Date.now(),
    });
    // Runs started before referral commissions existed replay without this step.
    if (patched('referral-commission')) await startReferralCommission({ invoiceId: input.invoiceId });
  };
  const expiresAt = startedAt + input.ttlMs;
  const watchUntil = expiresAt + input.latePaymentWindowMs;
  /** What the gateway asks for: the price, less the user's balance reserved for it (since `apply-credit`). */
  let amountDue = fromMinor(BigInt(input.amountMinor), input.currency);
  let progress: InvoiceProgress = { state: 'pending', received: '0' };
  let checks = 0;
  /** Filled once the gateway invoice exists; queries may come before. */
  const created: { payUrl?: string; address?: PayAddress } = {};
  let scheduledChecks = 0;
  let nextCheckAt = startedAt + (input.reconcileAtMs[0] ?? input.reconcileEveryMs);
  const reports: PaymentReport[] = [];
  let cancelRequestedBy: string | undefined;
  /** Cancel requests handled so far (the Update waits for its own). */
  let cancelsHandled = 0;
  let cancelsRequested = 0;
  let checkRequested = false;

  setHandler(paymentReportedSignal, (report) => {
    reports.push(report);
  });
  setHandler(cancelInvoiceSignal, ({ by }) => {
    cancelRequestedBy = by;
    cancelsRequested += 1;
  });
  setHandler(cancelInvoiceUpdate, async ({ by }) => {
    cancelRequestedBy = by;
    const mine = ++cancelsRequested;
    await condition(() => cancelsHandled >= mine || SETTLED.has(progress.state));
    return progress.state;
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
    address: created.address,
    provider: input.provider,
    expiresAt,
    checks,
  }));

  // Since `apply-credit`: the user's kept balance in this currency pays first (reserved once, keyed by
  // the invoice); the gateway asks for the rest, and a balance covering the price settles it at once.
  // Since `promo-codes`: the code is redeemed first (counted atomically against its caps, keyed by the
  // invoice); the balance and the rail then see the discounted price, which is what the user is charged.
  let discountMinor = 0n;
  const promo = input.promoCode !== undefined && patched('promo-codes');
  if (promo) {
    const redeemed = await redeemPromo({
      invoiceId: input.invoiceId,
      userId: input.userId,
      code: input.promoCode!,
      ...purchase,
      ...(input.productId !== undefined ? { productId: input.productId, sellerId: String(input.sellerId) } : {}),
      amountMinor: input.amountMinor,
      currency: input.currency,
    });
    discountMinor = BigInt(redeemed.discountMinor);
    await notifyUser({
      key: `${input.invoiceId}:promo`,
      userId: input.userId,
      message: redeemed.refused ? 'invoice-promo-refused' : 'invoice-promo-applied',
      vars: {
        code: input.promoCode!,
        reason: redeemed.refused ?? '',
        discount: fromMinor(discountMinor, input.currency),
        price: fromMinor(BigInt(input.amountMinor) - discountMinor, input.currency),
        currency: input.currency,
      },
    });
  }
  const afterDiscount = BigInt(input.amountMinor) - discountMinor;
  let creditMinor = 0n;
  if (patched('apply-credit')) {
    const reserved = await reserveCredit({
      invoiceId: input.invoiceId,
      userId: input.userId,
      amountMinor: afterDiscount.toString(),
      currency: input.currency,
    });
    creditMinor = BigInt(reserved.creditMinor);
  }
  const gatewayMinor = afterDiscount - creditMinor;
  amountDue = fromMinor(gatewayMinor, input.currency);
  const price = fromMinor(afterDiscount, input.currency);
  const credit = fromMinor(creditMinor, input.currency);
  if (gatewayMinor <= 0n) {
    await settleInvoiceByCredit({
      invoiceId: input.invoiceId,
      userId: input.userId,
      ...purchase,
      provider: input.provider,
      amountMinor: input.amountMinor,
      ...(discountMinor > 0n ? { discountMinor: discountMinor.toString() } : {}),
      currency: input.currency,
    });
    if (promo) await markPromoUsed({ invoiceId: input.invoiceId });
    progress = { state: 'paid', received: '0' };
    upsertSearchAttributes([{ key: ProcessStatus, value: progress.state }]);
    await notifyUser({
      key: `${input.invoiceId}:paid-by-credit`,
      userId: input.userId,
      message: creditMinor > 0n ? 'invoice-paid-by-credit' : 'invoice-paid-by-promo',
      vars: { amount: price, currency: input.currency },
    });
    await deliver();
    log.info('invoice paid from the balance', { invoiceId: input.invoiceId });
    return { invoiceId: input.invoiceId, state: progress.state, received: progress.received };
  }

  let gateway: Awaited<ReturnType<typeof createGatewayInvoice>>;
  try {
    gateway = await createGatewayInvoice({
      invoiceId: input.invoiceId,
      userId: input.userId,
      ...purchase,
      provider: input.provider,
      amountMinor: input.amountMinor,
      ...(creditMinor > 0n ? { creditMinor: creditMinor.toString() } : {}),
      ...(discountMinor > 0n ? { discountMinor: discountMinor.toString() } : {}),
      currency: input.currency,
      expiresAt,
      ...(input.payCurrency ? { payCurrency: input.payCurrency } : {}),
    });
  } catch (error) {
    // The gateway refused the invoice (the run fails): the reserved balance is the user's again.
    if (creditMinor > 0n)
      await releaseInvoiceCredit({ invoiceId: input.invoiceId, userId: input.userId, currency: input.currency });
    if (promo) await releasePromo({ invoiceId: input.invoiceId });
    await tellOrder('cancelled');
    throw error;
  }
  created.payUrl = gateway.payUrl;
  created.address = gateway.address;
  /** Every charge the rail holds for this invoice: the first, then top-ups and repeat deposits. */
  const chargeIds = [gateway.providerInvoiceId];
  const priceVars: Record<string, string> = creditMinor > 0n ? { credit, price } : {};
  /** The message showing where to pay, keyed so it can be edited as the payment moves. */
  let addressMessageKey = `${input.invoiceId}:created`;
  const checkButton = { callback: `inv:check:${input.invoiceId}`, message: 'invoice-check-button' };
  const addressVars = (address: PayAddress) => ({
    amount: amountDue,
    currency: input.currency,
    coinAmount: address.amount,
    coin: address.coin.toUpperCase(),
    address: address.address,
    memo: address.memo ?? '',
    hasMemo: address.memo ? 'yes' : 'no',
    expiresAt,
  });
  if (gateway.address) {
    await notifyUser({
      key: addressMessageKey,
      userId: input.userId,
      message: creditMinor > 0n ? 'invoice-address-credit' : 'invoice-address',
      vars: { ...addressVars(gateway.address), ...priceVars },
      qr: gateway.address.address,
      button: checkButton,
    });
  } else if (gateway.payUrl) {
    await notifyUser({
      key: `${input.invoiceId}:created`,
      userId: input.userId,
      message: creditMinor > 0n ? 'invoice-created-credit' : 'invoice-created',
      vars: { amount: amountDue, currency: input.currency, expiresAt, ...priceVars },
      button: { message: 'invoice-pay-button', url: gateway.payUrl },
    });
  }
  // Stars: the invoice message the rail sent is itself what the user pays with.

  /** The pay-address message tells where the payment stands (waiting → confirming → paid). */
  let addressStage: 'waiting' | 'confirming' | 'paid' = 'waiting';
  const showAddressStage = async (stage: 'confirming' | 'paid') => {
    if (!created.address || addressStage === stage || addressStage === 'paid') return;
    addressStage = stage;
    await editNotification({
      key: addressMessageKey,
      userId: input.userId,
      message: stage === 'paid' ? 'invoice-address-paid' : 'invoice-address-confirming',
      vars: addressVars(created.address),
      ...(stage === 'paid' ? {} : { button: checkButton }),
    });
  };
  /** NOWPayments: a partly paid invoice gets a top-up address for what is missing (`purchase_id`). */
  const topUp = async (next: InvoiceProgress) => {
    const purchaseId = gateway.address?.purchaseId ?? gateway.purchaseId;
    if (input.provider !== 'nowpayments' || !purchaseId) return false;
    const missing = missingAmount(next.received, amountDue);
    const charge = await createTopUpCharge({
      invoiceId: input.invoiceId,
      userId: input.userId,
      ...purchase,
      provider: input.provider,
      amount: missing,
      currency: input.currency,
      expiresAt,
      ...(input.payCurrency ? { payCurrency: input.payCurrency } : {}),
      purchaseId,
      key: next.received,
    });
    if (!chargeIds.includes(charge.providerInvoiceId)) chargeIds.push(charge.providerInvoiceId);
    if (!charge.address) return false;
    created.address = charge.address;
    addressStage = 'waiting';
    addressMessageKey = `${input.invoiceId}:topup:${next.received}`;
    await notifyUser({
      key: addressMessageKey,
      userId: input.userId,
      message: 'invoice-address-topup',
      vars: {
        ...addressVars(charge.address),
        received: padDecimal(next.received, input.currency),
        missing: padDecimal(missing, input.currency),
      },
      qr: charge.address.address,
      button: checkButton,
    });
    return true;
  };

  const transition = async (next: InvoiceProgress, source: string, chargeId?: string) => {
    progress = next;
    upsertSearchAttributes([{ key: ProcessStatus, value: next.state }]);
    // Since `record-state-locally`: the read model and the ledger (one idempotent transaction) are
    // written inside the workflow task, one round trip to the server fewer before access.
    const record = patched('record-state-locally') ? local.recordInvoiceState : recordInvoiceState;
    await record({
      invoiceId: input.invoiceId,
      state: next.state,
      received: next.received,
      overpaid: overpayment(next.received, amountDue),
      source,
      // What the gateway asks for: its money is compared and posted against this, not the price.
      amountMinor: gatewayMinor.toString(),
      currency: input.currency,
      provider: input.provider,
      ...(chargeId ? { chargeId } : {}),
      ...(chargeIds.length > 1 ? { chargeIds: [...chargeIds] } : {}),
    });
    // Since `deliver-beside-announce`: once the money is recorded, the paid period (or the order)
    // is handed over while the rest runs, so access does not wait for "payment received".
    if (SETTLED.has(next.state) && !delivered && !orderTold && patched('deliver-beside-announce'))
      await Promise.all([deliver(), afterRecord(next)]);
    else await afterRecord(next);
  };

  /** What follows the recorded state: resolutions, promo codes, the order, and the user's message. */
  const afterRecord = async (next: InvoiceProgress) => {
    if (resolutions) await handOver(next);
    // The code counts once the invoice is paid; one that closes unpaid gives its redemption back.
    if (promo && SETTLED.has(next.state)) await markPromoUsed({ invoiceId: input.invoiceId });
    if (promo && (next.state === 'expired' || next.state === 'cancelled' || next.state === 'needs_review'))
      await releasePromo({ invoiceId: input.invoiceId });
    if (SETTLED.has(next.state)) await showAddressStage('paid');
    // An order closes as soon as its invoice does, not after the window for late money.
    if (next.state === 'expired' || next.state === 'cancelled' || next.state === 'needs_review')
      await tellOrder(next.state);
    if (next.state === 'partial' && (await topUp(next))) return;
    await announce(input, next, amountDue, gateway.payUrl, resolutions);
  };

  /** The received total when the invoice closed unpaid: what arrives above it is late money. */
  let closedUnpaidWith: string | undefined;
  /**
   * Since `admin-resolution`: money this invoice cannot settle goes to `resolution:<invoiceId>` (after
   * recordInvoiceState has posted it), which alerts the admins with the actions that settle it. A
   * repeat is a no-op there (keyed by kind and total); a larger late total is new money.
   */
  const handOver = async (next: InvoiceProgress) => {
    if (next.state === 'expired' || next.state === 'cancelled' || next.state === 'needs_review')
      closedUnpaidWith = next.received;
    const handed =
      next.state === 'needs_review'
        ? { kind: 'partial' as const, amount: next.received }
        : next.state === 'late_paid'
          ? { kind: 'late' as const, amount: subtractDecimal(next.received, closedUnpaidWith ?? '0') }
          : next.state === 'overpaid'
            ? { kind: 'overpaid' as const, amount: overpayment(next.received, amountDue) ?? '0' }
            : undefined;
    if (!handed) return;
    await openResolution({
      invoiceId: input.invoiceId,
      userId: input.userId,
      planId: input.planId ?? '',
      ...handed,
      currency: input.currency,
      provider: input.provider,
    });
  };

  const consider = async (report: PaymentReport) => {
    // Money after the invoice closed unpaid is kept (late_paid) and told to admins.
    const next = applyAnyReport(progress, report, amountDue);
    if (next) await transition(next, report.source, report.chargeId);
    else if (report.stage === 'confirming' && !CLOSED_FOR_PAYMENT.has(progress.state))
      await showAddressStage('confirming');
  };

  // Since `postback-trust`: the unsigned body is never money; a failed check or an unconfirmed
  // signed report is re-checked on a short backoff, and a long outage is told to admins once.
  const trusted = patched('postback-trust');
  // Since `admin-resolution`: needs_review, late_paid and overpaid money is handed to the resolution
  // workflow, which tells the admins (with the actions); the invoice's own admin notices for them are gone.
  const resolutions = patched('admin-resolution');
  const backoff = input.recheckBackoffMs ?? [2_000, 5_000, 15_000, 60_000];
  let recheckStep = 0;
  let recheckAt: number | undefined;
  let failingSince: number | undefined;
  let outageAlerted = false;
  /** The gateway answered, but not (yet) what a signed report claimed: ask again soon. */
  const recheckSoon = () => {
    const delay = backoff[recheckStep];
    if (delay === undefined) {
      recheckAt = undefined; // backoff spent: the normal schedule carries on
      return;
    }
    recheckStep += 1;
    recheckAt = Date.now() + delay;
  };
  const checkWithGateway = async () => {
    checks += 1;
    try {
      const report = await checkGatewayInvoice({
        provider: input.provider,
        providerInvoiceIds: [...chargeIds],
        invoiceId: input.invoiceId,
      });
      if (trusted && report.currency !== undefined && report.currency !== input.currency.toUpperCase()) {
        log.error('gateway reports another currency than the price; not applied', {
          invoiceId: input.invoiceId,
          currency: report.currency,
        });
        return false;
      }
      await consider(report);
      lastGatewayStatus = report.status;
      return true;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('gateway status check failed; trying again', { invoiceId: input.invoiceId });
      return false;
    }
  };
  let lastGatewayStatus: PaymentReport['status'] = 'created';
  /** One check under the trusted rules: failures and lags lead to a short re-check. */
  let pendingClaim: PaymentReport['status'] | undefined;
  const trustedCheck = async (claimed?: PaymentReport['status']) => {
    if (claimed !== undefined && (pendingClaim === undefined || statusRank(claimed) > statusRank(pendingClaim)))
      pendingClaim = claimed;
    recheckAt = undefined;
    const ok = await checkWithGateway();
    if (!ok) {
      failingSince ??= Date.now();
      const alertAfter = input.gatewayOutageAlertMs ?? 10 * 60_000;
      if (!outageAlerted && Date.now() - failingSince >= alertAfter) {
        outageAlerted = true;
        await notifyAdmins({
          key: `${input.invoiceId}:gateway-unreachable:${failingSince}`,
          message: 'admin-gateway-unreachable',
          vars: {
            invoiceId: input.invoiceId,
            userId: input.userId,
            provider: input.provider,
            minutes: Math.round((Date.now() - failingSince) / 60_000),
          },
        });
      }
      recheckSoon();
      return;
    }
    failingSince = undefined;
    outageAlerted = false;
    if (pendingClaim !== undefined && !SETTLED.has(progress.state) && gatewayLags(pendingClaim, lastGatewayStatus)) {
      recheckSoon(); // the gateway lags behind its own signed postback
      if (recheckAt === undefined) pendingClaim = undefined; // backoff spent: the schedule decides
      return;
    }
    pendingClaim = undefined;
    recheckStep = 0;
  };

  /**
   * The signalled reports still to check with the rail. A Stars `successful_payment` (source
   * `telegram`) is the rail's own word, sent by Telegram over the bot's authenticated channel, and is
   * applied at once; a report naming charges not known yet (a NOWPayments repeat deposit whose parent
   * is ours) adds them to what is checked, and the rail's status API decides what they hold.
   */
  const takeReports = async () => {
    const toCheck: PaymentReport[] = [];
    for (const report of reports.splice(0)) {
      for (const id of report.relatedChargeIds ?? []) if (!chargeIds.includes(id)) chargeIds.push(id);
      if (report.source === 'telegram' && input.provider === 'stars') {
        if (report.currency === input.currency.toUpperCase()) await consider(report);
        else log.error('Stars payment in another currency; not applied', { invoiceId: input.invoiceId });
      } else toCheck.push(report);
    }
    return toCheck;
  };
  const watchRepeatDeposits = async () => {
    for (;;) {
      const now = Date.now();
      if (now >= watchUntil) return;
      await condition(() => reports.length > 0 || checkRequested, watchUntil - now);
      checkRequested = false;
      const known = chargeIds.length;
      const taken = await takeReports();
      // Since `repeat-deposit-final`: a known deposit reported final is checked again too (the
      // first check may have come while it was still confirming); before, only a new one was.
      const final = taken.some((report) => report.status === 'paid' || report.status === 'overpaid');
      if (chargeIds.length === known && !(final && patched('repeat-deposit-final'))) continue;
      const report = await checkGatewayInvoice({
        provider: input.provider,
        providerInvoiceIds: [...chargeIds],
        invoiceId: input.invoiceId,
      }).catch(() => undefined);
      // Only more money than recorded moves a settled invoice: the excess is overpayment.
      if (report && compareDecimal(report.received, progress.received) > 0)
        await transition({ state: 'overpaid', received: report.received }, 'repeat-deposit');
    }
  };
  const cancelCharge = () =>
    cancelGatewayInvoice({
      provider: input.provider,
      providerInvoiceId: gateway.providerInvoiceId,
      userId: input.userId,
      ...(gateway.messageId !== undefined ? { messageId: gateway.messageId } : {}),
    });

  while (!SETTLED.has(progress.state)) {
    const open = !CLOSED_FOR_PAYMENT.has(progress.state);
    const now = Date.now();
    if (!open && now >= watchUntil) break;
    const wakeAt = Math.min(nextCheckAt, recheckAt ?? Infinity, open ? expiresAt : watchUntil);
    await condition(
      () => reports.length > 0 || checkRequested || cancelRequestedBy !== undefined,
      Math.max(wakeAt - now, 1),
    );

    if (trusted) {
      const signalled = await takeReports();
      if (signalled.length > 0) {
        // Only a reason to ask: the strongest status any report claimed, to notice a lagging gateway.
        const claimed = signalled.map((r) => r.status).sort((a, b) => statusRank(b) - statusRank(a))[0];
        await trustedCheck(claimed);
      } else if (recheckAt !== undefined && Date.now() >= recheckAt) {
        await trustedCheck();
      }
    } else if (reports.length > 0) {
      // A signed webhook that would move the invoice is a reason to ask the gateway (its own report
      // counts only if the gateway cannot be reached); one that would not, like a repeat, is dropped.
      const webhookReports = reports.splice(0).filter((report) => wouldMove(progress, report, amountDue));
      if (webhookReports.length > 0 && !(await checkWithGateway()))
        for (const report of webhookReports) await consider(report);
    }
    if (checkRequested || Date.now() >= nextCheckAt) {
      checkRequested = false;
      if (trusted) await trustedCheck();
      else await checkWithGateway();
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
        await cancelCharge();
        await transition({ ...progress, state: 'cancelled' }, `cancel:${by}`);
      } else {
        log.warn('cancel ignored', { invoiceId: input.invoiceId, state: progress.state, by });
      }
      cancelsHandled = cancelsRequested;
    }
    if (!CLOSED_FOR_PAYMENT.has(progress.state) && Date.now() >= expiresAt) {
      await checkWithGateway(); // last word from the gateway before closing
      if (!CLOSED_FOR_PAYMENT.has(progress.state)) {
        if (progress.state === 'pending') await cancelCharge();
        await transition({ ...progress, state: progress.state === 'partial' ? 'needs_review' : 'expired' }, 'expiry');
      }
    }
  }
  if (SETTLED.has(progress.state)) {
    await deliver();
    // NOWPayments maps coins sent again to a paid address to new payments (`parent_payment_id`): until
    // the late window closes they are checked and kept as overpayment for admins, never lost.
    if (input.provider === 'nowpayments') await watchRepeatDeposits();
  }
  // Since `release-webhook-claims`: the route's de-duplication rows of this invoice go with it.
  if (patched('release-webhook-claims')) await releaseWebhookClaims({ invoiceId: input.invoiceId });
  log.info('invoice closed', { invoiceId: input.invoiceId, state: progress.state });
  cancelsHandled = cancelsRequested;
  return { invoiceId: input.invoiceId, state: progress.state, received: progress.received };
}

/**
 * Tells the user (and admins where needed) what a transition means for them; each message once.
 * `resolutions`: the resolution workflow alerts the admins about needs_review, late_paid and overpaid.
 */
async function announce(
  input: InvoiceInput,
  next: InvoiceProgress,
  amountDue: string,
  payUrl: string | undefined,
  resolutions: boolean,
): Promise<void> {
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
        ...(payUrl ? { button: { message: 'invoice-topup-button', url: payUrl } } : {}),
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
      if (next.state === 'overpaid' && !resolutions)
        await notifyAdmins({
          key,
          message: 'admin-invoice-overpaid',
          vars: { ...vars, userId: input.userId, extra: money(overpayment(next.received, amountDue) ?? '0') },
        });
      return;
    case 'expired':
      await notifyUser({
        key,
        userId: input.userId,
        message: input.orderId !== undefined ? 'invoice-expired-order' : 'invoice-expired',
        vars,
      });
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
      if (!resolutions)
        await notifyAdmins({ key, message: 'admin-invoice-needs-review', vars: { ...vars, userId: input.userId } });
      return;
    case 'late_paid':
      await notifyUser({ key, userId: input.userId, message: 'invoice-late-paid', vars });
      if (!resolutions)
        await notifyAdmins({ key, message: 'admin-invoice-late-paid', vars: { ...vars, userId: input.userId } });
      return;
    case 'pending':
      return;
  }
}

/** Whether a report could change anything: progress on an open invoice, or new money on a closed one. */
/** Order of the gateway's statuses by how much money they claim. */
function statusRank(status: PaymentReport['status']): number {
  return status === 'overpaid' ? 3 : status === 'paid' ? 2 : status === 'partial' ? 1 : 0;
}

/** A signed report claimed more than the gateway's status API says (yet). */
function gatewayLags(claimed: PaymentReport['status'], gatewaySays: PaymentReport['status']): boolean {
  return statusRank(claimed) > statusRank(gatewaySays);
}

function wouldMove(progress: InvoiceProgress, report: PaymentReport, amountDue: string): boolean {
  if (CLOSED_FOR_PAYMENT.has(progress.state)) return compareDecimal(report.received, progress.received) > 0;
  return applyReport(progress, report, amountDue) !== undefined;
}
