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
  checkProductPrice,
  newProductId,
  objectKeyFor,
  parseObjectKey,
  parseProductDescription,
  parseProductTitle,
  PRODUCT_FILE_ROLES,
  ProductInputError,
  type ProductFileRole,
} from '../../domain/product';
import type { Config } from '../../infrastructure/config';
import type { Database } from '../../infrastructure/db/client';
import { categories, productFiles, products, sellers } from '../../infrastructure/db/schema';
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
const IMAGE_MAX_BYTES = 10 * 1024 * 1024;

const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ ok: false, error });

export const uploadRoutes: FastifyPluginAsync<UploadRoutesOptions> = async (app, options) => {
  const { db, storage } = options;
  const partUrlSeconds = options.partUrlSeconds ?? 15 * 60;

  const sellerOf = async (userId: number) => (await db.select().from(sellers).where(eq(sellers.userId, userId)))[0];

  /** The caller's own upload with this id and key, or undefined (someone else's looks like none). */
  const ownUpload = async (userId: number, uploadId: string, key: string) => {
    const parsed = parseObjectKey(key);
    if (!parsed || parsed.sellerId !== userId) return undefined;
    const [row] = await db
      .select({ file: productFiles, sellerId: products.sellerId })
      .from(productFiles)
      .innerJoin(products, eq(products.id, productFiles.productId))
      .where(and(eq(productFiles.objectKey, key), eq(productFiles.uploadId, uploadId)));
    return row && row.sellerId === userId ? row.file : undefined;
  };

  /** A draft product of the caller's shop; the files are uploaded to it next. */
  app.post<{
    Body: {
      title?: unknown;
      description?: unknown;
      categoryId?: unknown;
      priceMinor?: unknown;
      currency?: unknown;
      priceStars?: unknown;
    };
  }>('/products', async (request, reply) => {
    const user = telegramUserOf(request);
    if (!(await sellerOf(user.id))) return refuse(reply, 403, 'open a shop with /sell in the bot first');
    const body = request.body ?? {};
    try {
      const title = parseProductTitle(String(body.title ?? ''));
      const description = parseProductDescription(String(body.description ?? ''));
      const price = checkProductPrice({
        priceMinor: body.priceMinor === undefined || body.priceMinor === null ? null : BigInt(String(body.priceMinor)),
        currency: typeof body.currency === 'string' ? body.currency : null,
        priceStars: body.priceStars === undefined || body.priceStars === null ? null : Number(body.priceStars),
      });
      const categoryId = String(body.categoryId ?? '');
      const [category] = await db.select().from(categories).where(eq(categories.id, categoryId));
      if (!category) return refuse(reply, 400, `unknown category "${categoryId.slice(0, 40)}"`);
      const id = newProductId();
      await db.insert(products).values({ id, sellerId: user.id, title, description, categoryId, ...price });
      return reply.code(201).send({ ok: true, productId: id });
    } catch (error) {
      if (error instanceof ProductInputError || error instanceof SyntaxError || error instanceof RangeError)
        return refuse(reply, 400, error.message);
      throw error;
    }
  });

  /**
   * Starts (or resumes) a multipart upload: the same product, role, name and size while one is still
   * uploading gets the same upload back, so a reloaded page carries on from the parts already stored.
   */
  app.post<{
    Body: { productId?: unknown; role?: unknown; fileName?: unknown; size?: unknown; contentType?: unknown };
  }>('/uploads', async (request, reply) => {
    const user = telegramUserOf(request);
    const body = request.body ?? {};
    const role = String(body.role ?? 'file') as ProductFileRole;
    if (!PRODUCT_FILE_ROLES.includes(role))
      return refuse(reply, 400, `role must be one of ${PRODUCT_FILE_ROLES.join(', ')}`);
    const size = Number(body.size);
    if (!Number.isSafeInteger(size) || size <= 0) return refuse(reply, 400, 'size must be the file size in bytes');
    const limit = role === 'file' ? options.config.uploads.maxBytes : IMAGE_MAX_BYTES;
    if (size > limit) return refuse(reply, 413, `the file is ${size} bytes; the limit is ${limit} bytes`);
    const fileName = String(body.fileName ?? '').slice(0, 255);
    if (!fileName) return refuse(reply, 400, 'fileName is required');
    const contentType = String(body.contentType || 'application/octet-stream').slice(0, 100);
    const productId = String(body.productId ?? '');
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
    if (resumable?.uploadId)
      return reply.send({ ok: true, uploadId: resumable.uploadId, key: resumable.objectKey, resumed: true });

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
    return reply.code(201).send({ ok: true, uploadId, key, partBytes: options.config.uploads.partBytes });
  });

  app.get<{ Params: { uploadId: string }; Querystring: { key?: string } }>(
    '/uploads/:uploadId/parts',
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key ?? '');
      if (!upload || upload.state !== 'uploading') return refuse(reply, 404, 'no such upload of yours');
      const parts = await storage.listParts(upload.objectKey, request.params.uploadId);
      return { ok: true, parts: parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ETag: p.etag })) };
    },
  );

  app.get<{ Params: { uploadId: string; partNumber: string }; Querystring: { key?: string } }>(
    '/uploads/:uploadId/parts/:partNumber',
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key ?? '');
      if (!upload || upload.state !== 'uploading') return refuse(reply, 404, 'no such upload of yours');
      const partNumber = Number(request.params.partNumber);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
        return refuse(reply, 400, 'partNumber must be 1..10000');
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
  app.post<{
    Params: { uploadId: string };
    Querystring: { key?: string };
    Body: { parts?: Array<{ PartNumber?: unknown; ETag?: unknown }> };
  }>('/uploads/:uploadId/complete', async (request, reply) => {
    const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key ?? '');
    if (!upload || upload.state !== 'uploading') return refuse(reply, 404, 'no such upload of yours');
    const parts = (request.body?.parts ?? []).map((part) => ({
      partNumber: Number(part.PartNumber),
      etag: String(part.ETag ?? ''),
    }));
    if (parts.length === 0 || parts.some((p) => !Number.isInteger(p.partNumber) || !p.etag))
      return refuse(reply, 400, 'parts must list every PartNumber with its ETag');
    await storage.completeMultipart(upload.objectKey, request.params.uploadId, parts);
    const stored = await storage.head(upload.objectKey);
    const refusal = !stored
      ? 'the file was not stored'
      : stored.size !== upload.sizeBytes
        ? `the stored file is ${stored.size} bytes, not the ${upload.sizeBytes} declared`
        : detectExecutable(await storage.readFirstBytes(upload.objectKey, MAGIC_BYTES_NEEDED))?.reason;
    if (refusal) {
      await storage.remove(upload.objectKey);
      await db
        .update(productFiles)
        .set({ state: 'refused', refusalReason: refusal, uploadId: null, updatedAt: new Date() })
        .where(eq(productFiles.id, upload.id));
      return refuse(reply, 422, `refused: ${refusal}`);
    }
    await db
      .update(productFiles)
      .set({ state: 'stored', sizeBytes: stored!.size, uploadId: null, updatedAt: new Date() })
      .where(eq(productFiles.id, upload.id));
    return { ok: true, key: upload.objectKey, size: stored!.size };
  });

  app.delete<{ Params: { uploadId: string }; Querystring: { key?: string } }>(
    '/uploads/:uploadId',
    async (request, reply) => {
      const upload = await ownUpload(telegramUserOf(request).id, request.params.uploadId, request.query.key ?? '');
      if (!upload || upload.state !== 'uploading') return refuse(reply, 404, 'no such upload of yours');
      await storage.abortMultipart(upload.objectKey, request.params.uploadId);
      await db
        .update(productFiles)
        .set({ state: 'deleted', uploadId: null, updatedAt: new Date() })
        .where(eq(productFiles.id, upload.id));
      return { ok: true };
    },
  );
};
