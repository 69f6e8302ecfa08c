import { describe, expect, it } from 'vitest';
import { holdPosting, marketplaceFee, refundPosting, releasePosting, splitSale } from './escrow';
import { accounts, assertBalanced } from './ledger';

describe('escrow postings', () => {
  it('takes floor(price × bps / 10000) as the fee, none at 0 bps, all at 10000', () => {
    expect(marketplaceFee(120n, 1000)).toBe(12n);
    expect(marketplaceFee(199n, 1000)).toBe(19n);
    expect(marketplaceFee(999n, 0)).toBe(0n);
    expect(marketplaceFee(999n, 10_000)).toBe(999n);
    expect(() => marketplaceFee(1n, 10_001)).toThrow(/out of range/);
  });

  it('splits the escrow into fee and held, releases the held part, refunds both, each balanced', () => {
    const split = splitSale({ orderId: 'o1', sellerId: 7, currency: 'XTR', priceMinor: 199n, feeBps: 1000 });
    expect(split).toMatchObject({ feeMinor: 19n, heldMinor: 180n });
    const hold = holdPosting(split);
    assertBalanced(hold);
    expect(hold.legs).toEqual([
      { account: accounts.orderEscrow('o1'), amountMinor: 199n },
      { account: accounts.marketplaceFees(), amountMinor: -19n },
      { account: accounts.sellerHeld(7), amountMinor: -180n },
    ]);
    assertBalanced(releasePosting(split));
    const toPayable = refundPosting(split, { buyerId: 9 });
    assertBalanced(toPayable);
    expect(toPayable.legs.at(-1)).toEqual({ account: accounts.userRefund(9), amountMinor: -199n });
    const onRail = refundPosting(split, { buyerId: 9, gateway: 'stars' });
    expect(onRail.legs.at(-1)).toEqual({ account: accounts.gateway('stars'), amountMinor: -199n });
  });

  it('posts no fee leg when the fee is 0', () => {
    const split = splitSale({ orderId: 'o2', sellerId: 7, currency: 'USD', priceMinor: 1500n, feeBps: 0 });
    const hold = holdPosting(split);
    assertBalanced(hold);
    expect(hold.legs.map((leg) => leg.account)).not.toContain(accounts.marketplaceFees());
  });
});
