/** Write-side helpers for balance-checking ledger writes (the balances themselves: infrastructure/read-models/balances.ts). */
import { sql } from 'drizzle-orm';
import type { Database } from '../infrastructure/db/client';

type Executor = Pick<Database, 'execute'>;

/**
 * Serialises every balance-checking write to one account until the transaction ends, so two
 * concurrent payout requests cannot both spend the same available balance.
 */
export async function lockAccount(tx: Executor, account: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${account}, 0))`);
}
