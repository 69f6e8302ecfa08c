/**
 * Catalog rules for plans, shared by the bot's admin flow (bot/features/plans-admin.ts) and the ops
 * CLI (ops/cli.ts): what a plan id, title, period length, price and trial may be. Pure functions; the
 * writes (with their audit rows) are in infrastructure/catalog/plans.ts. Each refusal is a
 * PlanInputError carrying a Fluent key and its variables (the bot translates it) and an English
 * message (the CLI prints it).
 */
import { fromMinor, toMinor } from './money';

/** Lowercase letters, digits and underscores: the plan id is part of invoice ids (domain/invoice.ts) and callback data. */
export const PLAN_ID = /^[a-z][a-z0-9_]{0,31}$/;
export const MAX_TITLE_LENGTH = 64;
/** Ten years: the longest period or trial a plan may have. */
export const MAX_PLAN_SECONDS = 3650 * 86_400;
/** Currencies a plan may be priced in: the fiat currencies the payment gateway invoices in. */
export const PLAN_CURRENCIES = ['USD', 'EUR', 'RUB'] as const;
export type PlanCurrency = (typeof PLAN_CURRENCIES)[number];
/** The largest price in minor units (a guard against a mistyped extra digit, and far below bigint limits). */
export const MAX_PRICE_MINOR = 100_000_000n;

export class PlanInputError extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string>,
    message: string,
  ) {
    super(message);
    this.name = 'PlanInputError';
  }
}

const shown = (text: string) => text.slice(0, 40);

export function parsePlanId(text: string): string {
  const id = text.trim();
  if (!PLAN_ID.test(id))
    throw new PlanInputError(
      'plan-bad-id',
      { given: shown(id) },
      `"${shown(id)}" is not a plan id: 1-32 lowercase letters, digits or _, starting with a letter`,
    );
  return id;
}

export function parseTitle(text: string): string {
  const title = text.trim().replace(/\s+/g, ' ');
  if (title.length === 0 || title.length > MAX_TITLE_LENGTH)
    throw new PlanInputError(
      'plan-bad-title',
      { max: String(MAX_TITLE_LENGTH) },
      `a plan title has 1-${MAX_TITLE_LENGTH} characters`,
    );
  return title;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const LENGTH = /^(\d{1,9})\s*(s|m|h|d)?$/i;

/** "30d", "12h", "90m", "45s", or a plain number of days; above zero and at most ten years. */
function parseLength(text: string, allowZero: boolean): number | undefined {
  const trimmed = text.trim();
  if (allowZero && /^(0|no|none|-)$/i.test(trimmed)) return 0;
  const match = LENGTH.exec(trimmed);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] ?? 'd').toLowerCase()]!;
  return seconds > 0 && seconds <= MAX_PLAN_SECONDS ? seconds : undefined;
}

export function parsePlanDuration(text: string): number {
  const seconds = parseLength(text, false);
  if (seconds === undefined)
    throw new PlanInputError(
      'plan-bad-duration',
      { given: shown(text.trim()) },
      `"${shown(text.trim())}" is not a period length: a whole number above 0 of days (30 or 30d), hours (12h), minutes (90m) or seconds (45s), at most 3650 days`,
    );
  return seconds;
}

/** Like the period, and 0 / "no" / "none" for a plan without a trial. */
export function parseTrial(text: string): number {
  const seconds = parseLength(text, true);
  if (seconds === undefined)
    throw new PlanInputError(
      'plan-bad-trial',
      { given: shown(text.trim()) },
      `"${shown(text.trim())}" is not a trial length: 0 (no trial) or a length like 3d, 12h or 30m, at most 3650 days`,
    );
  return seconds;
}

export function parseCurrency(text: string): PlanCurrency {
  const currency = text.trim().toUpperCase();
  if (!(PLAN_CURRENCIES as readonly string[]).includes(currency))
    throw new PlanInputError(
      'plan-bad-currency',
      { given: shown(text.trim()), currencies: PLAN_CURRENCIES.join(', ') },
      `unknown currency "${shown(text.trim())}": use one of ${PLAN_CURRENCIES.join(', ')}`,
    );
  return currency as PlanCurrency;
}

