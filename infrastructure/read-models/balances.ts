/**
 * Read model of the ledger, for the bot, the ops CLI and the activities alike.
 * Balances are sums of ledger entries, nothing else. Entries are debit-positive; what the platform
 * owes someone (a referrer's held, available and reserved money) is a credit, so it is shown negated.
 */
import { and, eq, notLike, sql } from 'drizzle-orm';
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

export interface SellerMoney {
  currency: string;
  /** Proceeds inside the escrow hold (a refund can take them back). */
  held: bigint;
  /** Released to the seller after the hold, less payouts requested. Negative after a clawback: blocks payouts. */
  available: bigint;
  /** Set aside by payout requests an admin has not paid or rejected yet. */
  reserved: bigint;
  /** Sent to the seller's wallets: the payout-paid entries that left the reserved bucket. */
  paidOut: bigint;
  /** The platform's fee taken on the seller's sales (net of refunds). */
  fees: bigint;
}

export interface SellerHold {
  orderId: string;
  currency: string;
  /** The seller's part of this sale still held: the sum of its entries on `seller:<id>:held`. */
  heldMinor: bigint;
}

/**
 * A seller's marketplace money, per currency, and each sale still in escrow: sums of ledger
 * entries only. The fee is what `revenue:marketplace-fees` received in the postings that also
 * moved this seller's proceeds (hold, refund), so a refunded sale's fee nets out. Paid out is the
 * sum of the `payout-paid` entries on the reserved bucket (each one the debit that sent it).
 */
export async function sellerBalances(
  db: Reader,
  sellerId: number,
): Promise<{ money: SellerMoney[]; holds: SellerHold[] }> {
  const held = accounts.sellerHeld(sellerId);
  const available = accounts.sellerAvailable(sellerId);
  const reserved = accounts.sellerReserved(sellerId);
  const mine = sql`${ledgerEntries.account} in (${held}, ${available}, ${reserved})`;
  const [sums, fees, holds] = await Promise.all([
    db
      .select({
        account: ledgerEntries.account,
        currency: ledgerEntries.currency,
        sum: sql<string>`sum(${ledgerEntries.amountMinor})::text`,
        paidOut: sql<string>`coalesce(sum(${ledgerEntries.amountMinor}) filter (where ${ledgerEntries.kind} = 'payout-paid'), 0)::text`,
      })
      .from(ledgerEntries)
      .where(mine)
      .groupBy(ledgerEntries.account, ledgerEntries.currency),
    db
      .select({ currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amountMinor})::text` })
      .from(ledgerEntries)
      .where(
        and(
          eq(ledgerEntries.account, accounts.marketplaceFees()),
          sql`${ledgerEntries.transactionKey} in (select l.transaction_key from ledger_entries l where l.account in (${held}, ${available}))`,
        ),
      )
      .groupBy(ledgerEntries.currency),
    db
      .select({
        orderId: sql<string>`split_part(${ledgerEntries.transactionKey}, ':', 2)`,
        currency: ledgerEntries.currency,
        sum: sql<string>`sum(${ledgerEntries.amountMinor})::text`,
      })
      .from(ledgerEntries)
      .where(eq(ledgerEntries.account, held))
      .groupBy(sql`1`, ledgerEntries.currency)
      .having(sql`sum(${ledgerEntries.amountMinor}) <> 0`)
      .orderBy(sql`1`),
  ]);
  const byCurrency = new Map<string, SellerMoney>();
  const of = (currency: string) => {
    const found = byCurrency.get(currency) ?? {
      currency,
      held: 0n,
      available: 0n,
      reserved: 0n,
      paidOut: 0n,
      fees: 0n,
    };
    byCurrency.set(currency, found);
    return found;
  };
  for (const row of sums) {
    const money = of(row.currency);
    if (row.account === held) money.held = -BigInt(row.sum);
    else if (row.account === available) money.available = -BigInt(row.sum);
    else {
      money.reserved = -BigInt(row.sum);
      money.paidOut = BigInt(row.paidOut);
    }
  }
  for (const row of fees) of(row.currency).fees = -BigInt(row.sum);
  return {
    money: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    holds: holds.map((row) => ({ orderId: row.orderId, currency: row.currency, heldMinor: -BigInt(row.sum) })),
  };
}

/**
 * What a buyer is owed back on crypto rails and can ask to be paid to a wallet (a payout of kind
 * `refund`), per currency where positive: the refund payable less what payout requests reserved.
 * Refunds an admin decided in a resolution are left out: that workflow pays them itself
 * (`/refundpaid`), and paying them here too would send them twice.
 */
export async function refundsOwed(
  db: Reader,
  userId: number,
): Promise<Array<{ currency: string; amountMinor: bigint }>> {
  const rows = await db
    .select({ currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amountMinor})::text` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.account, accounts.userRefund(userId)), notLike(ledgerEntries.kind, 'resolution-%')))
    .groupBy(ledgerEntries.currency)
    .orderBy(ledgerEntries.currency);
  return rows
    .map((row) => ({ currency: row.currency, amountMinor: -BigInt(row.sum) }))
    .filter((row) => row.amountMinor > 0n);
}
