/**
 * `npm run bench:download`: a buyer's download through the api (`GET /download/:token`, streamed from
 * S3 at constant memory) against a direct GET of the same object from the same S3 server (versitygw),
 * one download alone and several at once. Reports throughput and the api process's RSS growth (peak
 * over idle; the real api runs as its own process, VmRSS read from /proc every 100 ms plus the kernel's
 * peak), like bench/upload-memory.ts.
 *
 * Options: --size (default 1GiB; KiB/MiB/GiB), --concurrency (default 4). The environment may set
 * DATABASE_URL. The rows are inserted directly (a seller with a shop, a stored product file, one paid
 * order per buyer), as the download tests do; rows, object and bucket are removed at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DeleteBucketCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { inArray } from 'drizzle-orm';
import { newProductId, objectKeyFor } from '../domain/product';
import { createDatabase } from '../infrastructure/db/client';
import { downloadTokens, orders, productFiles, products, sellers, users } from '../infrastructure/db/schema';
import { issueDownloadToken } from '../infrastructure/downloads/tokens';
import { createS3Client } from '../infrastructure/storage/s3';
import { freePort } from '../infrastructure/toolchain/services';
import { benchServices } from './services';
import { byteSize, idleRss, MIB, SAMPLE_MS, sampled, stopChild, withoutWebhook } from './process-memory';

const { values: args } = parseArgs({
  options: { size: { type: 'string', default: '1GiB' }, concurrency: { type: 'string', default: '4' } },
});
const fileBytes = byteSize(args.size);
const concurrency = Number(args.concurrency);
if (fileBytes < MIB || !Number.isInteger(concurrency) || concurrency < 1)
  throw new Error('--size must be at least 1MiB and --concurrency a whole number > 0');

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const BUCKET = 'bench-downloads';
/** Upload parts: generated one at a time, so the bench holds one part, never the whole file. */
const PART_BYTES = 16 * MIB;