export interface Price {
  priceMinor: bigint;
  currency: PlanCurrency;
}

/** "9.99 USD" (or amount and currency given apart): a positive exact amount, never rounded. */
export function parsePrice(amountText: string, currencyText?: string): Price {
  let amount = amountText.trim();
  let currencyPart = currencyText;
  if (currencyPart === undefined) {
    const parts = amount.split(/\s+/);
    if (parts.length !== 2)
      throw new PlanInputError(
        'plan-bad-price',
        { given: shown(amount) },
        `"${shown(amount)}" is not a price: give an amount and a currency, like 9.99 USD`,
      );
    [amount, currencyPart] = parts as [string, string];
  }
  const currency = parseCurrency(currencyPart);
  let priceMinor: bigint;
  try {
    priceMinor = toMinor(amount.replace(',', '.'), currency);
  } catch {
    priceMinor = 0n;
  }
  if (!/^\d+(?:[.,]\d+)?$/.test(amount) || priceMinor <= 0n || priceMinor > MAX_PRICE_MINOR)
    throw new PlanInputError(
      'plan-bad-price',
      { given: shown(amount) },
      `"${shown(amount)}" is not a price: a positive amount with at most 2 decimals and at most ${fromMinor(MAX_PRICE_MINOR, currency)}, like 9.99`,
    );
  return { priceMinor, currency };
}

/** Telegram's bounds for one Stars invoice (whole Stars); the plans table checks the same range. */
export const MIN_PRICE_STARS = 1;
export const MAX_PRICE_STARS = 10_000;
/** Answers meaning "do not sell this plan for Stars" (a bot adds its localized word). */
const NO_STARS = ['-', '0', 'no', 'none', 'skip'];

/** A price in whole Stars, or null for a plan not sold for Stars; refuses out-of-range numbers. */
export function checkStarsPrice(stars: number | null): number | null {
  if (stars !== null && (!Number.isSafeInteger(stars) || stars < MIN_PRICE_STARS || stars > MAX_PRICE_STARS))
    throw new PlanInputError(
      'plan-stars-out-of-range',
      { given: shown(String(stars)), min: String(MIN_PRICE_STARS), max: String(MAX_PRICE_STARS) },
      `${shown(String(stars))} Stars is out of range: a Stars price is ${MIN_PRICE_STARS}-${MAX_PRICE_STARS} Stars`,
    );
  return stars;
}

/**
 * "500" (whole Stars, 1-10000), or "-" / "0" / "no" / "none" / "skip" (and `noWords`, e.g. the
 * admin's language's "no") for a plan not sold for Stars.
 */
export function parseStarsPrice(text: string, noWords: readonly string[] = []): number | null {
  const trimmed = text.trim().toLowerCase();
  if ([...NO_STARS, ...noWords.map((w) => w.trim().toLowerCase())].includes(trimmed)) return null;
  if (!/^-?\d{1,12}$/.test(trimmed))
    throw new PlanInputError(
      'plan-bad-stars',
      { given: shown(text.trim()), min: String(MIN_PRICE_STARS), max: String(MAX_PRICE_STARS) },
      `"${shown(text.trim())}" is not a Stars price: a whole number of Stars from ${MIN_PRICE_STARS} to ${MAX_PRICE_STARS}, or - to not sell for Stars`,
    );
  return checkStarsPrice(Number(trimmed));
}

/** Everything a new plan needs besides its channels. */
export interface PlanDraft {
  id: string;
  title: string;
  durationSeconds: number;
  trialSeconds: number;
  priceMinor: bigint;
  currency: PlanCurrency;
  /** Whole Stars; null or absent: not sold for Stars. */
  priceStars?: number | null;
}

/** Channel ids are negative (-100… for channels and supergroups); a public channel has an @username. */
export function parseChannelRef(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (/^-\d{5,16}$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  const username = /^(?:@|https?:\/\/t\.me\/)([a-zA-Z][\w]{3,31})$/.exec(trimmed)?.[1];
  return username ? `@${username}` : undefined;
}
