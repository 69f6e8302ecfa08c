/**
 * Referral commissions: a referrer earns a share (basis points) of every paid invoice of the users
 * they referred. The commission is held for a while (refunds reverse it), then becomes available.
 */
import { accounts, type Posting } from './ledger';
import { applyBasisPoints } from './money';

export type CommissionStatus = 'held' | 'available' | 'reversed';

export interface Commission {
  invoiceId: string;
  referrerId: number;
  amountMinor: bigint;
  currency: string;
}

/** The commission on a price, rounded down (the platform keeps the remainder). */
export function commissionOn(priceMinor: bigint, commissionBps: number): bigint {
  return applyBasisPoints(priceMinor, commissionBps);
}

/** Ledger transaction keys, derived from the invoice id so each step posts once. */
export const commissionKeys = {
  held: (invoiceId: string) => `commission:${invoiceId}:held`,
  release: (invoiceId: string) => `commission:${invoiceId}:release`,
  reversal: (invoiceId: string) => `commission:${invoiceId}:reversal`,
};

/** Earned but held: the platform's expense, owed to the referrer once the hold ends. */
export function heldPosting(c: Commission): Posting {
  return {
    key: commissionKeys.held(c.invoiceId),
    kind: 'referral-commission',
    currency: c.currency,
    memo: `commission on invoice ${c.invoiceId}`,
    legs: [
      { account: accounts.commissionExpense(), amountMinor: c.amountMinor },
      { account: accounts.referrerHeld(c.referrerId), amountMinor: -c.amountMinor },
    ],
  };
}

export function releasePosting(c: Commission): Posting {
  return {
    key: commissionKeys.release(c.invoiceId),
    kind: 'referral-commission-release',
    currency: c.currency,
    memo: `hold ended for invoice ${c.invoiceId}`,
    legs: [
      { account: accounts.referrerHeld(c.referrerId), amountMinor: c.amountMinor },
      { account: accounts.referrerAvailable(c.referrerId), amountMinor: -c.amountMinor },
    ],
  };
}

/** The payment was refunded: take the commission back from wherever it sits now. */
export function reversalPosting(c: Commission, from: 'held' | 'available'): Posting {
  const account = from === 'held' ? accounts.referrerHeld(c.referrerId) : accounts.referrerAvailable(c.referrerId);
  return {
    key: commissionKeys.reversal(c.invoiceId),
    kind: 'referral-commission-reversal',
    currency: c.currency,
    memo: `invoice ${c.invoiceId} refunded`,
    legs: [
      { account, amountMinor: c.amountMinor },
      { account: accounts.commissionExpense(), amountMinor: -c.amountMinor },
    ],
  };
}
