/**
 * The payment rails' side of the bot. Telegram Stars: `pre_checkout_query` is answered (within
 * Telegram's 10 s) after checking the invoice is still payable for exactly that amount, and a
 * `successful_payment` is handed to `invoice:<payload>` (Telegram is the rail, so its update is the
 * rail's own confirmation). `/paysupport`, as Telegram requires of bots that take Stars. The "check
 * status" button under a crypto pay address. Open before the terms gate: a payment in flight is
 * always answered.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { desc, eq } from 'drizzle-orm';
import { Composer } from 'grammy';
import { INVOICE_ID_PATTERN } from '../../domain/invoice';
import { STARS_CURRENCY } from '../../domain/rail';
import { invoices } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { invoiceCheckData } from '../keyboards/callback-data';

export const payments = new Composer<BotContext>();

/** Why a Stars invoice cannot be paid now (a locale key), or undefined when it can. */
async function starsRefusal(
  ctx: BotContext,
  query: { invoice_payload: string; currency: string; total_amount: number; from: { id: number } },
): Promise<string | undefined> {
  if (!INVOICE_ID_PATTERN.test(query.invoice_payload)) return 'stars-refused-unknown';
  // The read model, not the workflow: a pre-checkout is answered even while the worker is down.
  const [invoice] = await ctx.deps.db.select().from(invoices).where(eq(invoices.id, query.invoice_payload));
  if (!invoice || invoice.provider !== 'stars' || invoice.userId !== query.from.id) return 'stars-refused-unknown';
  // `creating`: the invoice message is out but the row not yet updated (a user who pays at once).
  if (invoice.status !== 'pending' && invoice.status !== 'creating') return 'stars-refused-closed';
  if (invoice.expiresAt && invoice.expiresAt.getTime() <= Date.now()) return 'stars-refused-closed';
  const due = invoice.amountMinor - invoice.discountMinor - invoice.creditMinor;
  if (query.currency !== STARS_CURRENCY || BigInt(query.total_amount) !== due) return 'stars-refused-amount';
  return undefined;
}

payments.on('pre_checkout_query', async (ctx) => {
  const query = ctx.preCheckoutQuery;
  const refusal = await starsRefusal(ctx, query);
  ctx.deps.logger.info(
    { invoiceId: query.invoice_payload, userId: query.from.id, amount: query.total_amount, refusal },
    'stars pre-checkout',
  );
  if (refusal) await ctx.answerPreCheckoutQuery(false, { error_message: ctx.t(refusal) });
  else await ctx.answerPreCheckoutQuery(true);
});

payments.on('message:successful_payment', async (ctx) => {
  const payment = ctx.message.successful_payment;
  const invoiceId = payment.invoice_payload;
  ctx.deps.logger.info(
    { invoiceId, userId: ctx.from.id, amount: payment.total_amount, charge: payment.telegram_payment_charge_id },
    'stars payment received',
  );
  try {
    await ctx.deps.commands.reportPayment(invoiceId, {
      status: 'paid',
      received: String(payment.total_amount),
      currency: payment.currency,
      source: 'telegram',
      chargeId: payment.telegram_payment_charge_id,
    });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error; // Telegram delivers the update again
    // Paid after its workflow ended: kept in the log with the charge id, for a refund or resolution.
    ctx.deps.logger.error(
      { invoiceId, charge: payment.telegram_payment_charge_id, amount: payment.total_amount },
      'stars payment for an invoice that is no longer open; support must resolve it',
    );
    await ctx.reply(ctx.t('stars-paid-closed', { invoiceId }));
  }
});

payments.command('paysupport', async (ctx) => {
  const [last] = ctx.from
    ? await ctx.deps.db
        .select({ id: invoices.id })
        .from(invoices)
        .where(eq(invoices.userId, ctx.from.id))
        .orderBy(desc(invoices.createdAt))
        .limit(1)
    : [];
  await ctx.reply(ctx.t('paysupport', { invoiceId: last?.id ?? '—' }));
});

payments.callbackQuery(invoiceCheckData.pattern, async (ctx) => {
  const { invoiceId } = invoiceCheckData.unpack(ctx.callbackQuery.data)!;
  const [invoice] = await ctx.deps.db
    .select({ userId: invoices.userId, status: invoices.status })
    .from(invoices)
    .where(eq(invoices.id, invoiceId));
  if (!invoice || invoice.userId !== ctx.from.id) {
    await ctx.answerCallbackQuery({ text: ctx.t('invoice-check-unknown'), show_alert: true });
    return;
  }
  try {
    await ctx.deps.commands.reconcileInvoice(invoiceId);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  await ctx.answerCallbackQuery({ text: ctx.t('invoice-check-status', { status: invoice.status }), show_alert: true });
});
