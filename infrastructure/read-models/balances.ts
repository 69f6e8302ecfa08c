/**
 * Read model of the ledger, for the bot, the ops CLI and the activities alike.
 * Balances are sums of ledger entries, nothing else. Entries are debit-positive; what the platform
 * owes someone (a referrer's held, available and reserved money) is a credit, so it is shown negated.
 */
import { and, eq, sql } from 'drizzle-orm';
import { accounts } from '../../domain/ledger';
import type { Database } from '../db/client';
import { ledgerEntries } from '../db/schema';

type Reader = Pick<Database, 'select'>;

/** The sum of an account's entries in one currency (debits positive, credits negative). */
export async function balanceOf(db: Reader, account: string, currency: string): Promise<bigint> {
  const [row] = await db
    .select({ sum: sql<string>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::text` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.account, account), eq(ledgerEntries.currency, currency)));
  return BigInt(row?.sum ?? '0');
}

/** What the platform owes on a liability account (a credit balance, shown positive). */
export async function owedOn(db: Reader, account: string, currency: string): Promise<bigint> {
  return -(await balanceOf(db, account, currency));
}

export interface ReferrerBalances {
  /** Earned, still inside the hold (a refund can take it back). */
  held: bigint;
  /** Can be paid out. Negative only after a refund clawed back money already paid out. */
  available: bigint;
  /** Requested in a payout that an admin has not paid or rejected yet. */
  reserved: bigint;
}

export async function referrerBalances(db: Reader, userId: number, currency: string): Promise<ReferrerBalances> {
  const [held, available, reserved] = await Promise.all([
    owedOn(db, accounts.referrerHeld(userId), currency),
    owedOn(db, accounts.referrerAvailable(userId), currency),
    owedOn(db, accounts.referrerReserved(userId), currency),
  ]);
  return { held, available, reserved };
}

/** The user's kept balance (a resolution's "keep as balance"), per currency, where it is not zero. */
export async function userCredits(
  db: Reader,
  userId: number,
): Promise<Array<{ currency: string; amountMinor: bigint }>> {
  const rows = await db
    .select({ currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amountMinor})::text` })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.account, accounts.userCredit(userId)))
    .groupBy(ledgerEntries.currency)
    .orderBy(ledgerEntries.currency);
  return rows
    .map((row) => ({ currency: row.currency, amountMinor: -BigInt(row.sum) }))
    .filter((row) => row.amountMinor !== 0n);
}
