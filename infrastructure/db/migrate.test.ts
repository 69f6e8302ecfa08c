import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runMigrations } from './migrate';

describe('migrations', () => {
  const name = `tgc_migrate_${randomUUID().slice(0, 8)}`;
  const adminUrl = inject('databaseUrl').replace(/\/[^/]+$/, '/postgres');
  const url = inject('databaseUrl').replace(/\/[^/]+$/, `/${name}`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });

  afterAll(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });

  it('apply to an empty database, and again without change', async () => {
    await admin.unsafe(`create database "${name}"`);
    await runMigrations(url);
    await runMigrations(url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = (await sql`select table_name from information_schema.tables where table_schema = 'public'`).map(
        (r) => r.table_name as string,
      );
      expect(tables).toEqual(
        expect.arrayContaining([
          'users',
          'plans',
          'channels',
          'plan_channels',
          'subscriptions',
          'invoices',
          'webhook_events',
          'referrers',
          'referrals',
          'payout_requests',
          'ledger_entries',
          'audit_log',
          'outbox_messages',
          'invite_links',
        ]),
      );
      const [{ n }] = (await sql`select count(*)::int as n from drizzle.__drizzle_migrations`) as unknown as [
        { n: number },
      ];
      expect(n).toBeGreaterThanOrEqual(1);
      // Money columns are exact integers, never floating point.
      const moneyTypes = await sql`select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and (column_name like '%amount%' or column_name like '%price%')`;
      for (const column of moneyTypes)
        expect(['bigint', 'text'], `${column.table_name}.${column.column_name}`).toContain(column.data_type);
    } finally {
      await sql.end();
    }
  });
});
