/**
 * Whether the bot can manage a paid channel: ban/unban members (can_restrict_members) and make links and
 * answer join requests (can_invite_users). An outage starts when Telegram refuses for lack of rights (or a
 * my_chat_member update shows them gone) and ends when they are back; admins hear of each start and end
 * once (the outbox key carries the outage's start). Used by the activities and by the bot.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { ChatMember } from 'grammy/types';
import { channels } from '../infrastructure/db/schema';
import type { ChannelProblem, TelegramErrorClass } from '../infrastructure/providers/telegram';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';

/** The rights the product needs in every paid channel. */
export const REQUIRED_RIGHTS = ['can_restrict_members', 'can_invite_users'] as const;

/** What is wrong with the bot's membership as Telegram reports it (my_chat_member, getChatMember); undefined: fine. */
export function membershipProblem(member: ChatMember): { problem: ChannelProblem; detail: string } | undefined {
  if (member.status === 'kicked' || member.status === 'left')
    return { problem: 'bot-removed', detail: `the bot's status is ${member.status}` };
  if (member.status !== 'administrator') return { problem: 'no-rights', detail: 'the bot is not an administrator' };
  const missing = REQUIRED_RIGHTS.filter((right) => !member[right]);
  if (missing.length === 0) return undefined;
  return { problem: 'no-rights', detail: `missing ${missing.join(', ')}` };
}

/**
 * Records the outage (keeps the first start if one is open) and tells the admins of it; repeating it
 * (each retry of a refused removal) tells nobody twice. Returns when the outage started.
 */
export async function reportChannelProblem(
  deps: ActivityDeps,
  channelId: number,
  problem: ChannelProblem,
  detail: string,
): Promise<Date> {
  const now = new Date();
  await deps.db
    .update(channels)
    .set({ healthProblem: problem, healthDetail: detail, unhealthySince: now })
    .where(and(eq(channels.id, channelId), isNull(channels.healthProblem)));
  const [channel] = await deps.db.select().from(channels).where(eq(channels.id, channelId));
  if (!channel) return now;
  const since = channel.unhealthySince ?? now;
  if (channel.healthProblem !== problem || channel.healthDetail !== detail) {
    // Still an outage, now for another reason (e.g. kicked after losing a right): keep its start.
    await deps.db
      .update(channels)
      .set({ healthProblem: problem, healthDetail: detail })
      .where(eq(channels.id, channelId));
  }
  deps.logger.error({ channelId, problem, detail, since }, 'bot cannot manage a paid channel');
  await createNotificationActivities(deps).notifyAdmins({
    key: `channel:${channelId}:unhealthy:${since.getTime()}`,
    message: 'admin-channel-unhealthy',
    vars: { channel: channel.title, channelId: String(channelId), problem: `${problem}: ${detail}` },
  });
  return since;
}

/** Ends an open outage (rights are back, or a call that needs them just worked) and tells the admins once. */
export async function reportChannelHealthy(deps: ActivityDeps, channelId: number): Promise<boolean> {
  const [closed] = await deps.db
    .update(channels)
    .set({ healthProblem: null, healthDetail: null, unhealthySince: null })
    .where(and(eq(channels.id, channelId), isNotNull(channels.healthProblem)))
    .returning({ title: channels.title });
  if (!closed) return false;
  deps.logger.info({ channelId }, 'bot can manage the channel again');
  // Keyed by the moment it ended: a later outage gets its own message.
  await createNotificationActivities(deps).notifyAdmins({
    key: `channel:${channelId}:restored:${Date.now()}`,
    message: 'admin-channel-restored',
    vars: { channel: closed.title, channelId: String(channelId) },
  });
  return true;
}

/**
 * An activity met a channel problem: record it, tell the admins (once per outage), and fail this attempt
 * with a retryable error, so Temporal keeps retrying (at most a minute apart) until the rights are back.
 */
export async function failOnChannelProblem(
  deps: ActivityDeps,
  channelId: number,
  error: Extract<TelegramErrorClass, { kind: 'channel' }>,
  what: string,
): Promise<never> {
  // A refusal may be stale: the rights can come back while the call was in flight (and the bot may
  // already have closed the outage). Telegram's current word on the bot's membership decides.
  if (!(await rightsAreBack(deps, channelId)))
    await reportChannelProblem(deps, channelId, error.reason, error.description);
  throw ApplicationFailure.retryable(
    `Cannot ${what} in channel ${channelId}: ${error.description} (retried until the bot's rights are back)`,
    'TelegramChannelAccess',
  );
}

/** Whether the bot has every right it needs in the channel now (getChatMember); false when it cannot ask. */
async function rightsAreBack(deps: ActivityDeps, channelId: number): Promise<boolean> {
  const botId = Number(deps.telegram.token.split(':')[0]);
  try {
    const member = await deps.telegram.getChatMember(channelId, botId);
    return membershipProblem(member) === undefined;
  } catch {
    return false;
  }
}
