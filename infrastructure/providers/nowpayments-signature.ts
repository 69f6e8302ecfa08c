/**
 * NOWPayments IPN signatures: header `x-nowpayments-sig` = hex HMAC-SHA512 (key: the IPN secret) of the
 * body re-serialised with its keys sorted at every depth, compact (EXTERNAL-APIS.md, "NOWPayments").
 * The documented recipe `JSON.stringify(p, Object.keys(p).sort())` is a whitelist of top-level key names,
 * so it empties nested objects such as `fee: {...}`: it must not be used, not even as a fallback.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A copy of `value` with every object's keys in sorted order (recursively); arrays keep their order. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  return sorted;
}

/** The `x-nowpayments-sig` NOWPayments sends for `body`. JSON.stringify leaves `/` unescaped, as they do. */
export function nowPaymentsSignature(body: unknown, secret: string): string {
  if (!secret) throw new Error('the NOWPayments IPN secret is empty');
  return createHmac('sha512', secret)
    .update(JSON.stringify(sortKeysDeep(body)))
    .digest('hex');
}

export type IpnVerdict =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; reason: 'missing-signature' | 'malformed-body' | 'bad-signature' };

/**
 * Checks an IPN as received: the raw body text and the `x-nowpayments-sig` header. The body is parsed
 * and re-serialised the way the signer did (sorted keys, compact), so whitespace and key order on the
 * wire do not matter; the comparison takes constant time.
 */
export function verifyNowPaymentsSignature(rawBody: string, header: string | undefined, secret: string): IpnVerdict {
  const given = header?.trim().toLowerCase();
  if (!given) return { ok: false, reason: 'missing-signature' };
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { ok: false, reason: 'malformed-body' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'malformed-body' };
  const expected = Buffer.from(nowPaymentsSignature(body, secret), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  return { ok: true, body: body as Record<string, unknown> };
}
