/** Exact amounts, coins, rates and fake addresses of the NOWPayments emulator. */
import { randomInt } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Exact decimals: BigInt counts of 10^-8 (NOWPayments' usual network_precision).

export const SCALE = 8;
export const UNIT = 10n ** BigInt(SCALE);

/** A non-negative decimal (string, or a JSON number's shortest text) in 10^-8 units; undefined when not one. */
export function parseAmount(value: unknown): bigint | undefined {
  const text =
    typeof value === 'number' && Number.isFinite(value)
      ? numberText(value)
      : typeof value === 'string'
        ? value.trim()
        : '';
  const match = /^(\d{1,15})(?:\.(\d{1,8}))?$/.exec(text);
  if (!match) return undefined;
  return BigInt(match[1] ?? '0') * UNIT + BigInt((match[2] ?? '').padEnd(SCALE, '0'));
}

/** JSON numbers below 1e-6 print with an exponent; written out so they parse as decimals. */
function numberText(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(SCALE).replace(/\.?0+$/, '') : text;
}

export function formatAmount(units: bigint): string {
  const whole = units / UNIT;
  const fraction = (units % UNIT).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** a / b in 10^-8 units, rounded up (a coin amount that always covers the price). */
export function divideUp(a: bigint, b: bigint): bigint {
  return (a * UNIT + b - 1n) / b;
}

export function multiply(a: bigint, b: bigint): bigint {
  return (a * b) / UNIT;
}

// ---------------------------------------------------------------------------------------------
// Coins

export interface CoinInfo {
  /** NOWPayments' `network` field. */
  network: string;
  /** Needs a memo / destination tag (`payin_extra_id`): XRP, XLM, ... per the create-payment docs. */
  memo: boolean;
  address: () => string;
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const pick = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
const evm = () => `0x${pick('0123456789abcdef', 40)}`;
const tron = () => `T${pick(BASE58, 33)}`;

export const COINS: Record<string, CoinInfo> = {
  btc: { network: 'btc', memo: false, address: () => `bc1q${pick(BECH32, 38)}` },
  ltc: { network: 'ltc', memo: false, address: () => `ltc1q${pick(BECH32, 38)}` },
  eth: { network: 'eth', memo: false, address: evm },
  trx: { network: 'trx', memo: false, address: tron },
  usdttrc20: { network: 'trx', memo: false, address: tron },
  usdterc20: { network: 'eth', memo: false, address: evm },
  usdtbsc: { network: 'bsc', memo: false, address: evm },
  usdcerc20: { network: 'eth', memo: false, address: evm },
  sol: { network: 'sol', memo: false, address: () => pick(BASE58, 44) },
  usdcsol: { network: 'sol', memo: false, address: () => pick(BASE58, 44) },
  ton: { network: 'ton', memo: false, address: () => `UQ${pick(`${BASE58}-_`, 46)}` },
  xrp: { network: 'xrp', memo: true, address: () => `r${pick(BASE58, 33)}` },
  xlm: { network: 'xlm', memo: true, address: () => `G${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 55)}` },
};

/** A destination tag / memo as NOWPayments hands them out: a number, as text. */
export const fakeMemo = () => String(randomInt(100_000_000, 2_000_000_000));

/** Price of one coin in USD, and USD in the other price currencies: exact decimals. */
const USD_PRICE: Record<string, string> = {
  btc: '60000',
  ltc: '80',
  eth: '3000',
  trx: '0.125',
  usdttrc20: '1',
  usdterc20: '1',
  usdtbsc: '1',
  usdcerc20: '1',
  sol: '150',
  usdcsol: '1',
  ton: '5',
  xrp: '0.5',
  xlm: '0.1',
};
const PER_USD: Record<string, string> = { usd: '1', eur: '0.92', rub: '90' };

/** Rates: price currency → coin → price of one coin, in 10^-8 units of the price currency. */
export type Rates = Record<string, Record<string, bigint>>;

export function defaultRates(): Rates {
  const rates: Rates = {};
  for (const [fiat, perUsd] of Object.entries(PER_USD)) {
    rates[fiat] = {};
    for (const [coin, usd] of Object.entries(USD_PRICE))
      rates[fiat][coin] = multiply(parseAmount(usd)!, parseAmount(perUsd)!);
  }
  return rates;
}

export function ratesText(rates: Rates): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(rates).map(([fiat, coins]) => [
      fiat,
      Object.fromEntries(Object.entries(coins).map(([coin, price]) => [coin, formatAmount(price)])),
    ]),
  );
}

/** A 10-digit id, like NOWPayments' payment and purchase ids. */
export const randomId = () => randomInt(4_000_000_000, 9_999_999_999);
