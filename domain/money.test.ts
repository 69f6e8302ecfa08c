import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  applyBasisPoints,
  compareDecimal,
  formatMoney,
  fromMinor,
  subtractDecimal,
  toMinor,
} from './money';

describe('money', () => {
  it('converts decimal amounts to minor units exactly, refusing hidden rounding', () => {
    expect(toMinor('12.5', 'USD')).toBe(1250n);
    expect(toMinor('0.10', 'USD')).toBe(10n);
    expect(toMinor(19.99, 'USD')).toBe(1999n);
    expect(toMinor('7', 'XTR')).toBe(7n);
    expect(() => toMinor('1.005', 'USD')).toThrow(/more than 2 decimals/);
    expect(() => toMinor('1e3', 'USD')).toThrow(/not a decimal/);
  });

  it('formats minor units back', () => {
    expect(fromMinor(1250n, 'USD')).toBe('12.50');
    expect(fromMinor(5n, 'USD')).toBe('0.05');
    expect(fromMinor(-5n, 'USD')).toBe('-0.05');
    expect(formatMoney(100000n, 'usd')).toBe('1000.00 USD');
  });

  it('compares and subtracts crypto decimals of any scale without floats', () => {
    expect(compareDecimal('0.1', '0.10000000001')).toBe(-1);
    expect(compareDecimal('10.0', '10')).toBe(0);
    expect(subtractDecimal('10', '4.123456789')).toBe('5.876543211');
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
  });

  it('applies basis points rounding down', () => {
    expect(applyBasisPoints(1000n, 1500)).toBe(150n);
    expect(applyBasisPoints(999n, 333)).toBe(33n);
    expect(() => applyBasisPoints(1n, 10_001)).toThrow();
  });
});
