/**
 * Free trials, once per user ever. The bot refuses early when it can tell (no trial on the plan,
 * trial already used); the subscription workflow has the last word (it claims the trial atomically)
 * and sends the result: the invite links, or why not.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import { Composer } from 'grammy';
import { plans } from '../../infrastructure/db/schema';
import { UnknownPlanError } from '../../infrastructure/temporal/commands';
import type { BotContext } from '../context';
import { trialData } from '../keyboards/callback-data';
import { trialsKeyboard } from '../keyboards/plans';
import { activePlan, planUnavailable } from './plans';
import { requireProfile } from './profile';

async function startTrial(ctx: BotContext, planId: string): Promise<void> {
  const user = requireProfile(ctx);
  const plan = await activePlan(ctx.deps.db, planId);
  if (!plan) return planUnavailable(ctx);
  if (plan.trialSeconds <= 0) {
    await ctx.answerCallbackQuery();
    await ctx.reply(ctx.t('trial-not-offered', { plan: plan.title }));
    return;
  }
  if (user.trialUsedAt) {
    await ctx.answerCallbackQuery();
    await ctx.reply(ctx.t('trial-already-used'));
    return;
  }
  try {
    await ctx.deps.commands.requestTrial(user.id, plan.id);
  } catch (error) {
    if (error instanceof UnknownPlanError) return planUnavailable(ctx);
    throw error;
  }
  ctx.deps.logger.info({ userId: user.id, planId: plan.id }, 'trial requested');
  await ctx.answerCallbackQuery({ text: ctx.t('trial-starting') });
}

export const trial = new Composer<BotContext>();
const chat = trial.chatType('private');

chat.command('trial', async (ctx) => {
  const user = requireProfile(ctx);
  if (user.trialUsedAt) return void (await ctx.reply(ctx.t('trial-already-used')));
  const offered = await ctx.deps.db
    .select()
    .from(plans)
    .where(and(eq(plans.active, true), gt(plans.trialSeconds, 0)))
    .orderBy(asc(plans.sortOrder), asc(plans.id));
  if (offered.length === 0) return void (await ctx.reply(ctx.t('trial-none')));
  await ctx.reply(ctx.t('trial-choose'), { reply_markup: trialsKeyboard(ctx.t, offered) });
});

chat.callbackQuery(trialData.pattern, (ctx) => startTrial(ctx, trialData.unpack(ctx.callbackQuery.data)!.planId));
