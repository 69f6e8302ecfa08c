import { describe, expect, it } from 'vitest';
import { decisionRefusal, disputeReason, disputeRefusal, halfShare, parseBuyerShare } from './dispute';
import {
  clawbackPosting,
  holdPosting,
  marketplaceFee,
  refundPosting,
  releasePosting,
  splitPosting,
  splitSale,
  splitShares,
} from './escrow';
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

describe('dispute split and clawback postings', () => {
  const sale = splitSale({ orderId: 'o3', sellerId: 7, currency: 'USD', priceMinor: 1500n, feeBps: 1000 });

  it('a split gives the buyer their share from the fee and the proceeds in proportion, releases the rest', () => {
    const shares = splitShares(sale, 500n);
    // The fee stands on the 10.00 that stays sold: 1.00; 0.50 of it goes back with the 5.00.
    expect(shares).toEqual({
      buyerMinor: 500n,
      feeBackMinor: 50n,
      sellerBackMinor: 450n,
      releasedMinor: 900n,
      feeKeptMinor: 100n,
    });
    const posting = splitPosting(sale, shares, { buyerId: 9 });
    assertBalanced(posting);
    expect(posting).toMatchObject({ key: 'escrow:o3:split', kind: 'escrow-split' });
    expect(posting.legs).toEqual([
      { account: accounts.sellerHeld(7), amountMinor: 1350n },
      { account: accounts.marketplaceFees(), amountMinor: 50n },
      { account: accounts.userRefund(9), amountMinor: -500n },
      { account: accounts.sellerAvailable(7), amountMinor: -900n },
    ]);
  });

  it('every share from 1 to price − 1 balances, and the fee is never given back beyond itself', () => {
    const odd = splitSale({ orderId: 'o4', sellerId: 7, currency: 'USD', priceMinor: 199n, feeBps: 1234 });
    for (let share = 1n; share < odd.priceMinor; share++) {
      const shares = splitShares(odd, share);
      expect(shares.feeBackMinor >= 0n && shares.feeBackMinor <= odd.feeMinor).toBe(true);
      expect(shares.sellerBackMinor >= 0n && shares.releasedMinor >= 0n).toBe(true);
      expect(shares.feeKeptMinor + shares.releasedMinor + shares.buyerMinor).toBe(odd.priceMinor);
      assertBalanced(splitPosting(odd, shares, { buyerId: 9 }));
    }
    expect(() => splitShares(odd, 0n)).toThrow();
    expect(() => splitShares(odd, 199n)).toThrow();
  });

  it('a clawback takes the proceeds from the available balance and the fee back, the whole price to the buyer', () => {
    const onRail = clawbackPosting(sale, { buyerId: 9, gateway: 'stars' });
    assertBalanced(onRail);
    expect(onRail).toMatchObject({ key: 'escrow:o3:clawback', kind: 'escrow-clawback' });
    expect(onRail.legs).toEqual([
      { account: accounts.sellerAvailable(7), amountMinor: 1350n },
      { account: accounts.marketplaceFees(), amountMinor: 150n },
      { account: accounts.gateway('stars'), amountMinor: -1500n },
    ]);
    expect(clawbackPosting(sale, { buyerId: 9 }).legs.at(-1)).toEqual({
      account: accounts.userRefund(9),
      amountMinor: -1500n,
    });
  });
});

describe('dispute rules', () => {
  it('takes a reason of 1..500 characters, trimmed', () => {
    expect(disputeReason('  broken file ')).toBe('broken file');
    expect(disputeReason('   ')).toBeUndefined();
    expect(disputeReason('x'.repeat(500))).toHaveLength(500);
    expect(disputeReason('x'.repeat(501))).toBeUndefined();
  });

  it('opens only inside the hold, once, on a sale not refunded', () => {
    const held = { stage: 'held' as const, releaseAt: 10_000, disputed: false };
    expect(disputeRefusal({ ...held, now: 9_999 })).toBeUndefined();
    expect(disputeRefusal({ ...held, now: 10_000 })).toBe('outside-hold');
    expect(disputeRefusal({ ...held, disputed: true, now: 0 })).toBe('already-disputed');
    expect(disputeRefusal({ ...held, stage: 'refunded', now: 0 })).toBe('refunded');
    expect(disputeRefusal({ ...held, stage: 'released', now: 0 })).toBe('outside-hold');
    expect(disputeRefusal({ stage: 'holding', disputed: false, now: 0 })).toBeUndefined();
  });

  it('reads a share as a percentage or an amount; a split is strictly between nothing and all, never in Stars', () => {
    const sale = { priceMinor: 1500n, currency: 'USD' };
    expect(parseBuyerShare('30%', sale)).toBe(450n);
    expect(parseBuyerShare('12,5 %', sale)).toBe(187n);
    expect(parseBuyerShare('7.50', sale)).toBe(750n);
    expect(parseBuyerShare('7.505', sale)).toBeUndefined();
    expect(parseBuyerShare('half', sale)).toBeUndefined();
    expect(halfShare(1500n)).toBe(750n);
    const split = (buyerShareMinor: string) => ({ type: 'split' as const, buyerShareMinor });
    expect(decisionRefusal(split('750'), sale)).toBeUndefined();
    expect(decisionRefusal(split('0'), sale)).toMatch(/more than 0 and less than the price \(15\.00 USD\)/);
    expect(decisionRefusal(split('1500'), sale)).toMatch(/less than the price/);
    expect(decisionRefusal(split('-5'), sale)).toMatch(/must be an amount/);
    expect(decisionRefusal(split('60'), { priceMinor: 120n, currency: 'XTR' })).toMatch(/Stars/);
    expect(decisionRefusal({ type: 'refund' }, sale)).toBeUndefined();
    expect(decisionRefusal({ type: 'nope' } as never, sale)).toMatch(/refund, release or split/);
  });
});
