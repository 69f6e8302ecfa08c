/**
 * The bot's own rights in paid channels (`my_chat_member`, which Telegram sends on every change): losing
 * "ban users" or "invite users", or being removed, marks the channel unhealthy and tells the admins;
 * getting them back clears it (and tells them). Removals refused meanwhile are retried by their
 * subscription workflows until the rights are back (activities/channel-health.ts).
 */
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { membershipProblem, reportChannelHealthy, reportChannelProblem } from '../../activities/channel-health';
import type { ActivityDeps } from '../../activities/deps';
import { channels } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { createI18n } from '../i18n';

export const channelHealth = new Composer<BotContext>();

const i18n = createI18n();

/** What the health helpers need, over the bot's own API client (admin messages go through the outbox). */
export function healthDeps(ctx: BotContext): ActivityDeps {
  const { db, commands, logger, config } = ctx.deps;
  return {
    db,
    telegram: ctx.api,
    gateways: {},
    workflows: commands,
    translate: (locale, key, vars) => i18n.t(locale, key, vars),
    adminIds: config.telegram.adminIds,
    logger,
  };
}

channelHealth.on('my_chat_member', async (ctx, next) => {
  const update = ctx.myChatMember;
  // In a private chat this is a user blocking or unblocking the bot: not about channels.
  if (update.chat.type === 'private') return next();
  const { db, logger } = ctx.deps;
  const chatId = update.chat.id;
  const [channel] = await db.select({ id: channels.id }).from(channels).where(eq(channels.id, chatId));
  if (!channel) {
    logger.info({ chatId, status: update.new_chat_member.status }, 'bot membership changed in an unregistered chat');
    return;
  }
  const problem = membershipProblem(update.new_chat_member);
  if (problem) await reportChannelProblem(healthDeps(ctx), chatId, problem.problem, problem.detail);
  else await reportChannelHealthy(healthDeps(ctx), chatId);
});
