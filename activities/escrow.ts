/**
 * Side effects of the escrow workflow (`escrow:<orderId>`) and of a clawback (`clawback:<orderId>`):
 * the sale's split into fee and the seller's held proceeds, their release, a refund or a dispute's
 * split inside the hold, and a clawback after the release. Each step is one keyed posting under the
 * order's escrow lock, and each reads what the hold recorded and which steps were taken, so a retry
 * or a later run continues from the ledger instead of posting twice, and the ends exclude each other.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, inArray } from 'drizzle-orm';
import {
  clawbackPosting,
  escrowKeys,
  holdPosting,
  refundPosting,
  releasePosting,
  salePrice,
  splitPosting,
  splitSale,
  splitShares,
  type EscrowSplit,
  type RefundTo,
} from '../domain/escrow';
import { accounts } from '../domain/ledger';
import { OWNED_ORDER_STATUSES } from '../domain/order';
import type { Database } from '../infrastructure/db/client';
import { ledgerEntries, orders, products } from '../infrastructure/db/schema';
import { owedOn } from '../infrastructure/read-models/balances';
import { lockAccount } from './balances';
import type { ActivityDeps } from './deps';
import { post } from './ledger';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What the workflow keeps of a split (workflow data is JSON: amounts as decimal strings). */
export interface EscrowFacts {
  priceMinor: string;
  feeMinor: string;
  heldMinor: string;
  /** When the hold ends: the order's payment time + holdMs (what /balance shows, too). */
  releaseAt: number;
}

/** The split the hold posted, read back from its entries; undefined before the hold. */
async function recordedSplit(
  tx: Pick<Database, 'select'>,
  input: { orderId: string; sellerId: number },
): Promise<EscrowSplit | undefined> {
  const legs = await tx
    .select({
      account: ledgerEntries.account,
      amountMinor: ledgerEntries.amountMinor,
      currency: ledgerEntries.currency,
    })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.transactionKey, escrowKeys.hold(input.orderId)));
  if (legs.length === 0) return undefined;
  const of = (account: string) => -(legs.find((leg) => leg.account === account)?.amountMinor ?? 0n);
  return {
    orderId: input.orderId,
    sellerId: input.sellerId,
    currency: legs[0]!.currency,
    priceMinor: -of(accounts.orderEscrow(input.orderId)),
    feeMinor: of(accounts.marketplaceFees()),
    heldMinor: of(accounts.sellerHeld(input.sellerId)),
  };
}

const factsOf = (split: EscrowSplit, releaseAt: number): EscrowFacts => ({
  priceMinor: split.priceMinor.toString(),
  feeMinor: split.feeMinor.toString(),
  heldMinor: split.heldMinor.toString(),
  releaseAt,
});

/** Which of the hold's ends (release, refund, split) and a clawback are posted. */
async function stepsTaken(tx: Pick<Database, 'selectDistinct'>, orderId: string) {
  const rows = await tx
    .selectDistinct({ key: ledgerEntries.transactionKey })
    .from(ledgerEntries)
    .where(
      inArray(ledgerEntries.transactionKey, [
        escrowKeys.release(orderId),
        escrowKeys.refund(orderId),
        escrowKeys.split(orderId),
        escrowKeys.clawback(orderId),
      ]),
    );
  const keys = new Set(rows.map((row) => row.key));
  return {
    released: keys.has(escrowKeys.release(orderId)),
    refunded: keys.has(escrowKeys.refund(orderId)),
    split: keys.has(escrowKeys.split(orderId)),
    clawedBack: keys.has(escrowKeys.clawback(orderId)),
  };
}

const refundTo = (input: { buyerId: number; gateway?: string }): RefundTo => ({
  buyerId: input.buyerId,
  ...(input.gateway ? { gateway: input.gateway } : {}),
});

/** The order row becomes `refunded`: the buyer owns the product no more (library, downloads). */
const markOrderRefunded = (tx: Tx, orderId: string) =>
  tx
    .update(orders)
    .set({ status: 'refunded', updatedAt: new Date() })
    .where(and(eq(orders.id, orderId), inArray(orders.status, [...OWNED_ORDER_STATUSES])));

