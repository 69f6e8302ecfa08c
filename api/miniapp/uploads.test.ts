/**
 * The upload Mini App's signing API over HTTP, with genuinely signed initData, the real PostgreSQL and
 * the real S3-compatible server (versitygw): parts go from the "browser" (fetch PUTs to presigned URLs)
 * straight to storage; the api only signs, ties every upload to its seller, checks the declared size,
 * verifies the stored object at completion, and refuses executables by their first bytes.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../infrastructure/db/client';
import { productFiles, products, sellers, users } from '../../infrastructure/db/schema';
import { createObjectStorage, type ObjectStorage } from '../../infrastructure/storage/s3';
import { signInitData } from '../../test/init-data';
import { miniAppAuthPlugin } from './auth';
import { productRoutes } from './products';
import { IMAGE_MAX_BYTES, uploadRoutes } from './uploads';

const MIB = 2 ** 20;
const BOT_TOKEN = '777001:upload-test-token-abcdef';
const database = createDatabase(inject('databaseUrl'));
const db = database.db;
let storage: ObjectStorage;
let app: FastifyInstance;
let base: string;
/** Read by the routes on every call: a test turns reviews on. */
const config = { uploads: { maxBytes: 64 * MIB, partBytes: 5 * MIB, review: false } };

beforeAll(async () => {
  const s3 = inject('s3');
  storage = createObjectStorage({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: `uploads-${randomUUID().slice(0, 8)}`,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    abortIncompleteAfterDays: 2,
  });
  await storage.setupBucket({ corsOrigins: ['https://miniapp.example'] });
  app = Fastify();
  await app.register(
    async (api) => {
      await api.register(miniAppAuthPlugin, { botToken: BOT_TOKEN, maxAgeSeconds: 3600 });
      await api.register(productRoutes, { db, config, imageMaxBytes: IMAGE_MAX_BYTES });
      await api.register(uploadRoutes, { db, storage, config });
    },
    { prefix: '/miniapp/api' },
  );
  base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/miniapp/api`;
});
afterAll(async () => {
  await app?.close();
  storage?.close();
  await database.close();
});

async function seller() {
  const id = randomInt(100_000_000, 2_000_000_000);
  await db.insert(users).values({ id, firstName: 'Seller', referralCode: `s${id}` });
  await db
    .insert(sellers)
    .values({ userId: id, displayName: 'Shop', shopSlug: `shop-${id}`, termsAcceptedAt: new Date() });
  return { id, auth: `tma ${signInitData({ botToken: BOT_TOKEN, user: { id } })}` };
}

const call = async (auth: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

async function draft(auth: string) {
  const created = await call(auth, 'POST', '/products', {
    title: 'Lightroom presets',
    categoryId: 'templates',
    price: '15.00',
    currency: 'USD',
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return String(created.json.productId);
}

/** The browser's side: each part PUT to its presigned URL, the ETag kept. */
async function putParts(auth: string, upload: { uploadId: string; key: string }, parts: Buffer[], from = 1) {
  const done: Array<{ PartNumber: number; ETag: string }> = [];
  for (const [index, bytes] of parts.entries()) {
    const number = from + index;
    const signed = await call(
      auth,
      'GET',
      `/uploads/${upload.uploadId}/parts/${number}?key=${encodeURIComponent(upload.key)}`,
    );
    expect(signed.status, JSON.stringify(signed.json)).toBe(200);
    const put = await fetch(String(signed.json.url), { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    done.push({ PartNumber: number, ETag: put.headers.get('etag')! });
  }
  return done;
}

describe('upload signing', () => {
  it('a seller uploads a file in parts straight to storage; an interrupted upload resumes from its stored parts', async () => {
    const { auth } = await seller();
    const productId = await draft(auth);
    const file = randomBytes(12 * MIB);
    const parts = [file.subarray(0, 5 * MIB), file.subarray(5 * MIB, 10 * MIB), file.subarray(10 * MIB)];
    const declared = { productId, fileName: 'presets.zip', size: file.length, contentType: 'application/zip' };
    const started = await call(auth, 'POST', '/uploads', declared);
    expect(started.status).toBe(201);
    const upload = { uploadId: String(started.json.uploadId), key: String(started.json.key) };
    expect(upload.key).not.toContain('presets');
    const first = await putParts(auth, upload, [parts[0]!]);

    // The page reloads: the same file gets the same upload back, and the stored part is listed.
    const again = await call(auth, 'POST', '/uploads', declared);
    expect(again.json).toMatchObject({ uploadId: upload.uploadId, key: upload.key, resumed: true });
    const listed = await call(auth, 'GET', `/uploads/${upload.uploadId}/parts?key=${encodeURIComponent(upload.key)}`);
    expect(listed.json.parts).toEqual([{ PartNumber: 1, Size: 5 * MIB, ETag: first[0]!.ETag }]);
    const rest = await putParts(auth, upload, parts.slice(1), 2);

    const completed = await call(
      auth,
      'POST',
      `/uploads/${upload.uploadId}/complete?key=${encodeURIComponent(upload.key)}`,
      {
        parts: [...first, ...rest],
      },
    );
    expect(completed.status, JSON.stringify(completed.json)).toBe(200);
    expect((await storage.head(upload.key))?.size).toBe(file.length);
    const [row] = await db.select().from(productFiles).where(eq(productFiles.objectKey, upload.key));
    expect(row).toMatchObject({ state: 'stored', sizeBytes: file.length, originalName: 'presets.zip', uploadId: null });
  });

  it("another seller's upload id or key, a size over the limit, forged initData or no shop: refused, nothing stored", async () => {
    const owner = await seller();
    const other = await seller();
    const productId = await draft(owner.auth);
    const started = await call(owner.auth, 'POST', '/uploads', { productId, fileName: 'a.pdf', size: 6 * MIB });
    const upload = { uploadId: String(started.json.uploadId), key: String(started.json.key) };
    const q = `?key=${encodeURIComponent(upload.key)}`;
    expect((await call(other.auth, 'GET', `/uploads/${upload.uploadId}/parts/1${q}`)).status).toBe(404);
    expect((await call(other.auth, 'GET', `/uploads/${upload.uploadId}/parts${q}`)).status).toBe(404);
    // The other seller's own upload id with the owner's key.
    const theirs = await call(other.auth, 'POST', '/uploads', {
      productId: await draft(other.auth),
      fileName: 'b.pdf',
      size: MIB,
    });
    expect((await call(other.auth, 'GET', `/uploads/${String(theirs.json.uploadId)}/parts/1${q}`)).status).toBe(404);
    // A part beyond what the declared size needs.
    expect((await call(owner.auth, 'GET', `/uploads/${upload.uploadId}/parts/3${q}`)).status).toBe(400);
    // Someone else's product, and a size over the limit.
    expect((await call(other.auth, 'POST', '/uploads', { productId, fileName: 'c.pdf', size: MIB })).status).toBe(404);
    const tooBig = await call(owner.auth, 'POST', '/uploads', { productId, fileName: 'big.iso', size: 65 * MIB });
    expect(tooBig.status).toBe(413);
    expect(String(tooBig.json.error)).toMatch(/limit/);
    // Forged and stale initData; a user without a shop.
    const forged = `tma ${signInitData({ botToken: '777002:another-bots-token', user: { id: owner.id } })}`;
    expect((await call(forged, 'POST', '/uploads', { productId, fileName: 'd.pdf', size: MIB })).status).toBe(401);
    const stale = `tma ${signInitData({ botToken: BOT_TOKEN, user: { id: owner.id }, authDate: new Date(Date.now() - 2 * 3600_000) })}`;
    expect((await call(stale, 'GET', `/uploads/${upload.uploadId}/parts${q}`)).status).toBe(401);
    const noShop = `tma ${signInitData({ botToken: BOT_TOKEN, user: { id: randomInt(100_000_000, 2_000_000_000) } })}`;
    expect((await call(noShop, 'POST', '/products', { title: 'x', categoryId: 'other', priceStars: 5 })).status).toBe(
      403,
    );
    const rows = await db.select().from(productFiles).where(eq(productFiles.productId, productId));
    expect(rows.map((r) => r.originalName)).toEqual(['a.pdf']);
  });

  it('an ELF binary renamed .pdf is refused by its first bytes, deleted from storage, and the seller told why', async () => {
    const { auth } = await seller();
    const productId = await draft(auth);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), randomBytes(64 * 1024)]);
    const started = await call(auth, 'POST', '/uploads', {
      productId,
      fileName: 'guide.pdf',
      size: elf.length,
      contentType: 'application/pdf',
    });
    const upload = { uploadId: String(started.json.uploadId), key: String(started.json.key) };
    const parts = await putParts(auth, upload, [elf]);
    const completed = await call(
      auth,
      'POST',
      `/uploads/${upload.uploadId}/complete?key=${encodeURIComponent(upload.key)}`,
      {
        parts,
      },
    );
    expect(completed.status).toBe(422);
    expect(String(completed.json.error)).toMatch(/refused: .*ELF/i);
    expect(await storage.head(upload.key)).toBeUndefined();
    const [row] = await db.select().from(productFiles).where(eq(productFiles.objectKey, upload.key));
    expect(row).toMatchObject({ state: 'refused' });
  });
});

/** Uploads one small file of the given role to the product and completes it. */
async function storedFile(auth: string, productId: string, role: 'file' | 'cover', bytes: Buffer) {
  const started = await call(auth, 'POST', '/uploads', {
    productId,
    role,
    fileName: `${role}.bin`,
    size: bytes.length,
  });
  const upload = { uploadId: String(started.json.uploadId), key: String(started.json.key) };
  const parts = await putParts(auth, upload, [bytes]);
  const done = await call(auth, 'POST', `/uploads/${upload.uploadId}/complete?key=${encodeURIComponent(upload.key)}`, {
    parts,
  });
  expect(done.status, JSON.stringify(done.json)).toBe(200);
  return { ...upload, replaced: done.json.replaced };
}

describe('product form', () => {
  it('the session names the shop, the categories in the user language and the limits', async () => {
    const { id } = await seller();
    const auth = `tma ${signInitData({ botToken: BOT_TOKEN, user: { id, language_code: 'ru' } })}`;
    const session = await call(auth, 'GET', '/session');
    expect(session.json).toMatchObject({
      shop: { slug: `shop-${id}` },
      limits: { fileMaxBytes: 64 * MIB, partBytes: 5 * MIB },
      review: false,
    });
    expect(session.json.categories).toContainEqual({ id: 'courses', name: 'Курсы' });
  });

  it('a product is edited by its seller only, published once its file is stored, and a new file replaces the old', async () => {
    const owner = await seller();
    const other = await seller();
    const productId = await draft(owner.auth);
    const edited = await call(owner.auth, 'PATCH', `/products/${productId}`, {
      title: '  New  title ',
      priceStars: 90,
    });
    expect(edited.json.product).toMatchObject({
      title: 'New title',
      priceMinor: '1500',
      currency: 'USD',
      priceStars: 90,
    });
    expect((await call(owner.auth, 'PATCH', `/products/${productId}`, { price: '1.234' })).status).toBe(400);
    expect((await call(owner.auth, 'PATCH', `/products/${productId}`, { categoryId: 'nope' })).status).toBe(400);
    const newCurrency = await call(owner.auth, 'PATCH', `/products/${productId}`, { currency: 'EUR' });
    expect(newCurrency).toMatchObject({ status: 400, json: { error: 'a new currency needs its price' } });
    expect((await call(other.auth, 'PATCH', `/products/${productId}`, { title: 'Mine now' })).status).toBe(404);
    expect((await call(other.auth, 'GET', `/products/${productId}`)).status).toBe(404);
    expect((await call(other.auth, 'POST', `/products/${productId}/publish`)).status).toBe(404);

    const noFile = await call(owner.auth, 'POST', `/products/${productId}/publish`);
    expect(noFile.status).toBe(409);
    const first = await storedFile(owner.auth, productId, 'file', randomBytes(1024));
    expect((await call(owner.auth, 'POST', `/products/${productId}/publish`)).json).toMatchObject({ status: 'active' });
    expect((await call(owner.auth, 'POST', `/products/${productId}/publish`)).json).toMatchObject({ status: 'active' });

    const second = await storedFile(owner.auth, productId, 'file', randomBytes(2048));
    expect(second.replaced).toBe(true);
    expect(await storage.head(first.key)).toBeUndefined();
    const shown = await call(owner.auth, 'GET', `/products/${productId}`);
    expect(shown.json.product).toMatchObject({ title: 'New title', status: 'active' });
    expect(shown.json.files).toEqual([expect.objectContaining({ role: 'file', size: 2048, state: 'stored' })]);
  });

  it('with reviews on, publishing and editing a live product put it in the review queue', async () => {
    const { auth } = await seller();
    const productId = await draft(auth);
    await storedFile(auth, productId, 'file', randomBytes(512));
    config.uploads.review = true;
    try {
      expect((await call(auth, 'POST', `/products/${productId}/publish`)).json).toMatchObject({
        status: 'pending_review',
      });
      await db.update(products).set({ status: 'active' }).where(eq(products.id, productId)); // an admin approved it
      const edited = await call(auth, 'PATCH', `/products/${productId}`, { description: 'Now with 40 presets' });
      expect(edited.json.product).toMatchObject({ status: 'pending_review', description: 'Now with 40 presets' });
      // Approved again, then the file is swapped: back to the queue; a new cover alone is not.
      await db.update(products).set({ status: 'active' }).where(eq(products.id, productId));
      await storedFile(auth, productId, 'cover', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(256)]));
      expect((await call(auth, 'GET', `/products/${productId}`)).json.product).toMatchObject({ status: 'active' });
      await storedFile(auth, productId, 'file', Buffer.concat([Buffer.from('PK'), randomBytes(640)]));
      expect((await call(auth, 'GET', `/products/${productId}`)).json.product).toMatchObject({
        status: 'pending_review',
      });
    } finally {
      config.uploads.review = false;
    }
  });

  it('a rejected product shows its reason, is edited and published again into the review queue, the reason cleared', async () => {
    const { auth } = await seller();
    const productId = await draft(auth);
    await storedFile(auth, productId, 'file', randomBytes(512));
    config.uploads.review = true;
    try {
      await call(auth, 'POST', `/products/${productId}/publish`);
      // An admin rejected it (bot/features/review.ts).
      await db
        .update(products)
        .set({ status: 'rejected', rejectionReason: 'The preview is missing.' })
        .where(eq(products.id, productId));
      expect((await call(auth, 'GET', `/products/${productId}`)).json.product).toMatchObject({
        status: 'rejected',
        rejectionReason: 'The preview is missing.',
      });
      const edited = await call(auth, 'PATCH', `/products/${productId}`, { description: 'Now with a preview' });
      expect(edited.json.product).toMatchObject({ status: 'rejected', description: 'Now with a preview' });
      expect((await call(auth, 'POST', `/products/${productId}/publish`)).json).toMatchObject({
        status: 'pending_review',
      });
      expect((await call(auth, 'GET', `/products/${productId}`)).json.product).toMatchObject({
        status: 'pending_review',
        rejectionReason: null,
      });
    } finally {
      config.uploads.review = false;
    }
  });
});
