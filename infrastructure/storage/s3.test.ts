/**
 * The object-storage module against the real versitygw of the test setup: a browser-style multipart
 * upload through presigned part URLs (plain fetch PUTs, as the Mini App's Uppy sends them), listing,
 * completing, reading back, presigned downloads with the seller's file name, streams with ranges,
 * aborts, and the bucket setup (CORS really answered by the server; lifecycle where implemented).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { GetBucketCorsCommand, ListMultipartUploadsCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { objectKeyFor } from '../../domain/product';
import { loadConfig } from '../config';
import { contentDisposition } from './content-disposition';
import { CORS_RULE_ID, createObjectStorage, isStorageError, type ObjectStorage, type S3Config } from './s3';
import { setupStorage } from './setup';

const MIB = 2 ** 20;
const ORIGIN = 'https://shop.example.com';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const root = fileURLToPath(new URL('../..', import.meta.url));

let config: S3Config;
let storage: ObjectStorage;
const warnings: string[] = [];
const logger = { info: () => {}, warn: (_fields: object, message: string) => void warnings.push(message) };

function configFor(bucket: string): S3Config {
  const s3 = inject('s3');
  return {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    abortIncompleteAfterDays: 2,
  };
}

beforeAll(async () => {
  config = configFor(`catalog-${randomUUID().slice(0, 8)}`);
  storage = createObjectStorage(config, { logger: logger as never });
  await storage.setupBucket({ corsOrigins: [ORIGIN] });
});
afterAll(() => storage?.close());

/** Uploads `parts` the way the Mini App does: one presigned URL per part, a plain PUT, the ETag header kept. */
async function uploadParts(key: string, uploadId: string, parts: Uint8Array[]) {
  const uploaded: Array<{ partNumber: number; etag: string }> = [];
  for (const [index, bytes] of parts.entries()) {
    const url = await storage.presignPart(key, uploadId, index + 1, 300);
    const response = await fetch(url, { method: 'PUT', body: bytes, headers: { Origin: ORIGIN } });
    expect(response.status, await response.clone().text()).toBe(200);
    // The browser can read ETag only because the bucket's CORS rule exposes it.
    expect(response.headers.get('access-control-expose-headers')).toMatch(/etag/i);
    const etag = response.headers.get('etag');
    expect(etag).toBeTruthy();
    uploaded.push({ partNumber: index + 1, etag: etag! });
  }
  return uploaded;
}

describe('multipart uploads through presigned part URLs', () => {
  it('uploads parts with fetch, lists them over pages, completes, and reads the object back', async () => {
    const key = objectKeyFor(777, 'file');
    const parts = [randomBytes(5 * MIB), randomBytes(5 * MIB), randomBytes(2 * MIB + 123)];
    const whole = Buffer.concat(parts);
    const uploadId = await storage.startMultipart(key, 'application/pdf');
    const uploaded = await uploadParts(key, uploadId, parts);

    const listed = await storage.listParts(key, uploadId);
    expect(listed).toEqual(
      uploaded.map((part, index) => ({ partNumber: part.partNumber, etag: part.etag, size: parts[index]!.length })),
    );
    // One part a page: the same list, gathered over three pages.
    expect(await storage.listParts(key, uploadId, { pageSize: 1 })).toEqual(listed);

    // Given out of order, as a client may: completion sorts them.
    await storage.completeMultipart(key, uploadId, [...uploaded].reverse());
    expect(await storage.head(key)).toMatchObject({ size: whole.length, contentType: 'application/pdf' });
    expect(Buffer.from(await storage.readFirstBytes(key, 8))).toEqual(whole.subarray(0, 8));

    const name = 'Отчёт "final" (v2) 100%.pdf';
    const url = await storage.presignGet(key, { expiresIn: 60, fileName: name });
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(contentDisposition(name));
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(whole));

    const stream = await storage.getStream(key);
    expect(stream).toMatchObject({ status: 200, contentLength: whole.length, contentType: 'application/pdf' });
    const chunks: Buffer[] = [];
    for await (const chunk of stream!.body) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(whole));

    await storage.remove(key);
    expect(await storage.head(key)).toBeUndefined();
    expect(await storage.getStream(key)).toBeUndefined();
  });

  it('abort leaves neither the upload nor an object, and is idempotent', async () => {
    const key = objectKeyFor(777, 'file');
    const uploadId = await storage.startMultipart(key, 'application/zip');
    await uploadParts(key, uploadId, [randomBytes(5 * MIB)]);
    await storage.abortMultipart(key, uploadId);
    await storage.abortMultipart(key, uploadId);

    const open = await storage.client.send(new ListMultipartUploadsCommand({ Bucket: config.bucket, Prefix: key }));
    expect(open.Uploads ?? []).toEqual([]);
    await expect(storage.listParts(key, uploadId)).rejects.toSatisfy((error) => isStorageError(error, 'NoSuchUpload'));
    expect(await storage.head(key)).toBeUndefined();
  });

  it('refuses part numbers and lifetimes S3 cannot sign', async () => {
    const key = objectKeyFor(777, 'file');
    await expect(storage.presignPart(key, 'u', 0, 60)).rejects.toThrow(/part numbers/);
    await expect(storage.presignPart(key, 'u', 10_001, 60)).rejects.toThrow(/part numbers/);
    await expect(storage.presignPart(key, 'u', 1, 8 * 86_400)).rejects.toThrow(/seconds/);
    await expect(storage.presignGet(key, { expiresIn: 0 })).rejects.toThrow(/seconds/);
  });
});

