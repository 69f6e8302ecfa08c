/**
 * The one object-storage module: product files in an S3-compatible bucket (R2, B2, MinIO, AWS,
 * versitygw alike), configured from `config.s3`. Uploads go browser → bucket through presigned
 * multipart part URLs (the api only signs and checks); downloads are presigned GETs or a stream the
 * api pipes to the buyer at constant memory.
 *
 * Decisions:
 * - Checksums only when an operation requires one (`WHEN_REQUIRED`): by default the SDK adds CRC32
 *   headers to uploads and validates them on reads, which a presigned part URL used by a browser
 *   cannot satisfy and several S3-compatible servers refuse.
 * - An idle-socket timeout rather than a whole-request timeout: a 10 GB download may take an hour,
 *   but a connection that stops moving must not hold a socket forever.
 * - Every body we open is read to its end or destroyed, so its pooled socket is released.
 * - `setupBucket` merges its own CORS and lifecycle rules (by id) into what the bucket already has, and
 *   carries on with a warning where the server does not implement them (NotImplemented / 501).
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CORSRule,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { contentDisposition } from './content-disposition';

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface StoredObject {
  size: number;
  contentType: string | undefined;
  etag: string | undefined;
}

export interface ObjectStream {
  /** The SDK's body: pipe it (`pipeline(body, reply.raw)`), or destroy it. */
  body: Readable;
  /** 206 when a range was asked for and served. */
  status: 200 | 206;
  contentLength: number | undefined;
  contentType: string | undefined;
  contentRange: string | undefined;
  etag: string | undefined;
  lastModified: Date | undefined;
}

export interface BucketSetup {
  bucket: 'created' | 'existed';
  cors: 'set' | 'unchanged' | 'not-supported';
  lifecycle: 'set' | 'unchanged' | 'not-supported';
}

/** Our rules' ids, so setupBucket replaces its own rules and leaves an operator's alone. */
export const CORS_RULE_ID = 'tg-commerce-mini-app-uploads';
export const LIFECYCLE_RULE_ID = 'tg-commerce-abort-incomplete-uploads';
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 86_400;

export type S3Config = Config['s3'];

/** True for an S3 error with this code (e.g. `NoSuchKey`, `InvalidRange`) or HTTP status. */
export function isStorageError(error: unknown, code: string | number): boolean {
  if (!(error instanceof S3ServiceException) && !(error instanceof Error)) return false;
  const status = (error as S3ServiceException).$metadata?.httpStatusCode;
  return typeof code === 'number' ? status === code : error.name === code;
}

const isMissing = (error: unknown) =>
  isStorageError(error, 'NotFound') || isStorageError(error, 'NoSuchKey') || isStorageError(error, 404);
const isNotImplemented = (error: unknown) => isStorageError(error, 'NotImplemented') || isStorageError(error, 501);

const presignSeconds = (expiresIn: number) => {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS)
    throw new Error(`a presigned URL lives 1..${MAX_PRESIGN_SECONDS} seconds (got ${expiresIn})`);
  return expiresIn;
};

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // Empty keys: the SDK's own chain (environment, instance role) finds them.
    credentials: config.accessKeyId
      ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
      : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
  });
}

