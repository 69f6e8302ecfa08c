/**
 * The catalog read model's price range and orders on the real PostgreSQL (migrated by the global
 * setup). Other files share the database, so every query here is scoped to this file's own seller.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newProductId } from '../../domain/product';
import { createDatabase } from '../db/client';
import { products, sellers, users } from '../db/schema';
import { parseSearchText, searchCatalog, type CatalogQuery } from './catalog';

let database: ReturnType<typeof createDatabase>;
let sellerId: number;
const db = () => database.db;
/** This file's products by name. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  database = createDatabase(inject('databaseUrl'), { max: 2 });
  sellerId = randomInt(100_000_000, 2_000_000_000);
  await db()
    .insert(users)
    .values({ id: sellerId, firstName: 'Seller', referralCode: `r${sellerId}` });
  await db()
    .insert(sellers)
    .values({
      userId: sellerId,
      displayName: 'Range shop',
      shopSlug: `range-${sellerId}`,
      termsAcceptedAt: new Date(),
    });
  const start = Date.now() - 60_000;
  const rows = [
    { name: 'cheap', priceStars: 10, salesCount: 1, viewsCount: 100, categoryId: 'ebooks' },
    { name: 'middle', priceStars: 250, salesCount: 9, viewsCount: 5, categoryId: 'ebooks' },
    { name: 'upper', priceStars: 500, salesCount: 9, viewsCount: 50, categoryId: 'courses' },
    { name: 'dear', priceStars: 5000, salesCount: 0, viewsCount: 0, categoryId: 'ebooks' },
    // Fiat only: left out whenever a Stars range is asked for.
    { name: 'fiat', priceStars: null, salesCount: 3, viewsCount: 3, categoryId: 'ebooks' },
  ];
  for (const [index, row] of rows.entries()) {
    ids[row.name] = newProductId();
    await db()
      .insert(products)
      .values({
        id: ids[row.name]!,
        sellerId,
        title: `Guide ${row.name}`,
        categoryId: row.categoryId,
        priceStars: row.priceStars,
        ...(row.priceStars === null ? { priceMinor: 999n, currency: 'USD' } : {}),
        salesCount: row.salesCount,
        viewsCount: row.viewsCount,
        status: 'active',
        createdAt: new Date(start + index * 1000),
      });
  }
});
afterAll(async () => {
  await database?.close();
});

const names = async (query: Partial<CatalogQuery>) => {
  const page = await searchCatalog(db(), { sellerId, sort: 'new', limit: 50, offset: 0, ...query });
  const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
  return { names: page.items.map((item) => byId[item.id]), total: page.total };
};

describe('Stars price range', () => {
  it('keeps products whose Stars price is within the bounds (inclusive), never those without one', async () => {
    expect(await names({ minStars: 250, maxStars: 500 })).toEqual({ names: ['upper', 'middle'], total: 2 });
    expect((await names({ minStars: 501 })).names).toEqual(['dear']);
    expect((await names({ maxStars: 10 })).names).toEqual(['cheap']);
    expect((await names({ minStars: 1 })).names).toEqual(['dear', 'upper', 'middle', 'cheap']);
    expect((await names({})).names).toEqual(['fiat', 'dear', 'upper', 'middle', 'cheap']);
    expect(await names({ minStars: 6000 })).toEqual({ names: [], total: 0 });
  });

  it('combines with the category, the words and every order', async () => {
    expect((await names({ categoryId: 'ebooks', maxStars: 500 })).names).toEqual(['middle', 'cheap']);
    expect((await names({ query: 'guide', sort: 'relevance', minStars: 200, maxStars: 600 })).total).toBe(2);
    // Popular: most sales first, then most views.
    expect((await names({ sort: 'popular' })).names).toEqual(['upper', 'middle', 'fiat', 'cheap', 'dear']);
    expect((await names({ sort: 'popular', maxStars: 300 })).names).toEqual(['middle', 'cheap']);
    // Price: cheapest in Stars first, fiat-only last.
    expect((await names({ sort: 'price' })).names).toEqual(['cheap', 'middle', 'upper', 'dear', 'fiat']);
    expect((await names({ sort: 'price', minStars: 100 })).names).toEqual(['middle', 'upper', 'dear']);
    // A page at a time, the total over all of them.
    expect(await names({ sort: 'price', minStars: 100, limit: 1, offset: 1 })).toEqual({ names: ['upper'], total: 3 });
  });
});

describe('/search text', () => {
  it('splits the words from a Stars range: 100-500, 100-, 100+, with or without ⭐', () => {
    expect(parseSearchText('photoshop course 100-500')).toEqual({
      words: 'photoshop course',
      minStars: 100,
      maxStars: 500,
    });
    expect(parseSearchText('500-100 photoshop')).toEqual({ words: 'photoshop', minStars: 100, maxStars: 500 });
    expect(parseSearchText('course 100+')).toEqual({ words: 'course', minStars: 100 });
    expect(parseSearchText('course 100-')).toEqual({ words: 'course', minStars: 100 });
    expect(parseSearchText('  0-50⭐ ')).toEqual({ words: '', minStars: 0, maxStars: 50 });
    // Only the first range; a lone number and anything else stay words.
    expect(parseSearchText('10-20 30-40')).toEqual({ words: '30-40', minStars: 10, maxStars: 20 });
    expect(parseSearchText('windows 11 -beta')).toEqual({ words: 'windows 11 -beta' });
  });
});
