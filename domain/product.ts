/**
 * Marketplace catalog rules: what a product, its price, a shop slug and a stored file may be. Pure
 * functions shared by the Mini App API, the bot's seller flows and the catalog read model; the
 * products table (infrastructure/db/schema.ts) checks the same bounds, so a value that passes here is
 * never refused by the database. Each refusal is a ProductInputError with a Fluent key and its
 * variables (the bot and the Mini App translate it) and an English message (logs, the ops CLI).
 *
 * Decisions:
 * - A product shows in the catalog only when it is `active` and not soft-deleted; everything else
 *   (draft, waiting for review, hidden by its seller, rejected by a moderator) is seen by its seller only.
 * - A product has a fiat price, a Stars price, or both, never neither. Telegram requires Stars for
 *   digital goods sold in bots, so sellers are nudged to set one; the crypto rails charge the fiat price.
 * - Lengths count Unicode code points (PostgreSQL's char_length), so an emoji is one character.
 * - Object keys are generated here from the seller id, the file's role and a random UUID: no user
 *   text (file names are kept in product_files.original_name and only sent back in Content-Disposition).
 */
import { fromMinor, toMinor } from './money';
import { MAX_PRICE_MINOR, MAX_PRICE_STARS, MIN_PRICE_STARS, PLAN_CURRENCIES } from './plan';

export const PRODUCT_STATUSES = ['draft', 'pending_review', 'active', 'hidden', 'rejected'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];
/** The statuses buyers see in the catalog (and only while the product is not deleted). */
export const CATALOG_VISIBLE_STATUSES = ['active'] as const satisfies readonly ProductStatus[];

export function isVisibleInCatalog(product: { status: ProductStatus; deletedAt: Date | null }): boolean {
  return (CATALOG_VISIBLE_STATUSES as readonly ProductStatus[]).includes(product.status) && product.deletedAt === null;
}

/** file: what the buyer gets; cover: the catalog image (sent once, then by Telegram file_id); preview: e.g. a PDF page. */
export const PRODUCT_FILE_ROLES = ['file', 'cover', 'preview'] as const;
export type ProductFileRole = (typeof PRODUCT_FILE_ROLES)[number];
/** uploading: a multipart upload is open; stored: completed and checked; refused: failed a check; deleted: removed from storage. */
export const PRODUCT_FILE_STATES = ['uploading', 'stored', 'refused', 'deleted'] as const;
export type ProductFileState = (typeof PRODUCT_FILE_STATES)[number];

/** Fiat currencies a product may be priced in: the ones the crypto rails invoice in, as for plans. */
export const PRODUCT_CURRENCIES = PLAN_CURRENCIES;
export type ProductCurrency = (typeof PRODUCT_CURRENCIES)[number];

export const MAX_PRODUCT_TITLE_LENGTH = 100;
export const MAX_PRODUCT_DESCRIPTION_LENGTH = 4000;
/** 3–32 of a–z, 0–9 and `-`, not starting or ending with `-`: part of shop links (t.me/<bot>?start=shop_<slug>). */
export const SHOP_SLUG = /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/;
/** 16 URL-safe characters (96 random bits): fits deep links (`start` allows 64 of [A-Za-z0-9_-]) and callback data. */
export const PRODUCT_ID = /^[A-Za-z0-9_-]{16}$/;
/** `products/<sellerId>/<role>/<uuid>`: see objectKeyFor. */
const OBJECT_KEY =
  /^products\/([1-9]\d{0,19})\/(file|cover|preview)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export class ProductInputError extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string>,
    message: string,
  ) {
    super(message);
    this.name = 'ProductInputError';
  }
}

const codePoints = (text: string) => [...text].length;
const shown = (text: string) => [...text].slice(0, 40).join('');

