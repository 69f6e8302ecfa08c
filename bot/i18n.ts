/** Fluent translations shared by the bot (replies) and the worker (notifications sent by workflows). */
import { fileURLToPath } from 'node:url';
import { I18n } from '@grammyjs/i18n';
import type { Context } from 'grammy';

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: string | null | undefined): value is Locale {
  return value !== null && value !== undefined && (LOCALES as readonly string[]).includes(value);
}

/** The user's chosen language, else their Telegram client's, else English. */
export function pickLocale(chosen: string | null | undefined, telegramLanguage: string | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  const base = telegramLanguage?.slice(0, 2).toLowerCase();
  return isLocale(base) ? base : DEFAULT_LOCALE;
}

export function createI18n<C extends Context>(): I18n<C & import('@grammyjs/i18n').I18nFlavor> {
  const i18n = new I18n<C & import('@grammyjs/i18n').I18nFlavor>({
    defaultLocale: DEFAULT_LOCALE,
    fluentBundleOptions: { useIsolating: false },
  });
  i18n.loadLocalesDirSync(fileURLToPath(new URL('./locales', import.meta.url)));
  return i18n;
}

export type Translate = (locale: string, key: string, vars?: Record<string, string | number>) => string;

/** Formats a moment for messages: UTC, minute precision, the same in every language. */
export function formatMoment(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
