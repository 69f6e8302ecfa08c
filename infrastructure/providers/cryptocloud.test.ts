/** What the gateway received, in the price's currency: never coins against a fiat price. */
import { describe, expect, it } from 'vitest';
import { normaliseInvoiceId, receivedInPriceCurrency } from './cryptocloud';

const eur = { amount: 10.8, amount_in_fiat: 10, fiat_currency: 'EUR' };

describe('receivedInPriceCurrency', () => {
  it('takes a EUR price from the verdict and the invoice’s own coins, pro rata', () => {
    expect(receivedInPriceCurrency('X', 'partial', { ...eur, received: 9.936, received_usd: 9.936 })).toMatchObject({
      status: 'partial',
      received: '9.2',
      currency: 'EUR',
    });
    // 10 coins are the price's number but not its value.
    expect(receivedInPriceCurrency('X', 'partial', { ...eur, received: 10, received_usd: 10 }).received).toBe(
      '9.25925925',
    );
    expect(receivedInPriceCurrency('X', 'paid', { ...eur, received: 10.8, received_usd: 10.8 }).received).toBe('10');
    expect(receivedInPriceCurrency('X', 'overpaid', { ...eur, received: 11.88 }).received).toBe('11');
    expect(receivedInPriceCurrency('X', 'created', { ...eur, received: 0 }).received).toBe('0');
  });

  it('clamps a figure that contradicts the verdict to it', () => {
    const usd = { amount: 10, amount_in_fiat: 10, fiat_currency: 'USD' };
    expect(receivedInPriceCurrency('X', 'partial', { ...usd, received: 10, received_usd: 10 }).received).toBe(
      '9.99999999',
    );
    expect(receivedInPriceCurrency('X', 'overpaid', { ...usd, received: 10, received_usd: 10 }).received).toBe(
      '10.00000001',
    );
    expect(receivedInPriceCurrency('X', 'partial', { ...usd, received: 4, received_usd: 4 }).received).toBe('4');
  });

  it('compares gateway ids without INV- and case', () => {
    expect(normaliseInvoiceId('INV-ab12cd34')).toBe('AB12CD34');
    expect(normaliseInvoiceId('AB12CD34')).toBe('AB12CD34');
  });
});