/** Trimmed, inner whitespace (newlines included) collapsed to one space; 1–100 characters. */
export function parseProductTitle(text: string): string {
  const title = text.trim().replace(/\s+/g, ' ');
  if (codePoints(title) === 0 || codePoints(title) > MAX_PRODUCT_TITLE_LENGTH)
    throw new ProductInputError(
      'product-bad-title',
      { max: String(MAX_PRODUCT_TITLE_LENGTH) },
      `a product title has 1-${MAX_PRODUCT_TITLE_LENGTH} characters`,
    );
  return title;
}

/** Trimmed, line breaks kept (CRLF becomes LF); may be empty; at most 4000 characters. */
export function parseProductDescription(text: string): string {
  const description = text.replace(/\r\n?/g, '\n').trim();
  if (codePoints(description) > MAX_PRODUCT_DESCRIPTION_LENGTH)
    throw new ProductInputError(
      'product-bad-description',
      { max: String(MAX_PRODUCT_DESCRIPTION_LENGTH), given: String(codePoints(description)) },
      `a product description has at most ${MAX_PRODUCT_DESCRIPTION_LENGTH} characters (got ${codePoints(description)})`,
    );
  return description;
}

export const MAX_REJECTION_REASON_LENGTH = 500;

/** A moderator's reason for rejecting a product, shown to its seller: trimmed, 1–500 characters. */
export function parseRejectionReason(text: string): string {
  const reason = text.replace(/\r\n?/g, '\n').trim();
  if (codePoints(reason) === 0 || codePoints(reason) > MAX_REJECTION_REASON_LENGTH)
    throw new ProductInputError(
      'review-bad-reason',
      { max: String(MAX_REJECTION_REASON_LENGTH), given: String(codePoints(reason)) },
      `a rejection reason has 1-${MAX_REJECTION_REASON_LENGTH} characters (got ${codePoints(reason)})`,
    );
  return reason;
}

/** Users may type it in any case; stored lower-case. */
export function parseShopSlug(text: string): string {
  const slug = text.trim().toLowerCase();
  if (!SHOP_SLUG.test(slug))
    throw new ProductInputError(
      'shop-bad-slug',
      { given: shown(slug) },
      `"${shown(slug)}" is not a shop name for links: 3-32 of a-z, 0-9 and -, not starting or ending with -`,
    );
  return slug;
}

export interface ProductPrice {
  /** Minor units of `currency`; null (with currency null) when not sold for fiat. */
  priceMinor: bigint | null;
  currency: ProductCurrency | null;
  /** Whole Stars, 1–10000; null when not sold for Stars. */
  priceStars: number | null;
}

/**
 * A fiat price (minor units > 0, at most MAX_PRICE_MINOR, in a known currency), a Stars price
 * (1–10000 whole Stars), or both. Returns the price with the currency upper-cased.
 */
export function checkProductPrice(price: {
  priceMinor: bigint | null;
  currency: string | null;
  priceStars: number | null;
}): ProductPrice {
  const { priceMinor, priceStars } = price;
  const currency = price.currency?.trim().toUpperCase() || null;
  if (priceMinor === null && priceStars === null)
    throw new ProductInputError('product-no-price', {}, 'a product needs a price: in a currency, in Stars, or both');
  if ((priceMinor === null) !== (currency === null))
    throw new ProductInputError(
      'product-bad-currency',
      { given: shown(currency ?? ''), currencies: PRODUCT_CURRENCIES.join(', ') },
      priceMinor === null ? 'a currency was given without an amount' : 'a fiat price needs its currency',
    );
  if (currency !== null && !(PRODUCT_CURRENCIES as readonly string[]).includes(currency))
    throw new ProductInputError(
      'product-bad-currency',
      { given: shown(currency), currencies: PRODUCT_CURRENCIES.join(', ') },
      `unknown currency "${shown(currency)}": use one of ${PRODUCT_CURRENCIES.join(', ')}`,
    );
  if (priceMinor !== null && currency !== null && (priceMinor <= 0n || priceMinor > MAX_PRICE_MINOR))
    throw new ProductInputError(
      'product-bad-price',
      { given: fromMinor(priceMinor, currency), currency, max: fromMinor(MAX_PRICE_MINOR, currency) },
      `a price is above 0 and at most ${fromMinor(MAX_PRICE_MINOR, currency)} ${currency}`,
    );
  if (
    priceStars !== null &&
    (!Number.isSafeInteger(priceStars) || priceStars < MIN_PRICE_STARS || priceStars > MAX_PRICE_STARS)
  )
    throw new ProductInputError(
      'product-stars-out-of-range',
      { given: shown(String(priceStars)), min: String(MIN_PRICE_STARS), max: String(MAX_PRICE_STARS) },
      `${shown(String(priceStars))} Stars is out of range: a Stars price is ${MIN_PRICE_STARS}-${MAX_PRICE_STARS} Stars`,
    );
  return { priceMinor, currency: currency as ProductCurrency | null, priceStars };
}

