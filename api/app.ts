/**
 * The HTTP entry point: payment webhooks, the Telegram webhook, buyers' downloads, health and
 * metrics. Routes validate, then signal or query workflows; they hold no business state transitions.
 */
import formBody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Bot } from 'grammy';
import type { BotContext } from '../bot/context';
import type { Config } from '../infrastructure/config';
import type { Logger } from '../infrastructure/logger';
import type { Runtime } from '../infrastructure/processes/runtime';
import { cryptocloudWebhookRoutes } from './routes/cryptocloud-webhook';
import { downloadRoutes } from './routes/download';
import { healthRoutes } from './routes/health';
import { createObjectStorage, type ObjectStorage } from '../infrastructure/storage/s3';
import { miniAppAuthPlugin } from './miniapp/auth';
import { miniAppCors } from './miniapp/cors';
import { libraryRoutes } from './miniapp/library';
import { productRoutes } from './miniapp/products';
import { miniAppPages } from './miniapp/static-pages';
import { IMAGE_MAX_BYTES, uploadRoutes } from './miniapp/uploads';
import { metricsRoutes } from './routes/metrics';
import { nowpaymentsIpnRoutes } from './routes/nowpayments-ipn';
import { telegramWebhookRoutes } from './routes/telegram-webhook';

export interface AppDeps {
  config: Config;
  runtime: Pick<Runtime, 'db' | 'sql' | 'commands' | 'temporal'>;
  logger: Logger;
  /** The bot, when updates come by webhook (production); absent when a long-polling bot runs. */
  bot?: Bot<BotContext>;
}

/**
 * The Mini App API under `/miniapp/api`: only the Mini App's origin (CORS), only with valid initData
 * (`Authorization: tma ...`); the browser sends file bytes to object storage, never here.
 */
async function miniAppApi(app: FastifyInstance, deps: AppDeps & { storage: ObjectStorage }) {
  const { storage } = deps;
  await app.register(
    async (api) => {
      await api.register(miniAppCors, { origin: deps.config.miniApp.origin });
      await api.register(miniAppAuthPlugin, {
        botToken: deps.config.telegram.botToken,
        maxAgeSeconds: deps.config.miniApp.initDataMaxAgeMs / 1000,
      });
      const db = deps.runtime.db;
      await api.register(productRoutes, { db, config: deps.config, imageMaxBytes: IMAGE_MAX_BYTES });
      await api.register(uploadRoutes, { db, storage, config: deps.config });
      await api.register(libraryRoutes, { db, config: deps.config });
    },
    { prefix: '/miniapp/api' },
  );
  const storageOrigin = deps.config.s3.endpoint ? new URL(deps.config.s3.endpoint).origin : undefined;
  await app.register(miniAppPages, { storageOrigin });
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.config.api.maxBodyBytes,
    // X-Forwarded-For is believed only from our own reverse proxy (nginx).
    trustProxy: deps.config.api.trustProxy,
    return503OnClosing: true,
  });
  await app.register(formBody, { bodyLimit: deps.config.api.maxBodyBytes });
  // 5xx details stay in the log, never in the answer.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ ok: false, error: 'internal error' });
    }
    return reply.code(status).send({ ok: false, error: error.message });
  });
  await app.register(healthRoutes, deps);
  await app.register(metricsRoutes, deps);
  // A rail that is off has no intake route: its URL answers 404 like any unknown path.
  if (deps.config.rails.includes('cryptocloud')) await app.register(cryptocloudWebhookRoutes, deps);
  if (deps.config.rails.includes('nowpayments')) await app.register(nowpaymentsIpnRoutes, deps);
  if (deps.bot) await app.register(telegramWebhookRoutes, { ...deps, bot: deps.bot });
  const storage = createObjectStorage(deps.config.s3, { logger: deps.logger });
  app.addHook('onClose', () => storage.close());
  await app.register(miniAppApi, { ...deps, storage });
  await app.register(downloadRoutes, {
    db: deps.runtime.db,
    storage,
    config: deps.config,
    onFirstDownload: (orderId) => deps.runtime.commands.orderDownloaded(orderId),
  });
  return app;
}
