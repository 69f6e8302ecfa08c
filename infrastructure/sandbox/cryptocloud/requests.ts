/** Reading and validating merchant- and control-API request bodies. */
import { randomInt } from 'node:crypto';
import { DEFAULT_CRYPTO, parseAmount, STABLECOINS } from './amounts';
import { CryptoCloudSandboxError, CryptoCloudValidationError } from './types';

// ---------------------------------------------------------------------------------------------
// Request helpers

export function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new CryptoCloudValidationError('request body must be a JSON object or a form');
  return body as Record<string, unknown>;
}

export interface AddFields {
  time_to_pay?: unknown;
  available_currencies?: unknown;
  cryptocurrency?: unknown;
}

export function readAddFields(value: unknown): AddFields {
  if (value === undefined || value === null || value === '') return {};
  // Form bodies can only carry it as a JSON string.
  if (typeof value === 'string') {
    try {
      return readAddFields(JSON.parse(value));
    } catch {
      throw new CryptoCloudValidationError('add_fields must be an object');
    }
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CryptoCloudValidationError('add_fields must be an object');
  return value;
}

export function pickCryptocurrency(fields: AddFields): string {
  if (fields.cryptocurrency !== undefined) {
    const wanted = (scalar(fields.cryptocurrency, 'cryptocurrency') ?? '').toUpperCase();
    if (!STABLECOINS.includes(wanted))
      throw new CryptoCloudValidationError(
        `cryptocurrency ${wanted} is not supported by the sandbox (stablecoins only: ${STABLECOINS.join(', ')})`,
      );
    return wanted;
  }
  if (fields.available_currencies !== undefined) {
    if (!Array.isArray(fields.available_currencies))
      throw new CryptoCloudValidationError('available_currencies must be a list');
    const offered = fields.available_currencies.map((c) => (scalar(c, 'available_currencies') ?? '').toUpperCase());
    const usable = offered.find((c) => STABLECOINS.includes(c));
    if (!usable)
      throw new CryptoCloudValidationError(
        `none of available_currencies is supported by the sandbox (stablecoins only: ${STABLECOINS.join(', ')})`,
      );
    return usable;
  }
  return DEFAULT_CRYPTO;
}

export function timeToPayMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CryptoCloudValidationError('time_to_pay must be {hours, minutes}');
  const { hours = 0, minutes = 0 } = value as { hours?: unknown; minutes?: unknown };
  const h = Number(hours);
  const m = Number(minutes);
  if (!Number.isInteger(h) || !Number.isInteger(m) || h < 0 || m < 0 || m > 59 || h > 48) {
    throw new CryptoCloudValidationError('time_to_pay: hours must be 0-48 and minutes 0-59');
  }
  const total = (h * 60 + m) * 60_000;
  if (total <= 0) throw new CryptoCloudValidationError('time_to_pay must be at least 1 minute');
  return total;
}

export function readUuids(raw: unknown): string[] {
  // A form body carries one id as a plain string, several as repeated fields (or a JSON list).
  const value = typeof raw === 'string' ? (raw.trim().startsWith('[') ? parseJsonList(raw) : [raw]) : raw;
  if (value === undefined || value === null) throw new CryptoCloudValidationError('uuids is required');
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new CryptoCloudValidationError('uuids must be a list of strings');
  if (value.length === 0) throw new CryptoCloudValidationError('uuids is required');
  if (value.length > 100) throw new CryptoCloudValidationError('Maximum 100 uuids per request');
  return value;
}

/** A string or number field as text; empty and null mean absent; anything else is a validation error. */
export function scalar(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new CryptoCloudValidationError(`${name} must be a string`);
}

export function parseJsonList(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CryptoCloudValidationError('uuids must be a list of strings');
  }
}

export function requireAmount(text: string): bigint {
  const amount = parseAmount(text);
  if (amount === undefined || amount <= 0n)
    throw new CryptoCloudSandboxError(`"${text}" is not a positive decimal amount (up to 8 decimals)`);
  return amount;
}

export function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new CryptoCloudSandboxError(`${name} must be a non-negative integer`);
  return value;
}

export function assertHttpUrl(url: string): void {
  if (url === '') return;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return;
  } catch {
    // fall through
  }
  throw new CryptoCloudSandboxError(`notifyUrl must be an http(s) URL, got "${url}"`);
}

export function randomInvoiceId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as the gateway writes dates. */
export function gatewayDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}000`;
}