export function createObjectStorage(config: S3Config, options: { logger?: Pick<Logger, 'info' | 'warn'> } = {}) {
  const client = createS3Client(config);
  const Bucket = config.bucket;
  const logger = options.logger ?? createLogger('info', 'storage');

  async function startMultipart(key: string, contentType: string): Promise<string> {
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error(`storage gave no upload id for ${key}`);
    return UploadId;
  }

  /** A URL the browser PUTs one part's bytes to; the response's ETag header names the part. */
  async function presignPart(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
      throw new Error(`part numbers are 1..10000 (got ${partNumber})`);
    return getSignedUrl(
      client,
      new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
      {
        expiresIn: presignSeconds(expiresIn),
      },
    );
  }

  /** Every uploaded part, in order, over all pages (S3 gives at most 1000 a page; `pageSize` for tests). */
  async function listParts(key: string, uploadId: string, paging: { pageSize?: number } = {}): Promise<UploadedPart[]> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListPartsCommand({
          Bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: marker,
          MaxParts: paging.pageSize,
        }),
      );
      for (const part of page.Parts ?? [])
        parts.push({ partNumber: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '' });
      if (!page.IsTruncated || !page.NextPartNumberMarker || page.NextPartNumberMarker === marker) break;
      marker = page.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async function completeMultipart(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<{ partNumber: number; etag: string }>,
  ): Promise<{ etag: string | undefined }> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: sorted.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
      }),
    );
    return { etag: done.ETag };
  }

  /** Idempotent: an upload already aborted or completed is not an error. */
  async function abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (!isStorageError(error, 'NoSuchUpload') && !isMissing(error)) throw error;
    }
  }

  async function head(key: string): Promise<StoredObject | undefined> {
    try {
      const found = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return { size: found.ContentLength ?? 0, contentType: found.ContentType, etag: found.ETag };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /**
   * The first `n` bytes (fewer when the object is smaller), to check what a file really is. Asks for a
   * range; reads until it has `n` bytes, then destroys the body, so a server that ignores Range still
   * costs no more than `n` bytes of memory.
   */
  async function readFirstBytes(key: string, n: number): Promise<Uint8Array> {
    if (!Number.isInteger(n) || n < 0) throw new Error(`cannot read ${n} bytes`);
    if (n === 0) return new Uint8Array(0);
    let body: Readable;
    try {
      const got = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=0-${n - 1}` }));
      body = got.Body as Readable;
    } catch (error) {
      // An empty object has no byte 0 to start a range at.
      if (isStorageError(error, 'InvalidRange') || isStorageError(error, 416)) return new Uint8Array(0);
      throw error;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        chunks.push(buffer);
        length += buffer.length;
        if (length >= n) break;
      }
    } finally {
      body.destroy();
    }
    return new Uint8Array(Buffer.concat(chunks, length).subarray(0, n));
  }

  async function remove(key: string): Promise<void> {
    await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
  }

  /** A download URL that offers the object under `fileName` (the seller's name, safely encoded). */
  async function presignGet(key: string, options: { expiresIn: number; fileName?: string }): Promise<string> {
    return getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket,
        Key: key,
        ResponseContentDisposition: options.fileName === undefined ? undefined : contentDisposition(options.fileName),
      }),
      { expiresIn: presignSeconds(options.expiresIn) },
    );
  }

  /**
   * The object's body as a stream with its headers, for the api to pipe to a buyer; `range` is the
   * buyer's Range header (e.g. `bytes=100-`), passed through. Undefined when there is no such object;
   * an unsatisfiable range throws (isStorageError(error, 'InvalidRange') → answer 416).
   */
  async function getStream(key: string, range?: string): Promise<ObjectStream | undefined> {
    try {
      const got = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: range }));
      return {
        body: got.Body as Readable,
        status: got.$metadata.httpStatusCode === 206 || got.ContentRange ? 206 : 200,
        contentLength: got.ContentLength,
        contentType: got.ContentType,
        contentRange: got.ContentRange,
        etag: got.ETag,
        lastModified: got.LastModified,
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async function ensureBucket(): Promise<BucketSetup['bucket']> {
    try {
      await client.send(new HeadBucketCommand({ Bucket }));
      return 'existed';
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // AWS wants the region named outside us-east-1; other servers take the endpoint's own.
    const located = !config.endpoint && config.region !== 'us-east-1';
    try {
      await client.send(
        new CreateBucketCommand({
          Bucket,
          CreateBucketConfiguration: located ? { LocationConstraint: config.region as never } : undefined,
        }),
      );
      return 'created';
    } catch (error) {
      // Another process created it in between.
      if (isStorageError(error, 'BucketAlreadyOwnedByYou')) return 'existed';
      throw error;
    }
  }

  async function ensureCors(origins: readonly string[]): Promise<BucketSetup['cors']> {
    const ours: CORSRule = {
      ID: CORS_RULE_ID,
      AllowedOrigins: [...origins],
      AllowedMethods: ['PUT', 'GET', 'HEAD'],
      AllowedHeaders: ['*'],
      // The browser must read each part's ETag to complete the upload.
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: 3600,
    };
    let existing: CORSRule[] = [];
    try {
      existing = (await client.send(new GetBucketCorsCommand({ Bucket }))).CORSRules ?? [];
    } catch (error) {
      if (isNotImplemented(error)) return 'not-supported';
      if (!isStorageError(error, 'NoSuchCORSConfiguration') && !isMissing(error)) throw error;
    }
    const current = existing.find((rule) => rule.ID === CORS_RULE_ID);
    if (current && sameCorsRule(current, ours)) return 'unchanged';
    try {
      await client.send(
        new PutBucketCorsCommand({
          Bucket,
          CORSConfiguration: { CORSRules: [...existing.filter((rule) => rule.ID !== CORS_RULE_ID), ours] },
        }),
      );
      return 'set';
    } catch (error) {
      if (isNotImplemented(error)) return 'not-supported';
      throw error;
    }
  }

  async function ensureLifecycle(days: number): Promise<BucketSetup['lifecycle']> {
    const ours: LifecycleRule = {
      ID: LIFECYCLE_RULE_ID,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
    };
    let existing: LifecycleRule[] = [];
    try {
      existing = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [];
    } catch (error) {
      if (isNotImplemented(error)) return 'not-supported';
      if (!isStorageError(error, 'NoSuchLifecycleConfiguration') && !isMissing(error)) throw error;
    }
    const current = existing.find((rule) => rule.ID === LIFECYCLE_RULE_ID);
    if (
      current?.Status === 'Enabled' &&
      current.AbortIncompleteMultipartUpload?.DaysAfterInitiation === days &&
      !current.Filter?.Prefix
    )
      return 'unchanged';
    try {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: { Rules: [...existing.filter((rule) => rule.ID !== LIFECYCLE_RULE_ID), ours] },
        }),
      );
      return 'set';
    } catch (error) {
      if (isNotImplemented(error)) return 'not-supported';
      throw error;
    }
  }

  /**
   * Makes the bucket ready for Mini App uploads: created if missing; a CORS rule letting `corsOrigins`
   * PUT parts and read their ETag; a lifecycle rule aborting uploads left incomplete after
   * `config.abortIncompleteAfterDays`. Idempotent. Where the server does not implement CORS or
   * lifecycle rules, it warns and carries on (configure them on the server, or the uploads page cannot
   * read ETags / abandoned parts are kept).
   */
  async function setupBucket(setup: { corsOrigins: readonly string[] }): Promise<BucketSetup> {
    const bucket = await ensureBucket();
    const cors = await ensureCors(setup.corsOrigins);
    if (cors === 'not-supported')
      logger.warn(
        { bucket: Bucket },
        `the storage server does not implement bucket CORS: configure it there for ${setup.corsOrigins.join(', ')} (PUT, GET, HEAD; expose ETag), or browsers cannot upload`,
      );
    const lifecycle = await ensureLifecycle(config.abortIncompleteAfterDays);
    if (lifecycle === 'not-supported')
      logger.warn(
        { bucket: Bucket },
        'the storage server does not implement bucket lifecycle rules: abandoned multipart uploads are not aborted by the bucket; abort them from the application or the server',
      );
    return { bucket, cors, lifecycle };
  }

  return {
    bucket: Bucket,
    client,
    startMultipart,
    presignPart,
    listParts,
    completeMultipart,
    abortMultipart,
    head,
    readFirstBytes,
    remove,
    presignGet,
    getStream,
    setupBucket,
    /** Closes the client's sockets. */
    close: () => client.destroy(),
  };
}

export type ObjectStorage = ReturnType<typeof createObjectStorage>;

function sameCorsRule(a: CORSRule, b: CORSRule): boolean {
  const set = (values: string[] | undefined) => JSON.stringify([...(values ?? [])].map((v) => v.toUpperCase()).sort());
  return (
    set(a.AllowedOrigins) === set(b.AllowedOrigins) &&
    set(a.AllowedMethods) === set(b.AllowedMethods) &&
    set(a.AllowedHeaders) === set(b.AllowedHeaders) &&
    set(a.ExposeHeaders) === set(b.ExposeHeaders) &&
    (a.MaxAgeSeconds ?? 0) === (b.MaxAgeSeconds ?? 0)
  );
}
