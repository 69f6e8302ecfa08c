import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  discountFor,
  normalizePromoCode,
  parsePromoDate,
  parsePromoDraft,
  percentText,
  promoRefusal,
  promoStatus,
  PromoInputError,
  type PromoRule,
} from './promo';

const NOW = new Date('2026-06-15T12:00:00Z');

const rule = (fields: Partial<PromoRule> = {}): PromoRule => ({
  code: 'SPRING20',
  kind: 'percent',
  percentBps: 2000,
  amountMinor: null,
  currency: null,
  maxRedemptions: null,
  maxPerUser: 1,
  redeemedCount: 0,
  startsAt: null,
  endsAt: null,
  scope: 'all',
  scopeIds: [],
  disabledAt: null,
  ...fields,
});
const usd = (amountMinor: bigint, extra: Record<string, unknown> = {}) => ({
  amountMinor,
  currency: 'USD',
  now: NOW,
  ...extra,
});

function refusalOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof PromoInputError) return error.key;
    throw error;
  }
  return undefined;
}

describe('promo codes', () => {
  it('normalises codes to upper case and refuses what cannot be one', () => {
    expect(normalizePromoCode(' spring-20 ')).toBe('SPRING-20');
    expect(normalizePromoCode('A_B')).toBe('A_B');
    expect(normalizePromoCode('ab')).toBeUndefined();
    expect(normalizePromoCode('x'.repeat(33))).toBeUndefined();
    expect(normalizePromoCode('НОВЫЙ')).toBeUndefined();
    expect(normalizePromoCode('a b c')).toBeUndefined();
  });

  it('a percent discount rounds down to whole minor units; the buyer pays the rest', () => {
    expect(discountFor(rule(), usd(1000n))).toEqual({ discountMinor: 200n, chargedMinor: 800n });
    // 15 % of 9.99 is 1.4985: 1.49 off, 8.50 to pay.
    expect(discountFor(rule({ percentBps: 1500 }), usd(999n))).toEqual({ discountMinor: 149n, chargedMinor: 850n });
    // Stars have no minor unit: 33 % of 10 Stars takes off 3.
    expect(discountFor(rule({ percentBps: 3300 }), { amountMinor: 10n, currency: 'XTR', now: NOW })).toEqual({
      discountMinor: 3n,
      chargedMinor: 7n,
    });
    // 100 % makes it free, Stars too.
    expect(discountFor(rule({ percentBps: 10_000 }), { amountMinor: 50n, currency: 'XTR', now: NOW })).toEqual({
      discountMinor: 50n,
      chargedMinor: 0n,
    });
    // Nothing to take off is a refusal, so no redemption is spent on it.
    expect(discountFor(rule({ percentBps: 100 }), usd(50n))).toEqual({ refused: 'no-discount' });
  });

  it('a fixed discount applies only in its own currency and never below zero', () => {
    const fixed = rule({ kind: 'fixed', percentBps: null, amountMinor: 500n, currency: 'USD' });
    expect(discountFor(fixed, usd(1000n))).toEqual({ discountMinor: 500n, chargedMinor: 500n });
    expect(discountFor(fixed, usd(300n))).toEqual({ discountMinor: 300n, chargedMinor: 0n });
    expect(discountFor(fixed, { ...usd(1000n), currency: 'usd' })).toEqual({ discountMinor: 500n, chargedMinor: 500n });
    expect(discountFor(fixed, { ...usd(1000n), currency: 'EUR' })).toEqual({ refused: 'currency' });
    expect(discountFor(fixed, { ...usd(1000n), currency: 'XTR' })).toEqual({ refused: 'currency' });
  });

  it('refuses unknown, disabled, not yet started, ended, exhausted and over the per-user cap', () => {
    expect(discountFor(undefined, usd(1000n))).toEqual({ refused: 'unknown' });
    expect(discountFor(rule({ disabledAt: NOW }), usd(1000n))).toEqual({ refused: 'disabled' });
    expect(discountFor(rule({ startsAt: new Date(NOW.getTime() + 1) }), usd(1000n))).toEqual({
      refused: 'not-started',
    });
    expect(discountFor(rule({ startsAt: NOW }), usd(1000n))).toMatchObject({ discountMinor: 200n });
    // The end is exclusive.
    expect(discountFor(rule({ endsAt: NOW }), usd(1000n))).toEqual({ refused: 'ended' });
    expect(discountFor(rule({ endsAt: new Date(NOW.getTime() + 1) }), usd(1000n))).toMatchObject({
      discountMinor: 200n,
    });
    expect(discountFor(rule({ maxRedemptions: 10, redeemedCount: 10 }), usd(1000n))).toEqual({ refused: 'exhausted' });
    expect(discountFor(rule({ maxRedemptions: 10, redeemedCount: 9 }), usd(1000n))).toMatchObject({
      discountMinor: 200n,
    });
    expect(discountFor(rule({ maxPerUser: 2 }), usd(1000n, { userRedemptions: 2 }))).toEqual({
      refused: 'user-limit',
    });
    expect(discountFor(rule({ maxPerUser: 2 }), usd(1000n, { userRedemptions: 1 }))).toMatchObject({
      discountMinor: 200n,
    });
    // Whether it can be used at all comes first: a withdrawn code is "disabled" for every plan.
    expect(discountFor(rule({ disabledAt: NOW, scope: 'plans', scopeIds: ['gold'] }), usd(1000n))).toEqual({
      refused: 'disabled',
    });
  });

  it('applies only within its scope', () => {
    const plans = rule({ scope: 'plans', scopeIds: ['gold', 'silver'] });
    expect(discountFor(plans, usd(1000n, { planId: 'gold' }))).toMatchObject({ discountMinor: 200n });
    expect(discountFor(plans, usd(1000n, { planId: 'bronze' }))).toEqual({ refused: 'out-of-scope' });
    expect(discountFor(plans, usd(1000n))).toEqual({ refused: 'out-of-scope' });
    expect(discountFor(plans, usd(1000n, { productId: 'gold' }))).toEqual({ refused: 'out-of-scope' });
    const sellers = rule({ scope: 'sellers', scopeIds: ['42'] });
    expect(discountFor(sellers, usd(1000n, { sellerId: 42 }))).toMatchObject({ discountMinor: 200n });
    expect(discountFor(rule(), usd(1000n, { planId: 'anything' }))).toMatchObject({ discountMinor: 200n });
  });

  it('property: discount and charge are whole, within [0, price], add up, and follow the rounding rule', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.boolean(),
        (price, bps, fixedAmount, percent) => {
          const promo = percent
            ? rule({ percentBps: bps })
            : rule({ kind: 'fixed', percentBps: null, amountMinor: fixedAmount, currency: 'USD' });
          const result = discountFor(promo, usd(price));
          const expected = percent ? (price * BigInt(bps)) / 10_000n : fixedAmount < price ? fixedAmount : price;
          if (expected === 0n) {
            expect(result).toEqual({ refused: 'no-discount' });
            return;
          }
          expect(result).toEqual({ discountMinor: expected, chargedMinor: price - expected });
          const { discountMinor, chargedMinor } = result as { discountMinor: bigint; chargedMinor: bigint };
          expect(chargedMinor >= 0n && discountMinor <= price).toBe(true);
          // Never more off than the exact percentage.
          if (percent) expect(discountMinor * 10_000n <= price * BigInt(bps)).toBe(true);
        },
      ),
    );
  });

  it('status for the admin list', () => {
    expect(promoStatus(rule(), NOW)).toBe('active');
    expect(promoStatus(rule({ disabledAt: NOW }), NOW)).toBe('disabled');
    expect(promoStatus(rule({ startsAt: new Date('2027-01-01') }), NOW)).toBe('scheduled');
    expect(promoStatus(rule({ endsAt: new Date('2026-01-01') }), NOW)).toBe('ended');
    expect(promoStatus(rule({ maxRedemptions: 1, redeemedCount: 1 }), NOW)).toBe('exhausted');
    expect(promoRefusal(rule({ maxPerUser: 1 }), { now: NOW })).toBeUndefined();
    expect(percentText(2000)).toBe('20');
    expect(percentText(1250)).toBe('12.5');
    expect(percentText(5)).toBe('0.05');
  });
});

