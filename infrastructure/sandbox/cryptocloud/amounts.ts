/** Exact amounts, currencies, rates and fake addresses of the emulator. */
import { randomInt } from 'node:crypto';
import type { CryptoCloudCurrency } from './types';

// ---------------------------------------------------------------------------------------------
// Exact decimals

export const SCALE = 8;
export const UNIT = 10n ** BigInt(SCALE);

/** Parses a non-negative decimal (string, or a JSON number's shortest text) into 10^-8 units. */
export function parseAmount(value: unknown): bigint | undefined {
  const text =
    typeof value === 'number'
      ? Number.isFinite(value)
        ? String(value)
        : ''
      : typeof value === 'string'
        ? value.trim()
        : '';
  const match = /^(\d{1,15})(?:\.(\d{1,8}))?$/.exec(text);
  if (!match) return undefined;
  return BigInt(match[1] ?? '0') * UNIT + BigInt((match[2] ?? '').padEnd(SCALE, '0'));
}

export function formatAmount(units: bigint): string {
  const whole = units / UNIT;
  const fraction = (units % UNIT).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** JSON number for the wire; exact because the text has at most 15+8 digits of a decimal we formatted. */
export function wireNumber(units: bigint): number {
  return Number(formatAmount(units));
}

// ---------------------------------------------------------------------------------------------
// Currencies: stablecoins only, each worth 1 USD.

export const icon = (name: string) => `https://cdn.cryptocloud.plus/currency/icons/main/${name}.svg`;
export const NETWORKS: Record<string, { id: number; code: string; fullname: string }> = {
  TRC20: { id: 4, code: 'TRC20', fullname: 'Tron' },
  ERC20: { id: 2, code: 'ERC20', fullname: 'Ethereum' },
  BSC: { id: 5, code: 'BSC', fullname: 'BNB Smart Chain' },
  TON: { id: 9, code: 'TON', fullname: 'The Open Network' },
  SOL: { id: 10, code: 'SOL', fullname: 'Solana' },
};
export const STABLECOINS = [
  'USDT_TRC20',
  'USDT_ERC20',
  'USDT_BSC',
  'USDT_TON',
  'USDT_SOL',
  'USDC_ERC20',
  'USDC_BSC',
  'USDC_SOL',
];
export const DEFAULT_CRYPTO = 'USDT_TRC20';
/** USD value of one unit of each fiat currency, in 10^-8 USD (stablecoins are worth 1 USD). */
export const DEFAULT_RATES: Record<string, bigint> = { USD: UNIT, EUR: 108_000_000n, RUB: 1_100_000n };

/** A merchant-API fault: `error` = 500, `rate_limit` = 429, `unauthorized` = 401, `slow` = answers after delayMs. */
export type MerchantFault = 'error' | 'rate_limit' | 'unauthorized' | 'slow';
export interface MerchantFaultSettings {
  mode: MerchantFault | null;
  /** For `slow`: how long each answer waits (default 30 s). */
  delayMs: number;
  /** How many more requests fail (null = until cleared). */
  remaining: number | null;
}

export function currencyInfo(fullcode: string, order: number): CryptoCloudCurrency {
  const [code = 'USDT', networkCode = 'TRC20'] = fullcode.split('_');
  const network = NETWORKS[networkCode] ?? { id: 0, code: networkCode, fullname: networkCode };
  return {
    id: 4 + order,
    code,
    fullcode,
    network: { ...network, icon: icon(network.code.toLowerCase()) },
    name: code === 'USDT' ? 'Tether' : 'USD Coin',
    is_email_required: false,
    stablecoin: true,
    icon_base: icon(code.toLowerCase()),
    icon_network: `https://cdn.cryptocloud.plus/icons-currency/${code}-${network.code}.svg`,
    icon_qr: `https://cdn.cryptocloud.plus/currency/icons/stroke/${code.toLowerCase()}.svg`,
    order: order + 1,
  };
}

export function fakeAddress(fullcode: string): string {
  const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const pick = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
  if (fullcode.endsWith('_TRC20')) return `T${pick(base58, 33)}`;
  if (fullcode.endsWith('_ERC20') || fullcode.endsWith('_BSC')) return `0x${pick('0123456789abcdef', 40)}`;
  if (fullcode.endsWith('_TON')) return `UQ${pick(`${base58}-_`, 46)}`;
  return pick(base58, 44);
}
