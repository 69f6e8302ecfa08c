/**
 * `GET /download/:token`: the buyer's file, streamed from object storage at constant memory.
 * infrastructure/downloads/tokens.ts holds the token rules (single use, resumable by Range within
 * its life, a sliding hourly rate); this route validates the Range against the stored size before
 * claiming anything, so a bad range (416) spends no token, then pipes the S3 body to the socket with
 * backpressure. `pipeline` destroys the S3 body when the client goes away, releasing its socket;
 * the storage client's idle-socket timeout ends a stalled S3 read.
 * `HEAD` tells the name, type and size of a live token's file and claims nothing.
 * With `DOWNLOAD_DELIVERY=presigned` the same checks and claim end in a redirect to a presigned GET
 * instead (a CDN in front of the bucket serves the bytes and the ranges).
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Config } from '../../infrastructure/config';
import type { Database } from '../../infrastructure/db/client';
import { parseRange } from '../../infrastructure/downloads/range';
import { claimDownload, DownloadError, peekDownload, type DownloadFile } from '../../infrastructure/downloads/tokens';
import { contentDisposition } from '../../infrastructure/storage/content-disposition';
import { isStorageError, type ObjectStorage } from '../../infrastructure/storage/s3';

export interface DownloadRouteOptions {
  db: Database;
  storage: Pick<ObjectStorage, 'getStream' | 'presignGet'>;
  config: { downloads: Config['downloads'] };
  /** The buyer's first download of an order (its delivery workflow stops waiting to remind them). */
  onFirstDownload?: (orderId: string) => Promise<void>;
}

function refuse(reply: FastifyReply, error: unknown) {
  if (!(error instanceof DownloadError)) throw error;
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).send({ ok: false, error: error.message, reason: error.reason });
}

const fileHeaders = (file: DownloadFile) => ({
  'content-type': file.contentType,
  'content-disposition': contentDisposition(file.originalName),
  'accept-ranges': 'bytes',
  // A one-time link: no shared cache may keep the file.
  'cache-control': 'private, no-store',
  'x-content-type-options': 'nosniff',
});

/** Long enough to start the download; the storage server serves its ranges from then on. */
const PRESIGNED_SECONDS = 60;

const unsatisfiable = (reply: FastifyReply, size: number) =>
  reply
    .code(416)
    .header('content-range', `bytes */${size}`)
    .send({ ok: false, error: `the requested range is outside the file (${size} bytes)`, reason: 'bad_range' });

export const downloadRoutes: FastifyPluginAsync<DownloadRouteOptions> = async (
  app,
  { db, storage, config, onFirstDownload },
) => {
  app.head<{ Params: { token: string } }>('/download/:token', async (request, reply) => {
    let file: DownloadFile;
    try {
      file = await peekDownload(db, request.params.token);
    } catch (error) {
      return refuse(reply, error);
    }
    reply.headers({ ...fileHeaders(file), 'content-length': String(file.sizeBytes) });
    return reply.code(200).send();
  });

  app.get<{ Params: { token: string } }>('/download/:token', { exposeHeadRoute: false }, async (request, reply) => {
    const { token } = request.params;
    let file: DownloadFile & { resumed: boolean; first?: boolean };
    let range: ReturnType<typeof parseRange>;
    try {
      const peeked = await peekDownload(db, token);
      range = parseRange(request.headers.range, peeked.sizeBytes);
      if (range === 'unsatisfiable') return unsatisfiable(reply, peeked.sizeBytes);
      // Only a real byte range resumes a claimed download; anything else is a new download.
      file = await claimDownload(db, token, { resuming: range !== undefined, perHour: config.downloads.perHour });
    } catch (error) {
      return refuse(reply, error);
    }
    if (file.first && onFirstDownload)
      onFirstDownload(file.orderId).catch((error: unknown) =>
        request.log.warn({ err: error, orderId: file.orderId }, 'first download not told to its delivery'),
      );
    if (config.downloads.delivery === 'presigned') {
      const url = await storage.presignGet(file.objectKey, {
        expiresIn: PRESIGNED_SECONDS,
        fileName: file.originalName,
      });
      return reply.code(302).header('cache-control', 'private, no-store').header('location', url).send();
    }
    let object: Awaited<ReturnType<typeof storage.getStream>>;
    try {
      object = await storage.getStream(file.objectKey, range && `bytes=${range.start}-${range.end}`);
    } catch (error) {
      if (isStorageError(error, 'InvalidRange') || isStorageError(error, 416))
        return unsatisfiable(reply, file.sizeBytes);
      throw error;
    }
    if (!object) {
      request.log.error({ objectKey: file.objectKey, orderId: file.orderId }, 'a stored product file is missing');
      return reply.code(404).send({ ok: false, error: 'the file is missing from storage', reason: 'no_file' });
    }
    const headers: Record<string, string> = { ...fileHeaders(file) };
    if (object.contentLength !== undefined) headers['content-length'] = String(object.contentLength);
    if (object.status === 206 && object.contentRange) headers['content-range'] = object.contentRange;
    if (object.lastModified) headers['last-modified'] = object.lastModified.toUTCString();
    // Keys are never reused for other bytes, so a resume's If-Range always matches: it is not checked.
    if (object.etag) headers.etag = object.etag;
    // From here the socket is ours: Fastify must not answer again.
    reply.hijack();
    reply.raw.writeHead(object.status, headers);
    try {
      await pipeline(object.body, reply.raw);
    } catch (error) {
      // Usually the buyer closed the connection (they resume later with Range).
      request.log.info(
        { err: error, orderId: file.orderId, resumed: file.resumed },
        'download ended before the last byte',
      );
      object.body.destroy();
      reply.raw.destroy();
    }
  });
};
