/**
 * Double-entry postings. Positive amounts are debits, negative credits; a posting balances to zero
 * per currency. Accounts are named `<kind>:<owner>[:<bucket>]`.
 */
export interface Leg {
  account: string;
  amountMinor: bigint;
}

export interface Posting {
  /** Unique per business event (derived from the workflow), so a retried post is a no-op. */
  key: string;
  kind: string;
  currency: string;
  legs: Leg[];
  memo?: string;
}

export function assertBalanced(posting: Posting): void {
  if (posting.legs.length < 2) throw new Error(`posting ${posting.key} needs at least two legs`);
  const accounts = new Set(posting.legs.map((leg) => leg.account));
  if (accounts.size !== posting.legs.length) throw new Error(`posting ${posting.key} names an account twice`);
  const sum = posting.legs.reduce((total, leg) => total + leg.amountMinor, 0n);
  if (sum !== 0n) throw new Error(`posting ${posting.key} does not balance (off by ${sum})`);
  if (posting.legs.some((leg) => leg.amountMinor === 0n)) throw new Error(`posting ${posting.key} has an empty leg`);
}

export const accounts = {
  gateway: (provider: string) => `gateway:${provider}`,
  revenue: (line: string) => `revenue:${line}`,
  userOverpayment: (userId: number) => `payable:user:${userId}:overpayment`,
  latePayments: () => 'suspense:late-payments',
  /** Money of a partly paid invoice that closed unresolved (needs_review): held for the user until an admin decides. */
  userUnapplied: (userId: number) => `suspense:user:${userId}:unapplied`,
  /** Money an admin kept for the user's next invoice (a resolution's "keep as balance"). */
  userCredit: (userId: number) => `payable:user:${userId}:credit`,
  /**
   * The user's credit set aside for one invoice while it is open: consumed into revenue when it
   * settles, back to the user's credit when it closes unpaid.
   */
  invoiceCredit: (invoiceId: string) => `reserved:invoice:${invoiceId}`,
  /** Money an admin decided to give back, until the refund is paid out. */
  userRefund: (userId: number) => `payable:user:${userId}:refund`,
  /** A refund the buyer asked to be paid to their wallet, until an admin sends it (a payout). */
  userRefundReserved: (userId: number) => `payable:user:${userId}:refund-reserved`,
  /** Money an admin wrote off (with a reason in the memo). */
  writtenOff: () => 'revenue:written-off',
  referrerHeld: (userId: number) => `referrer:${userId}:held`,
  referrerAvailable: (userId: number) => `referrer:${userId}:available`,
  referrerReserved: (userId: number) => `referrer:${userId}:reserved`,
  commissionExpense: () => 'expense:referral-commissions',
  payoutsSent: () => 'gateway:payouts',
  /**
   * A marketplace sale held for one order until its escrow is released to the seller (or refunded):
   * the whole price the buyer paid, before the platform's commission.
   */
  orderEscrow: (orderId: string) => `escrow:order:${orderId}`,
  /** A seller's proceeds inside the escrow hold (a refund in that time takes them back). */
  sellerHeld: (sellerId: number) => `seller:${sellerId}:held`,
  /** A seller's proceeds after the hold: theirs to be paid out. */
  sellerAvailable: (sellerId: number) => `seller:${sellerId}:available`,
  /** A seller's available proceeds set aside by a payout request until it is paid or rejected. */
  sellerReserved: (sellerId: number) => `seller:${sellerId}:reserved`,
  /** The platform's commission on marketplace sales (MARKETPLACE_FEE_BPS of each price). */
  marketplaceFees: () => 'revenue:marketplace-fees',
};
