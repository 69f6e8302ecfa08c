/** IPN signatures: keys sorted at every depth, constant-time comparison, and the old recipe refused. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nowPaymentsSignature, sortKeysDeep, verifyNowPaymentsSignature } from './nowpayments-signature';

const SECRET = 'ipn-secret-for-tests';

/** An IPN as NOWPayments sends it: unsorted keys, a nested `fee`, a URL with slashes. */
const ipn = {
  payment_id: 5077125051,
  payment_status: 'finished',
  pay_address: '0xd1cDE08A07cD25adEbEd35c3867a59228C09B606',
  price_amount: 170,
  price_currency: 'usd',
  pay_amount: 155.38559757,
  actually_paid: 155.38559757,
  pay_currency: 'mana',
  order_id: '42-basic-abc123def456',
  order_description: 'Plan https://t.me/shop/1',
  purchase_id: '6084744717',
  outcome_amount: 1131.7812095,
  outcome_currency: 'trx',
  fee: { currency: 'trx', depositFee: 0.1, withdrawalFee: 0, serviceFee: 0.5 },
  parent_payment_id: null,
  updated_at: 1618237386244,
};

const hmac = (text: string, secret = SECRET) => createHmac('sha512', secret).update(text).digest('hex');

describe('sortKeysDeep', () => {
  it('sorts keys at every depth and keeps array order', () => {
    const sorted = sortKeysDeep({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null } });
    expect(JSON.stringify(sorted)).toBe('{"a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1}');
  });
});

describe('nowPaymentsSignature', () => {
  it('is the hex HMAC-SHA512 of the recursively sorted, compact body with "/" unescaped', () => {
    const text = JSON.stringify(sortKeysDeep(ipn));
    expect(text).toContain('"fee":{"currency":"trx","depositFee":0.1,"serviceFee":0.5,"withdrawalFee":0}');
    expect(text).toContain('https://t.me/shop/1');
    expect(nowPaymentsSignature(ipn, SECRET)).toBe(hmac(text));
    expect(nowPaymentsSignature(ipn, SECRET)).toMatch(/^[0-9a-f]{128}$/);
  });

  it('refuses an empty secret (anyone could sign with it)', () => {
    expect(() => nowPaymentsSignature(ipn, '')).toThrow(/empty/);
  });
});

describe('verifyNowPaymentsSignature', () => {
  const raw = JSON.stringify(ipn);

  it('accepts a body signed by NOWPayments, whatever its key order and spacing on the wire', () => {
    const signature = nowPaymentsSignature(ipn, SECRET);
    expect(verifyNowPaymentsSignature(raw, signature, SECRET)).toEqual({ ok: true, body: ipn });
    expect(verifyNowPaymentsSignature(JSON.stringify(ipn, null, 2), signature.toUpperCase(), SECRET).ok).toBe(true);
  });

  it('refuses a signature made with the old top-level-only recipe (it drops the nested fee keys)', () => {
    const oldRecipe = hmac(JSON.stringify(ipn, Object.keys(ipn).sort()));
    expect(JSON.stringify(ipn, Object.keys(ipn).sort())).toContain('"fee":{}');
    expect(verifyNowPaymentsSignature(raw, oldRecipe, SECRET)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a wrong secret, a changed body, a truncated signature and a missing one', () => {
    const signature = nowPaymentsSignature(ipn, SECRET);
    expect(verifyNowPaymentsSignature(raw, nowPaymentsSignature(ipn, 'other'), SECRET).ok).toBe(false);
    const tampered = JSON.stringify({ ...ipn, actually_paid: 999 });
    expect(verifyNowPaymentsSignature(tampered, signature, SECRET)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyNowPaymentsSignature(raw, signature.slice(0, 64), SECRET)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyNowPaymentsSignature(raw, undefined, SECRET)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyNowPaymentsSignature(raw, '  ', SECRET)).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it('refuses bodies that are not a JSON object', () => {
    for (const body of ['', 'not json', '[1,2]', 'null', '"text"']) {
      expect(verifyNowPaymentsSignature(body, 'ab', SECRET)).toEqual({ ok: false, reason: 'malformed-body' });
    }
  });
});
