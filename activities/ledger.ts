import { assertBalanced, type Posting } from '../domain/ledger';
import type { Database } from '../infrastructure/db/client';
import { ledgerEntries } from '../infrastructure/db/schema';

type Executor = Pick<Database, 'insert'>;

/** Posts all legs in one statement; the unique idempotency keys make a repeat a no-op. */
export async function post(db: Executor, posting: Posting): Promise<boolean> {
  assertBalanced(posting);
  const inserted = await db
    .insert(ledgerEntries)
    .values(
      posting.legs.map((leg) => ({
        idempotencyKey: `${posting.key}/${leg.account}`,
        transactionKey: posting.key,
        account: leg.account,
        amountMinor: leg.amountMinor,
        currency: posting.currency,
        kind: posting.kind,
        memo: posting.memo,
      })),
    )
    .onConflictDoNothing({ target: ledgerEntries.idempotencyKey })
    .returning({ id: ledgerEntries.id });
  return inserted.length > 0;
}
