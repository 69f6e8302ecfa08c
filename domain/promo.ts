/**
 * Promo codes: what a code is, when it may be used and what it takes off a price. Pure rules shared by
 * the bot (validation when a user enters a code, the price on the plan screen), the redemption
 * activity (activities/promos.ts, which applies them to the locked code row) and the ops CLI.
 *
 * Decisions:
 * - A code is 3–32 of A–Z, 0–9, `_` and `-`, stored upper-case; users may type it in any case.
 * - A percent discount is floor(price × bp / 10000) whole minor units: the buyer pays
 *   price − floor(price × bp / 10000), so rounding never gives away more than the rule says.
 * - A fixed discount applies only to a price in its own currency, and never more than the price.
 * - The charged price never goes below 0; 100 % (or a fixed amount ≥ the price) makes it free, Stars
 *   (XTR) included: the invoice workflow settles a zero amount without a rail.
 * - A code that would take nothing off (1 % of 0.50 USD) is refused (`no-discount`), so it never uses up
 *   one of the code's or the user's redemptions for nothing.
 * - The window is [startsAt, endsAt): `from=2026-12-01` starts at 00:00 UTC, `until=2026-12-31` ends at
 *   the end of that day (2027-01-01 00:00 UTC). Dates are UTC, as every moment the bot shows.
 */
import { applyBasisPoints, fromMinor, toMinor } from './money';
import { MAX_PRICE_MINOR, PLAN_CURRENCIES, PLAN_ID } from './plan';
import { STARS_CURRENCY } from './rail';

export const PROMO_CODE = /^[A-Z0-9_-]{3,32}$/;
export const PROMO_KINDS = ['percent', 'fixed'] as const;
export type PromoKind = (typeof PROMO_KINDS)[number];
/** What a code may be used for; `products` and `sellers` wait for the marketplace. */
export const PROMO_SCOPES = ['all', 'plans', 'products', 'sellers'] as const;
export type PromoScope = (typeof PROMO_SCOPES)[number];
/** reserved: priced into an open invoice; used: the invoice settled; released: it closed unpaid. */
export const REDEMPTION_STATUSES = ['reserved', 'used', 'released'] as const;
export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number];
/** The redemptions that count against a code's caps. */
export const COUNTED_REDEMPTION_STATUSES = ['reserved', 'used'] as const satisfies readonly RedemptionStatus[];
/** Currencies a fixed discount may be in: the plans' fiat currencies and Telegram Stars. */
export const PROMO_CURRENCIES = [...PLAN_CURRENCIES, STARS_CURRENCY] as const;

/** Why a code cannot be used (for this purchase). Each has a bot text `promo-refused-<reason>`. */
export const PROMO_REFUSALS = [
  'unknown',
  'disabled',
  'not-started',
  'ended',
  'exhausted',
  'user-limit',
  'out-of-scope',
  'currency',
  'no-discount',
] as const;
export type PromoRefusal = (typeof PROMO_REFUSALS)[number];

/** Largest caps an admin may set (guards against a mistyped extra digit). */
export const MAX_PROMO_REDEMPTIONS = 1_000_000;
export const MAX_PROMO_PER_USER = 1_000;

/** The fields of a promo_codes row the rules read (the row itself fits). */
export interface PromoRule {
  code: string;
  kind: PromoKind;
  /** Percent codes: 1–10000 basis points. */
  percentBps: number | null;
  /** Fixed codes: the amount in minor units of `currency`. */
  amountMinor: bigint | null;
  currency: string | null;
  /** null: unlimited. */
  maxRedemptions: number | null;
  maxPerUser: number;
  /** Reserved + used redemptions. */
  redeemedCount: number;
  startsAt: Date | null;
  endsAt: Date | null;
  scope: PromoScope;
  scopeIds: string[];
  disabledAt: Date | null;
}

/** "spring-20 " → "SPRING-20"; undefined when it cannot be a code. */
export function normalizePromoCode(text: string): string | undefined {
  const code = text.trim().toUpperCase();
  return PROMO_CODE.test(code) ? code : undefined;
}

export interface PromoUse {
  now: Date;
  /** The user's redemptions of this code that count (reserved + used); absent: not checked. */
  userRedemptions?: number;
}

/** Whether the code may be used at all now (by this user), whatever is bought. */
export function promoRefusal(promo: PromoRule | undefined, use: PromoUse): PromoRefusal | undefined {
  if (!promo) return 'unknown';
  if (promo.disabledAt) return 'disabled';
  if (promo.startsAt && use.now < promo.startsAt) return 'not-started';
  if (promo.endsAt && use.now >= promo.endsAt) return 'ended';
  if (promo.maxRedemptions !== null && promo.redeemedCount >= promo.maxRedemptions) return 'exhausted';
  if (use.userRedemptions !== undefined && use.userRedemptions >= promo.maxPerUser) return 'user-limit';
  return undefined;
}

export interface Purchase extends PromoUse {
  amountMinor: bigint;
  currency: string;
  planId?: string;
  productId?: string;
  sellerId?: string | number;
}

