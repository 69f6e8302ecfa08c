/** `npm run api`: the Fastify server. With TELEGRAM_WEBHOOK_URL set it also receives the bot's updates. */
import { BOT_ALLOWED_UPDATES, createBot, registerCommandMenu } from '../bot/bot';
import { loadConfig, type Config } from '../infrastructure/config';
import { createRuntime, runMain } from '../infrastructure/processes/runtime';
import { buildApp } from './app';
import { TELEGRAM_WEBHOOK_PATH } from './routes/telegram-webhook';

export async function runApi(config: Config = loadConfig()) {
  const runtime = await createRuntime(config, 'api');
  const bot = config.telegram.webhookUrl
    ? createBot({ config, db: runtime.db, sql: runtime.sql, commands: runtime.commands, logger: runtime.logger })
    : undefined;
  const app = await buildApp({ config, runtime, logger: runtime.logger, bot });
  if (bot) {
    await bot.init();
    await bot.api.setWebhook(config.telegram.webhookUrl!, {
      secret_token: config.telegram.webhookSecret,
      allowed_updates: [...BOT_ALLOWED_UPDATES],
    });
    await registerCommandMenu(bot);
    runtime.logger.info({ path: TELEGRAM_WEBHOOK_PATH }, 'telegram webhook set');
  }
  const address = await app.listen({ host: config.api.host, port: config.api.port });
  runtime.logger.info({ address }, 'api listening');
  return {
    app,
    address,
    logger: runtime.logger,
    stop: async () => {
      await app.close();
      await runtime.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain('api', () => runApi());
