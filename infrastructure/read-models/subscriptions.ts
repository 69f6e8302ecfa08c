/** Read model of subscriptions, for the bot (join requests) and anything else that only reads it. */
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import { STATUSES_WITH_ACCESS } from '../../domain/subscription';
import type { Database } from '../db/client';
import { planChannels, subscriptions } from '../db/schema';

/** For the bot's join-request handling: plans of this user with access that cover the channel. */
export async function plansGrantingChannel(
  db: Pick<Database, 'select'>,
  userId: number,
  channelId: number,
): Promise<string[]> {
  const rows = await db
    .select({ planId: subscriptions.planId })
    .from(subscriptions)
    .innerJoin(planChannels, eq(planChannels.planId, subscriptions.planId))
    .where(
      and(
        eq(subscriptions.userId, userId),
        eq(planChannels.channelId, channelId),
        inArray(subscriptions.status, [...STATUSES_WITH_ACCESS]),
        gt(subscriptions.accessUntil, sql`now()`),
      ),
    );
  return rows.map((r) => r.planId);
}
