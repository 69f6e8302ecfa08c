/**
 * The marketplace's product categories: the predecessor's eleven, for digital goods. The list here is
 * the source of truth: `seedCategories` runs after the migrations (infrastructure/db/migrate.ts) and
 * upserts it, so a new translation or order reaches every database on its next migrate. A category
 * dropped from the list stays in the table (products may still name it); retire one with a migration.
 */
import { sql } from 'drizzle-orm';
import type { Locale } from '../../bot/i18n';
import type { Database } from '../db/client';
import { categories } from '../db/schema';

/** A category's name in every bot language (adding a locale makes this list fail to compile until translated). */
export type CategoryNames = Record<Locale, string>;

export interface Category {
  id: string;
  names: CategoryNames;
}

/** In display order. */
export const CATEGORIES: readonly Category[] = [
  { id: 'courses', names: { en: 'Courses', ru: 'Курсы' } },
  { id: 'ebooks', names: { en: 'E-books', ru: 'Электронные книги' } },
  { id: 'software', names: { en: 'Software', ru: 'Программы' } },
  { id: 'templates', names: { en: 'Templates', ru: 'Шаблоны' } },
  { id: 'graphics', names: { en: 'Graphics & design', ru: 'Графика и дизайн' } },
  { id: 'audio', names: { en: 'Music & audio', ru: 'Музыка и аудио' } },
  { id: 'video', names: { en: 'Video', ru: 'Видео' } },
  { id: 'photo', names: { en: 'Photo', ru: 'Фото' } },
  { id: 'games', names: { en: 'Games', ru: 'Игры' } },
  { id: 'business', names: { en: 'Business & marketing', ru: 'Бизнес и маркетинг' } },
  { id: 'other', names: { en: 'Other', ru: 'Другое' } },
];

/** Idempotent: inserts missing categories and brings names and order of existing ones up to date. */
export async function seedCategories(db: Pick<Database, 'insert'>): Promise<void> {
  await db
    .insert(categories)
    .values(
      CATEGORIES.map((category, index) => ({ id: category.id, sortOrder: (index + 1) * 10, names: category.names })),
    )
    .onConflictDoUpdate({
      target: categories.id,
      set: { sortOrder: sql`excluded.sort_order`, names: sql`excluded.names` },
    });
}
