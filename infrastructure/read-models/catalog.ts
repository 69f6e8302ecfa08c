/**
 * The buyers' catalog: visible products (domain/product.ts CATALOG_VISIBLE_STATUSES, not deleted) by
 * category, search and order, a page at a time, for the bot's carousel and the Mini App.
 *
 * Search is PostgreSQL full-text over title and description (`simple` configuration, so any language;
 * websearch syntax: words, "quoted phrases", -excluded) with a trigram fallback on the title, so a
 * misspelt word ("photoshp") still finds "Photoshop" (pg_trgm's word similarity, threshold
 * `pg_trgm.word_similarity_threshold`, 0.6 by default). Both use their GIN indexes.
 *
 * A price range is in Stars, the unit every bot product should have (fiat prices come in several
 * currencies, which are not compared): with a range, products without a Stars price are left out.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { CATALOG_VISIBLE_STATUSES, type ProductCurrency } from '../../domain/product';
import type { Database } from '../db/client';
import { products } from '../db/schema';

/**
 * new: newest first. popular: most sales, then most views. price: cheapest first in Stars (the unit
 * every bot product should have), then those without a Stars price by currency and amount (fiat
 * amounts in different currencies are not compared). relevance: best text match first (new without a query).
 */
export const CATALOG_SORTS = ['new', 'popular', 'price', 'relevance'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];
export const MAX_CATALOG_PAGE = 100;

export interface CatalogQuery {
  /** What the buyer typed; blank means no text filter. */
  query?: string;
  categoryId?: string;
  /** One shop's products only. */
  sellerId?: number;
  /** Stars price at least / at most (inclusive). */
  minStars?: number;
  maxStars?: number;
  sort: CatalogSort;
  limit: number;
  offset: number;
}

export interface CatalogItem {
  id: string;
  sellerId: number;
  title: string;
  description: string;
  categoryId: string;
  priceMinor: bigint | null;
  currency: ProductCurrency | null;
  priceStars: number | null;
  salesCount: number;
  viewsCount: number;
  ratingSum: number;
  ratingCount: number;
  /** The latest stored cover's object key (telegram_file_cache may hold its file_id), or null. */
  coverObjectKey: string | null;
  createdAt: Date;
}

export interface CatalogPage {
  items: CatalogItem[];
  /** Visible products matching the filters, over all pages. */
  total: number;
}

export async function searchCatalog(db: Pick<Database, 'select'>, request: CatalogQuery): Promise<CatalogPage> {
  const limit = Math.min(Math.max(Math.trunc(request.limit), 1), MAX_CATALOG_PAGE);
  const offset = Math.max(Math.trunc(request.offset), 0);
  const text = request.query?.trim().replace(/\s+/g, ' ').slice(0, 200) || undefined;
  const tsQuery = text === undefined ? undefined : sql`websearch_to_tsquery('simple', ${text})`;

  const filters: SQL[] = [inArray(products.status, [...CATALOG_VISIBLE_STATUSES]), isNull(products.deletedAt)];
  if (request.categoryId !== undefined) filters.push(eq(products.categoryId, request.categoryId));
  if (request.sellerId !== undefined) filters.push(eq(products.sellerId, request.sellerId));
  if (request.minStars !== undefined) filters.push(gte(products.priceStars, request.minStars));
  if (request.maxStars !== undefined) filters.push(lte(products.priceStars, request.maxStars));
  if (text !== undefined) filters.push(sql`(${products.searchVector} @@ ${tsQuery} or ${text} <% ${products.title})`);
  const where = and(...filters);

  const newest = [desc(products.createdAt), desc(products.id)];
  const order: SQL[] =
    request.sort === 'popular'
      ? [desc(products.salesCount), desc(products.viewsCount), ...newest]
      : request.sort === 'price'
        ? [sql`${products.priceStars} asc nulls last`, asc(products.currency), asc(products.priceMinor), ...newest]
        : request.sort === 'relevance' && text !== undefined
          ? [
              sql`ts_rank(${products.searchVector}, ${tsQuery}) desc`,
              sql`word_similarity(${text}, ${products.title}) desc`,
              ...newest,
            ]
          : newest;

  const rows = await db
    .select({
      id: products.id,
      sellerId: products.sellerId,
      title: products.title,
      description: products.description,
      categoryId: products.categoryId,
      priceMinor: products.priceMinor,
      currency: products.currency,
      priceStars: products.priceStars,
      salesCount: products.salesCount,
      viewsCount: products.viewsCount,
      ratingSum: products.ratingSum,
      ratingCount: products.ratingCount,
      // Written out: drizzle leaves columns unqualified in a one-table select, which a subquery would misread.
      coverObjectKey: sql<string | null>`(select cover.object_key from product_files cover
        where cover.product_id = products.id and cover.role = 'cover' and cover.state = 'stored'
        order by cover.created_at desc limit 1)`,
      createdAt: products.createdAt,
      total: sql<number>`(count(*) over ())::int`,
    })
    .from(products)
    .where(where)
    .orderBy(...order)
    .limit(limit)
    .offset(offset);

  let total = rows[0]?.total ?? 0;
  // A page past the end has no row to carry the count.
  if (rows.length === 0 && offset > 0) {
    const [counted] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(products)
      .where(where);
    total = counted?.n ?? 0;
  }
  return {
    items: rows.map(({ total: _total, currency, ...item }) => ({
      ...item,
      currency: currency as ProductCurrency | null,
    })),
    total,
  };
}

/** What a buyer typed after /search: the words, and a Stars price range if one was among them. */
export interface SearchText {
  words: string;
  minStars?: number;
  maxStars?: number;
}

/** `100-500`, `100-` or `100+` (an optional ⭐ after it): the first such word is a Stars price range. */
const STARS_RANGE = /^(\d{1,5})(?:-(\d{1,5})?|\+)⭐?$/u;

/**
 * Splits `/search` text into words and a Stars range: "photoshop 100-500" → words "photoshop", 100..500
 * Stars. Bounds given the wrong way round are swapped. A lone number stays a word.
 */
export function parseSearchText(text: string): SearchText {
  const words: string[] = [];
  let range: { minStars?: number; maxStars?: number } | undefined;
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const match = range ? null : STARS_RANGE.exec(word);
    if (!match) {
      words.push(word);
      continue;
    }
    const low = Number(match[1]);
    const high = match[2] === undefined ? undefined : Number(match[2]);
    range = high === undefined ? { minStars: low } : { minStars: Math.min(low, high), maxStars: Math.max(low, high) };
  }
  return { words: words.join(' '), ...range };
}