export type PromoDiscount = { discountMinor: bigint; chargedMinor: bigint } | { refused: PromoRefusal };

/** What the code takes off this price, or why it does not apply. */
export function discountFor(promo: PromoRule | undefined, purchase: Purchase): PromoDiscount {
  const refused = promoRefusal(promo, purchase);
  if (refused || !promo) return { refused: refused ?? 'unknown' };
  if (!inScope(promo, purchase)) return { refused: 'out-of-scope' };
  const price = purchase.amountMinor;
  let discount: bigint;
  if (promo.kind === 'percent') {
    discount = applyBasisPoints(price, promo.percentBps ?? 0);
  } else {
    if (promo.currency?.toUpperCase() !== purchase.currency.toUpperCase()) return { refused: 'currency' };
    const amount = promo.amountMinor ?? 0n;
    discount = amount < price ? amount : price;
  }
  if (discount <= 0n) return { refused: 'no-discount' };
  return { discountMinor: discount, chargedMinor: price - discount };
}

function inScope(promo: PromoRule, purchase: Purchase): boolean {
  const target =
    promo.scope === 'all'
      ? undefined
      : promo.scope === 'plans'
        ? purchase.planId
        : promo.scope === 'products'
          ? purchase.productId
          : purchase.sellerId;
  return promo.scope === 'all' || (target !== undefined && promo.scopeIds.includes(String(target)));
}

/** How a code stands now, for admin lists. */
export type PromoStatus = 'active' | 'disabled' | 'scheduled' | 'ended' | 'exhausted';

export function promoStatus(promo: PromoRule, now: Date): PromoStatus {
  switch (promoRefusal(promo, { now })) {
    case 'disabled':
      return 'disabled';
    case 'not-started':
      return 'scheduled';
    case 'ended':
      return 'ended';
    case 'exhausted':
      return 'exhausted';
    default:
      return 'active';
  }
}

/** 2000 → "20", 1250 → "12.5". */
export function percentText(bps: number): string {
  return fromMinor(BigInt(bps), 'USD').replace(/\.?0+$/, '');
}

// ---- What an admin types: /promo_new CODE percent 20 [max=10] [per_user=1] [from=…] [until=…] [plans=a,b] ----

export interface PromoDraft {
  code: string;
  kind: PromoKind;
  percentBps: number | null;
  amountMinor: bigint | null;
  currency: string | null;
  maxRedemptions: number | null;
  maxPerUser: number;
  startsAt: Date | null;
  endsAt: Date | null;
  scope: PromoScope;
  scopeIds: string[];
}

/** A value an admin typed that cannot make a code: a Fluent key with variables and an English message. */
export class PromoInputError extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string>,
    message: string,
  ) {
    super(message);
    this.name = 'PromoInputError';
  }
}

const shown = (text: string) => text.slice(0, 40);
const PERCENT = /^\d{1,3}(?:[.,]\d{1,2})?%?$/;
const WHOLE = /^\d{1,9}$/;
const OPTIONS = ['max', 'per_user', 'from', 'until', 'plans'] as const;

export function parsePromoCode(text: string): string {
  const code = normalizePromoCode(text);
  if (!code)
    throw new PromoInputError(
      'promo-bad-code',
      { given: shown(text.trim()) },
      `"${shown(text.trim())}" is not a promo code: 3-32 letters A-Z, digits, _ or -`,
    );
  return code;
}

/** "20", "12.5", "12,5" or "20%" → basis points, above 0 and at most 100 %. */
export function parsePromoPercent(text: string): number {
  const bps = PERCENT.test(text) ? Number(toMinor(text.replace('%', '').replace(',', '.'), 'USD')) : 0;
  if (!(bps > 0 && bps <= 10_000))
    throw new PromoInputError(
      'promo-bad-percent',
      { given: shown(text) },
      `"${shown(text)}" is not a discount percentage: above 0 and at most 100, like 20 or 12.5`,
    );
  return bps;
}

export function parsePromoAmount(amountText: string, currencyText: string): { amountMinor: bigint; currency: string } {
  const currency = currencyText.trim().toUpperCase();
  if (!(PROMO_CURRENCIES as readonly string[]).includes(currency))
    throw new PromoInputError(
      'promo-bad-currency',
      { given: shown(currencyText), currencies: PROMO_CURRENCIES.join(', ') },
      `unknown currency "${shown(currencyText)}": use one of ${PROMO_CURRENCIES.join(', ')}`,
    );
  let amountMinor: bigint | undefined;
  try {
    amountMinor = toMinor(amountText.replace(',', '.'), currency);
  } catch {
    amountMinor = undefined;
  }
  if (amountMinor === undefined || amountMinor <= 0n || amountMinor > MAX_PRICE_MINOR)
    throw new PromoInputError(
      'promo-bad-amount',
      { given: shown(amountText), currency, max: fromMinor(MAX_PRICE_MINOR, currency) },
      `"${shown(amountText)}" is not a discount in ${currency}: a positive amount with at most its minor digits, up to ${fromMinor(MAX_PRICE_MINOR, currency)}`,
    );
  return { amountMinor, currency };
}

