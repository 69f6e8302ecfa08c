import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PLAN_SECONDS,
  parseChannelRef,
  parsePlanDuration,
  parsePlanId,
  parsePrice,
  parseStarsPrice,
  parseTitle,
  parseTrial,
  PlanInputError,
} from './plan';

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanInputError) return error.key;
    throw error;
  }
  return undefined;
};

describe('plan rules', () => {
  it('reads period lengths in days (default), hours, minutes and seconds; refuses zero, negative and too long', () => {
    expect(parsePlanDuration('30')).toBe(30 * 86_400);
    expect(parsePlanDuration('30d')).toBe(30 * 86_400);
    expect(parsePlanDuration(' 12H ')).toBe(12 * 3_600);
    expect(parsePlanDuration('90m')).toBe(5_400);
    expect(parsePlanDuration('45s')).toBe(45);
    for (const bad of ['0', '0d', '-1', '-3d', '1.5d', '3w', '', 'month', '3651d'])
      expect(
        refusal(() => parsePlanDuration(bad)),
        bad,
      ).toBe('plan-bad-duration');
    expect(parsePlanDuration('3650d')).toBe(MAX_PLAN_SECONDS);
  });

  it('allows no trial as 0, no or none', () => {
    for (const none of ['0', 'no', 'None', '-']) expect(parseTrial(none)).toBe(0);
    expect(parseTrial('3d')).toBe(3 * 86_400);
    expect(refusal(() => parseTrial('soon'))).toBe('plan-bad-trial');
  });

  it('reads exact prices in a known currency, never rounding', () => {
    expect(parsePrice('9.99 USD')).toEqual({ priceMinor: 999n, currency: 'USD' });
    expect(parsePrice('12,5', 'eur')).toEqual({ priceMinor: 1250n, currency: 'EUR' });
    expect(parsePrice('100', 'RUB')).toEqual({ priceMinor: 10_000n, currency: 'RUB' });
    for (const bad of ['0 USD', '-1 USD', '1.234 USD', 'abc USD', '1e3 USD', '9.99', '9.99 USD extra', '2000000 USD'])
      expect(
        refusal(() => parsePrice(bad)),
        bad,
      ).toBe('plan-bad-price');
    expect(refusal(() => parsePrice('9.99 XYZ'))).toBe('plan-bad-currency');
    expect(refusal(() => parsePrice('9.99', 'BTC'))).toBe('plan-bad-currency');
  });

  it('reads a Stars price as whole Stars from 1 to 10000, or none', () => {
    expect(parseStarsPrice(' 500 ')).toBe(500);
    expect(parseStarsPrice('1')).toBe(1);
    expect(parseStarsPrice('10000')).toBe(10_000);
    for (const none of ['-', '0', 'no', 'None', 'SKIP']) expect(parseStarsPrice(none), none).toBeNull();
    expect(parseStarsPrice('Нет', ['нет'])).toBeNull();
    expect(refusal(() => parseStarsPrice('нет'))).toBe('plan-bad-stars');
    for (const bad of ['0.5', '1,5', 'abc', '', '5 USD', '1e3', '+5'])
      expect(
        refusal(() => parseStarsPrice(bad)),
        bad,
      ).toBe('plan-bad-stars');
    for (const bad of ['10001', '-5', '99999999999'])
      expect(
        refusal(() => parseStarsPrice(bad)),
        bad,
      ).toBe('plan-stars-out-of-range');
  });

  it('round-trips any price of up to two decimals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 100_000_000n }), (minor) => {
        const text = `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
        expect(parsePrice(text, 'USD').priceMinor).toBe(minor);
      }),
    );
  });

  it('checks ids, titles and channel references', () => {
    expect(parsePlanId('vip_30')).toBe('vip_30');
    for (const bad of ['Vip', '30days', 'a-b', '', 'x'.repeat(33)])
      expect(
        refusal(() => parsePlanId(bad)),
        bad,
      ).toBe('plan-bad-id');
    expect(parseTitle('  VIP   club ')).toBe('VIP club');
    expect(refusal(() => parseTitle('   '))).toBe('plan-bad-title');
    expect(parseChannelRef('-1001234567890')).toBe(-1001234567890);
    expect(parseChannelRef('@my_channel')).toBe('@my_channel');
    expect(parseChannelRef('https://t.me/my_channel')).toBe('@my_channel');
    expect(parseChannelRef('1001234567890')).toBeUndefined();
    expect(parseChannelRef('hello')).toBeUndefined();
  });
});
