/** Side effects of the invoice workflow: the gateway, the invoices read model and the ledger. */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, ne, or, sql } from 'drizzle-orm';
import type { InvoiceState, PaymentReport } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { fromMinor, minorDigits, toMinor } from '../domain/money';
import { invoices, type InvoiceStatus } from '../infrastructure/db/schema';
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
        const amount = BigInt(input.amountMinor);
        if (input.state === 'paid' || input.state === 'overpaid') {
          await post(tx, {
            key: `invoice:${input.invoiceId}:payment`,
            kind: 'subscription-payment',
            currency: input.currency,
            legs: [
              { account: accounts.gateway(input.provider), amountMinor: amount },
              { account: accounts.revenue('subscriptions'), amountMinor: -amount },
            ],
          });
        }
        const extra = input.overpaid ? toMinorFloor(input.overpaid, input.currency) : 0n;
        if (input.state === 'overpaid' && extra > 0n) {
          await post(tx, {
            key: `invoice:${input.invoiceId}:overpayment:${input.received}`,
            kind: 'overpayment',
            currency: input.currency,
            legs: [
              { account: accounts.gateway(input.provider), amountMinor: extra },
              { account: accounts.userOverpayment(userId), amountMinor: -extra },
            ],
          });
        }
        const late = input.state === 'late_paid' ? toMinorFloor(input.received, input.currency) : 0n;
        if (late > 0n) {
          await post(tx, {
            key: `invoice:${input.invoiceId}:late:${input.received}`,
            kind: 'late-payment',
            currency: input.currency,
            legs: [
              { account: accounts.gateway(input.provider), amountMinor: late },
              { account: accounts.latePayments(), amountMinor: -late },
            ],
          });
        }
      });
    },

    /** Hands a settled invoice to what it paid for: the subscription entity (started if needed). */
    async deliverPaidInvoice(input: { invoiceId: string; userId: number; planId: string; paidAt: number }) {
      await deps.commands.invoicePaid(input.userId, input.planId, input.invoiceId);
    },
  };
}

/** Gateways report amounts with more decimals than the currency's minor unit; the ledger keeps whole minor units. */
function toMinorFloor(amount: string, currency: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  const digits = minorDigits(currency);
  return toMinor(digits === 0 ? whole : `${whole}.${fraction.slice(0, digits).padEnd(1, '0')}`, currency);
}
