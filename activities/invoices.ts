/** Side effects of the invoice workflow: the gateway, the invoices read model and the ledger. */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, ne, or, sql } from 'drizzle-orm';
import type { InvoiceState, PaymentReport } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { fromMinor, minorDigits, toMinor } from '../domain/money';
import type { InvoiceStatus } from '../domain/invoice';
import { invoices, ledgerEntries, webhookClaims } from '../infrastructure/db/schema';
import { GatewayRequestError, type Charge } from '../infrastructure/providers/payment-rail';
import { orders, plans, products } from '../infrastructure/db/schema';
import type { Rail } from '../domain/rail';
import { owedOn } from '../infrastructure/read-models/balances';
import { lockAccount } from './balances';
import type { ActivityDeps } from './deps';
import { post } from './ledger';
import { localeOfUser } from './notifications';

export function createInvoiceActivities(deps: ActivityDeps) {
  const gateway = (provider: string) => {
    const found = deps.gateways[provider as Rail];
    if (!found)
      throw ApplicationFailure.nonRetryable(`No payment gateway "${provider}" is configured`, 'InvalidRequest');
    return found;
  };
  const nonRetryableGatewayErrors = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GatewayRequestError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidRequest');
      throw error;
    }
  };

  /**
   * What the bot shows for the rail's charge, in the user's language: the plan's title and length, or
   * for an order the product's title.
   */
  const chargeTitle = async (what: Purchase, userId: number) => {
    const locale = await localeOfUser(deps.db, userId);
    if (what.orderId !== undefined) {
      const [product] = await deps.db
        .select({ title: products.title })
        .from(orders)
        .innerJoin(products, eq(products.id, orders.productId))
        .where(eq(orders.id, what.orderId));
      const title = (product?.title ?? what.orderId).slice(0, 32);
      return { title, description: deps.translate(locale, 'charge-description-order', { title }).slice(0, 255) };
    }
    const planId = what.planId ?? '';
    const [plan] = await deps.db.select().from(plans).where(eq(plans.id, planId));
    const title = (plan?.title ?? planId).slice(0, 32);
    const days = plan ? Math.max(Math.round(plan.durationSeconds / 86_400), 1) : 0;
    return { title, description: deps.translate(locale, 'charge-description', { title, days }).slice(0, 255) };
  };

  return {
    /**
     * Since `apply-credit`, the invoice's first step: sets aside the user's kept balance in the
     * invoice's currency, up to the price, for this invoice (`reserved:invoice:<id>`). The user's
     * credit account is locked while it is read and spent, so two invoices never spend it twice; the
     * posting is keyed by the invoice, so a retry returns what the first attempt reserved.
     */
    async reserveCredit(input: {
      invoiceId: string;
      userId: number;
      amountMinor: string;
      currency: string;
    }): Promise<{ creditMinor: string }> {
      const creditAccount = accounts.userCredit(input.userId);
      const key = `invoice:${input.invoiceId}:credit:reserve`;
      return deps.db.transaction(async (tx) => {
        await lockAccount(tx, creditAccount);
        const [done] = await tx
          .select({ amount: ledgerEntries.amountMinor })
          .from(ledgerEntries)
          .where(and(eq(ledgerEntries.transactionKey, key), eq(ledgerEntries.account, creditAccount)));
        if (done) return { creditMinor: done.amount.toString() };
        const available = await owedOn(tx, creditAccount, input.currency);
        const price = BigInt(input.amountMinor);
        const amount = available < price ? available : price;
        if (amount <= 0n) return { creditMinor: '0' };
        await post(tx, {
          key,
          kind: 'credit-reserve',
          currency: input.currency,
          legs: [
            { account: creditAccount, amountMinor: amount },
            { account: accounts.invoiceCredit(input.invoiceId), amountMinor: -amount },
          ],
          memo: `balance applied to invoice ${input.invoiceId}`,
        });
        return { creditMinor: amount.toString() };
      });
    },

    /**
     * The user's balance covered the whole price: the invoice is recorded paid at once, with no
     * gateway invoice, and the reservation becomes revenue (one transaction, keyed: a retry does nothing).
     */
    async settleInvoiceByCredit(
      input: Purchase & {
        invoiceId: string;
        userId: number;
        provider: string;
        amountMinor: string;
        /** Since `promo-codes`: what the code took off; the balance paid the rest (possibly nothing). */
        discountMinor?: string;
        currency: string;
      },
    ): Promise<void> {
      const now = new Date();
      const price = BigInt(input.amountMinor);
      const discountMinor = BigInt(input.discountMinor ?? '0');
      const history = {
        status: 'paid' as const,
        at: now.toISOString(),
        source: 'credit',
        note: `paid from the balance: ${fromMinor(price - discountMinor, input.currency)} ${input.currency}`,
      };
      await deps.db.transaction(async (tx) => {
        // The edge usually inserted the row (creating); a run started otherwise inserts it here.
        await tx
          .insert(invoices)
          .values({
            id: input.invoiceId,
            userId: input.userId,
            ...purposeOf(input),
            provider: input.provider,
            amountMinor: price,
            currency: input.currency,
            status: 'creating',
            statusHistory: [{ status: 'creating', at: now.toISOString(), source: 'workflow' }],
          })
          .onConflictDoNothing();
        const [row] = await tx
          .update(invoices)
          .set({
            status: 'paid',
            creditMinor: price - discountMinor,
            discountMinor,
            paidAt: now,
            updatedAt: now,
            statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([history])}::jsonb`,
          })
          .where(and(eq(invoices.id, input.invoiceId), eq(invoices.status, 'creating')))
          .returning({ id: invoices.id });
        if (!row) return; // recorded by an earlier attempt
        await moveInvoiceCredit(tx, input.invoiceId, input.currency, 'consume', earningAccount(input.orderId));
      });
    },

    /** The invoice will not be paid (its gateway invoice could not be created): the reserved balance goes back. */
    async releaseInvoiceCredit(input: { invoiceId: string; userId: number; currency: string }): Promise<void> {
      await deps.db.transaction((tx) =>
        moveInvoiceCredit(tx, input.invoiceId, input.currency, 'release', accounts.userCredit(input.userId)),
      );
    },

    /** Records the invoice and creates it at the gateway once; a retry returns the first result. */
    async createGatewayInvoice(
      input: Purchase & {
        invoiceId: string;
        userId: number;
        provider: string;
        amountMinor: string;
        /** Since `apply-credit`: the reserved balance; the gateway asks for the rest. */
        creditMinor?: string;
        currency: string;
        expiresAt: number;
        /** Since `promo-codes`: what the promo code took off the price. */
        discountMinor?: string;
        /** NOWPayments: the coin the user picked. */
        payCurrency?: string;
      },
    ): Promise<Charge> {
      const creditMinor = BigInt(input.creditMinor ?? '0');
      const discountMinor = BigInt(input.discountMinor ?? '0');
      const gatewayMinor = BigInt(input.amountMinor) - discountMinor - creditMinor;
      await deps.db
        .insert(invoices)
        .values({
          id: input.invoiceId,
          userId: input.userId,
          ...purposeOf(input),
          provider: input.provider,
          amountMinor: BigInt(input.amountMinor),
          creditMinor,
          discountMinor,
          currency: input.currency,
          payCurrency: input.payCurrency,
          status: 'creating',
          expiresAt: new Date(input.expiresAt),
          statusHistory: [{ status: 'creating', at: new Date().toISOString(), source: 'workflow' }],
        })
        .onConflictDoNothing();
      const [existing] = await deps.db.select().from(invoices).where(eq(invoices.id, input.invoiceId));
      if (existing?.providerInvoiceId && existing.status !== 'creating') return chargeOf(existing);
      const title = await chargeTitle(input, input.userId);
      const created = await nonRetryableGatewayErrors(() =>
        gateway(input.provider).createCharge({
          invoiceId: input.invoiceId,
          userId: input.userId,
          amount: fromMinor(gatewayMinor, input.currency),
          currency: input.currency,
          expiresAt: input.expiresAt,
          ...title,
          ...(input.payCurrency ? { payCurrency: input.payCurrency } : {}),
        }),
      );
      await deps.db
        .update(invoices)
        .set({
          providerInvoiceId: created.providerInvoiceId,
          payUrl: created.payUrl ?? null,
          payAddress: created.address ? { ...created.address, purchaseId: created.purchaseId } : null,
          payMessageId: created.messageId ?? null,
          chargeIds: [created.providerInvoiceId],
          creditMinor,
          discountMinor,
          status: 'pending',
          expiresAt: new Date(input.expiresAt),
          updatedAt: new Date(),
          statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([{ status: 'pending', at: new Date().toISOString(), source: input.provider }])}::jsonb`,
        })
        .where(eq(invoices.id, input.invoiceId));
      return created;
    },

    /**
     * A top-up charge for what a partly paid invoice still misses (NOWPayments `purchase_id`): a new
     * address and amount, added to the invoice's charges. A retry after the rail answered but before
     * the row was updated may leave one unused charge there, which simply expires.
     */
    async createTopUpCharge(
      input: Purchase & {
        invoiceId: string;
        userId: number;
        provider: string;
        amount: string;
        currency: string;
        expiresAt: number;
        payCurrency?: string;
        purchaseId: string;
        /** Names the top-up (the received total it follows), so a retry returns the first one. */
        key: string;
      },
    ): Promise<Charge> {
      const [row] = await deps.db.select().from(invoices).where(eq(invoices.id, input.invoiceId));
      const done = row?.statusHistory.find((entry) => entry.key === `topup:${input.key}`);
      if (done?.note) return JSON.parse(done.note) as Charge;
      const title = await chargeTitle(input, input.userId);
      const created = await nonRetryableGatewayErrors(() =>
        gateway(input.provider).createCharge({
          invoiceId: input.invoiceId,
          userId: input.userId,
          amount: input.amount,
          currency: input.currency,
          expiresAt: input.expiresAt,
          topUpOf: input.purchaseId,
          ...title,
          ...(input.payCurrency ? { payCurrency: input.payCurrency } : {}),
        }),
      );
      const entry = {
        status: row?.status ?? 'partial',
        at: new Date().toISOString(),
        source: input.provider,
        key: `topup:${input.key}`,
        note: JSON.stringify(created),
      };
      await deps.db
        .update(invoices)
        .set({
          chargeIds: sql`${invoices.chargeIds} || ${JSON.stringify([created.providerInvoiceId])}::jsonb`,
          statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([entry])}::jsonb`,
          updatedAt: new Date(),
        })
        .where(eq(invoices.id, input.invoiceId));
      return created;
    },

    /** Runs started before payment rails pass one `providerInvoiceId`; since then every charge id. */
    async checkGatewayInvoice(input: {
      provider: string;
      providerInvoiceId?: string;
      providerInvoiceIds?: string[];
      invoiceId?: string;
    }): Promise<PaymentReport> {
      const ids = input.providerInvoiceIds ?? (input.providerInvoiceId ? [input.providerInvoiceId] : []);
      return nonRetryableGatewayErrors(() => gateway(input.provider).getStatus(ids, input.invoiceId ?? ''));
    },

    async cancelGatewayInvoice(input: {
      provider: string;
      providerInvoiceId: string;
      messageId?: number;
      userId?: number;
    }): Promise<void> {
      await nonRetryableGatewayErrors(() =>
        gateway(input.provider).cancel({
          providerInvoiceId: input.providerInvoiceId,
          userId: input.userId ?? 0,
          ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
        }),
      );
    },

    /** Read model and ledger for one transition; both idempotent, in one transaction. */
    async recordInvoiceState(input: {
      invoiceId: string;
      state: InvoiceState;
      received: string;
      overpaid?: string;
      source: string;
      amountMinor: string;
      currency: string;
      provider: string;
      /** Stars: the settling payment's `telegram_payment_charge_id`. */
      chargeId?: string;
      /** Every charge the workflow checks (since payment rails). */
      chargeIds?: string[];
    }) {
      const now = new Date();
      const status: InvoiceStatus = input.state;
      await deps.db.transaction(async (tx) => {
        const [row] = await tx
          .update(invoices)
          .set({
            status,
            amountReceived: input.received,
            overpaidAmount: input.overpaid ?? null,
            ...(input.chargeId && input.provider === 'stars' ? { telegramPaymentChargeId: input.chargeId } : {}),
            ...(input.chargeIds ? { chargeIds: input.chargeIds } : {}),
            updatedAt: now,
            paidAt:
              input.state === 'paid' || input.state === 'overpaid'
                ? sql`coalesce(${invoices.paidAt}, ${now.toISOString()}::timestamptz)`
                : undefined,
            statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([{ status, at: now.toISOString(), source: input.source, note: `received ${input.received}` }])}::jsonb`,
          })
          .where(
            and(
              eq(invoices.id, input.invoiceId),
              or(ne(invoices.status, status), ne(invoices.amountReceived, input.received)),
            ),
          )
          .returning({ userId: invoices.userId, orderId: invoices.orderId });
        const userId = row?.userId;
        if (userId === undefined) return; // already recorded by an earlier attempt
        await postInvoiceMoney(tx, { ...input, userId, ...(row?.orderId ? { orderId: row.orderId } : {}) });
      });
    },

    /**
     * The invoice's workflow is ending: its postback de-duplication claims are no longer needed
     * (a later postback finds no workflow and is audited after_close), so the table stays small.
     */
    async releaseWebhookClaims({ invoiceId }: { invoiceId: string }): Promise<void> {
      await deps.db.delete(webhookClaims).where(eq(webhookClaims.orderId, invoiceId));
    },

    /**
     * Gives a settled payment back on its rail where the rail can (Stars: `refundStarPayment` with the
     * stored charge id). Crypto rails cannot; their refunds are paid by an admin and recorded. A rail
     * answering "already refunded" counts as done, so a retried or repeated refund refunds once.
     */
    async refundOnRail({ invoiceId }: { invoiceId: string }): Promise<{ refundedOnRail: boolean }> {
      const [row] = await deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
      const rail = row ? deps.gateways[row.provider as Rail] : undefined;
      if (!row || !rail?.refund) return { refundedOnRail: false };
      if (!row.telegramPaymentChargeId)
        throw ApplicationFailure.nonRetryable(`Invoice ${invoiceId} has no charge id to refund`, 'InvalidRequest');
      const chargeId = row.telegramPaymentChargeId;
      await nonRetryableGatewayErrors(() => rail.refund!({ userId: row.userId, chargeId }));
      return { refundedOnRail: true };
    },

    /** Hands a settled invoice to what it paid for: the subscription entity (started if needed). */
    async deliverPaidInvoice(input: { invoiceId: string; userId: number; planId: string; paidAt: number }) {
      await deps.workflows.invoicePaid(input.userId, input.planId, input.invoiceId);
    },
  };
}

