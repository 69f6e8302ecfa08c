/**
 * The user's row, kept current on every private message or button press: created on first contact
 * (with their own referral code), names refreshed, a "blocked" mark cleared once they write again.
 * Also picks the reply language: the one chosen with /language, else the Telegram client's.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import type { User } from 'grammy/types';
import type { Database } from '../../infrastructure/db/client';
import { users } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { pickLocale } from '../i18n';

export type UserRow = typeof users.$inferSelect;

const profiles = new WeakMap<BotContext, UserRow>();

/** The sender's row, loaded for private messages and button presses (undefined for other updates). */
export function profileOf(ctx: BotContext): UserRow | undefined {
  return profiles.get(ctx);
}

/** Same as profileOf, for handlers that only run where the profile middleware ran. */
export function requireProfile(ctx: BotContext): UserRow {
  const user = profiles.get(ctx);
  if (!user) throw new Error(`no user profile loaded for update ${ctx.update.update_id}`);
  return user;
}

export function updateProfile(ctx: BotContext, changes: Partial<UserRow>): void {
  const user = profiles.get(ctx);
  if (user) profiles.set(ctx, { ...user, ...changes });
}

/** 8 url-safe characters (48 random bits): fits a `ref_<code>` deep link. */
export function newReferralCode(): string {
  return randomBytes(6).toString('base64url');
}

export async function ensureUser(db: Database, from: User): Promise<UserRow> {
  const profile = {
    username: from.username ?? null,
    firstName: from.first_name,
    lastName: from.last_name ?? null,
    telegramLanguage: from.language_code ?? null,
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const [existing] = await db.select().from(users).where(eq(users.id, from.id));
    if (existing) {
      const changed =
        existing.username !== profile.username ||
        existing.firstName !== profile.firstName ||
        existing.lastName !== profile.lastName ||
        existing.telegramLanguage !== profile.telegramLanguage ||
        existing.blockedAt !== null;
      if (!changed) return existing;
      const [updated] = await db
        .update(users)
        .set({ ...profile, blockedAt: null, updatedAt: new Date() })
        .where(eq(users.id, from.id))
        .returning();
      return updated ?? existing;
    }
    // No target: a clash on the id (a concurrent first update) or on the code (retry with a new one) both land here.
    const [created] = await db
      .insert(users)
      .values({ id: from.id, ...profile, referralCode: newReferralCode() })
      .onConflictDoNothing()
      .returning();
    if (created) return created;
  }
  throw new Error(`could not register user ${from.id}`);
}

export const profile = new Composer<BotContext>();

profile.use(async (ctx, next) => {
  const from = ctx.from;
  if (from && !from.is_bot && ctx.chat?.type === 'private' && (ctx.message || ctx.callbackQuery)) {
    const user = await ensureUser(ctx.deps.db, from);
    profiles.set(ctx, user);
    ctx.i18n.useLocale(pickLocale(user.language, from.language_code));
  } else if (from) {
    ctx.i18n.useLocale(pickLocale(undefined, from.language_code));
  }
  await next();
});