export function createEscrowActivities(deps: ActivityDeps) {
  const { db } = deps;

  const locked = <T>(orderId: string, run: (tx: Tx) => Promise<T>) =>
    db.transaction(async (tx) => {
      // One lock per order: the hold, the release and a refund of one sale never interleave.
      await lockAccount(tx, accounts.orderEscrow(orderId));
      return run(tx);
    });

  const splitOrThrow = async (tx: Tx, input: { orderId: string; sellerId: number }) => {
    const split = await recordedSplit(tx, input);
    if (!split) throw ApplicationFailure.nonRetryable(`Order ${input.orderId} has no escrow hold`, 'InvalidRequest');
    return split;
  };

  return {
    /**
     * Splits the whole balance of `escrow:order:<orderId>` into the platform's fee and the seller's
     * held proceeds, in one posting (keyed `escrow:<orderId>:hold`). A repeat returns the recorded split.
     */
    async holdSale(input: {
      orderId: string;
      sellerId: number;
      currency: string;
      feeBps: number;
      holdMs: number;
    }): Promise<EscrowFacts> {
      return locked(input.orderId, async (tx) => {
        const [order] = await tx.select({ paidAt: orders.paidAt }).from(orders).where(eq(orders.id, input.orderId));
        if (!order) throw ApplicationFailure.nonRetryable(`There is no order ${input.orderId}`, 'InvalidRequest');
        const releaseAt = (order.paidAt ?? new Date()).getTime() + input.holdMs;
        const recorded = await recordedSplit(tx, input);
        if (recorded) return factsOf(recorded, releaseAt);
        const priceMinor = await owedOn(tx, accounts.orderEscrow(input.orderId), input.currency);
        // The invoice posts the sale in the transaction that records it paid, before the order learns of it.
        if (priceMinor <= 0n) throw new Error(`escrow of order ${input.orderId} holds nothing yet`);
        const split = splitSale({ ...input, priceMinor });
        await post(tx, holdPosting(split));
        return factsOf(split, releaseAt);
      });
    },

    /** The hold is over: held → available (keyed `escrow:<orderId>:release`), unless refunded or split meanwhile. */
    async releaseSale(input: { orderId: string; sellerId: number }): Promise<{ released: boolean }> {
      return locked(input.orderId, async (tx) => {
        const split = await splitOrThrow(tx, input);
        const taken = await stepsTaken(tx, input.orderId);
        if (taken.refunded || taken.split) return { released: false };
        if (split.heldMinor > 0n) await post(tx, releasePosting(split));
        return { released: true };
      });
    },

    /**
     * A refund inside the hold: the held proceeds and the fee back to the buyer (keyed
     * `escrow:<orderId>:refund`): through the gateway when the rail refunded already, else as
     * `payable:user:<buyerId>:refund`. The order row becomes `refunded` (the buyer owns it no more).
     */
    async refundSale(input: {
      orderId: string;
      sellerId: number;
      buyerId: number;
      by: string;
      /** The rail gave the money back (`refundOnRail`): the gateway's account, else a payable. */
      gateway?: string;
    }): Promise<{ refunded: boolean }> {
      return locked(input.orderId, async (tx) => {
        const split = await splitOrThrow(tx, input);
        const taken = await stepsTaken(tx, input.orderId);
        if (taken.released || taken.split) return { refunded: false };
        await post(tx, refundPosting(split, refundTo(input), `refund by ${input.by}`));
        await markOrderRefunded(tx, input.orderId);
        return { refunded: true };
      });
    },

    /**
     * A dispute settled by a split (keyed `escrow:<orderId>:split`): the buyer's share back (with
     * the fee's part on it, domain/escrow.ts `splitShares`) as a refund payable, the rest of the
     * held proceeds released to the seller. The buyer keeps the product. Nothing when the hold
     * ended otherwise already.
     */
    async settleSplit(input: {
      orderId: string;
      sellerId: number;
      buyerId: number;
      buyerShareMinor: string;
      by: string;
      gateway?: string;
    }): Promise<{ split: boolean; releasedMinor: string; feeBackMinor: string }> {
      return locked(input.orderId, async (tx) => {
        const split = await splitOrThrow(tx, input);
        let shares;
        try {
          shares = splitShares(split, BigInt(input.buyerShareMinor));
        } catch (error) {
          throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidRequest');
        }
        const result = {
          releasedMinor: shares.releasedMinor.toString(),
          feeBackMinor: shares.feeBackMinor.toString(),
        };
        const taken = await stepsTaken(tx, input.orderId);
        if (taken.released || taken.refunded) return { split: false, ...result };
        await post(tx, splitPosting(split, shares, refundTo(input), `split by ${input.by}`));
        return { split: true, ...result };
      });
    },

    /**
     * A refund after the release (keyed `escrow:<orderId>:clawback`): the proceeds out of the
     * seller's available balance (it may go negative), the fee given back, the whole price to the
     * buyer (the gateway when the rail refunded, else a refund payable); the order is refunded.
     * Refused (`clawedBack: false`) unless the sale was released whole.
     */
    async clawBackSale(input: {
      orderId: string;
      sellerId: number;
      buyerId: number;
      by: string;
      gateway?: string;
    }): Promise<{ clawedBack: boolean; amountMinor: string; currency: string }> {
      return locked(input.orderId, async (tx) => {
        const split = await splitOrThrow(tx, input);
        const result = { amountMinor: split.priceMinor.toString(), currency: split.currency };
        const taken = await stepsTaken(tx, input.orderId);
        if (taken.clawedBack) return { clawedBack: true, ...result };
        if (!taken.released || taken.refunded || taken.split) return { clawedBack: false, ...result };
        await post(tx, clawbackPosting(split, refundTo(input), `clawback by ${input.by}`));
        await markOrderRefunded(tx, input.orderId);
        return { clawedBack: true, ...result };
      });
    },

    /** Which ends the sale's escrow has come to, from the ledger (a clawback checks before it refunds on the rail). */
    async escrowSteps(input: { orderId: string }) {
      return stepsTaken(db, input.orderId);
    },

    /** For the seller's release notice: the product's title and the proceeds as text. */
    async escrowNoticeVars(input: { orderId: string; sellerId: number }): Promise<Record<string, string>> {
      const [row] = await db
        .select({ title: products.title })
        .from(orders)
        .innerJoin(products, eq(products.id, orders.productId))
        .where(eq(orders.id, input.orderId));
      const split = await recordedSplit(db, input);
      return {
        title: row?.title ?? input.orderId,
        orderId: input.orderId,
        amount: split ? salePrice(split.heldMinor, split.currency) : '—',
        fee: split ? salePrice(split.feeMinor, split.currency) : '—',
      };
    },
  };
}
