/**
 * The download Mini App's API: what a purchase's file is (name, size) and a fresh single-use download
 * link for it. Only the buyer of an owned order gets either; anyone else's order looks like none.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { OWNED_ORDER_STATUSES } from '../../domain/order';
import { publicLink, type Config } from '../../infrastructure/config';
import type { Database } from '../../infrastructure/db/client';
import { orders, productFiles, products } from '../../infrastructure/db/schema';
import { DownloadError, ensureRoom, issueDownloadToken } from '../../infrastructure/downloads/tokens';
import { telegramUserOf } from './auth';

export interface LibraryRoutesOptions {
  db: Database;
  config: Pick<Config, 'downloads' | 'api'>;
}

export const libraryRoutes: FastifyPluginAsync<LibraryRoutesOptions> = async (app, { db, config }) => {
  const purchase = async (buyerId: number, orderId: string) =>
    (
      await db
        .select({ title: products.title, fileName: productFiles.originalName, size: productFiles.sizeBytes })
        .from(orders)
        .innerJoin(products, eq(products.id, orders.productId))
        .innerJoin(
          productFiles,
          and(
            eq(productFiles.productId, orders.productId),
            eq(productFiles.role, 'file'),
            eq(productFiles.state, 'stored'),
          ),
        )
        .where(
          and(eq(orders.id, orderId), eq(orders.buyerId, buyerId), inArray(orders.status, [...OWNED_ORDER_STATUSES])),
        )
    )[0];

  app.get<{ Params: { orderId: string } }>('/library/:orderId', async (request, reply) => {
    const found = await purchase(telegramUserOf(request).id, request.params.orderId);
    if (!found) return reply.code(404).send({ ok: false, error: 'no such purchase of yours' });
    return { ok: true, ...found };
  });

  app.post<{ Params: { orderId: string } }>('/library/:orderId/download', async (request, reply) => {
    const buyerId = telegramUserOf(request).id;
    if (!(await purchase(buyerId, request.params.orderId)))
      return reply.code(404).send({ ok: false, error: 'no such purchase of yours' });
    try {
      await ensureRoom(db, buyerId, config.downloads.perHour);
      const { token, expiresAt } = await issueDownloadToken(db, {
        buyerId,
        orderId: request.params.orderId,
        ttlMs: config.downloads.tokenTtlMs,
      });
      const url = publicLink(config.api.publicUrl, `download/${token}`);
      return { ok: true, url, expiresAt: expiresAt.toISOString() };
    } catch (error) {
      if (!(error instanceof DownloadError)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.status).send({ ok: false, error: error.message, reason: error.reason });
    }
  });
};
