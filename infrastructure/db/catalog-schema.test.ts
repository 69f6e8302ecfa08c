/**
 * The marketplace tables on the real PostgreSQL (migrated by the global setup): seeded categories,
 * the price and format checks, full-text and trigram search through their GIN indexes, and the
 * catalog read model's visibility, filters, orders and pages. Other files share the database, so
 * every search here is scoped by a word only this run uses.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { eq, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCALES } from '../../bot/i18n';
import { newProductId, objectKeyFor } from '../../domain/product';
import { CATEGORIES, seedCategories } from '../catalog/categories';
import { searchCatalog } from '../read-models/catalog';
import { createDatabase } from './client';
import { categories, productFiles, products, sellers, users } from './schema';

let database: ReturnType<typeof createDatabase>;
let sellerId: number;
const db = () => database.db;
/** A word no other test uses, to scope searches. */
const word = () => `w${randomUUID().replaceAll('-', '').slice(0, 12)}`;

beforeAll(async () => {
  database = createDatabase(inject('databaseUrl'), { max: 4 });
  sellerId = randomInt(100_000_000, 2_000_000_000);
  await db()
    .insert(users)
    .values({ id: sellerId, firstName: 'Seller', referralCode: `s${sellerId}` });
  await db()
    .insert(sellers)
    .values({
      userId: sellerId,
      displayName: 'Pixel shop',
      shopSlug: `shop-${sellerId}`,
      termsAcceptedAt: new Date(),
    });
});
afterAll(async () => {
  await database?.close();
});

async function product(fields: Partial<typeof products.$inferInsert> = {}): Promise<string> {
  const id = newProductId();
  await db()
    .insert(products)
    .values({
      id,
      sellerId,
      title: 'A product',
      categoryId: 'software',
      priceStars: 100,
      status: 'active',
      ...fields,
    });
  return id;
}

/** The database's refusal (the constraint it names), or undefined when the insert went through. */
async function refusalOf(fields: Partial<typeof products.$inferInsert>): Promise<string | undefined> {
  try {
    await product(fields);
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: { constraint_name?: string } }).cause;
    return cause?.constraint_name ?? (error as Error).message;
  }
}

const ids = (page: { items: Array<{ id: string }> }) => page.items.map((item) => item.id);

describe('categories', () => {
  it('are the eleven seeded at migrate time, in order, named in every bot language', async () => {
    const rows = await db().select().from(categories).orderBy(categories.sortOrder);
    expect(rows).toHaveLength(11);
    expect(rows.map((row) => row.id)).toEqual(CATEGORIES.map((category) => category.id));
    for (const row of rows) {
      expect(Object.keys(row.names).sort(), row.id).toEqual([...LOCALES].sort());
      for (const locale of LOCALES) expect(row.names[locale].trim().length, `${row.id} ${locale}`).toBeGreaterThan(0);
    }
    expect(rows.find((row) => row.id === 'courses')?.names).toEqual({ en: 'Courses', ru: 'Курсы' });
  });

  it('seeding again changes nothing and restores names from the code', async () => {
    await db()
      .update(categories)
      .set({ names: { en: 'Changed', ru: 'Изменено' } })
      .where(eq(categories.id, 'other'));
    await seedCategories(db());
    await seedCategories(db());
    const rows = await db().select().from(categories);
    expect(rows).toHaveLength(11);
    expect(rows.find((row) => row.id === 'other')?.names).toEqual({ en: 'Other', ru: 'Другое' });
  });
});

