import { InlineKeyboard } from 'grammy';
import { LOCALES, type Locale } from '../i18n';
import { languageData } from './callback-data';

/** Each language named in itself, so anyone can find theirs. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: '🇬🇧 English', ru: '🇷🇺 Русский' };

export function languageKeyboard(): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const locale of LOCALES) keyboard.text(LANGUAGE_NAMES[locale], languageData.pack({ locale }));
  return keyboard;
}
