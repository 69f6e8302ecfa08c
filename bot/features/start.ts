/**
 * /start: records a `ref_<code>` deep link (first referrer wins, never oneself, unknown codes
 * ignored) or enters the code of a `promo_<CODE>` one (bot/features/promos.ts), then the terms with
 * an Accept button. A `p_<productId>` link opens that product's card (bot/features/shop.ts) instead of the plans. Until they are accepted, the terms gate answers every other command and button
 * with "accept the terms first".
 */
import { and, eq, isNull } from 'drizzle-orm';
import { Composer } from 'grammy';
import type { Database } from '../../infrastructure/db/client';
import { referrals, users } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { termsAcceptData } from '../keyboards/callback-data';
import { termsKeyboard } from '../keyboards/terms';
import { replyWithPlans } from './plans';
import { profileOf, requireProfile, updateProfile } from './profile';
import { enterPromoFromLink } from './promos';
import { openProductFromLink, openShopFromLink } from './shop';

const REFERRAL_PAYLOAD = /^ref_([\w-]{4,32})$/;

export type ReferralOutcome = 'recorded' | 'already-referred' | 'self' | 'unknown-code' | 'not-a-referral';

/** Records who referred this user; the first recorded referrer stays. */
export async function recordReferral(db: Database, userId: number, payload: string): Promise<ReferralOutcome> {
  const code = REFERRAL_PAYLOAD.exec(payload)?.[1];
  if (!code) return 'not-a-referral';
  const [referrer] = await db.select({ id: users.id }).from(users).where(eq(users.referralCode, code));
  if (!referrer) return 'unknown-code';
  if (referrer.id === userId) return 'self';
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(referrals)
      .values({ referredId: userId, referrerId: referrer.id })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) return 'already-referred';
    await tx
      .update(users)
      .set({ referredBy: referrer.id, updatedAt: new Date() })
      .where(and(eq(users.id, userId), isNull(users.referredBy)));
    return 'recorded';
  });
}

async function replyWithTerms(ctx: BotContext, intro?: string): Promise<void> {
  const text = [intro, ctx.t('terms-text')].filter(Boolean).join('\n\n');
  await ctx.reply(text, { reply_markup: termsKeyboard(ctx.t) });
}

export const start = new Composer<BotContext>();
const chat = start.chatType('private');

chat.command('start', async (ctx) => {
  const user = requireProfile(ctx);
  const payload = ctx.match.trim();
  if (payload && ((await openProductFromLink(ctx, payload)) || (await openShopFromLink(ctx, payload)))) {
    // The card is what they came for; a newcomer still gets the terms (the shop's buttons need them).
    if (!user.termsAcceptedAt) await replyWithTerms(ctx, ctx.t('start-welcome', { name: ctx.from.first_name }));
    return;
  }
  if (payload && !(await enterPromoFromLink(ctx, payload))) {
    const outcome = await recordReferral(ctx.deps.db, user.id, payload);
    ctx.deps.logger.info({ userId: user.id, payload, outcome }, 'start payload');
  }
  if (!user.termsAcceptedAt) return replyWithTerms(ctx, ctx.t('start-welcome', { name: ctx.from.first_name }));
  await replyWithPlans(ctx, 'start-welcome-back');
});

chat.callbackQuery(termsAcceptData.pattern, async (ctx) => {
  const user = requireProfile(ctx);
  if (!user.termsAcceptedAt) {
    const acceptedAt = new Date();
    await ctx.deps.db
      .update(users)
      .set({ termsAcceptedAt: acceptedAt, updatedAt: acceptedAt })
      .where(and(eq(users.id, user.id), isNull(users.termsAcceptedAt)));
    updateProfile(ctx, { termsAcceptedAt: acceptedAt });
  }
  await ctx.answerCallbackQuery({ text: ctx.t('terms-accepted') });
  // The Accept button has done its job; an old message that cannot be edited any more is fine as it is.
  await ctx
    .editMessageReplyMarkup()
    .catch((error: unknown) => ctx.deps.logger.debug({ err: error }, 'terms button left in place'));
  await replyWithPlans(ctx, 'terms-accepted-plans');
});

/** Registered after the features a newcomer may use (/start, /help, /language) and before the rest. */
export const termsGate = new Composer<BotContext>();

termsGate.use(async (ctx, next) => {
  const user = profileOf(ctx);
  if (!user || user.termsAcceptedAt) return next();
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: ctx.t('terms-first'), show_alert: true });
  await replyWithTerms(ctx, ctx.t('terms-first'));
});
