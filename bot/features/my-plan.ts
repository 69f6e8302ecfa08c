/**
 * /myplan: every subscription of the user from the read model, with its status, dates and a renew
 * button; and the user's kept balance per currency (for the next invoice), where there is one.
 */
import { desc, eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { fromMinor } from '../../domain/money';
import { plans, subscriptions } from '../../infrastructure/db/schema';
import { userCredits } from '../../infrastructure/read-models/balances';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import { renewKeyboard, showPlansKeyboard } from '../keyboards/plans';
import { requireProfile } from './profile';

export const myPlan = new Composer<BotContext>();

myPlan.chatType('private').command('myplan', async (ctx) => {
  const user = requireProfile(ctx);
  const rows = await ctx.deps.db
    .select({
      planId: subscriptions.planId,
      title: plans.title,
      planActive: plans.active,
      status: subscriptions.status,
      expiresAt: subscriptions.expiresAt,
      accessUntil: subscriptions.accessUntil,
    })
    .from(subscriptions)
    .innerJoin(plans, eq(plans.id, subscriptions.planId))
    .where(eq(subscriptions.userId, user.id))
    .orderBy(desc(subscriptions.expiresAt));
  const credits = (await userCredits(ctx.deps.db, user.id)).map((credit) =>
    ctx.t('myplan-credit', { amount: fromMinor(credit.amountMinor, credit.currency), currency: credit.currency }),
  );
  if (rows.length === 0) {
    await ctx.reply([ctx.t('myplan-none'), ...credits].join('\n\n'), { reply_markup: showPlansKeyboard(ctx.t) });
    return;
  }
  const lines = rows.map((row) =>
    ctx.t(`myplan-${row.status}`, {
      plan: row.title,
      expiresAt: formatMoment(row.expiresAt.getTime()),
      accessUntil: formatMoment(row.accessUntil.getTime()),
    }),
  );
  const renewable = rows.filter((row) => row.planActive).map((row) => ({ id: row.planId, title: row.title }));
  await ctx.reply(
    [ctx.t('myplan-title'), ...lines, ...credits].join('\n\n'),
    renewable.length > 0 ? { reply_markup: renewKeyboard(ctx.t, renewable) } : {},
  );
});