/** What an invoice pays for: a plan (a subscription's period) or a marketplace order. */
export interface Purchase {
  planId?: string;
  orderId?: string;
}

const purposeOf = (what: Purchase) =>
  what.orderId !== undefined
    ? { purpose: 'order', orderId: what.orderId }
    : { purpose: 'subscription', planId: what.planId ?? null };

/**
 * Where a settled invoice's price goes: subscription revenue, or an order's escrow (held for the
 * seller until the escrow workflow releases it).
 */
const earningAccount = (orderId: string | undefined) =>
  orderId !== undefined ? accounts.orderEscrow(orderId) : accounts.revenue('subscriptions');

/** The charge recorded on an invoice row (a retry of its creation returns it). */
function chargeOf(row: typeof invoices.$inferSelect): Charge {
  const { purchaseId, ...address } = row.payAddress ?? { purchaseId: undefined };
  return {
    providerInvoiceId: row.providerInvoiceId ?? '',
    ...(row.payUrl ? { payUrl: row.payUrl } : {}),
    ...(row.payAddress ? { address: address as NonNullable<Charge['address']>, purchaseId } : {}),
    ...(row.payMessageId !== null ? { messageId: row.payMessageId } : {}),
  };
}

type Tx = Parameters<Parameters<ActivityDeps['db']['transaction']>[0]>[0];

