/** The grammY bot: one Composer per feature, one error boundary, explicit Telegram retry limits. */
import { sequentialize } from '@grammyjs/runner';
import { Bot, GrammyError, HttpError, type BotError } from 'grammy';
import type { BotCommand, Update, UserFromGetMe } from 'grammy/types';
import { installRetries } from '../infrastructure/providers/telegram';
import type { BotContext, BotDeps } from './context';
import { admin } from './features/admin';
import { balance } from './features/balance';
import { buy } from './features/buy';
import { channelHealth } from './features/channel-health';
import { disputesFeature } from './features/disputes';
import { escrowAdmin } from './features/escrow-admin';
import { help } from './features/help';
import { joinRequests } from './features/join-requests';
import { language } from './features/language';
import { myPlan } from './features/my-plan';
import { payments } from './features/payments';
import { payoutRequest } from './features/payout-request';
import { plansFeature } from './features/plans';
import { productEdit } from './features/product-edit';
import { plansAdmin } from './features/plans-admin';
import { profile } from './features/profile';
import { promos, promosAdmin } from './features/promos';
import { referral } from './features/referral';
import { resolutions } from './features/resolutions';
import { review } from './features/review';
import { sell } from './features/sell';
import { library } from './features/library';
import { sellerAlerts } from './features/seller-alerts';
import { shop } from './features/shop';
import { start, termsGate } from './features/start';
import { trial } from './features/trial';
import { unhandled } from './features/unhandled';
import { createI18n, DEFAULT_LOCALE, LOCALES } from './i18n';

/** Every update type a feature handles; the polling runner and setWebhook should ask for these. */
export const BOT_ALLOWED_UPDATES = [
  'message',
  'callback_query',
  'chat_join_request',
  'chat_member',
  'my_chat_member',
  'pre_checkout_query',
] as const satisfies ReadonlyArray<Exclude<keyof Update, 'update_id'>>;

export interface CreateBotOptions {
  /** Skips getMe (tests). */
  botInfo?: UserFromGetMe;
  /** One update at a time per chat and per user (long polling with the runner processes updates concurrently). */
  sequentialize?: boolean;
}

export function createBot(deps: BotDeps, options: CreateBotOptions = {}): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.config.telegram.botToken, {
    client: { apiRoot: deps.config.telegram.apiRoot },
    botInfo: options.botInfo,
  });
  installRetries(bot.api, deps.config);
  if (options.sequentialize) bot.use(sequentialize(concurrencyKeys));
  bot.use(async (ctx, next) => {
    ctx.deps = deps;
    await next();
  });
  bot.use(createI18n<BotContext>());

  const features = bot.errorBoundary((error) => handleBotError(error, deps));
  features.use(profile);
  // Open before the terms are accepted.
  features.use(start, help, language, joinRequests, channelHealth, payments);
  // Admin commands, resolution buttons and the catalog flows: only for ADMIN_IDS, and before the terms
  // gate (the terms are the subscribers' agreement, not a condition for running the bot); anyone else
  // falls through.
  features.use(resolutions, admin, escrowAdmin, review, plansAdmin, promosAdmin);
  features.use(termsGate);
  // productEdit before sell: a command leaves a pending product edit before /products (sell) answers it.
  features.use(
    plansFeature,
    trial,
    myPlan,
    referral,
    // Before the other step-by-step flows' text handlers: a payout step, once asked, takes the next text.
    payoutRequest,
    promos,
    productEdit,
    disputesFeature,
    sell,
    shop,
    buy,
    library,
    balance,
    sellerAlerts,
  );
  features.use(unhandled);

  // Only reached if the boundary's own reply fails in a way it does not catch: log, never crash the process.
  bot.catch(({ error, ctx }) =>
    deps.logger.error({ err: error, updateId: ctx.update.update_id, userId: ctx.from?.id }, 'unhandled bot error'),
  );
  return bot;
}

function concurrencyKeys(ctx: BotContext): string[] {
  return [ctx.chat?.id, ctx.from?.id].filter((id): id is number => id !== undefined).map(String);
}

/**
 * Tells "Telegram said no" (GrammyError) from "Telegram unreachable" (HttpError) from our own
 * failures, logs with the update and user, and gives the user a short "try again" instead of silence.
 */
async function handleBotError(botError: BotError<BotContext>, deps: BotDeps): Promise<void> {
  const { ctx, error } = botError;
  const where = { updateId: ctx.update.update_id, userId: ctx.from?.id, chatId: ctx.chat?.id };
  if (error instanceof GrammyError) {
    deps.logger.error(
      { ...where, method: error.method, errorCode: error.error_code, description: error.description },
      'Telegram refused a bot request',
    );
  } else if (error instanceof HttpError) {
    deps.logger.error({ ...where, err: error.error }, 'Telegram unreachable while handling an update');
  } else {
    deps.logger.error({ ...where, err: error }, 'bot handler failed');
  }
  const text = ctx.t('error-try-again');
  if (ctx.callbackQuery) {
    // The button press may already be answered; then say it in the chat.
    const answered = await ctx.answerCallbackQuery({ text, show_alert: true }).then(
      () => true,
      () => false,
    );
    if (answered) return;
  }
  if (ctx.chat?.type === 'private') {
    await ctx
      .reply(text)
      .catch((replyError: unknown) =>
        deps.logger.warn({ ...where, err: replyError }, 'could not tell the user about the error'),
      );
  }
}

/** The menu Telegram shows next to the input field, in each language (the default one without a language code). */
const MENU = [
  'start',
  'shop',
  'search',
  'library',
  'plans',
  'myplan',
  'trial',
  'promo',
  'referral',
  'sell',
  'balance',
  'language',
  'help',
  'paysupport',
] as const;

export async function registerCommandMenu(bot: Bot<BotContext>): Promise<void> {
  const i18n = createI18n();
  const menu = (locale: string): BotCommand[] =>
    MENU.map((command) => ({ command, description: i18n.t(locale, `command-${command}`) }));
  await bot.api.setMyCommands(menu(DEFAULT_LOCALE));
  for (const locale of LOCALES) await bot.api.setMyCommands(menu(locale), { language_code: locale });
}
