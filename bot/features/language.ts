/** /language: English or Russian, stored in users.language; until then the Telegram client's language is used. */
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { users } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { isLocale, LOCALES, type Locale } from '../i18n';
import { languageData } from '../keyboards/callback-data';
import { LANGUAGE_NAMES, languageKeyboard } from '../keyboards/language';
import { requireProfile, updateProfile } from './profile';

async function setLanguage(ctx: BotContext, locale: Locale): Promise<void> {
  const user = requireProfile(ctx);
  await ctx.deps.db.update(users).set({ language: locale, updatedAt: new Date() }).where(eq(users.id, user.id));
  updateProfile(ctx, { language: locale });
  ctx.i18n.useLocale(locale);
}

export const language = new Composer<BotContext>();
const chat = language.chatType('private');

chat.command('language', async (ctx) => {
  const wanted = ctx.match.trim().toLowerCase();
  if (wanted === '') {
    await ctx.reply(ctx.t('language-choose'), { reply_markup: languageKeyboard() });
    return;
  }
  if (!isLocale(wanted)) {
    await ctx.reply(ctx.t('language-unknown', { given: wanted.slice(0, 20), available: LOCALES.join(', ') }), {
      reply_markup: languageKeyboard(),
    });
    return;
  }
  await setLanguage(ctx, wanted);
  await ctx.reply(ctx.t('language-set', { language: LANGUAGE_NAMES[wanted] }));
});

chat.callbackQuery(languageData.pattern, async (ctx) => {
  const { locale } = languageData.unpack(ctx.callbackQuery.data)!;
  if (!isLocale(locale)) {
    await ctx.answerCallbackQuery({ text: ctx.t('button-stale'), show_alert: true });
    return;
  }
  await setLanguage(ctx, locale);
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t('language-set', { language: LANGUAGE_NAMES[locale] }));
});
