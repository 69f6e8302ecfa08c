/**
 * Ledger invariants for tests: every transaction balances per currency, every referrer's balances
 * are sums of their entries and sit only in the held / available / reserved buckets.
 */
import { like, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { balanceOf, referrerBalances, type ReferrerBalances } from '../infrastructure/read-models/balances';
import { accounts, type Posting } from '../domain/ledger';
import { post } from '../activities/ledger';
import type { Database } from '../infrastructure/db/client';
import { ledgerEntries } from '../infrastructure/db/schema';

/**
 * Read in one snapshot (REPEATABLE READ): test files post side by side, and sums taken by separate
 * statements could see another file's transaction half way.
 */
export async function assertLedgerInvariant(database: Database): Promise<void> {
  await database.transaction((db) => checkLedger(db), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function checkLedger(db: Parameters<Parameters<Database['transaction']>[0]>[0]): Promise<void> {
  const unbalanced = await db
    .select({
      key: ledgerEntries.transactionKey,
      currency: ledgerEntries.currency,
      sum: sql<string>`sum(${ledgerEntries.amountMinor})::text`,
    })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.transactionKey, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amountMinor}) <> 0`);
  expect(unbalanced, 'transactions that do not sum to zero').toEqual([]);

  const referrerAccounts = await db
    .select({
      account: ledgerEntries.account,
      currency: ledgerEntries.currency,
      sum: sql<string>`sum(${ledgerEntries.amountMinor})::text`,
    })
    .from(ledgerEntries)
    .where(like(ledgerEntries.account, 'referrer:%'))
    .groupBy(ledgerEntries.account, ledgerEntries.currency);
  const owners = new Map<string, { userId: number; currency: string; total: bigint }>();
  for (const row of referrerAccounts) {
    const match = /^referrer:(\d+):(held|available|reserved)$/.exec(row.account);
    expect(match, `referrer account ${row.account} is not one of held, available, reserved`).not.toBeNull();
    const key = `${match![1]}/${row.currency}`;
    const owner = owners.get(key) ?? { userId: Number(match![1]), currency: row.currency, total: 0n };
    owner.total += BigInt(row.sum);
    owners.set(key, owner);
  }
  for (const { userId, currency, total } of owners.values()) {
    const b = await referrerBalances(db, userId, currency);
    expect(
      b.held + b.available + b.reserved,
      `referrer ${userId} ${currency}: held + available + reserved = their entries`,
    ).toBe(-total);
    expect(
      b.held >= 0n && b.reserved >= 0n,
      `referrer ${userId} ${currency}: held ${b.held} and reserved ${b.reserved} are never negative`,
    ).toBe(true);
  }
}

export const balancesOf = (db: Database, userId: number, currency = 'USD'): Promise<ReferrerBalances> =>
  referrerBalances(db, userId, currency);

/** Gives a referrer money to withdraw, as if commissions had been released (a balanced test posting). */
export async function fundReferrer(
  db: Database,
  userId: number,
  amountMinor: bigint,
  key: string,
  currency = 'USD',
): Promise<void> {
  const posting: Posting = {
    key: `test:${key}:fund`,
    kind: 'test-funding',
    currency,
    legs: [
      { account: accounts.commissionExpense(), amountMinor },
      { account: accounts.referrerAvailable(userId), amountMinor: -amountMinor },
    ],
  };
  await post(db, posting);
}

export { balanceOf };
