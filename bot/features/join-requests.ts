/**
 * Requests to join a paid channel (every personal invite link asks to join). The subscription
 * workflow that grants the channel decides and approves; with no such subscription running, the
 * request is declined here, and the user is told how to get access.
 */
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { reportChannelProblem } from '../../activities/channel-health';
import { plansGrantingChannel } from '../../infrastructure/read-models/subscriptions';
import { classifyTelegramError } from '../../infrastructure/providers/telegram';
import { users } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { pickLocale } from '../i18n';
import { showPlansKeyboard } from '../keyboards/plans';
import { healthDeps } from './channel-health';

export const joinRequests = new Composer<BotContext>();

joinRequests.on('chat_join_request', async (ctx) => {
  const { db, commands, logger } = ctx.deps;
  const request = ctx.chatJoinRequest;
  const userId = request.from.id;
  const chatId = request.chat.id;
  for (const planId of await plansGrantingChannel(db, userId, chatId)) {
    if (await commands.joinRequested(userId, planId, chatId)) {
      logger.info({ userId, chatId, planId }, 'join request passed to the subscription');
      return;
    }
  }
  logger.info({ userId, chatId }, 'join request declined: no subscription grants this channel');
  try {
    await ctx.declineChatJoinRequest(userId);
  } catch (error) {
    const kind = classifyTelegramError(error, 'decline-join');
    if (kind.kind === 'transient') throw error;
    if (kind.kind === 'done') {
      // Already answered or withdrawn: nothing left to decline.
      logger.info({ userId, chatId, description: kind.description }, 'join request already handled');
    } else if (kind.kind === 'channel') {
      // The request stays pending (the user is not let in); admins are told the bot lacks its rights.
      await reportChannelProblem(healthDeps(ctx), chatId, kind.reason, kind.description);
    } else {
      logger.error({ userId, chatId, description: kind.description }, 'join request decline refused');
    }
    return;
  }
  // A bot may write to whoever asked to join; if they cannot be reached, the decline stands on its own.
  const [user] = await db.select({ language: users.language }).from(users).where(eq(users.id, userId));
  ctx.i18n.useLocale(pickLocale(user?.language, request.from.language_code));
  await ctx.api
    .sendMessage(request.user_chat_id, ctx.t('join-declined', { channel: request.chat.title }), {
      reply_markup: showPlansKeyboard(ctx.t),
    })
    .catch((error: unknown) => logger.info({ err: error, userId }, 'could not explain the declined join request'));
});
