/**
 * /balance: a seller's marketplace money. In escrow (each held sale with the time its hold ends),
 * available, reserved by payout requests, paid out, and the platform's fee taken, every figure a sum
 * of ledger entries (infrastructure/read-models/balances.ts `sellerBalances`), never a stored
 * counter. The release time is the order's payment time + ESCROW_HOLD, as the escrow workflow
 * computes it.
 *
 * Payouts (bot/features/payout-request.ts, as referrers ask theirs): a Request payout button per
 * currency with money available, or `/withdraw <amount> <network> <wallet>`. Stars (XTR) proceeds
 * are not paid to a crypto wallet (the platform withdraws Stars through Telegram, not on a chain):
 * /balance says so and offers no button for them.
 */
import { eq, inArray } from 'drizzle-orm';
import { Composer, InlineKeyboard } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { salePrice } from '../../domain/escrow';
import { formatMoney } from '../../domain/money';
import { PAYOUT_NETWORKS } from '../../domain/payout';
import { STARS_CURRENCY } from '../../domain/rail';
import { orders, products, sellers } from '../../infrastructure/db/schema';
import { sellerBalances, type SellerMoney } from '../../infrastructure/read-models/balances';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import { askPayoutButton, commandPayout, minimumOf } from './payout-request';
import { requireProfile } from './profile';

/** A seller who has earned nothing yet is shown (and pays out) in it, as referrers are. */
const DEFAULT_CURRENCY = 'USD';

/** The currency a /withdraw is asked in: the one (not Stars) with the most available, else the default. */
export function withdrawalCurrency(money: SellerMoney[]): string {
  const best = money
    .filter((m) => m.currency !== STARS_CURRENCY)
    .sort((a, b) => (a.available === b.available ? 0 : a.available > b.available ? -1 : 1))[0];
  return best && best.available > 0n ? best.currency : DEFAULT_CURRENCY;
}

export const balance = new Composer<BotContext>();
const chat = balance.chatType('private');

chat.command('balance', async (ctx) => {
  const { db, config } = ctx.deps;
  const user = requireProfile(ctx);
  const [[seller], { money, holds }] = await Promise.all([
    db.select({ userId: sellers.userId }).from(sellers).where(eq(sellers.userId, user.id)),
    sellerBalances(db, user.id),
  ]);
  if (!seller && money.length === 0) {
    await ctx.reply(ctx.t('balance-not-seller'));
    return;
  }
  if (money.length === 0) {
    await ctx.reply(ctx.t('balance-seller-empty'));
    return;
  }
  const held =
    holds.length === 0
      ? []
      : await db
          .select({ orderId: orders.id, paidAt: orders.paidAt, title: products.title })
          .from(orders)
          .innerJoin(products, eq(products.id, orders.productId))
          .where(
            inArray(
              orders.id,
              holds.map((h) => h.orderId),
            ),
          );
  const lines = [ctx.t('balance-seller-header')];
  const buttons: InlineKeyboardButton[][] = [];
  for (const m of money) {
    lines.push(
      ctx.t('balance-seller-money', {
        held: salePrice(m.held, m.currency),
        available: salePrice(m.available, m.currency),
        fees: salePrice(m.fees, m.currency),
      }),
      ctx.t('balance-seller-payouts', {
        reserved: salePrice(m.reserved, m.currency),
        paidOut: salePrice(m.paidOut, m.currency),
      }),
    );
    if (m.available < 0n)
      lines.push(ctx.t('balance-seller-negative', { available: salePrice(m.available, m.currency) }));
    else if (m.available > 0n && m.currency === STARS_CURRENCY) lines.push(ctx.t('balance-seller-stars'));
    else if (m.available >= minimumOf(ctx, 'seller')) buttons.push([askPayoutButton(ctx, 'seller', m.currency)]);
  }
  for (const hold of holds) {
    const order = held.find((o) => o.orderId === hold.orderId);
    lines.push(
      ctx.t('balance-seller-hold', {
        title: order?.title ?? hold.orderId,
        amount: salePrice(hold.heldMinor, hold.currency),
        releaseAt: order?.paidAt ? formatMoment(order.paidAt.getTime() + config.orders.escrowHoldMs) : '—',
      }),
    );
  }
  if (money.some((m) => m.currency !== STARS_CURRENCY && m.available > 0n))
    lines.push(
      '',
      ctx.t('balance-seller-payout-hint', {
        minimum: formatMoney(minimumOf(ctx, 'seller'), withdrawalCurrency(money)),
      }),
    );
  await ctx.reply(lines.join('\n'), buttons.length > 0 ? { reply_markup: InlineKeyboard.from(buttons) } : {});
});

chat.command('withdraw', async (ctx) => {
  const { db } = ctx.deps;
  const user = requireProfile(ctx);
  const [[seller], { money }] = await Promise.all([
    db.select({ userId: sellers.userId }).from(sellers).where(eq(sellers.userId, user.id)),
    sellerBalances(db, user.id),
  ]);
  if (!seller && money.length === 0) return void (await ctx.reply(ctx.t('balance-not-seller')));
  const currency = withdrawalCurrency(money);
  const availableMinor = money.find((m) => m.currency === currency)?.available ?? 0n;
  const stars = money.find((m) => m.currency === STARS_CURRENCY);
  if (availableMinor <= 0n && stars && stars.available > 0n)
    return void (await ctx.reply(ctx.t('payout-stars-not-paid-out')));
  await commandPayout(ctx, {
    source: 'seller',
    currency,
    availableMinor,
    usage: () =>
      ctx.t('withdraw-usage', {
        networks: PAYOUT_NETWORKS.join(', '),
        minimum: formatMoney(minimumOf(ctx, 'seller'), currency),
        available: formatMoney(availableMinor, currency),
      }),
  });
});
