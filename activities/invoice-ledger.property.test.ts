/**
 * Ledger truth, as a property: for random sequences of gateway reports (repeats, re-orders, increases
 * after close, activity retries), driven through the domain's state machine and the real
 * recordInvoiceState activity against the test PostgreSQL, the gateway account holds exactly the
 * highest total the invoice recorded (whole minor units), every unit once, and the books balance.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { applyAnyReport, expire, SETTLED, type GatewayStatus, type InvoiceProgress } from '../domain/invoice';
import { accounts } from '../domain/ledger';
import { compareDecimal } from '../domain/money';
import { createDatabase } from '../infrastructure/db/client';
import { invoices, ledgerEntries, users } from '../infrastructure/db/schema';
import { assertLedgerInvariant } from '../test/ledger';
import type { ActivityDeps } from './deps';
import { createInvoiceActivities } from './invoices';

const database = createDatabase(inject('databaseUrl'), { max: 2 });
const db = database.db;
// Only the database is used by recordInvoiceState.
const activities = createInvoiceActivities({ db } as unknown as ActivityDeps);
const userId = 900_000_000 + Math.floor(Math.random() * 90_000_000);

beforeAll(async () => {
  await db
    .insert(users)
    .values({ id: userId, firstName: 'Ledger', referralCode: `l${userId}` })
    .onConflictDoNothing();
});
afterAll(async () => {
  await database.sql.end();
});

/** The gateway's totals only grow; amounts with more decimals than cents, as gateways send. */
const increment = fc.constantFrom('0.5', '1', '2.345', '3', '4.999', '5', '7.12345678', '10');
const PRICE_MINOR = 1000n; // 10.00 USD

interface Step {
  kind: 'report' | 'expire';
  /** Index into the gateway's timeline of totals. */
  at: number;
  retry: boolean;
}

const scenario = fc.record({
  increments: fc.array(increment, { minLength: 1, maxLength: 6 }),
  steps: fc.array(
    fc.record({
      kind: fc.constantFrom<'report' | 'expire'>('report', 'report', 'report', 'expire'),
      at: fc.nat(20),
      retry: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  ),
});

function add(a: string, b: string): string {
  const scale = 8;
  const units = (v: string) => {
    const [w = '0', f = ''] = v.split('.');
    return BigInt(w + f.padEnd(scale, '0'));
  };
  const total = (units(a) + units(b)).toString().padStart(scale + 1, '0');
  const fraction = total.slice(-scale).replace(/0+$/, '');
  return `${total.slice(0, -scale)}${fraction ? `.${fraction}` : ''}`;
}

const floorMinor = (value: string) => {
  const [w = '0', f = ''] = value.split('.');
  return BigInt(w + f.slice(0, 2).padEnd(2, '0'));
};

const status = (received: string): GatewayStatus => {
  const vs = compareDecimal(received, '10');
  return vs < 0 ? 'partial' : vs === 0 ? 'paid' : 'overpaid';
};

async function gatewayHolds(invoiceId: string): Promise<bigint> {
  const [row] = await db
    .select({ sum: sql<string>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::text` })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.account, accounts.gateway('cryptocloud')),
        sql`starts_with(${ledgerEntries.transactionKey}, ${`invoice:${invoiceId}:`})`,
      ),
    );
  return BigInt(row?.sum ?? '0');
}

describe('invoice money in the ledger', () => {
  it('the gateway account equals the highest recorded total, whatever the order of reports', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ increments, steps }) => {
        const invoiceId = `${userId}-ledger-${randomUUID().slice(0, 8)}`;
        await db.insert(invoices).values({
          id: invoiceId,
          userId,
          purpose: 'subscription',
          provider: 'cryptocloud',
          amountMinor: PRICE_MINOR,
          currency: 'USD',
          status: 'pending',
        });
        const timeline: string[] = [];
        let total = '0';
        for (const step of increments) timeline.push((total = add(total, step)));
        let progress: InvoiceProgress = { state: 'pending', received: '0' };
        const record = async (next: InvoiceProgress, retry: boolean) => {
          progress = next;
          const call = () =>
            activities.recordInvoiceState({
              invoiceId,
              state: next.state,
              received: next.received,
              source: 'property',
              amountMinor: PRICE_MINOR.toString(),
              currency: 'USD',
              provider: 'cryptocloud',
            });
          await call();
          if (retry) await call(); // an activity retried after it had committed
        };
        const deliver = async (received: string, retry: boolean) => {
          const next = applyAnyReport(progress, { status: status(received), received }, '10.00');
          if (next) await record(next, retry);
        };
        for (const step of steps as Step[]) {
          if (step.kind === 'expire') {
            const next = expire(progress);
            if (next) await record(next, step.retry);
          } else await deliver(timeline[step.at % timeline.length]!, step.retry);
        }
        // The late-payment window closes: the invoice expires if still open, and the last report
        // (the gateway's final total) arrives.
        const closing = expire(progress);
        if (closing) await record(closing, false);
        await deliver(total, true);

        const held = await gatewayHolds(invoiceId);
        expect(held, `${invoiceId}: gateway = recorded total ${progress.received}`).toBe(floorMinor(progress.received));
        if (!SETTLED.has(progress.state))
          expect(held).toBe(floorMinor(total)); // every unit arrived is booked
        else expect(held >= PRICE_MINOR).toBe(true);
      }),
      { numRuns: 60, seed: 20261202 },
    );
    await assertLedgerInvariant(db);
  });
});