describe('product constraints', () => {
  it('a product needs a price: fiat (with its currency), Stars, or both', async () => {
    expect(await refusalOf({ priceMinor: null, currency: null, priceStars: null })).toBe('products_has_price');
    expect(await refusalOf({ priceMinor: 500n, currency: null, priceStars: null })).toBe('products_fiat_price');
    expect(await refusalOf({ priceMinor: null, currency: 'USD', priceStars: 5 })).toBe('products_fiat_price');
    expect(await refusalOf({ priceMinor: 0n, currency: 'USD', priceStars: null })).toBe('products_fiat_price');
    expect(await refusalOf({ priceStars: 0 })).toBe('products_price_stars_range');
    expect(await refusalOf({ priceStars: 10_001 })).toBe('products_price_stars_range');
    expect(await refusalOf({ priceMinor: 500n, currency: 'USD', priceStars: null })).toBeUndefined();
    expect(await refusalOf({ priceMinor: 500n, currency: 'EUR', priceStars: 250 })).toBeUndefined();
  });

  it('refuses unknown statuses and categories, empty or long titles, and a bad shop slug', async () => {
    expect(await refusalOf({ status: 'published' as never })).toBe('products_status');
    expect(await refusalOf({ categoryId: 'nope' })).toBe('products_category_id_categories_id_fk');
    expect(await refusalOf({ title: '' })).toBe('products_title_length');
    expect(await refusalOf({ title: 'x'.repeat(101) })).toBe('products_title_length');
    expect(await refusalOf({ description: 'x'.repeat(4001) })).toBe('products_description_length');
    const userId = randomInt(100_000_000, 2_000_000_000);
    await db()
      .insert(users)
      .values({ id: userId, referralCode: `s${userId}` });
    await expect(
      db().insert(sellers).values({ userId, displayName: 'Bad', shopSlug: 'Bad_Slug', termsAcceptedAt: new Date() }),
    ).rejects.toMatchObject({ cause: { constraint_name: 'sellers_shop_slug_format' } });
    await expect(
      db()
        .insert(sellers)
        .values({ userId, displayName: 'Taken', shopSlug: `shop-${sellerId}`, termsAcceptedAt: new Date() }),
    ).rejects.toMatchObject({ cause: { constraint_name: 'sellers_shopSlug_unique' } });
  });

  it('object keys are unique across product files', async () => {
    const productId = await product();
    const objectKey = objectKeyFor(sellerId, 'file');
    const file = { productId, role: 'file' as const, objectKey, sizeBytes: 10, contentType: 'application/pdf' };
    await db()
      .insert(productFiles)
      .values({ ...file, id: randomUUID(), originalName: 'a.pdf' });
    await expect(
      db()
        .insert(productFiles)
        .values({ ...file, id: randomUUID(), originalName: 'b.pdf' }),
    ).rejects.toMatchObject({ cause: { constraint_name: 'product_files_objectKey_unique' } });
  });
});

describe('search', () => {
  it('full text finds a product by a word of its title or description, in any language', async () => {
    const tag = word();
    const photoshop = await product({ title: `Photoshop masterclass ${tag}`, description: 'Layers and masks' });
    const russian = await product({ title: `Курс по Фотошопу ${tag}`, description: 'Слои и маски' });
    const matches = async (query: string) =>
      (
        await db().execute<{ id: string }>(
          sql`select ${products.id} as id from ${products}
            where ${products.searchVector} @@ websearch_to_tsquery('simple', ${`${query} ${tag}`})`,
        )
      ).map((row) => row.id);
    expect(await matches('masterclass')).toEqual([photoshop]);
    expect(await matches('MASKS')).toEqual([photoshop]);
    expect(await matches('фотошопу')).toEqual([russian]);
    expect(await matches('маски')).toEqual([russian]);
    expect((await matches('layers -masks')).length).toBe(0);
    expect(ids(await searchCatalog(db(), { query: `masterclass ${tag}`, sort: 'new', limit: 10, offset: 0 }))).toEqual([
      photoshop,
    ]);
  });

  it('trigram similarity finds a misspelt title word ("photoshp" → "Photoshop")', async () => {
    const tag = word();
    const id = await product({ title: `Photoshop brushes ${tag}` });
    const found = await searchCatalog(db(), { query: 'photoshp', sort: 'relevance', limit: 100, offset: 0 });
    expect(ids(found)).toContain(id);
    // A misspelling of this run's own word finds only this product.
    const misspelt = tag.slice(0, 5) + tag.slice(6);
    expect(ids(await searchCatalog(db(), { query: misspelt, sort: 'relevance', limit: 100, offset: 0 }))).toEqual([id]);
    expect(ids(await searchCatalog(db(), { query: 'qqqzzzxxx', sort: 'new', limit: 100, offset: 0 }))).toEqual([]);
  });

  it('uses the GIN indexes for both', async () => {
    const plans = await db().transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const explain = async (query: SQL) =>
        (await tx.execute<{ 'QUERY PLAN': string }>(sql`explain ${query}`)).map((row) => row['QUERY PLAN']).join('\n');
      return [
        await explain(sql`select id from products where search_vector @@ websearch_to_tsquery('simple', 'photoshop')`),
        await explain(sql`select id from products where 'photoshp' <% title`),
      ];
    });
    expect(plans[0]).toContain('products_search_idx');
    expect(plans[1]).toContain('products_title_trgm_idx');
  });
});