function parseCount(name: 'max' | 'per_user', text: string, max: number): number {
  const value = WHOLE.test(text) ? Number(text) : 0;
  if (!(value >= 1 && value <= max))
    throw new PromoInputError(
      name === 'max' ? 'promo-bad-max' : 'promo-bad-per-user',
      { given: shown(text), max: String(max) },
      `${name}=${shown(text)}: give a whole number from 1 to ${max}`,
    );
  return value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/;

/** `2026-12-01` or `2026-12-01T18:00` (UTC). A bare `until` date means the end of that day. */
export function parsePromoDate(name: 'from' | 'until', text: string): Date {
  const match = DATE.exec(text);
  const bad = () =>
    new PromoInputError(
      'promo-bad-date',
      { name, given: shown(text) },
      `${name}=${shown(text)} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)`,
    );
  if (!match) throw bad();
  const [year, month, day, hour, minute] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const ms = Date.UTC(year!, month! - 1, day, hour ?? 0, minute ?? 0);
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: refuse what is not on the calendar.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month! - 1 ||
    date.getUTCDate() !== day ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59
  )
    throw bad();
  return name === 'until' && hour === undefined ? new Date(ms + 86_400_000) : date;
}

function parseIds(text: string): string[] {
  const ids = text.split(',').map((id) => id.trim());
  if (ids.length === 0 || ids.some((id) => !PLAN_ID.test(id)))
    throw new PromoInputError(
      'promo-bad-plans',
      { given: shown(text) },
      `plans=${shown(text)}: give plan ids separated by commas, like plans=monthly,yearly`,
    );
  return [...new Set(ids)];
}

/**
 * The words after /promo_new. Refuses anything malformed, unknown or repeated, with the first problem;
 * whether the plans exist and the code is new is for the caller (the database).
 */
export function parsePromoDraft(args: string[], now: Date): PromoDraft {
  const [codeText, kindText, ...rest] = args;
  if (codeText === undefined || kindText === undefined)
    throw new PromoInputError('usage', {}, 'give a code, a kind (percent or fixed) and the discount');
  const code = parsePromoCode(codeText);
  const kind = kindText.toLowerCase();
  let discount: Pick<PromoDraft, 'kind' | 'percentBps' | 'amountMinor' | 'currency'>;
  let options: string[];
  if (kind === 'percent') {
    const [value, ...more] = rest;
    if (value === undefined) throw new PromoInputError('usage', {}, 'percent needs a percentage, like percent 20');
    discount = { kind: 'percent', percentBps: parsePromoPercent(value), amountMinor: null, currency: null };
    options = more;
  } else if (kind === 'fixed') {
    const [value, currency, ...more] = rest;
    if (value === undefined || currency === undefined || currency.includes('='))
      throw new PromoInputError('usage', {}, 'fixed needs an amount and a currency, like fixed 5 USD');
    discount = { kind: 'fixed', percentBps: null, ...parsePromoAmount(value, currency) };
    options = more;
  } else {
    throw new PromoInputError(
      'promo-bad-kind',
      { given: shown(kindText) },
      `"${shown(kindText)}" is not a kind of discount: percent or fixed`,
    );
  }
  const given = new Map<string, string>();
  for (const option of options) {
    const eq = option.indexOf('=');
    const name = eq > 0 ? option.slice(0, eq).toLowerCase() : '';
    const value = option.slice(eq + 1);
    if (!(OPTIONS as readonly string[]).includes(name) || value === '')
      throw new PromoInputError(
        'promo-bad-option',
        { given: shown(option), options: OPTIONS.map((o) => `${o}=`).join(' ') },
        `"${shown(option)}" is not an option: use ${OPTIONS.map((o) => `${o}=`).join(' ')}`,
      );
    if (given.has(name))
      throw new PromoInputError('promo-repeated-option', { name }, `${name}= is given more than once`);
    given.set(name, value);
  }
  const max = given.get('max');
  const perUser = given.get('per_user');
  const from = given.get('from');
  const until = given.get('until');
  const plans = given.get('plans');
  const startsAt = from === undefined ? null : parsePromoDate('from', from);
  const endsAt = until === undefined ? null : parsePromoDate('until', until);
  if (startsAt && endsAt && endsAt <= startsAt)
    throw new PromoInputError(
      'promo-bad-window',
      { from: shown(from!), until: shown(until!) },
      `until=${shown(until!)} is not after from=${shown(from!)}`,
    );
  if (endsAt && endsAt <= now)
    throw new PromoInputError(
      'promo-ends-in-past',
      { until: shown(until!) },
      `until=${shown(until!)} has already passed: the code could never be used`,
    );
  const scopeIds = plans === undefined ? [] : parseIds(plans);
  return {
    code,
    ...discount,
    maxRedemptions: max === undefined ? null : parseCount('max', max, MAX_PROMO_REDEMPTIONS),
    maxPerUser: perUser === undefined ? 1 : parseCount('per_user', perUser, MAX_PROMO_PER_USER),
    startsAt,
    endsAt,
    scope: plans === undefined ? 'all' : 'plans',
    scopeIds,
  };
}
