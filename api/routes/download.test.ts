/**
 * GET /download/:token over HTTP with the real PostgreSQL and the real S3-compatible server: the
 * exact bytes and headers, single use, expiry, ownership, the sliding hourly rate, and Range
 * requests that resume a download within the token's life.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { eq, sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newProductId, objectKeyFor } from '../../domain/product';
import { createDatabase } from '../../infrastructure/db/client';
import { downloadTokens, orders, productFiles, products, sellers, users } from '../../infrastructure/db/schema';
import { DownloadError, hashDownloadToken, issueDownloadToken } from '../../infrastructure/downloads/tokens';
import { contentDisposition } from '../../infrastructure/storage/content-disposition';
import { createObjectStorage, type ObjectStorage } from '../../infrastructure/storage/s3';
import { eventually } from '../../test/eventually';
import { downloadRoutes } from './download';

const MIB = 2 ** 20;
const TTL_MS = 300_000;
const database = createDatabase(inject('databaseUrl'));
const db = database.db;
/** Read by the route on every request: a test switches delivery to presigned. */
const config = { downloads: { tokenTtlMs: TTL_MS, perHour: 10, delivery: 'stream' as 'stream' | 'presigned' } };
let storage: ObjectStorage;
let app: FastifyInstance;
let base: string;
let sellerId: number;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function user(firstName: string) {
  const id = randomInt(100_000_000, 2_000_000_000);
  await db.insert(users).values({ id, firstName, referralCode: `d${id}` });
  return id;
}

/** A stored product file with these bytes under this name. */
async function product(bytes: Buffer, originalName: string, contentType = 'application/pdf') {
  const id = newProductId();
  await db
    .insert(products)
    .values({ id, sellerId, title: 'Report', categoryId: 'courses', priceStars: 50, status: 'active' });
  const objectKey = objectKeyFor(sellerId, 'file');
  await storage.client.send(
    new PutObjectCommand({ Bucket: storage.bucket, Key: objectKey, Body: bytes, ContentType: contentType }),
  );
  await db.insert(productFiles).values({
    id: randomUUID(),
    productId: id,
    role: 'file',
    objectKey,
    sizeBytes: bytes.length,
    contentType,
    originalName,
    state: 'stored',
  });
  return id;
}

