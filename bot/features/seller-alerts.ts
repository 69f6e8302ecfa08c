/**
 * /alerts: a seller's email alerts (besides Telegram, which always comes). `/alerts you@example.com`
 * sets the address, `/alerts off` removes it; `/alerts` alone tells how it stands, with one toggle
 * per kind of alert (sale, release from escrow, dispute, payout) to turn that kind off or back on.
 */
import { eq, sql } from 'drizzle-orm';
import { Composer, InlineKeyboard } from 'grammy';
import { z } from 'zod';
import { isSellerAlert, SELLER_ALERTS, type SellerAlert } from '../../domain/seller-alert';
import { sellers } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { alertToggleData } from '../keyboards/callback-data';
import { requireProfile } from './profile';

const EMAIL = z.email().max(254);

type Seller = typeof sellers.$inferSelect;

/** What /alerts shows: the address (or none) and, with an address, a toggle per kind. */
function alertsView(ctx: BotContext, seller: Pick<Seller, 'alertEmail' | 'alertOptOuts'>) {
  if (!seller.alertEmail) return { text: ctx.t('alerts-off') };
  const keyboard = new InlineKeyboard();
  for (const alert of SELLER_ALERTS) {
    const on = !seller.alertOptOuts.includes(alert);
    const label = ctx.t(on ? 'alerts-kind-on' : 'alerts-kind-off', { kind: ctx.t(`alerts-kind-${alert}`) });
    keyboard.text(label, alertToggleData.pack({ alert })).row();
  }
  return { text: ctx.t('alerts-on', { email: seller.alertEmail }), reply_markup: keyboard };
}

export const sellerAlerts = new Composer<BotContext>();
const chat = sellerAlerts.chatType('private');

chat.command('alerts', async (ctx) => {
  const user = requireProfile(ctx);
  const { db } = ctx.deps;
  const [seller] = await db.select().from(sellers).where(eq(sellers.userId, user.id));
  if (!seller) return void (await ctx.reply(ctx.t('alerts-not-seller')));
  const asked = ctx.match.trim();
  if (asked === '') {
    const { text, reply_markup } = alertsView(ctx, seller);
    return void (await ctx.reply(text, reply_markup ? { reply_markup } : {}));
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

chat.callbackQuery(alertToggleData.pattern, async (ctx) => {
  const user = requireProfile(ctx);
  const { alert } = alertToggleData.unpack(ctx.callbackQuery.data)!;
  if (!isSellerAlert(alert)) return void (await ctx.answerCallbackQuery({ text: ctx.t('button-stale') }));
  // One statement flips the kind, so two quick taps on two toggles never undo each other.
  const kind: SellerAlert = alert;
  const [seller] = await ctx.deps.db
    .update(sellers)
    .set({
      alertOptOuts: sql`case when ${kind}::text = any(${sellers.alertOptOuts})
        then array_remove(${sellers.alertOptOuts}, ${kind}::text)
        else array_append(${sellers.alertOptOuts}, ${kind}::text) end`,
      updatedAt: new Date(),
    })
    .where(eq(sellers.userId, user.id))
    .returning({ alertEmail: sellers.alertEmail, alertOptOuts: sellers.alertOptOuts });
  if (!seller) return void (await ctx.answerCallbackQuery({ text: ctx.t('alerts-not-seller'), show_alert: true }));
  const on = !seller.alertOptOuts.includes(kind);
  await ctx.answerCallbackQuery({
    text: ctx.t(on ? 'alerts-kind-turned-on' : 'alerts-kind-turned-off', { kind: ctx.t(`alerts-kind-${kind}`) }),
  });
  const { text, reply_markup } = alertsView(ctx, seller);
  await ctx.editMessageText(text, reply_markup ? { reply_markup } : {});
});
