/**
 * /balance: a seller's marketplace money. In escrow (each held sale with the time its hold ends),
 * available, and the platform's fee taken, every figure a sum of ledger entries
 * (infrastructure/read-models/balances.ts `sellerBalances`), never a stored counter. The release
 * time is the order's payment time + ESCROW_HOLD, as the escrow workflow computes it.
 */
import { eq, inArray } from 'drizzle-orm';
import { Composer } from 'grammy';
import { salePrice } from '../../domain/escrow';
import { orders, products, sellers } from '../../infrastructure/db/schema';
import { sellerBalances } from '../../infrastructure/read-models/balances';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import { requireProfile } from './profile';

export const balance = new Composer<BotContext>();

balance.chatType('private').command('balance', async (ctx) => {
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
  for (const m of money)
    lines.push(
      ctx.t('balance-seller-money', {
        held: salePrice(m.held, m.currency),
        available: salePrice(m.available, m.currency),
        fees: salePrice(m.fees, m.currency),
      }),
    );
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
  await ctx.reply(lines.join('\n'));
});
