/**
 * Applies the committed SQL migrations (infrastructure/db/migrations) with a single connection, then
 * the reference data kept in code (the marketplace categories).
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { seedCategories } from '../catalog/categories';

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // One migrator at a time, even when several processes start together.
    await sql`select pg_advisory_lock(727274)`;
    const db = drizzle(sql, { casing: 'snake_case' });
    await migrate(db, { migrationsFolder });
    await seedCategories(db);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadDotEnv } = await import('../config');
  loadDotEnv();
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is missing: expected a PostgreSQL URL like postgres://user@127.0.0.1:5432/tg_commerce');
    process.exit(1);
  }
  await runMigrations(url);
  console.log('migrations applied');
}
