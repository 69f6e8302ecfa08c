/**
 * Marketplace escrow (workflows/escrow.ts, `escrow:<orderId>`): a paid order's price waits in
 * `escrow:order:<orderId>` until the escrow workflow splits it into the platform's fee and the
 * seller's held proceeds, releases those to the seller after the hold, or gives it all back to the
 * buyer on a refund inside the hold. Every step is one keyed posting, so a repeat is a no-op.
 */
import { accounts, type Posting } from './ledger';
import { formatMoney } from './money';

/** As `ProcessStatus` and the `escrowState` query show the escrow. */
export type EscrowStage = 'holding' | 'held' | 'released' | 'refunded';

export const escrowKeys = {
  hold: (orderId: string) => `escrow:${orderId}:hold`,
  release: (orderId: string) => `escrow:${orderId}:release`,
  refund: (orderId: string) => `escrow:${orderId}:refund`,
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

/**
 * A refund inside the hold: the seller's held proceeds and the fee go back to the buyer, as a
 * payable (an admin pays it) or, when the rail already gave the money back (Stars), straight
 * through the gateway, as the subscription refund posts it.
 */
export function refundPosting(split: EscrowSplit, to: { buyerId: number; gateway?: string }, memo?: string): Posting {
  return {
    key: escrowKeys.refund(split.orderId),
    kind: 'escrow-refund',
    currency: split.currency,
    memo: memo?.slice(0, 200),
    legs: [
      ...(split.heldMinor > 0n ? [{ account: accounts.sellerHeld(split.sellerId), amountMinor: split.heldMinor }] : []),
      ...(split.feeMinor > 0n ? [{ account: accounts.marketplaceFees(), amountMinor: split.feeMinor }] : []),
      {
        account: to.gateway !== undefined ? accounts.gateway(to.gateway) : accounts.userRefund(to.buyerId),
        amountMinor: -split.priceMinor,
      },
    ],
  };
}