/** GETs a URL and counts the body's bytes, keeping none (node:http: no web-stream overhead on either path). */
function download(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () =>
        response.statusCode === 200 || response.statusCode === 206
          ? resolve(bytes)
          : reject(new Error(`GET ${url.slice(0, 80)}: ${response.statusCode}`)),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

const services = benchServices('download');

interface Case {
  name: string;
  downloads: number;
  seconds: number;
  idle: number;
  peak: number;
}
let cases: Case[] = [];

try {
  const { temporal, s3, pg, s3Config, storage } = await services.start(BUCKET);

  // The rows a purchase leaves behind: a seller with a shop, an active product with its stored file,
  // and one paid order per buyer (each buyer claims under their own lock, as real buyers do).
  const database = createDatabase(pg.url, { max: 2 });
  const { db } = database;
  const sellerId = randomInt(100_000_000, 2_000_000_000);
  const buyerIds = Array.from({ length: concurrency + 2 }, (_, i) => sellerId + 1 + i);
  const productId = newProductId();
  const objectKey = objectKeyFor(sellerId, 'file');
  services.onStop({
    stop: async () => {
      await storage.remove(objectKey).catch(() => {});
      const client = createS3Client(s3Config);
      await client.send(new DeleteBucketCommand({ Bucket: BUCKET })).finally(() => client.destroy());
      storage.close();
      // Children first (foreign keys); the fresh database is dropped too, but DATABASE_URL may be shared.
      const allUsers = [sellerId, ...buyerIds];
      await db.delete(downloadTokens).where(inArray(downloadTokens.buyerId, buyerIds));
      await db.delete(orders).where(inArray(orders.buyerId, buyerIds));
      await db.delete(productFiles).where(inArray(productFiles.productId, [productId]));
      await db.delete(products).where(inArray(products.id, [productId]));
      await db.delete(sellers).where(inArray(sellers.userId, [sellerId]));
      await db.delete(users).where(inArray(users.id, allUsers));
      await database.close();
    },
  });
  await db
    .insert(users)
    .values([sellerId, ...buyerIds].map((id) => ({ id, firstName: 'Bench', referralCode: `bd${id}` })));
  await db.insert(sellers).values({
    userId: sellerId,
    displayName: 'Bench shop',
    shopSlug: `bench-${sellerId}`,
    termsAcceptedAt: new Date(),
  });
  await db
    .insert(products)
    .values({ id: productId, sellerId, title: 'Bench file', categoryId: 'other', priceStars: 10, status: 'active' });

  // The object: a multipart upload of generated parts (a random MiB, each copy stamped with its offset).
  const template = randomBytes(MIB);
  const uploadId = await storage.startMultipart(objectKey, 'application/octet-stream');
  const parts: Array<{ partNumber: number; etag: string }> = [];
  for (let offset = 0, n = 1; offset < fileBytes; offset += PART_BYTES, n++) {
    const body = Buffer.allocUnsafe(Math.min(PART_BYTES, fileBytes - offset));
    for (let at = 0; at < body.length; at += MIB) {
      template.copy(body, at);
      if (body.length - at >= 16) body.writeBigUInt64BE(BigInt(offset + at), at + 8);
    }
    const { ETag } = await storage.client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: objectKey, UploadId: uploadId, PartNumber: n, Body: body }),
    );
    parts.push({ partNumber: n, etag: ETag ?? '' });
  }
  await storage.completeMultipart(objectKey, uploadId, parts);
  const stored = await storage.head(objectKey);
  if (stored?.size !== fileBytes) throw new Error(`stored ${stored?.size} bytes, not ${fileBytes}`);
  await db.insert(productFiles).values({
    id: randomUUID(),
    productId,
    role: 'file',
    objectKey,
    sizeBytes: fileBytes,
    contentType: 'application/octet-stream',
    originalName: 'bench.bin',
    state: 'stored',
  });
  const orderIds = buyerIds.map(() => `o${randomUUID().replaceAll('-', '').slice(0, 16)}`);
  await db.insert(orders).values(
    buyerIds.map((buyerId, i) => ({
      id: orderIds[i]!,
      buyerId,
      productId,
      sellerId,
      rail: 'stars' as const,
      priceStars: 10,
      status: 'paid' as const,
      paidAt: new Date(),
    })),
  );
  const tokenFor = async (i: number) =>
    (await issueDownloadToken(db, { buyerId: buyerIds[i]!, orderId: orderIds[i]!, ttlMs: 3_600_000 })).token;

  // The real api in its own process (node --import tsx, not the tsx wrapper: /proc/<pid> is the api).
  const apiPort = await freePort();
  const api = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...withoutWebhook(process.env),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporal.address,
      TELEGRAM_BOT_TOKEN: '100001:bench-download-token-not-secret',
      TELEGRAM_WEBHOOK_SECRET: 'bench-webhook-secret',
      PAYMENT_RAILS: 'stars',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      DOWNLOAD_DELIVERY: 'stream',
      // The default (10 an hour) would refuse a bench that downloads again; each buyer claims twice here.
      DOWNLOADS_PER_HOUR: '1000',
    },
  });
  let apiErrors = '';
  api.stderr?.on('data', (chunk: Buffer) => (apiErrors = (apiErrors + chunk.toString()).slice(-4000)));
  services.onStop({ stop: () => stopChild(api) });
  const pid = api.pid!;
  const base = `http://127.0.0.1:${apiPort}`;
  for (const deadline = Date.now() + 60_000; ;) {
    if (api.exitCode !== null) throw new Error(`the api exited with code ${api.exitCode}\n${apiErrors}`);
    if (Date.now() > deadline) throw new Error(`the api did not answer /health within 60 s\n${apiErrors}`);
    const up = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  // Warm-up: the route, its queries and the api's S3 client once (a 1 MiB range of a fresh token, which
  // claims it), so lazily loaded code and connection pools are in place before idle is measured.
  const warmToken = await tokenFor(concurrency + 1);
  if ((await download(`${base}/download/${warmToken}`, { range: `bytes=0-${MIB - 1}` })) !== MIB)
    throw new Error('the warm-up range did not return 1 MiB');

  /** `n` downloads at once from `urls()`, each read fully; throws unless every one is the whole file. */
  const measure = async (name: string, n: number, urls: () => Promise<string[]>) => {
    const list = await urls();
    const idle = await idleRss(pid);
    const t0 = performance.now();
    const { result, peak } = await sampled(pid, () => Promise.all(list.map((url) => download(url))));
    const seconds = (performance.now() - t0) / 1000;
    for (const bytes of result) if (bytes !== fileBytes) throw new Error(`${name}: ${bytes} bytes, not ${fileBytes}`);
    cases.push({ name, downloads: n, seconds, idle, peak });
  };
  const direct = (n: number) => () =>
    Promise.all(Array.from({ length: n }, () => storage.presignGet(objectKey, { expiresIn: 3600 })));
  // Buyer i downloads in the 1× case, buyers 0..n-1 in the n× case: each claim is a fresh token.
  const viaApi = (n: number, first: number) => () =>
    Promise.all(Array.from({ length: n }, async (_, i) => `${base}/download/${await tokenFor(first + i)}`));

  // Per level, the direct GET first: the page cache then holds the object for both (fair to the api).
  await measure('S3 direct (presigned GET)', 1, direct(1));
  await measure('api GET /download/:token', 1, viaApi(1, concurrency));
  if (concurrency > 1) {
    await measure('S3 direct (presigned GET)', concurrency, direct(concurrency));
    await measure('api GET /download/:token', concurrency, viaApi(concurrency, 0));
  }
} catch (error) {
  cases = [];
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await services.stop();
}

if (cases.length > 0) {
  const mib = (n: number) => (n / MIB).toFixed(1);
  const size = fileBytes >= 2 ** 30 ? `${(fileBytes / 2 ** 30).toFixed(2)} GiB` : `${mib(fileBytes)} MiB`;
  console.log(
    `\nDownloads of a ${size} object from versitygw, bodies read fully and counted; api RSS sampled every` +
      ` ${SAMPLE_MS} ms plus the kernel's peak (Node ${process.version}):\n`,
  );
  console.log(
    '| case | downloads | time s | total MiB/s | per download MiB/s | api idle RSS MiB | api RSS growth MiB |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const c of cases) {
    const total = (c.downloads * fileBytes) / c.seconds;
    console.log(
      `| ${c.name} | ${c.downloads} | ${c.seconds.toFixed(1)} | ${mib(total)} | ${mib(total / c.downloads)} | ${mib(c.idle)} | ${mib(c.peak - c.idle)} |`,
    );
  }
}
process.exit();
