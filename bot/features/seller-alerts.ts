/**
 * /alerts: where a seller's sale alerts are emailed (besides Telegram). `/alerts you@example.com`
 * turns them on, `/alerts off` off; `/alerts` alone tells how it stands. Only sellers have alerts.
 */
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { z } from 'zod';
import { sellers } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { requireProfile } from './profile';

const EMAIL = z.email().max(254);

export const sellerAlerts = new Composer<BotContext>();

sellerAlerts.chatType('private').command('alerts', async (ctx) => {
  const user = requireProfile(ctx);
  const { db } = ctx.deps;
  const [seller] = await db.select().from(sellers).where(eq(sellers.userId, user.id));
  if (!seller) return void (await ctx.reply(ctx.t('alerts-not-seller')));
  const asked = ctx.match.trim();
  if (asked === '') {
    const text = seller.alertEmail ? ctx.t('alerts-on', { email: seller.alertEmail }) : ctx.t('alerts-off');
    return void (await ctx.reply(text));
  }
  if (/^off$/i.test(asked)) {
    await db.update(sellers).set({ alertEmail: null }).where(eq(sellers.userId, user.id));
    return void (await ctx.reply(ctx.t('alerts-turned-off')));
  }
  const email = EMAIL.safeParse(asked.toLowerCase());
  if (!email.success) return void (await ctx.reply(ctx.t('alerts-bad-email')));
  await db.update(sellers).set({ alertEmail: email.data }).where(eq(sellers.userId, user.id));
  await ctx.reply(ctx.t('alerts-turned-on', { email: email.data }));
});
