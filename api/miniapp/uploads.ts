/**
 * The seller upload Mini App's API: the browser uploads files straight to object storage with
 * presigned multipart URLs (Uppy's `@uppy/aws-s3` calls these routes); the api only signs and never
 * receives file bytes. Every upload id and key is tied to the seller who created it (the row in
 * `product_files`, the seller's id inside the key); the declared size is checked against the limit;
 * completion checks the stored object's size and its first bytes, and refuses (and deletes)
 * executables and scripts whatever their extension. The caller is the Telegram user in the validated
 * initData (miniAppAuthPlugin), nothing else.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { detectExecutable, MAGIC_BYTES_NEEDED } from '../../domain/executable';
import {
  newProductId,
  objectKeyFor,
  parseObjectKey,
  PRODUCT_FILE_ROLES,
  type ProductFileRole,
} from '../../domain/product';
import type { Config } from '../../infrastructure/config';
import type { Database } from '../../infrastructure/db/client';
import { productFiles, products } from '../../infrastructure/db/schema';
import type { ObjectStorage } from '../../infrastructure/storage/s3';
import { telegramUserOf } from './auth';

export interface UploadRoutesOptions {
  db: Database;
  storage: ObjectStorage;
  config: Pick<Config, 'uploads'>;
  /** How long a presigned part URL stays valid. */
  partUrlSeconds?: number;
}

/** Covers and previews are images: far below the file limit. */
export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;

const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ ok: false, error });

