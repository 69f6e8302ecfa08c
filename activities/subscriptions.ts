/** Side effects of the subscription workflow: plans, trials, the read model and channel access. */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, isNotNull, isNull, lt, ne, or } from 'drizzle-orm';
import type { SubscriptionStatus } from '../domain/subscription';
import {
  channels,
  invoices,
  inviteLinks,
  planChannels,
  plans,
  subscriptions,
  users,
} from '../infrastructure/db/schema';
import { classifyTelegramError, withActivitySignal } from '../infrastructure/providers/telegram';
import { plansGrantingChannel } from '../infrastructure/read-models/subscriptions';
import { failOnChannelProblem, reportChannelHealthy } from './channel-health';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';

export function createSubscriptionActivities(deps: ActivityDeps) {
  const { db, telegram, logger } = deps;
  const notify = createNotificationActivities(deps);

  return {
    async loadPlan({ planId }: { planId: string }) {
      const [plan] = await db.select().from(plans).where(eq(plans.id, planId));
      if (!plan) throw ApplicationFailure.nonRetryable(`Plan ${planId} does not exist`, 'InvalidRequest');
      const links = await db
        .select({ channelId: planChannels.channelId })
        .from(planChannels)
        .where(eq(planChannels.planId, planId));
      return {
        title: plan.title,
        durationMs: plan.durationSeconds * 1000,
        trialMs: plan.trialSeconds * 1000,
        channelIds: links.map((l) => l.channelId),
      };
    },

    /**
     * From the refund workflow: tells the invoice's subscription its payment was refunded (the
     * subscription takes the period back, once per invoice). False when no subscription runs.
     */
    async refundSubscriptionPeriod({ invoiceId }: { invoiceId: string }): Promise<{ signalled: boolean }> {
      const [invoice] = await db
        .select({ userId: invoices.userId, planId: invoices.planId })
        .from(invoices)
        .where(eq(invoices.id, invoiceId));
      if (!invoice?.planId) return { signalled: false };
      return { signalled: await deps.workflows.invoiceRefunded(invoice.userId, invoice.planId, invoiceId) };
    },

    /** Once per user, ever: the first caller wins atomically. */
    async claimTrial({ userId }: { userId: number }): Promise<boolean> {
      const claimed = await db
        .update(users)
        .set({ trialUsedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(users.id, userId), isNull(users.trialUsedAt)))
        .returning({ id: users.id });
      return claimed.length > 0;
    },

    /** Admin marktrial / resettrial: sets or clears the user's trial mark; repeating it changes nothing. */
    async setTrialUsed({ userId, used }: { userId: number; used: boolean }): Promise<{ changed: boolean }> {
      const now = new Date();
      const changed = used
        ? await db
            .update(users)
            .set({ trialUsedAt: now, updatedAt: now })
            .where(and(eq(users.id, userId), isNull(users.trialUsedAt)))
            .returning({ id: users.id })
        : await db
            .update(users)
            .set({ trialUsedAt: null, updatedAt: now })
            .where(and(eq(users.id, userId), isNotNull(users.trialUsedAt)))
            .returning({ id: users.id });
      return { changed: changed.length > 0 };
    },

    /** Writes the read model unless a newer version is already there (a late retry never wins). */
    async saveSubscriptionView(v: {
      userId: number;
      planId: string;
      status: SubscriptionStatus;
      periodStart: number;
      expiresAt: number;
      accessUntil: number;
      version: number;
      workflowId: string;
    }) {
      const row = {
        userId: v.userId,
        planId: v.planId,
        status: v.status,
        currentPeriodStart: new Date(v.periodStart),
        expiresAt: new Date(v.expiresAt),
        accessUntil: new Date(v.accessUntil),
        version: v.version,
        workflowId: v.workflowId,
        updatedAt: new Date(),
      };
      await db
        .insert(subscriptions)
        .values(row)
        .onConflictDoUpdate({
          target: [subscriptions.userId, subscriptions.planId],
          set: row,
          // A new run (after expiry) starts counting from 1 again; a different run id always writes.
          setWhere: or(
            lt(subscriptions.version, v.version),
            ne(subscriptions.status, v.status),
            ne(subscriptions.expiresAt, row.expiresAt),
          ),
        });
    },

    /**
     * A personal join-request link per channel: whoever opens it only asks to join, and the bot
     * approves only users with access, so a forwarded link is useless to anyone else. Reused while valid.
     */
    async ensureInviteLinks({ userId, planId, channelIds }: { userId: number; planId: string; channelIds: number[] }) {
      const result: Array<{ channelId: number; title: string; link: string }> = [];
      for (const channelId of channelIds) {
        const [existing] = await db
          .select({ link: inviteLinks.link, title: channels.title })
          .from(inviteLinks)
          .innerJoin(channels, eq(channels.id, inviteLinks.channelId))
          .where(
            and(
              eq(inviteLinks.userId, userId),
              eq(inviteLinks.planId, planId),
              eq(inviteLinks.channelId, channelId),
              isNull(inviteLinks.revokedAt),
            ),
          );
        if (existing) {
          result.push({ channelId, ...existing });
          continue;
        }
        const [channel] = await db.select().from(channels).where(eq(channels.id, channelId));
        if (!channel) throw ApplicationFailure.nonRetryable(`Channel ${channelId} is not registered`, 'InvalidRequest');
        let created;
        try {
          created = await withActivitySignal((signal) =>
            telegram.createChatInviteLink(
              channelId,
              { name: `u${userId} ${planId}`.slice(0, 32), creates_join_request: true },
              signal,
            ),
          );
        } catch (error) {
          const kind = classifyTelegramError(error, 'create-link');
          // No rights: admins are told, and the invite waits (retried) until the rights are back.
          if (kind.kind === 'channel') await failOnChannelProblem(deps, channelId, kind, 'create an invite link');
          throw error;
        }
        await reportChannelHealthy(deps, channelId);
        await db
          .insert(inviteLinks)
          .values({ userId, planId, channelId, link: created.invite_link })
          .onConflictDoUpdate({
            target: [inviteLinks.userId, inviteLinks.planId, inviteLinks.channelId],
            set: { link: created.invite_link, revokedAt: null, createdAt: new Date() },
          });
        result.push({ channelId, title: channel.title, link: created.invite_link });
      }
      return result;
    },

    async answerJoinRequest({ chatId, userId, approve }: { chatId: number; userId: number; approve: boolean }) {
      try {
        await withActivitySignal((signal) =>
          approve
            ? telegram.approveChatJoinRequest(chatId, userId, signal)
            : telegram.declineChatJoinRequest(chatId, userId, signal),
        );
      } catch (error) {
        const kind = classifyTelegramError(error, approve ? 'approve-join' : 'decline-join');
        switch (kind.kind) {
          case 'done':
            // Already a member, or the request was answered or withdrawn: nothing left to do.
            logger.info({ chatId, userId, description: kind.description }, 'join request already handled');
            return;
          case 'channel':
            await failOnChannelProblem(deps, chatId, kind, 'answer a join request');
            break;
          case 'refused':
            // Telegram will not take this answer (e.g. the user is in too many channels): visible, not retried.
            logger.error({ chatId, userId, approve, description: kind.description }, 'join request answer refused');
            return;
          case 'transient':
            throw error;
        }
      }
      await reportChannelHealthy(deps, chatId);
    },

    /**
     * Removes the member from each channel of the plan by ban then unban (so they can come back),
     * unless another subscription with access still covers that channel. Dry-run only logs.
     */
    async removeChannelAccess({
      userId,
      planId,
      channelIds,
      dryRun,
    }: {
      userId: number;
      planId: string;
      channelIds: number[];
      dryRun: boolean;
    }) {
      const removed: number[] = [];
      for (const channelId of channelIds) {
        const keptBy = (await plansGrantingChannel(db, userId, channelId)).find((other) => other !== planId);
        if (keptBy) {
          logger.info({ userId, planId, channelId, keptBy }, 'member kept: another plan covers the channel');
          continue;
        }
        if (dryRun) {
          logger.warn({ userId, planId, channelId }, 'dry run: would remove member');
          removed.push(channelId);
          continue;
        }
        try {
          await withActivitySignal(async (signal) => {
            await telegram.banChatMember(channelId, userId, {}, signal);
            await telegram.unbanChatMember(channelId, userId, { only_if_banned: true }, signal);
          });
        } catch (error) {
          const kind = classifyTelegramError(error, 'remove-member');
          if (kind.kind === 'transient') throw error;
          // The bot lost its rights: admins told, and this removal is retried until they are back.
          if (kind.kind === 'channel') await failOnChannelProblem(deps, channelId, kind, 'remove a member');
          if (kind.kind === 'refused') {
            // E.g. the user is an administrator of the channel: no retry helps; an admin has to act.
            logger.error({ userId, channelId, description: kind.description }, 'member could not be removed');
            await notify.notifyAdmins({
              key: `subscription:${userId}:${planId}:removal-refused:${channelId}`,
              message: 'admin-removal-refused',
              vars: { userId: String(userId), channelId: String(channelId), problem: kind.description },
            });
            continue;
          }
          logger.info({ userId, channelId, description: kind.description }, 'member not in channel');
        }
        await reportChannelHealthy(deps, channelId);
        removed.push(channelId);
      }
      // Each link is marked revoked only once Telegram has revoked it, so a retry revokes the rest.
      const links = await db
        .select()
        .from(inviteLinks)
        .where(and(eq(inviteLinks.userId, userId), eq(inviteLinks.planId, planId), isNull(inviteLinks.revokedAt)));
      for (const link of links) {
        if (!dryRun) {
          try {
            await withActivitySignal((signal) => telegram.revokeChatInviteLink(link.channelId, link.link, signal));
          } catch (error) {
            const kind = classifyTelegramError(error, 'revoke-link');
            if (kind.kind === 'transient') throw error;
            if (kind.kind === 'channel')
              await failOnChannelProblem(deps, link.channelId, kind, 'revoke an invite link');
            if (kind.kind === 'refused')
              // The link only asks to join and the bot declines non-subscribers: log it, do not block the removal.
              logger.warn({ channelId: link.channelId, description: kind.description }, 'invite link not revoked');
          }
        }
        await db
          .update(inviteLinks)
          .set({ revokedAt: new Date() })
          .where(
            and(
              eq(inviteLinks.userId, link.userId),
              eq(inviteLinks.planId, planId),
              eq(inviteLinks.channelId, link.channelId),
            ),
          );
      }
      return { removed, dryRun };
    },
  };
}
