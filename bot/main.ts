/**
 * `npm run bot`: the same bot in long-polling mode (development, or when no public webhook URL
 * exists). Do not run it while the api receives updates by webhook: starting it removes the webhook.
 */
import { run, type RunnerHandle } from '@grammyjs/runner';
import { loadConfig, type Config } from '../infrastructure/config';
import { createRuntime, runMain } from '../infrastructure/processes/runtime';
import { BOT_ALLOWED_UPDATES, createBot, registerCommandMenu } from './bot';

export async function runBot(config: Config = loadConfig()) {
  const runtime = await createRuntime(config, 'bot');
  const bot = createBot(
    { config, db: runtime.db, sql: runtime.sql, commands: runtime.commands, logger: runtime.logger },
    { sequentialize: true },
  );
  await bot.init();
  await bot.api.deleteWebhook();

  await registerCommandMenu(bot);

  const runner: RunnerHandle = run(bot, { runner: { fetch: { allowed_updates: BOT_ALLOWED_UPDATES } } });
  runtime.logger.info({ username: bot.botInfo.username }, 'bot polling');
  return {
    runner,
    logger: runtime.logger,
    stop: async () => {
      // Finishes the updates in hand, then stops fetching.
      if (runner.isRunning()) await runner.stop();
      await runtime.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain('bot', () => runBot());
