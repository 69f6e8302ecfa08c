/**
 * `npm run bot`: the same bot in long-polling mode (development, or when no public webhook URL
 * exists). Do not run it while the api receives updates by webhook: starting it removes the webhook.
 */
import { run, type RunnerHandle } from '@grammyjs/runner';
import type { BotCommand } from 'grammy/types';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../infrastructure/config';
import { createRuntime, onShutdown } from '../infrastructure/processes/runtime';
import { BOT_ALLOWED_UPDATES, createBot } from './bot';
import { createI18n, DEFAULT_LOCALE, LOCALES } from './i18n';

/** The menu Telegram shows next to the input field, in each language (the default one without a language code). */
const MENU = ['start', 'plans', 'myplan', 'trial', 'referral', 'language', 'help'] as const;

export async function runBot(config: Config = loadConfig()) {
  const runtime = await createRuntime(config, 'bot');
  const bot = createBot({ config, db: runtime.db, sql: runtime.sql, commands: runtime.commands, logger: runtime.logger }, { sequentialize: true });
  await bot.init();
  await bot.api.deleteWebhook();

  const i18n = createI18n();
  const menu = (locale: string): BotCommand[] => MENU.map((command) => ({ command, description: i18n.t(locale, `command-${command}`) }));
  await bot.api.setMyCommands(menu(DEFAULT_LOCALE));
  for (const locale of LOCALES) await bot.api.setMyCommands(menu(locale), { language_code: locale });

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

if (import.meta.url === `file://${process.argv[1]}`) {
  loadDotEnv();
  try {
    const handle = await runBot();
    onShutdown(handle.logger, handle.stop);
  } catch (error) {
    if (error instanceof ConfigError) { console.error(error.message); process.exit(2); }
    throw error;
  }
}