/**
 * A price typed as decimal text in the product's currency ("9.99", "9,99", "10"): its minor units.
 * Checks the form and the decimals the currency has; checkProductPrice checks the bounds.
 */
export function parseProductAmount(text: string, currency: string): bigint {
  const amount = text.trim().replace(',', '.');
  const refuse = () =>
    new ProductInputError(
      'product-bad-price',
      { given: shown(text.trim()), currency, max: fromMinor(MAX_PRICE_MINOR, currency) },
      `"${shown(text.trim())}" is not a price in ${currency}: a positive amount like 9.99, at most ${fromMinor(MAX_PRICE_MINOR, currency)}`,
    );
  if (!/^\d{1,12}(?:\.\d+)?$/.test(amount)) throw refuse();
  try {
    return toMinor(amount, currency);
  } catch {
    // More decimals than the currency has.
    throw refuse();
  }
}

/** A Stars price typed as text: a whole number; checkProductPrice checks the range. */
export function parseProductStars(text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed))
    throw new ProductInputError(
      'product-bad-stars',
      { given: shown(trimmed), min: String(MIN_PRICE_STARS), max: String(MAX_PRICE_STARS) },
      `"${shown(trimmed)}" is not a Stars price: a whole number from ${MIN_PRICE_STARS} to ${MAX_PRICE_STARS}`,
    );
  return Number(trimmed);
}

/**
 * The status after a seller changes a product: with reviews on (PRODUCT_REVIEW), a product on sale
 * goes back to the review queue, so buyers never see unreviewed words or files; otherwise it keeps its status.
 */
export function statusAfterEdit(status: ProductStatus, review: boolean): ProductStatus {
  return review && status === 'active' ? 'pending_review' : status;
}

export function base64url(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  return out;
}

/** A new random product id (Web Crypto, available in Node and browsers; not for workflow code). */
export function newProductId(): string {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(12)));
}

/**
 * Where a new file of a seller is stored: `products/<sellerId>/<role>/<uuid>`. Random, never from user
 * text, so a key cannot collide, traverse or leak a name; the role prefix lets operators give covers
 * their own storage rules.
 */
export function objectKeyFor(sellerId: number, role: ProductFileRole): string {
  if (!Number.isSafeInteger(sellerId) || sellerId <= 0) throw new Error(`${sellerId} is not a seller id`);
  if (!(PRODUCT_FILE_ROLES as readonly string[]).includes(role)) throw new Error(`${String(role)} is not a file role`);
  return `products/${sellerId}/${role}/${globalThis.crypto.randomUUID()}`;
}

/**
 * The parts of a key objectKeyFor made, or undefined for any other string. Keys come back from the
 * browser (Uppy sends `?key=`): the API checks the seller in it is the caller before signing anything.
 */
export function parseObjectKey(key: string): { sellerId: number; role: ProductFileRole; id: string } | undefined {
  const match = OBJECT_KEY.exec(key);
  if (!match) return undefined;
  const sellerId = Number(match[1]);
  if (!Number.isSafeInteger(sellerId) || sellerId <= 0) return undefined;
  return { sellerId, role: match[2] as ProductFileRole, id: match[3]! };
}
