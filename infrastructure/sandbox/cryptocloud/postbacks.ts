/** Postback tokens, signed like CryptoCloud's, and form encoding of postback fields. */
import { SignJWT } from 'jose';

/**
 * Signs a postback token the way CryptoCloud does: HS256 with the project secret, claims `{id, exp}`
 * (exp defaults to 5 minutes from now). Tests use it to forge tokens with a wrong secret.
 */
export async function signCryptoCloudPostback(
  claims: { id: string; exp?: number } & Record<string, unknown>,
  secret: string,
): Promise<string> {
  const payload = { ...claims, exp: claims.exp ?? Math.floor(Date.now() / 1000) + 300 };
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

export function formFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}
