/**
 * The admin CSV exports, streamed from PostgreSQL with a cursor (500 rows a batch) into a file.
 * Users: one row per user and subscription (a user without any has one row with empty plan columns),
 * so every field stays one value. Referrers: one row per referrer and currency of their ledger
 * accounts (one row with an empty currency and zero amounts when they have earned nothing yet).
 * Amounts are exact decimals from the ledger (`referrer:<id>:held|available|reserved`).
 * Columns of our own figures are declared numeric, so a plain negative amount stays a number in a
 * spreadsheet; names, usernames and every other text are neutralised against formulas (csv.ts).
 */
import type postgres from 'postgres';
import { SETTLED_INVOICE_STATES } from '../../domain/invoice';
import { fromMinor } from '../../domain/money';
import { writeCsvFile, type CsvFile, type CsvValue } from './csv';

const BATCH = 500;
/** Moments as ISO 8601 UTC with milliseconds, like Date#toISOString (the raw client returns timestamps as text). */
const ISO = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

export const USERS_HEADER = [
  'id',
  'username',
  'first_name',
  'last_name',
  'language',
  'terms_accepted_at',
  'trial_used_at',
  'referral_code',
  'referred_by',
  'plan',
  'status',
  'expires_at',
] as const;
/** Our own numbers (ids) among the users columns. */
export const USERS_NUMERIC = ['id', 'referred_by'] as const;

export const REFERRERS_HEADER = [
  'referrer_id',
  'username',
  'commission_pct',
  'active',
  'referred_count',
  'paid_referrals',
  'currency',
  'held',
  'available',
  'reserved',
  'paid_out',
] as const;
/** Our own figures among the referrers columns: ids, the commission, counts and ledger amounts. */
export const REFERRERS_NUMERIC = [
  'referrer_id',
  'commission_pct',
  'referred_count',
  'paid_referrals',
  'held',
  'available',
  'reserved',
  'paid_out',
] as const;

/** 1250 → "12.5" (basis points as a percentage, exact). */
export function bpsToPercent(bps: number): string {
  const whole = Math.trunc(bps / 100);
  const fraction = String(bps % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

interface UserRow {
  id: string;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  language: string | null;
  terms_accepted_at: string | null;
  trial_used_at: string | null;
  referral_code: string;
  referred_by: string | null;
  plan_id: string | null;
  status: string | null;
  expires_at: string | null;
}

export function exportUsers(sql: postgres.Sql): Promise<CsvFile> {
  const cursor = sql<UserRow[]>`
    select u.id, u.username, u.first_name, u.last_name, u.language,
           to_char(u.terms_accepted_at at time zone 'UTC', ${ISO}) as terms_accepted_at,
           to_char(u.trial_used_at at time zone 'UTC', ${ISO}) as trial_used_at,
           u.referral_code, u.referred_by, s.plan_id, s.status,
           to_char(s.expires_at at time zone 'UTC', ${ISO}) as expires_at
      from users u left join subscriptions s on s.user_id = u.id
     order by u.id, s.plan_id`.cursor(BATCH);
  return writeCsvFile(
    'users.csv',
    USERS_HEADER,
    mapBatches(cursor, (r) => [
      r.id,
      r.username,
      r.first_name,
      r.last_name,
      r.language,
      r.terms_accepted_at,
      r.trial_used_at,
      r.referral_code,
      r.referred_by,
      r.plan_id,
      r.status,
      r.expires_at,
    ]),
    { numeric: USERS_NUMERIC },
  );
}

interface ReferrerRow {
  referrer_id: string;
  username: string | null;
  commission_bps: number;
  active: boolean;
  referred_count: string;
  paid_referrals: string;
  currency: string | null;
  held: string | null;
  available: string | null;
  reserved: string | null;
  paid_out: string | null;
}

export function exportReferrers(sql: postgres.Sql): Promise<CsvFile> {
  const cursor = sql<ReferrerRow[]>`
    select r.user_id as referrer_id, u.username, r.commission_bps, r.active,
           (select count(*) from referrals rf where rf.referrer_id = r.user_id) as referred_count,
           (select count(distinct i.user_id) from referrals rf
              join invoices i on i.user_id = rf.referred_id and i.status in ${sql([...SETTLED_INVOICE_STATES])}
             where rf.referrer_id = r.user_id) as paid_referrals,
           b.currency, b.held, b.available, b.reserved, b.paid_out
      from referrers r
      join users u on u.id = r.user_id
      left join lateral (
        select e.currency,
               -coalesce(sum(e.amount_minor) filter (where e.account = 'referrer:' || r.user_id || ':held'), 0) as held,
               -coalesce(sum(e.amount_minor) filter (where e.account = 'referrer:' || r.user_id || ':available'), 0) as available,
               -coalesce(sum(e.amount_minor) filter (where e.account = 'referrer:' || r.user_id || ':reserved'), 0) as reserved,
               coalesce(sum(e.amount_minor) filter (where e.account = 'referrer:' || r.user_id || ':reserved' and e.kind = 'payout-paid'), 0) as paid_out
          from ledger_entries e
         where e.account in ('referrer:' || r.user_id || ':held', 'referrer:' || r.user_id || ':available', 'referrer:' || r.user_id || ':reserved')
         group by e.currency
      ) b on true
     order by r.user_id, b.currency`.cursor(BATCH);
  return writeCsvFile(
    'referrers.csv',
    REFERRERS_HEADER,
    mapBatches(cursor, (r) => {
      const currency = r.currency ?? '';
      const amount = (minor: string | null) => fromMinor(BigInt(minor ?? '0'), currency || 'USD');
      return [
        r.referrer_id,
        r.username,
        bpsToPercent(r.commission_bps),
        r.active,
        r.referred_count,
        r.paid_referrals,
        currency,
        amount(r.held),
        amount(r.available),
        amount(r.reserved),
        amount(r.paid_out),
      ];
    }),
    { numeric: REFERRERS_NUMERIC },
  );
}

async function* mapBatches<R>(cursor: AsyncIterable<R[]>, toRow: (row: R) => CsvValue[]): AsyncIterable<CsvValue[][]> {
  for await (const batch of cursor) yield batch.map(toRow);
}