export const uploadRoutes: FastifyPluginAsync<UploadRoutesOptions> = async (app, options) => {
  const { db, storage } = options;
  const partUrlSeconds = options.partUrlSeconds ?? 15 * 60;

  /** The caller's own upload with this id and key, or undefined (someone else's looks like none). */
  const ownUpload = async (userId: number, uploadId: string, key: string) => {
    const parsed = parseObjectKey(key);
    if (!parsed || parsed.sellerId !== userId) return undefined;
    const [row] = await db
      .select({ file: productFiles, sellerId: products.sellerId })
      .from(productFiles)
      .innerJoin(products, eq(products.id, productFiles.productId))
      .where(and(eq(productFiles.objectKey, key), eq(productFiles.uploadId, uploadId)));
    return row && row.sellerId === userId && row.file.state === 'uploading' ? row.file : undefined;
  };
  const keyQuery = { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 200 } } };

  /**
   * Starts (or resumes) a multipart upload: the same product, role, name and size while one is still
   * uploading gets the same upload back, so a reloaded page carries on from the parts already stored.
   */
  app.post<{ Body: UploadBody }>('/uploads', { schema: { body: UPLOAD_SCHEMA } }, async (request, reply) => {
    const user = telegramUserOf(request);
    const { productId, fileName, size } = request.body;
    const role = request.body.role ?? 'file';
    const limit = role === 'file' ? options.config.uploads.maxBytes : IMAGE_MAX_BYTES;
    if (size > limit) return refuse(reply, 413, `the file is ${size} bytes; the limit is ${limit} bytes`);
    const contentType = request.body.contentType || 'application/octet-stream';
    const [product] = await db
      .select()
      .from(products)
      .where(and(eq(products.id, productId), eq(products.sellerId, user.id), isNull(products.deletedAt)));
    if (!product) return refuse(reply, 404, 'no such product in your shop');
    const [resumable] = await db
      .select()
      .from(productFiles)
      .where(
        and(
          eq(productFiles.productId, productId),
          eq(productFiles.role, role),
          eq(productFiles.originalName, fileName),
          eq(productFiles.sizeBytes, size),
          eq(productFiles.state, 'uploading'),
        ),
      );
    const partBytes = options.config.uploads.partBytes;
    if (resumable?.uploadId)
      return reply.send({ ok: true, uploadId: resumable.uploadId, key: resumable.objectKey, partBytes, resumed: true });
    const key = objectKeyFor(user.id, role);
    const uploadId = await storage.startMultipart(key, contentType);
    await db.insert(productFiles).values({
      id: newProductId(),
      productId,
      role,
      objectKey: key,
      sizeBytes: size,
      contentType,
      originalName: fileName,
      uploadId,
    });
    return reply.code(201).send({ ok: true, uploadId, key, partBytes });
  });

  app.get<{ Params: { uploadId: string }; Querystring: { key: string } }>(
    '/uploads/:uploadId/parts',
    { schema: { querystring: keyQuery } },
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key);
      if (!upload) return refuse(reply, 404, 'no such upload of yours');
      const parts = await storage.listParts(upload.objectKey, request.params.uploadId);
      return { ok: true, parts: parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ETag: p.etag })) };
    },
  );

  app.get<{ Params: { uploadId: string; partNumber: number }; Querystring: { key: string } }>(
    '/uploads/:uploadId/parts/:partNumber',
    {
      schema: {
        querystring: keyQuery,
        params: {
          type: 'object',
          properties: { uploadId: { type: 'string' }, partNumber: { type: 'integer', minimum: 1, maximum: 10_000 } },
        },
      },
    },
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key);
      if (!upload) return refuse(reply, 404, 'no such upload of yours');
      const { partNumber } = request.params;
      // More parts than the declared size needs would store more than was declared.
      if ((partNumber - 1) * options.config.uploads.partBytes >= upload.sizeBytes)
        return refuse(reply, 400, `part ${partNumber} is beyond the declared size`);
      const url = await storage.presignPart(upload.objectKey, request.params.uploadId, partNumber, partUrlSeconds);
      return { ok: true, url };
    },
  );

  /**
   * Completes the upload, then checks what was stored: the size declared, and no executable or script
   * (its first bytes). A refused object is deleted and the seller told why.
   */
  app.post<{ Params: { uploadId: string }; Querystring: { key: string }; Body: CompleteBody }>(
    '/uploads/:uploadId/complete',
    { schema: { querystring: keyQuery, body: COMPLETE_SCHEMA } },
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key);
      if (!upload) return refuse(reply, 404, 'no such upload of yours');
      const parts = request.body.parts.map((part) => ({ partNumber: part.PartNumber, etag: part.ETag }));
      await storage.completeMultipart(upload.objectKey, request.params.uploadId, parts);
      const stored = await storage.head(upload.objectKey);
      const refusal = !stored
        ? 'the file was not stored'
        : stored.size !== upload.sizeBytes
          ? `the stored file is ${stored.size} bytes, not the ${upload.sizeBytes} declared`
          : detectExecutable(await storage.readFirstBytes(upload.objectKey, MAGIC_BYTES_NEEDED))?.reason;
      if (refusal || !stored) {
        await storage.remove(upload.objectKey);
        await db
          .update(productFiles)
          .set({ state: 'refused', refusalReason: refusal, uploadId: null, updatedAt: new Date() })
          .where(eq(productFiles.id, upload.id));
        return refuse(reply, 422, `refused: ${refusal ?? 'not stored'}`);
      }
      // A replaced file or cover: the new one is what buyers get from now on; the old object goes.
      const replaced = await db.transaction(async (tx) => {
        const older = await tx
          .update(productFiles)
          .set({ state: 'deleted', updatedAt: new Date() })
          .where(
            and(
              eq(productFiles.productId, upload.productId),
              eq(productFiles.role, upload.role),
              eq(productFiles.state, 'stored'),
            ),
          )
          .returning({ objectKey: productFiles.objectKey });
        await tx
          .update(productFiles)
          .set({ state: 'stored', sizeBytes: stored.size, uploadId: null, updatedAt: new Date() })
          .where(eq(productFiles.id, upload.id));
        // A new file for a live product is what buyers would get: with reviews on, it is reviewed first.
        if (upload.role === 'file' && options.config.uploads.review)
          await tx
            .update(products)
            .set({ status: 'pending_review', updatedAt: new Date() })
            .where(and(eq(products.id, upload.productId), eq(products.status, 'active')));
        return older;
      });
      for (const old of replaced) await storage.remove(old.objectKey);
      return { ok: true, key: upload.objectKey, size: stored.size, replaced: replaced.length > 0 };
    },
  );

  app.delete<{ Params: { uploadId: string }; Querystring: { key: string } }>(
    '/uploads/:uploadId',
    { schema: { querystring: keyQuery } },
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key);
      if (!upload) return refuse(reply, 404, 'no such upload of yours');
      await storage.abortMultipart(upload.objectKey, request.params.uploadId);
      await db
        .update(productFiles)
        .set({ state: 'deleted', uploadId: null, updatedAt: new Date() })
        .where(eq(productFiles.id, upload.id));
      return { ok: true };
    },
  );
};

interface UploadBody {
  productId: string;
  role?: ProductFileRole;
  fileName: string;
  size: number;
  contentType?: string;
}
const UPLOAD_SCHEMA = {
  type: 'object',
  required: ['productId', 'fileName', 'size'],
  properties: {
    productId: { type: 'string', maxLength: 40 },
    role: { type: 'string', enum: [...PRODUCT_FILE_ROLES] },
    fileName: { type: 'string', minLength: 1, maxLength: 255 },
    size: { type: 'integer', minimum: 1 },
    contentType: { type: 'string', maxLength: 100 },
  },
};

interface CompleteBody {
  parts: Array<{ PartNumber: number; ETag: string }>;
}
const COMPLETE_SCHEMA = {
  type: 'object',
  required: ['parts'],
  properties: {
    parts: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['PartNumber', 'ETag'],
        properties: { PartNumber: { type: 'integer', minimum: 1 }, ETag: { type: 'string', minLength: 1 } },
      },
    },
  },
};
