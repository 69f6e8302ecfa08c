/**
 * Marketplace escrow (workflows/escrow.ts, `escrow:<orderId>`): a paid order's price waits in
 * `escrow:order:<orderId>` until the escrow workflow splits it into the platform's fee and the
 * seller's held proceeds, releases those to the seller after the hold, or gives it all back to the
 * buyer on a refund inside the hold. A dispute's split gives the buyer a part and releases the
 * rest; a refund after the release is a clawback from the seller's available balance. Every step
 * is one keyed posting, so a repeat is a no-op, and the four ends of a hold (release, refund,
 * split; clawback after a release) exclude each other.
 */
import { accounts, type Posting } from './ledger';
import { formatMoney } from './money';

/**
 * As `ProcessStatus` and the `escrowState` query show the escrow: `disputed` while a buyer's
 * dispute waits for an admin (the release is frozen), `split` once one was settled by a split.
 * A refund after the release runs in `clawback:<orderId>`, whose status is `clawed-back`.
 */
export type EscrowStage = 'holding' | 'held' | 'disputed' | 'released' | 'refunded' | 'split';
export const FINAL_ESCROW_STAGES: ReadonlySet<EscrowStage> = new Set(['released', 'refunded', 'split']);

export const escrowKeys = {
  hold: (orderId: string) => `escrow:${orderId}:hold`,
  release: (orderId: string) => `escrow:${orderId}:release`,
  refund: (orderId: string) => `escrow:${orderId}:refund`,
  split: (orderId: string) => `escrow:${orderId}:split`,
  clawback: (orderId: string) => `escrow:${orderId}:clawback`,
};

/** A sale's amount for messages: Stars as ⭐ n, other currencies with their code. */
export const salePrice = (minor: bigint, currency: string) =>
  currency === 'XTR' ? `⭐ ${minor}` : formatMoney(minor, currency);

/** The platform's commission on a price: floor(price × bps / 10000). */
export function marketplaceFee(priceMinor: bigint, feeBps: number): bigint {
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new Error(`fee ${feeBps} bps is out of range`);
  return (priceMinor * BigInt(feeBps)) / 10_000n;
}

export interface EscrowSplit {
  orderId: string;
  sellerId: number;
  currency: string;
  /** What left the order's escrow: the whole price the buyer paid. */
  priceMinor: bigint;
  feeMinor: bigint;
  /** The seller's part: price − fee. */
  heldMinor: bigint;
}

export function splitSale(input: {
  orderId: string;
  sellerId: number;
  currency: string;
  priceMinor: bigint;
  feeBps: number;
}): EscrowSplit {
  const feeMinor = marketplaceFee(input.priceMinor, input.feeBps);
  return {
    orderId: input.orderId,
    sellerId: input.sellerId,
    currency: input.currency,
    priceMinor: input.priceMinor,
    feeMinor,
    heldMinor: input.priceMinor - feeMinor,
  };
}

/** The order's escrow (a credit) → the platform's fee and the seller's held proceeds. */
export function holdPosting(split: EscrowSplit): Posting {
  return {
    key: escrowKeys.hold(split.orderId),
    kind: 'escrow-hold',
    currency: split.currency,
    legs: [
      { account: accounts.orderEscrow(split.orderId), amountMinor: split.priceMinor },
      ...(split.feeMinor > 0n ? [{ account: accounts.marketplaceFees(), amountMinor: -split.feeMinor }] : []),
      ...(split.heldMinor > 0n
        ? [{ account: accounts.sellerHeld(split.sellerId), amountMinor: -split.heldMinor }]
        : []),
    ],
  };
}

/** The hold is over: the seller's held proceeds become available. */
export function releasePosting(split: EscrowSplit): Posting {
  return {
    key: escrowKeys.release(split.orderId),
    kind: 'escrow-release',
    currency: split.currency,
    legs: [
      { account: accounts.sellerHeld(split.sellerId), amountMinor: split.heldMinor },
      { account: accounts.sellerAvailable(split.sellerId), amountMinor: -split.heldMinor },
    ],
  };
}

/** Where money given back to a buyer goes: the rail's gateway when it refunded itself (Stars), else a payable. */
export interface RefundTo {
  buyerId: number;
  gateway?: string;
}

