/**
 * The user side of the referral program. /referral: the user's link and stats (people referred,
 * how many paid, commission held / available / reserved / paid out, from the ledger).
 * /payout <amount> <network> <wallet>: referral partners withdraw from their available balance.
 *
 * One line (bot/features/payout-request.ts, shared with the sellers' /withdraw): a retried update is
 * the same request (the payout id comes from the message), and the usage line says everything. The
 * payout workflow has the last word on the balance (it reserves atomically) and confirms the
 * request to the user itself.
 */
import { and, count, countDistinct, eq, inArray, sql } from 'drizzle-orm';
import { Composer } from 'grammy';
import { referrerBalances } from '../../infrastructure/read-models/balances';
import { SETTLED_INVOICE_STATES } from '../../domain/invoice';
import { accounts } from '../../domain/ledger';
import { formatMoney } from '../../domain/money';
import { PAYOUT_NETWORKS } from '../../domain/payout';
import type { Database } from '../../infrastructure/db/client';
import { invoices, ledgerEntries, referrals, referrers } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { bpsToPercent } from './exports';
import { commandPayout } from './payout-request';
import { requireProfile } from './profile';

/** Plans are priced in it; a referrer who has earned nothing yet is shown (and pays out) in it. */
export const DEFAULT_CURRENCY = 'USD';

export interface ReferrerMoney {
  currency: string;
  held: bigint;
  available: bigint;
  reserved: bigint;
  paidOut: bigint;
}

export interface ReferralStats {
  referred: number;
  /** Referred users with at least one paid invoice. */
  paid: number;
  /** One entry per currency the referrer has ledger entries in. */
  money: ReferrerMoney[];
}

export async function referralStats(db: Database, userId: number): Promise<ReferralStats> {
  const mine = [accounts.referrerHeld(userId), accounts.referrerAvailable(userId), accounts.referrerReserved(userId)];
  const [[referred], [paid], currencies] = await Promise.all([
    db.select({ n: count() }).from(referrals).where(eq(referrals.referrerId, userId)),
    db
      .select({ n: countDistinct(invoices.userId) })
      .from(referrals)
      .innerJoin(
        invoices,
        and(eq(invoices.userId, referrals.referredId), inArray(invoices.status, [...SETTLED_INVOICE_STATES])),
      )
      .where(eq(referrals.referrerId, userId)),
    db
      .selectDistinct({ currency: ledgerEntries.currency })
      .from(ledgerEntries)
      .where(inArray(ledgerEntries.account, mine)),
  ]);
  const money = await Promise.all(
    currencies.map(async ({ currency }) => {
      const [balances, [sent]] = await Promise.all([
        referrerBalances(db, userId, currency),
        // What left the reserved bucket because an admin sent it (payout-paid postings).
        db
          .select({ sum: sql<string>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::text` })
          .from(ledgerEntries)
          .where(
            and(
              eq(ledgerEntries.account, accounts.referrerReserved(userId)),
              eq(ledgerEntries.currency, currency),
              eq(ledgerEntries.kind, 'payout-paid'),
            ),
          ),
      ]);
      return { currency, ...balances, paidOut: BigInt(sent?.sum ?? '0') };
    }),
  );
  return {
    referred: referred?.n ?? 0,
    paid: paid?.n ?? 0,
    money: money.sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

/** The currency a payout is asked in: the one with the most available, else the default. */
export function payoutCurrency(money: ReferrerMoney[]): string {
  const best = [...money].sort((a, b) => (a.available === b.available ? 0 : a.available > b.available ? -1 : 1))[0];
  return best && best.available > 0n ? best.currency : DEFAULT_CURRENCY;
}

export function referralLink(botUsername: string, referralCode: string): string {
  return `https://t.me/${botUsername}?start=ref_${referralCode}`;
}

async function partnerOf(db: Database, userId: number) {
  const [row] = await db.select().from(referrers).where(eq(referrers.userId, userId));
  return row;
}

export const referral = new Composer<BotContext>();
const chat = referral.chatType('private');

chat.command('referral', async (ctx) => {
  const { db, config } = ctx.deps;
  const user = requireProfile(ctx);
  const [partner, stats] = await Promise.all([partnerOf(db, user.id), referralStats(db, user.id)]);
  const lines = [
    ctx.t('referral-link', { link: referralLink(ctx.me.username, user.referralCode) }),
    ctx.t('referral-counts', { referred: stats.referred, paid: stats.paid }),
  ];
  if (!partner) lines.push(ctx.t('referral-not-partner'));
  else
    lines.push(
      ctx.t(partner.active ? 'referral-partner' : 'referral-partner-paused', {
        percent: bpsToPercent(partner.commissionBps),
      }),
    );
  const money =
    stats.money.length > 0 || !partner
      ? stats.money
      : [{ currency: DEFAULT_CURRENCY, held: 0n, available: 0n, reserved: 0n, paidOut: 0n }];
  for (const m of money) {
    lines.push(
      ctx.t('referral-balance', {
        held: formatMoney(m.held, m.currency),
        available: formatMoney(m.available, m.currency),
        reserved: formatMoney(m.reserved, m.currency),
        paidOut: formatMoney(m.paidOut, m.currency),
      }),
    );
  }
  if (partner)
    lines.push(
      ctx.t('referral-payout-hint', { minimum: formatMoney(config.payout.minimumMinor, payoutCurrency(stats.money)) }),
    );
  await ctx.reply(lines.join('\n\n'), { link_preview_options: { is_disabled: true } });
});

chat.command('payout', async (ctx) => {
  const { db, config } = ctx.deps;
  const user = requireProfile(ctx);
  const partner = await partnerOf(db, user.id);
  if (!partner) return void (await ctx.reply(ctx.t('payout-partners-only')));
  const stats = await referralStats(db, user.id);
  const currency = payoutCurrency(stats.money);
  const availableMinor = stats.money.find((m) => m.currency === currency)?.available ?? 0n;
  await commandPayout(ctx, {
    source: 'referrer',
    currency,
    availableMinor,
    usage: () =>
      ctx.t('payout-usage', {
        networks: PAYOUT_NETWORKS.join(', '),
        minimum: formatMoney(config.payout.minimumMinor, currency),
        available: formatMoney(availableMinor, currency),
      }),
  });
});
