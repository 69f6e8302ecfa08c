/** Side effects of the invoice workflow: the gateway, the invoices read model and the ledger. */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, ne, or, sql } from 'drizzle-orm';
import type { InvoiceState, PaymentReport } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { fromMinor, minorDigits, toMinor } from '../domain/money';
import type { InvoiceStatus } from '../domain/invoice';
import { invoices, ledgerEntries } from '../infrastructure/db/schema';
import { GatewayRequestError } from '../infrastructure/providers/payment-gateway';
import type { ActivityDeps } from './deps';
import { post } from './ledger';

export function createInvoiceActivities(deps: ActivityDeps) {
  const gateway = (provider: string) => {
    const found = deps.gateways[provider];
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

  return {
    /** Records the invoice and creates it at the gateway once; a retry returns the first result. */
    async createGatewayInvoice(input: {
      invoiceId: string;
      userId: number;
      planId: string;
      provider: string;
      amountMinor: string;
      currency: string;
      expiresAt: number;
    }) {
      await deps.db
        .insert(invoices)
        .values({
          id: input.invoiceId,
          userId: input.userId,
          purpose: 'subscription',
          planId: input.planId,
          provider: input.provider,
          amountMinor: BigInt(input.amountMinor),
          currency: input.currency,
          status: 'creating',
          expiresAt: new Date(input.expiresAt),
          statusHistory: [{ status: 'creating', at: new Date().toISOString(), source: 'workflow' }],
        })
        .onConflictDoNothing();
      const [existing] = await deps.db.select().from(invoices).where(eq(invoices.id, input.invoiceId));
      if (existing?.providerInvoiceId && existing.payUrl)
        return { providerInvoiceId: existing.providerInvoiceId, payUrl: existing.payUrl };
      const created = await nonRetryableGatewayErrors(() =>
        gateway(input.provider).createInvoice({
          orderId: input.invoiceId,
          amount: fromMinor(BigInt(input.amountMinor), input.currency),
          currency: input.currency,
          expiresAt: input.expiresAt,
        }),
      );
      await deps.db
        .update(invoices)
        .set({
          providerInvoiceId: created.providerInvoiceId,
          payUrl: created.payUrl,
          status: 'pending',
          expiresAt: new Date(input.expiresAt),
          updatedAt: new Date(),
          statusHistory: sql`${invoices.statusHistory} || ${JSON.stringify([{ status: 'pending', at: new Date().toISOString(), source: input.provider }])}::jsonb`,
        })
        .where(eq(invoices.id, input.invoiceId));
      return created;
    },

    async checkGatewayInvoice(input: { provider: string; providerInvoiceId: string }): Promise<PaymentReport> {
      return nonRetryableGatewayErrors(() => gateway(input.provider).getStatus(input.providerInvoiceId));
    },

    async cancelGatewayInvoice(input: { provider: string; providerInvoiceId: string }): Promise<void> {
      await nonRetryableGatewayErrors(() => gateway(input.provider).cancel(input.providerInvoiceId));
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
          .returning({ userId: invoices.userId });
        const userId = row?.userId;
        if (userId === undefined) return; // already recorded by an earlier attempt
        await postInvoiceMoney(tx, { ...input, userId });
      });
    },

    /** Hands a settled invoice to what it paid for: the subscription entity (started if needed). */
    async deliverPaidInvoice(input: { invoiceId: string; userId: number; planId: string; paidAt: number }) {
      await deps.workflows.invoicePaid(input.userId, input.planId, input.invoiceId);
    },
  };
}

type Tx = Parameters<Parameters<ActivityDeps['db']['transaction']>[0]>[0];

/**
 * Every unit the gateway holds for an invoice is posted exactly once. The rule: once an invoice is
 * closed for payment, the gateway account's entries for it sum to the highest received total (in
 * whole minor units, rounded down); each transition posts only the difference to what is already
 * there, named by the new total, so a repeat posts nothing and an increase posts the increase.
 * - paid / overpaid: the price to revenue (once), anything above it to the user's overpayment account;
 * - needs_review: what arrived to the user's unapplied (suspense) account, for an admin to resolve;
 * - late_paid: each increase after the invoice closed to the late-payments suspense account.
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
  },
): Promise<void> {
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
    await move(`${prefix}payment`, 'subscription-payment', accounts.revenue('subscriptions'), price);
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
