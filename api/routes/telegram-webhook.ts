import type { FastifyPluginAsync } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import type { BotContext } from '../../bot/context';
import type { AppDeps } from '../app';

export const TELEGRAM_WEBHOOK_PATH = '/telegram_webhook';

/** Telegram's updates; grammY checks X-Telegram-Bot-Api-Secret-Token in constant time (401 otherwise). */
export const telegramWebhookRoutes: FastifyPluginAsync<AppDeps & { bot: Bot<BotContext> }> = async (
  app,
  { bot, config },
) => {
  app.post(
    TELEGRAM_WEBHOOK_PATH,
    webhookCallback(bot, 'fastify', {
      secretToken: config.telegram.webhookSecret,
      timeoutMilliseconds: 9_000,
      onTimeout: 'return',
    }),
  );
};
