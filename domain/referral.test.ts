import { describe, expect, it } from 'vitest';
import { assertBalanced } from './ledger';
import { commissionOn, heldPosting, releasePosting, reversalPosting } from './referral';

describe('referral commissions', () => {
  it('is the basis-point share of the price, rounded down', () => {
    expect(commissionOn(1000n, 1500)).toBe(150n);
    expect(commissionOn(999n, 1500)).toBe(149n);
    expect(commissionOn(1000n, 0)).toBe(0n);
  });

  it('posts held, release and reversal as balanced entries keyed by the invoice', () => {
    const c = { invoiceId: 'inv-1', referrerId: 7, amountMinor: 150n, currency: 'USD' };
    const postings = [heldPosting(c), releasePosting(c), reversalPosting(c, 'held'), reversalPosting(c, 'available')];
    for (const posting of postings) expect(() => assertBalanced(posting)).not.toThrow();
    expect(heldPosting(c).legs).toContainEqual({ account: 'referrer:7:held', amountMinor: -150n });
    expect(releasePosting(c).legs).toContainEqual({ account: 'referrer:7:available', amountMinor: -150n });
    expect(reversalPosting(c, 'held').legs).toContainEqual({ account: 'referrer:7:held', amountMinor: 150n });
    expect(reversalPosting(c, 'available').legs).toContainEqual({ account: 'referrer:7:available', amountMinor: 150n });
    expect(heldPosting(c).key).toBe('commission:inv-1:held');
    // One reversal per invoice, wherever the money sits.
    expect(reversalPosting(c, 'held').key).toBe(reversalPosting(c, 'available').key);
  });
});
