/**
 * Money is never a float. Fiat prices are integer minor units (bigint in the database, carried as
 * decimal strings across workflow boundaries because JSON has no bigint). Crypto amounts are exact
 * decimal strings. Percentages are basis points.
 */

/** Decimal places of the minor unit per currency; crypto amounts use their own exact strings. */
const MINOR_DIGITS: Record<string, number> = { USD: 2, EUR: 2, RUB: 2, USDT: 2, XTR: 0 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** "12.5" USD → 1250n. Refuses more fractional digits than the currency has, instead of rounding. */
export function toMinor(amount: string | number, currency: string): bigint {
  const text = typeof amount === 'number' ? numberToPlainString(amount) : amount.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`"${text}" is not a decimal amount`);
  const digits = minorDigits(currency);
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) throw new Error(`"${text}" has more than ${digits} decimals for ${currency}`);
  const minor = BigInt(match[2]! + fraction.padEnd(digits, '0'));
  return match[1] ? -minor : minor;
}

/** 1250n USD → "12.50". */
export function fromMinor(minor: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

export function formatMoney(minor: bigint, currency: string): string {
  return `${fromMinor(minor, currency)} ${currency.toUpperCase()}`;
}

/** Gateways send JSON numbers; print them without exponent so they parse exactly as written. */
function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`${value} is not an amount`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/\.?0+$/, '');
}

/** Compare two exact decimal strings (any scale). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const scale = Math.max(fractionLength(a), fractionLength(b));
  const x = scaled(a, scale);
  const y = scaled(b, scale);
  return x === y ? 0 : x < y ? -1 : 1;
}

export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(fractionLength(a), fractionLength(b));
  return unscale(scaled(a, scale) - scaled(b, scale), scale);
}

export function addDecimal(a: string, b: string): string {
  const scale = Math.max(fractionLength(a), fractionLength(b));
  return unscale(scaled(a, scale) + scaled(b, scale), scale);
}

function fractionLength(value: string): number {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a decimal amount`);
  return (match[3] ?? '').length;
}

function scaled(value: string, scale: number): bigint {
  const match = DECIMAL.exec(value.trim())!;
  const minor = BigInt(match[2]! + (match[3] ?? '').padEnd(scale, '0'));
  return match[1] ? -minor : minor;
}

function unscale(value: bigint, scale: number): string {
  if (scale === 0) return value.toString();
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const fraction = text.slice(-scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${text.slice(0, -scale)}${fraction ? `.${fraction}` : ''}`;
}

/** Commission in basis points, rounded down to the minor unit (the platform keeps the remainder). */
export function applyBasisPoints(minor: bigint, basisPoints: number): bigint {
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) {
    throw new Error(`${basisPoints} is not a basis-point rate between 0 and 10000`);
  }
  return (minor * BigInt(basisPoints)) / 10_000n;
}

/** An exact decimal shown with at least the currency's minor digits ("6" USD → "6.00"); never rounds. */
export function padDecimal(value: string, currency: string): string {
  const [whole = '0', fraction = ''] = value.split('.');
  const digits = Math.max(minorDigits(currency), fraction.length);
  return digits === 0 ? whole : `${whole}.${fraction.padEnd(digits, '0')}`;
}