describe('/promo_new arguments', () => {
  const parse = (text: string) => parsePromoDraft(text.split(' '), NOW);

  it('reads a percent code with every option', () => {
    expect(parse('spring20 percent 20 max=10 per_user=2 from=2026-07-01 until=2026-07-31 plans=gold,silver')).toEqual({
      code: 'SPRING20',
      kind: 'percent',
      percentBps: 2000,
      amountMinor: null,
      currency: null,
      maxRedemptions: 10,
      maxPerUser: 2,
      startsAt: new Date('2026-07-01T00:00:00Z'),
      // The whole of 31 July.
      endsAt: new Date('2026-08-01T00:00:00Z'),
      scope: 'plans',
      scopeIds: ['gold', 'silver'],
    });
  });

  it('reads a fixed code with defaults', () => {
    expect(parse('FIVE fixed 5 usd')).toEqual({
      code: 'FIVE',
      kind: 'fixed',
      percentBps: null,
      amountMinor: 500n,
      currency: 'USD',
      maxRedemptions: null,
      maxPerUser: 1,
      startsAt: null,
      endsAt: null,
      scope: 'all',
      scopeIds: [],
    });
    expect(parse('STARS fixed 50 XTR')).toMatchObject({ amountMinor: 50n, currency: 'XTR' });
    expect(parse('HALF percent 12,5%')).toMatchObject({ percentBps: 1250 });
    expect(parse('LATE percent 10 until=2026-06-15T13:00')).toMatchObject({
      endsAt: new Date('2026-06-15T13:00:00Z'),
    });
  });

  it('refuses every malformed argument with its own reason', () => {
    const cases: Array<[string, string]> = [
      ['', 'usage'],
      ['CODE', 'usage'],
      ['CODE percent', 'usage'],
      ['CODE fixed 5', 'usage'],
      ['CODE fixed 5 max=3', 'usage'],
      ['ab percent 20', 'promo-bad-code'],
      ['BAD/CODE percent 20', 'promo-bad-code'],
      ['CODE half 20', 'promo-bad-kind'],
      ['CODE percent 0', 'promo-bad-percent'],
      ['CODE percent 101', 'promo-bad-percent'],
      ['CODE percent 12.345', 'promo-bad-percent'],
      ['CODE percent -5', 'promo-bad-percent'],
      ['CODE fixed 0 USD', 'promo-bad-amount'],
      ['CODE fixed 1.005 USD', 'promo-bad-amount'],
      ['CODE fixed 1.5 XTR', 'promo-bad-amount'],
      ['CODE fixed abc USD', 'promo-bad-amount'],
      ['CODE fixed 5 GBP', 'promo-bad-currency'],
      ['CODE percent 20 max=0', 'promo-bad-max'],
      ['CODE percent 20 max=ten', 'promo-bad-max'],
      ['CODE percent 20 max=1000001', 'promo-bad-max'],
      ['CODE percent 20 per_user=0', 'promo-bad-per-user'],
      ['CODE percent 20 from=2026-02-30', 'promo-bad-date'],
      ['CODE percent 20 from=tomorrow', 'promo-bad-date'],
      ['CODE percent 20 until=2026-07-01T25:00', 'promo-bad-date'],
      ['CODE percent 20 from=2026-08-01 until=2026-07-31', 'promo-bad-window'],
      ['CODE percent 20 from=2026-07-01T10:00 until=2026-07-01T10:00', 'promo-bad-window'],
      ['CODE percent 20 until=2026-06-14', 'promo-ends-in-past'],
      ['CODE percent 20 plans=Gold', 'promo-bad-plans'],
      ['CODE percent 20 plans=gold,', 'promo-bad-plans'],
      ['CODE percent 20 limit=3', 'promo-bad-option'],
      ['CODE percent 20 max=', 'promo-bad-option'],
      ['CODE percent 20 extra', 'promo-bad-option'],
      ['CODE percent 20 max=3 max=4', 'promo-repeated-option'],
    ];
    for (const [text, key] of cases)
      expect(
        refusalOf(() => parse(text)),
        text,
      ).toBe(key);
  });

  it('dates are UTC calendar days', () => {
    expect(parsePromoDate('from', '2028-02-29')).toEqual(new Date('2028-02-29T00:00:00Z'));
    expect(parsePromoDate('until', '2026-12-31')).toEqual(new Date('2027-01-01T00:00:00Z'));
    expect(refusalOf(() => parsePromoDate('from', '2027-02-29'))).toBe('promo-bad-date');
  });
});