async function order(buyerId: number, productId: string, fields: Partial<typeof orders.$inferInsert> = {}) {
  const id = `o${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await db.insert(orders).values({
    id,
    buyerId,
    productId,
    sellerId,
    rail: 'stars',
    priceStars: 50,
    status: 'delivered',
    paidAt: new Date(),
    ...fields,
  });
  return id;
}

const issue = async (buyerId: number, orderId: string) =>
  (await issueDownloadToken(db, { buyerId, orderId, ttlMs: TTL_MS })).token;

async function get(token: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(`${base}/download/${token}`, { method, headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body };
}
const jsonOf = (body: Buffer) => JSON.parse(body.toString('utf8')) as { ok: boolean; error: string; reason: string };

let file: Buffer;
const opened: Readable[] = [];
let fileProduct: string;
const fileName = 'Отчёт "Q1" (final).pdf';

beforeAll(async () => {
  const s3 = inject('s3');
  storage = createObjectStorage({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: `downloads-${randomUUID().slice(0, 8)}`,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    abortIncompleteAfterDays: 2,
  });
  await storage.setupBucket({ corsOrigins: ['https://miniapp.example'] });
  sellerId = await user('Seller');
  await db
    .insert(sellers)
    .values({ userId: sellerId, displayName: 'Shop', shopSlug: `dl-${sellerId}`, termsAcceptedAt: new Date() });
  file = randomBytes(3 * MIB + 123);
  fileProduct = await product(file, fileName);
  app = Fastify();
  // The route's S3 bodies, kept to see that an abandoned one is destroyed.
  const tracked = {
    presignGet: storage.presignGet,
    getStream: async (key: string, range?: string) => {
      const object = await storage.getStream(key, range);
      if (object) opened.push(object.body);
      return object;
    },
  };
  await app.register(downloadRoutes, { db, storage: tracked, config });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  storage?.close();
  await database.close();
});

describe('GET /download/:token', () => {
  it('streams the exact bytes with their headers once; the token is stored only as its hash; a second GET is 410', async () => {
    const buyer = await user('Buyer');
    const orderId = await order(buyer, fileProduct);
    const token = await issue(buyer, orderId);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await db.select().from(downloadTokens).where(eq(downloadTokens.orderId, orderId));
    expect(row).toMatchObject({ tokenHash: hashDownloadToken(token), buyerId: buyer, claimedAt: null });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBeGreaterThan(TTL_MS - 1000);

    // HEAD tells the size and claims nothing.
    const head = await get(token, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(file.length));

    const first = await get(token);
    expect(first.status).toBe(200);
    expect(sha256(first.body)).toBe(sha256(file));
    expect(first.headers.get('content-length')).toBe(String(file.length));
    expect(first.headers.get('content-type')).toBe('application/pdf');
    expect(first.headers.get('content-disposition')).toBe(contentDisposition(fileName));
    expect(first.headers.get('accept-ranges')).toBe('bytes');
    expect(first.headers.get('cache-control')).toBe('private, no-store');
    const [counted] = await db.select().from(orders).where(eq(orders.id, orderId));
    expect(counted!.downloadCount).toBe(1);
    expect(counted!.lastDownloadAt).toBeInstanceOf(Date);

    const second = await get(token);
    expect(second.status).toBe(410);
    expect(jsonOf(second.body)).toMatchObject({ ok: false, reason: 'gone' });
    expect(jsonOf(second.body).error).toMatch(/already used/);
    expect((await db.select().from(orders).where(eq(orders.id, orderId)))[0]!.downloadCount).toBe(1);
  });

  it('with presigned delivery, the same checks end in a redirect to a short-lived presigned GET; a second use is 410', async () => {
    config.downloads.delivery = 'presigned';
    try {
      const buyer = await user('Buyer');
      const orderId = await order(buyer, fileProduct);
      const token = await issue(buyer, orderId);
      const first = await fetch(`${base}/download/${token}`, { redirect: 'manual' });
      expect(first.status).toBe(302);
      const location = first.headers.get('location')!;
      expect(location).toContain('X-Amz-Expires=60');
      const fromStorage = await fetch(location);
      expect(sha256(Buffer.from(await fromStorage.arrayBuffer()))).toBe(sha256(file));
      expect(fromStorage.headers.get('content-disposition')).toBe(contentDisposition(fileName));
      expect((await db.select().from(orders).where(eq(orders.id, orderId)))[0]!.downloadCount).toBe(1);
      expect((await fetch(`${base}/download/${token}`, { redirect: 'manual' })).status).toBe(410);
    } finally {
      config.downloads.delivery = 'stream';
    }
  });

  it('of two racing GETs for one token exactly one gets the file', async () => {
    const buyer = await user('Buyer');
    const token = await issue(buyer, await order(buyer, fileProduct));
    const statuses = (await Promise.all([get(token), get(token)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 410]);
  });

  it('serves a Range as 206; Range requests resume the claimed download within its life, a plain GET does not', async () => {
    const buyer = await user('Buyer');
    const orderId = await order(buyer, fileProduct);
    const token = await issue(buyer, orderId);
    const part = await get(token, { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${file.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(part.body.equals(file.subarray(1000, 2000))).toBe(true);

    // The connection broke: the download manager resumes from byte 2000, then asks for the tail.
    const rest = await get(token, { range: 'bytes=2000-' });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 2000-${file.length - 1}/${file.length}`);
    expect(sha256(Buffer.concat([part.body, rest.body]))).toBe(sha256(file.subarray(1000)));
    const tail = await get(token, { range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(file.subarray(file.length - 100))).toBe(true);

    expect((await get(token)).status).toBe(410);
    // A resume is the same download: counted once.
    expect((await db.select().from(orders).where(eq(orders.id, orderId)))[0]!.downloadCount).toBe(1);
  });

  it('answers 416 to a range past the end without spending the token', async () => {
    const buyer = await user('Buyer');
    const token = await issue(buyer, await order(buyer, fileProduct));
    const bad = await get(token, { range: `bytes=${file.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${file.length}`);
    const full = await get(token);
    expect(full.status).toBe(200);
    expect(sha256(full.body)).toBe(sha256(file));
  });

  it('an expired token is 410, also for a Range; an unknown or malformed one is 404', async () => {
    const buyer = await user('Buyer');
    const orderId = await order(buyer, fileProduct);
    const token = await issue(buyer, orderId);
    await db
      .update(downloadTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(downloadTokens.tokenHash, hashDownloadToken(token)));
    const expired = await get(token);
    expect(expired.status).toBe(410);
    expect(jsonOf(expired.body).error).toMatch(/expired/);
    expect((await get(token, { range: 'bytes=0-9' })).status).toBe(410);
    expect((await get(token, {}, 'HEAD')).status).toBe(410);

    const unknown = await get(randomBytes(32).toString('base64url'));
    expect(unknown.status).toBe(404);
    expect(jsonOf(unknown.body)).toMatchObject({ ok: false, reason: 'unknown' });
    expect((await get('not-a-token')).status).toBe(404);
  });

  it("refuses a token for someone else's order or one not owned (403), and a claim after a refund", async () => {
    const buyer = await user('Buyer');
    const other = await user('Other');
    const othersOrder = await order(other, fileProduct);
    const refusal = await issue(buyer, othersOrder).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DownloadError);
    expect(refusal).toMatchObject({ reason: 'not_owner', status: 403 });
    const unpaid = await order(buyer, fileProduct, { status: 'awaiting_payment', paidAt: null });
    await expect(issue(buyer, unpaid)).rejects.toMatchObject({ status: 403 });
    await expect(issue(buyer, 'o-no-such-order')).rejects.toMatchObject({ status: 403 });

    const owned = await order(buyer, fileProduct);
    const token = await issue(buyer, owned);
    await db.update(orders).set({ status: 'refunded' }).where(eq(orders.id, owned));
    const refunded = await get(token);
    expect(refunded.status).toBe(403);
    expect(jsonOf(refunded.body).reason).toBe('not_owner');
  });

  it('the 11th download within a sliding hour is 429 with Retry-After until the oldest leaves the window', async () => {
    const small = randomBytes(1024);
    const smallProduct = await product(small, 'notes.txt', 'text/plain');
    const buyer = await user('Buyer');
    const orderId = await order(buyer, smallProduct);
    for (let i = 0; i < 10; i++) {
      const got = await get(await issue(buyer, orderId));
      expect(got.status, `download ${i + 1}`).toBe(200);
    }
    const eleventh = await issue(buyer, orderId);
    const limited = await get(eleventh);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(jsonOf(limited.body).reason).toBe('rate_limited');
    expect(jsonOf(limited.body).error).toMatch(/at most 10 an hour; try again in 60 min/);
    // A refused claim spends nothing.
    const [unclaimed] = await db
      .select()
      .from(downloadTokens)
      .where(eq(downloadTokens.tokenHash, hashDownloadToken(eleventh)));
    expect(unclaimed!.claimedAt).toBeNull();

    // The oldest download was 59 minutes ago: a minute to wait.
    const oldest = sql`(select token_hash from download_tokens where buyer_id = ${buyer} and claimed_at is not null order by claimed_at limit 1)`;
    await db
      .update(downloadTokens)
      .set({ claimedAt: sql`now() - interval '59 minutes'` })
      .where(sql`${downloadTokens.tokenHash} = ${oldest}`);
    const soon = await get(eleventh);
    expect(soon.status).toBe(429);
    expect(Number(soon.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(Number(soon.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // It left the window: the same token works now.
    await db
      .update(downloadTokens)
      .set({ claimedAt: sql`now() - interval '61 minutes'` })
      .where(sql`${downloadTokens.tokenHash} = ${oldest}`);
    const allowed = await get(eleventh);
    expect(allowed.status).toBe(200);
    expect(allowed.body.equals(small)).toBe(true);
  });

  it('a client going away mid-download destroys the S3 body, unread; the download then resumes by Range', async () => {
    const big = randomBytes(32 * MIB);
    const bigProduct = await product(big, 'video.mp4', 'video/mp4');
    const buyer = await user('Buyer');
    const token = await issue(buyer, await order(buyer, bigProduct));
    const abort = new AbortController();
    const response = await fetch(`${base}/download/${token}`, { signal: abort.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    const received = Buffer.from(first.value);
    expect(received.length).toBeGreaterThan(0);
    const body = opened.at(-1)!;
    abort.abort();
    await eventually('the S3 body destroyed', () => body.destroyed);
    // Backpressure: the server never read the whole object into memory for a client that stopped reading.
    expect(body.readableEnded).toBe(false);

    const rest = await get(token, { range: `bytes=${received.length}-` });
    expect(rest.status).toBe(206);
    expect(sha256(Buffer.concat([received, rest.body]))).toBe(sha256(big));
  });
});
