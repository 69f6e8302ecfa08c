/**
 * Disputes for buyers: ⚠️ N in /library (a purchase whose payment the escrow still holds) asks what
 * is wrong; the buyer's next text, 1–500 characters, opens the dispute on the escrow (its `dispute`
 * update), which freezes the release until an admin refunds, releases or splits. The answer comes
 * from the workflow, so a purchase past its hold or refunded meanwhile is refused with the reason.
 *
 * Like a product edit, the question waits in memory (this bot process) for FLOW_TTL_MS; any
 * command leaves it, and the buyer can press ⚠️ again.
 */
import { eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { disputeReason, type DisputeRefusal } from '../../domain/dispute';
import { MAX_DISPUTE_REASON_LENGTH, OWNED_ORDER_STATUSES } from '../../domain/order';
import { disputes, orders, products } from '../../infrastructure/db/schema';
import { DisputeRefusedError } from '../../infrastructure/temporal/escrow-commands';
import type { BotContext } from '../context';
import { disputeOpenData } from '../keyboards/callback-data';
import { FLOW_TTL_MS } from './sell';

export const disputesFeature = new Composer<BotContext>();
const chat = disputesFeature.chatType('private');

/** Buyer id → the purchase whose dispute reason is asked for. */
const asked = new Map<number, { orderId: string; title: string; at: number }>();

function askedOf(buyerId: number) {
  const question = asked.get(buyerId);
  if (question && Date.now() - question.at > FLOW_TTL_MS) {
    asked.delete(buyerId);
    return undefined;
  }
  return question;
}

const refusalText = (ctx: BotContext, reason: DisputeRefusal) =>
  ctx.t(`dispute-refused-${reason}`, { max: String(MAX_DISPUTE_REASON_LENGTH) });

/** The refusals the database already shows, before the buyer types a reason for nothing. */
async function earlyRefusal(ctx: BotContext, orderId: string, buyerId: number) {
  const { db, config } = ctx.deps;
  const [row] = await db
    .select({ order: orders, title: products.title, dispute: disputes.status })
    .from(orders)
    .innerJoin(products, eq(products.id, orders.productId))
    .leftJoin(disputes, eq(disputes.orderId, orders.id))
    .where(eq(orders.id, orderId));
  if (!row || row.order.buyerId !== buyerId) return { refusal: 'not-buyer' as const };
  if (row.order.status === 'refunded') return { refusal: 'refunded' as const };
  if (!(OWNED_ORDER_STATUSES as readonly string[]).includes(row.order.status)) return { refusal: 'not-paid' as const };
  if (row.dispute !== null) return { refusal: 'already-disputed' as const };
  const holdEnds = (row.order.paidAt?.getTime() ?? 0) + config.orders.escrowHoldMs;
  if (holdEnds <= Date.now()) return { refusal: 'outside-hold' as const };
  return { title: row.title };
}

chat.callbackQuery(disputeOpenData.pattern, async (ctx) => {
  const { orderId } = disputeOpenData.unpack(ctx.callbackQuery.data)!;
  const found = await earlyRefusal(ctx, orderId, ctx.from.id);
  if (found.refusal) {
    await ctx.answerCallbackQuery({ text: refusalText(ctx, found.refusal), show_alert: true });
    return;
  }
  asked.set(ctx.from.id, { orderId, title: found.title, at: Date.now() });
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t('dispute-ask-reason', { title: found.title, max: String(MAX_DISPUTE_REASON_LENGTH) }), {
    reply_markup: { force_reply: true, input_field_placeholder: ctx.t('dispute-reason-placeholder') },
  });
});

chat.on('message:text', async (ctx, next) => {
  const { text } = ctx.message;
  if (text.startsWith('/')) {
    asked.delete(ctx.from.id);
    return next();
  }
  const question = askedOf(ctx.from.id);
  if (!question) return next();
  const reason = disputeReason(text);
  // The question stays open: the next text is another try.
  if (reason === undefined) return void (await ctx.reply(refusalText(ctx, 'bad-reason')));
  asked.delete(ctx.from.id);
  try {
    await ctx.deps.commands.openDispute(question.orderId, ctx.from.id, reason);
  } catch (error) {
    if (!(error instanceof DisputeRefusedError)) throw error;
    return void (await ctx.reply(refusalText(ctx, error.reason)));
  }
  ctx.deps.logger.info({ buyerId: ctx.from.id, orderId: question.orderId }, 'dispute opened');
  await ctx.reply(ctx.t('dispute-opened-buyer', { title: question.title, orderId: question.orderId }));
});
