/** The grammY bot: one Composer per feature, one error boundary, explicit Telegram retry limits. */
import { Bot } from 'grammy';
import { installRetries } from '../infrastructure/providers/telegram';
import type { BotContext, BotDeps } from './context';
import { createI18n } from './i18n';

export function createBot(deps: BotDeps, options: { botInfo?: ConstructorParameters<typeof Bot>[1] extends infer O ? O extends { botInfo?: infer B } ? B : never : never } = {}): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.config.telegram.botToken, { client: { apiRoot: deps.config.telegram.apiRoot }, botInfo: options.botInfo });
  installRetries(bot.api, deps.config);
  bot.use(async (ctx, next) => { ctx.deps = deps; await next(); });
  bot.use(createI18n<BotContext>());
  bot.catch(({ error, ctx }) => deps.logger.error({ err: error, updateId: ctx.update.update_id }, 'unhandled bot error'));
  return bot;
}