describe('reading objects', () => {
  async function put(bytes: Uint8Array, contentType = 'image/png'): Promise<string> {
    const key = objectKeyFor(778, 'cover');
    const uploadId = await storage.startMultipart(key, contentType);
    await storage.completeMultipart(key, uploadId, await uploadParts(key, uploadId, [bytes]));
    return key;
  }

  it('readFirstBytes gives at most n bytes, the whole of a smaller object, nothing of an empty one', async () => {
    const bytes = randomBytes(1000);
    const key = await put(bytes);
    expect(Buffer.from(await storage.readFirstBytes(key, 4))).toEqual(bytes.subarray(0, 4));
    expect(Buffer.from(await storage.readFirstBytes(key, 5000))).toEqual(bytes);
    expect(await storage.readFirstBytes(key, 0)).toHaveLength(0);
    const empty = await put(new Uint8Array(0));
    expect(await storage.head(empty)).toMatchObject({ size: 0 });
    expect(await storage.readFirstBytes(empty, 16)).toHaveLength(0);
    await expect(storage.readFirstBytes(objectKeyFor(778, 'cover'), 16)).rejects.toSatisfy((error) =>
      isStorageError(error, 'NoSuchKey'),
    );
  });

  it('getStream passes a Range through and answers 206 with Content-Range; an unsatisfiable one throws', async () => {
    const bytes = randomBytes(4096);
    const key = await put(bytes, 'application/octet-stream');
    const part = await storage.getStream(key, 'bytes=100-199');
    expect(part).toMatchObject({ status: 206, contentLength: 100, contentRange: 'bytes 100-199/4096' });
    const chunks: Buffer[] = [];
    for await (const chunk of part!.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(100, 200));

    const tail = await storage.getStream(key, 'bytes=4000-');
    expect(tail).toMatchObject({ status: 206, contentLength: 96, contentRange: 'bytes 4000-4095/4096' });
    tail!.body.destroy();

    await expect(storage.getStream(key, 'bytes=5000-6000')).rejects.toSatisfy(
      (error) => isStorageError(error, 'InvalidRange') || isStorageError(error, 416),
    );
  });
});

describe('bucket setup', () => {
  it('answers the Mini App origin’s CORS preflight for part PUTs, and no other origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${config.endpoint}/${config.bucket}/${objectKeyFor(1, 'file')}?partNumber=1&uploadId=x`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toMatch(/PUT/);
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/ETag/i);
    const foreign = await preflight('https://evil.example.net');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is idempotent, keeps rules it does not own, and reports (and warns about) what the server lacks', async () => {
    const bucket = `setup-${randomUUID().slice(0, 8)}`;
    const own = createObjectStorage(configFor(bucket), { logger: logger as never });
    try {
      warnings.length = 0;
      const first = await own.setupBucket({ corsOrigins: [ORIGIN] });
      expect(first).toMatchObject({ bucket: 'created', cors: 'set' });
      // versitygw implements bucket CORS but not lifecycle rules (NotImplemented): a warning, no failure.
      expect(['set', 'not-supported']).toContain(first.lifecycle);
      if (first.lifecycle === 'not-supported')
        expect(warnings.join('\n')).toMatch(/does not implement bucket lifecycle/);

      const operatorRule = { ID: 'operator-cdn', AllowedOrigins: ['https://cdn.example.org'], AllowedMethods: ['GET'] };
      const rules = (await own.client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
      await own.client.send(
        new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [...rules, operatorRule] } }),
      );

      const second = await own.setupBucket({ corsOrigins: [ORIGIN] });
      expect(second).toEqual({
        bucket: 'existed',
        cors: 'unchanged',
        lifecycle: first.lifecycle === 'set' ? 'unchanged' : 'not-supported',
      });
      const moved = await own.setupBucket({ corsOrigins: ['https://other.example.com'] });
      expect(moved.cors).toBe('set');
      const after = (await own.client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
      expect(after.map((rule) => rule.ID).sort()).toEqual([CORS_RULE_ID, 'operator-cdn'].sort());
      expect(after.find((rule) => rule.ID === CORS_RULE_ID)?.AllowedOrigins).toEqual(['https://other.example.com']);
    } finally {
      own.close();
    }
  });

  it('npm run storage:setup prints what it did, from the environment alone', async () => {
    const s3 = inject('s3');
    const bucket = `cmd-${randomUUID().slice(0, 8)}`;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_BUCKET: bucket,
      PUBLIC_URL: 'https://shop.example.com/tg',
      LOG_LEVEL: 'error',
    };
    const run = () =>
      spawnSync('npx', ['tsx', 'infrastructure/storage/setup.ts'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`bucket ${bucket} created`);
    expect(first.stdout).toContain(`CORS rule set: PUT, GET, HEAD from ${ORIGIN}, ETag exposed`);
    expect(first.stdout).toMatch(/lifecycle .*aborted after 2 day/);

    const lines: string[] = [];
    await setupStorage(
      loadConfig({
        ...env,
        DATABASE_URL: 'postgres://x@127.0.0.1/x',
        TELEGRAM_BOT_TOKEN: '1:AAAAAAAAAAAA',
        TELEGRAM_WEBHOOK_SECRET: 's',
        PAYMENT_RAILS: 'stars',
      }),
      (line) => lines.push(line),
    );
    expect(lines[0]).toBe(`bucket ${bucket} already exists`);
    expect(lines[1]).toMatch(/^CORS rule already set/);

    const wrongKey = spawnSync('npx', ['tsx', 'infrastructure/storage/setup.ts'], {
      cwd: root,
      env: { ...env, S3_SECRET_ACCESS_KEY: 'wrong' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(wrongKey.status).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/storage setup failed/);
  });
});