/**
 * Moves whatever the invoice's credit reservation holds to `to` (revenue when it settles, the user's
 * credit when it closes unpaid), keyed by the step, so it happens once and only one of the two
 * ever finds money there.
 */
async function moveInvoiceCredit(
  tx: Tx,
  invoiceId: string,
  currency: string,
  step: 'consume' | 'release',
  to: string,
): Promise<void> {
  const reserved = accounts.invoiceCredit(invoiceId);
  const amount = await owedOn(tx, reserved, currency);
  if (amount <= 0n) return;
  await post(tx, {
    key: `invoice:${invoiceId}:credit:${step}`,
    kind: step === 'consume' ? 'credit-payment' : 'credit-release',
    currency,
    legs: [
      { account: reserved, amountMinor: amount },
      { account: to, amountMinor: -amount },
    ],
  });
}

/**
 * Every unit the gateway holds for an invoice is posted exactly once. The rule: once an invoice is
 * closed for payment, the gateway account's entries for it sum to the highest received total (in
 * whole minor units, rounded down); each transition posts only the difference to what is already
 * there, named by the new total, so a repeat posts nothing and an increase posts the increase.
 * - paid / overpaid: the price to revenue (once), anything above it to the user's overpayment account;
 * - needs_review: what arrived to the user's unapplied (suspense) account, for an admin to resolve;
 * - late_paid: each increase after the invoice closed to the late-payments suspense account.
 * `amountMinor` is what the gateway asks for (the price less any reserved balance).
 * Open states (pending, partial) post nothing: the money is not final until the invoice closes.
 * Runs inside recordInvoiceState's transaction, after its UPDATE locked the invoice row.
 */