describe('catalog read model', () => {
  it('shows only active products that are not deleted', async () => {
    const tag = word();
    const visible = await product({ title: `Visible ${tag}` });
    const deleted = await product({ title: `Deleted ${tag}` });
    await db().update(products).set({ deletedAt: new Date() }).where(eq(products.id, deleted));
    for (const status of ['draft', 'pending_review', 'hidden', 'rejected'] as const)
      await product({ title: `${status} ${tag}`, status });
    const page = await searchCatalog(db(), { query: tag, sort: 'new', limit: 50, offset: 0 });
    expect(ids(page)).toEqual([visible]);
    expect(page.total).toBe(1);
  });

  it('filters by category and orders by new, popular and price, a page at a time with the total', async () => {
    const tag = word();
    const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
    const old = await product({
      title: `Old ${tag}`,
      categoryId: 'ebooks',
      priceStars: 300,
      salesCount: 9,
      createdAt: at(1),
    });
    const mid = await product({
      title: `Mid ${tag}`,
      categoryId: 'ebooks',
      priceStars: 100,
      salesCount: 1,
      viewsCount: 50,
      createdAt: at(2),
    });
    const fresh = await product({
      title: `Fresh ${tag}`,
      categoryId: 'ebooks',
      priceStars: null,
      priceMinor: 199n,
      currency: 'USD',
      salesCount: 1,
      viewsCount: 5,
      createdAt: at(3),
    });
    const elsewhere = await product({ title: `Course ${tag}`, categoryId: 'courses', createdAt: at(4) });
    const search = (
      sort: 'new' | 'popular' | 'price',
      options: { categoryId?: string; limit?: number; offset?: number } = {},
    ) =>
      searchCatalog(db(), {
        query: tag,
        categoryId: options.categoryId,
        sort,
        limit: options.limit ?? 10,
        offset: options.offset ?? 0,
      });

    expect(ids(await search('new'))).toEqual([elsewhere, fresh, mid, old]);
    expect(ids(await search('new', { categoryId: 'ebooks' }))).toEqual([fresh, mid, old]);
    expect(ids(await search('popular', { categoryId: 'ebooks' }))).toEqual([old, mid, fresh]);
    expect(ids(await search('price', { categoryId: 'ebooks' }))).toEqual([mid, old, fresh]);

    const first = await search('new', { limit: 3 });
    expect(ids(first)).toEqual([elsewhere, fresh, mid]);
    expect(first.total).toBe(4);
    const second = await search('new', { limit: 3, offset: 3 });
    expect(ids(second)).toEqual([old]);
    expect(second.total).toBe(4);
    const past = await search('new', { limit: 3, offset: 9 });
    expect(past).toEqual({ items: [], total: 4 });
  });

  it('gives each item its stored cover and exact prices', async () => {
    const tag = word();
    const id = await product({ title: `Covered ${tag}`, priceMinor: 12_345n, currency: 'EUR', priceStars: 500 });
    const cover = (objectKey: string, state: 'uploading' | 'stored', createdAt: Date) =>
      db().insert(productFiles).values({
        id: randomUUID(),
        productId: id,
        role: 'cover',
        objectKey,
        sizeBytes: 1000,
        contentType: 'image/jpeg',
        originalName: 'cover.jpg',
        state,
        createdAt,
      });
    const stored = objectKeyFor(sellerId, 'cover');
    await cover(stored, 'stored', new Date(Date.now() - 1000));
    await cover(objectKeyFor(sellerId, 'cover'), 'uploading', new Date());
    const [item] = (await searchCatalog(db(), { query: tag, sort: 'new', limit: 1, offset: 0 })).items;
    expect(item).toMatchObject({ id, coverObjectKey: stored, priceMinor: 12_345n, currency: 'EUR', priceStars: 500 });
  });
});