const refundAccount = (to: RefundTo) =>
  to.gateway !== undefined ? accounts.gateway(to.gateway) : accounts.userRefund(to.buyerId);

/**
 * A refund inside the hold: the seller's held proceeds and the fee go back to the buyer, as a
 * payable (an admin pays it) or, when the rail already gave the money back (Stars), straight
 * through the gateway, as the subscription refund posts it.
 */
export function refundPosting(split: EscrowSplit, to: RefundTo, memo?: string): Posting {
  return {
    key: escrowKeys.refund(split.orderId),
    kind: 'escrow-refund',
    currency: split.currency,
    memo: memo?.slice(0, 200),
    legs: [
      ...(split.heldMinor > 0n ? [{ account: accounts.sellerHeld(split.sellerId), amountMinor: split.heldMinor }] : []),
      ...(split.feeMinor > 0n ? [{ account: accounts.marketplaceFees(), amountMinor: split.feeMinor }] : []),
      { account: refundAccount(to), amountMinor: -split.priceMinor },
    ],
  };
}

/**
 * A dispute settled by a split: the buyer gets `buyerMinor` back; the platform keeps its fee only
 * on the part of the sale that stands (fee × (price − share) / price, rounded down), so the share
 * comes from the fee and the seller's proceeds in proportion; the rest of the proceeds is released.
 */
export interface SplitShares {
  buyerMinor: bigint;
  /** The fee given back with the buyer's share. */
  feeBackMinor: bigint;
  /** The seller's held proceeds given back with the buyer's share. */
  sellerBackMinor: bigint;
  /** The seller's held proceeds released to them. */
  releasedMinor: bigint;
  feeKeptMinor: bigint;
}

export function splitShares(split: EscrowSplit, buyerShareMinor: bigint): SplitShares {
  if (buyerShareMinor <= 0n || buyerShareMinor >= split.priceMinor)
    throw new Error(`a split gives the buyer more than 0 and less than ${split.priceMinor}`);
  const feeKeptMinor = (split.feeMinor * (split.priceMinor - buyerShareMinor)) / split.priceMinor;
  const feeBackMinor = split.feeMinor - feeKeptMinor;
  const sellerBackMinor = buyerShareMinor - feeBackMinor;
  return {
    buyerMinor: buyerShareMinor,
    feeBackMinor,
    sellerBackMinor,
    releasedMinor: split.heldMinor - sellerBackMinor,
    feeKeptMinor,
  };
}

const nonZero = (legs: Posting['legs']) => legs.filter((leg) => leg.amountMinor !== 0n);

/** The split's one posting: held emptied into the buyer's share (with part of the fee) and the seller's available. */
export function splitPosting(split: EscrowSplit, shares: SplitShares, to: RefundTo, memo?: string): Posting {
  return {
    key: escrowKeys.split(split.orderId),
    kind: 'escrow-split',
    currency: split.currency,
    memo: memo?.slice(0, 200),
    legs: nonZero([
      { account: accounts.sellerHeld(split.sellerId), amountMinor: split.heldMinor },
      { account: accounts.marketplaceFees(), amountMinor: shares.feeBackMinor },
      { account: refundAccount(to), amountMinor: -shares.buyerMinor },
      { account: accounts.sellerAvailable(split.sellerId), amountMinor: -shares.releasedMinor },
    ]),
  };
}

/**
 * A refund after the release: the seller's proceeds come back out of their available balance
 * (which may go negative: it is owed to the platform until later sales cover it) and the
 * platform gives its fee back, so the buyer gets the whole price.
 */
export function clawbackPosting(split: EscrowSplit, to: RefundTo, memo?: string): Posting {
  return {
    key: escrowKeys.clawback(split.orderId),
    kind: 'escrow-clawback',
    currency: split.currency,
    memo: memo?.slice(0, 200),
    legs: nonZero([
      { account: accounts.sellerAvailable(split.sellerId), amountMinor: split.heldMinor },
      { account: accounts.marketplaceFees(), amountMinor: split.feeMinor },
      { account: refundAccount(to), amountMinor: -split.priceMinor },
    ]),
  };
}