export async function postInvoiceMoney(
  tx: Tx,
  input: {
    invoiceId: string;
    state: InvoiceState;
    received: string;
    amountMinor: string;
    currency: string;
    provider: string;
    userId: number;
    /** A marketplace order's invoice: its price is the order's sale, held in escrow. */
    orderId?: string;
  },
): Promise<void> {
  // The balance set aside for the invoice (since `apply-credit`): paid for the plan once it settles,
  // the user's again once it closes unpaid (a partly paid one too: an admin resolves the gateway money).
  const earnedBy = earningAccount(input.orderId);
  if (input.state === 'paid' || input.state === 'overpaid')
    await moveInvoiceCredit(tx, input.invoiceId, input.currency, 'consume', earnedBy);
  else if (input.state === 'expired' || input.state === 'cancelled' || input.state === 'needs_review')
    await moveInvoiceCredit(tx, input.invoiceId, input.currency, 'release', accounts.userCredit(input.userId));
  if (
    input.state === 'pending' ||
    input.state === 'partial' ||
    input.state === 'expired' ||
    input.state === 'cancelled'
  )
    return;
  const gatewayAccount = accounts.gateway(input.provider);
  const prefix = `invoice:${input.invoiceId}:`;
  const heldSoFar = async () => {
    const [row] = await tx
      .select({ sum: sql<string>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::text` })
      .from(ledgerEntries)
      .where(
        and(
          eq(ledgerEntries.account, gatewayAccount),
          eq(ledgerEntries.currency, input.currency),
          sql`starts_with(${ledgerEntries.transactionKey}, ${prefix})`,
        ),
      );
    return BigInt(row?.sum ?? '0');
  };
  const total = toMinorFloor(input.received, input.currency);
  const price = BigInt(input.amountMinor);
  const move = async (key: string, kind: string, to: string, amount: bigint) => {
    if (amount <= 0n) return;
    await post(tx, {
      key,
      kind,
      currency: input.currency,
      legs: [
        { account: gatewayAccount, amountMinor: amount },
        { account: to, amountMinor: -amount },
      ],
    });
  };
  if (input.state === 'paid' || input.state === 'overpaid') {
    await move(`${prefix}payment`, input.orderId ? 'sale' : 'subscription-payment', earnedBy, price);
    const extra = total - (await heldSoFar());
    await move(`${prefix}overpayment:${total}`, 'overpayment', accounts.userOverpayment(input.userId), extra);
    return;
  }
  const increase = total - (await heldSoFar());
  if (input.state === 'needs_review')
    await move(`${prefix}unapplied:${total}`, 'unapplied-payment', accounts.userUnapplied(input.userId), increase);
  else if (input.state === 'late_paid')
    await move(`${prefix}late:${total}`, 'late-payment', accounts.latePayments(), increase);
}

/** Gateways report amounts with more decimals than the currency's minor unit; the ledger keeps whole minor units. */
function toMinorFloor(amount: string, currency: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  const digits = minorDigits(currency);
  return toMinor(digits === 0 ? whole : `${whole}.${fraction.slice(0, digits).padEnd(1, '0')}`, currency);
}
