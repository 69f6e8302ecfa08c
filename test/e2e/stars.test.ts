/**
 * The Telegram Stars rail end to end: the bot sends an XTR invoice (empty provider token, one price,
 * our invoice id as payload), answers the pre-checkout query after checking the invoice is still
 * payable for that amount, and settles on `successful_payment`, keeping its charge id; a payment the
 * bot missed is found through `getStarTransactions`; a refund goes through `refundStarPayment` once
 * and ends the access it paid for. Real Temporal dev server and PostgreSQL; the Telegram sandbox over HTTP.
 */
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../domain/ledger';
import { invoices, ledgerEntries } from '../../infrastructure/db/schema';
import { callbackDataOf, conversation, textMatches } from '../conversation';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';
import { workflowsSettled } from '../settled';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ INVOICE_RECONCILE_SCHEDULE: '2s,4s', INVOICE_RECONCILE_EVERY: '3s' });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
const settled = (ids: string[]) => workflowsSettled(stack.runtime.temporal.client, ids);
const { press, say } = conversation(tg);

const invoiceRow = async (invoiceId: string) =>
  (await db().select().from(invoices).where(eq(invoices.id, invoiceId)))[0]!;
const entriesOf = (invoiceId: string) =>
  db()
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `invoice:${invoiceId}:%`));
const activations = (userId: number) =>
  tg()
    .messagesTo(userId)
    .filter((m) => /subscription is active/.test(m.text ?? ''));
const starsInvoice = (userId: number, invoiceId: string) =>
  eventually('the Stars invoice message', () =>
    tg()
      .calls('sendInvoice')
      .find((c) => c.ok && String(c.params.chat_id) === String(userId) && c.params.payload === invoiceId),
  );

async function buyer(priceStars = 250) {
  const plan = await stack.createPlan({ priceMinor: 500n, priceStars, durationSeconds: 3600 });
  const userId = stack.newUserId();
  await stack.addUser(userId);
  return { ...plan, userId, from: { id: userId, first_name: `User ${userId}` } };
}

describe('a plan bought with Telegram Stars', () => {
  it('from the bot: XTR invoice → pre-checkout answered → successful_payment → access, once; the charge id is kept', async () => {
    const { planId, userId, from } = await buyer(250);
    const list = await say(from, '/plans', textMatches(/Choose a plan/));
    const details = await press(from, list, `plan:${planId}`, textMatches(/250 ⭐/));
    expect(callbackDataOf(details)).toContain(`payr:stars:${planId}`);
    tg().pressButton({ from, message_id: details.message_id, data: `payr:stars:${planId}` });
    const row = await eventually(
      'the invoice row',
      async () => (await db().select().from(invoices).where(eq(invoices.userId, userId)))[0],
    );
    const call = await starsInvoice(userId, row.id);
    expect(call.params.currency).toBe('XTR');
    expect(call.params.provider_token ?? '').toBe('');
    const prices: unknown =
      typeof call.params.prices === 'string' ? JSON.parse(call.params.prices) : call.params.prices;
    expect(prices).toMatchObject([{ amount: 250 }]);
    expect(prices).toHaveLength(1);
    await eventually('the invoice pending', async () => (await invoiceRow(row.id)).status === 'pending');

    const paid = await tg().payInvoice({ userId, payload: row.id });
    expect(paid.outcome).toBe('paid');
    await eventually('access', () => activations(userId).length === 1, 20_000);
    // Telegram delivers the same successful_payment again: nothing more happens.
    tg().injectUpdate({
      message: {
        message_id: 999_999,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: 'private', first_name: from.first_name },
        from: { ...from, is_bot: false },
        successful_payment: {
          currency: 'XTR',
          total_amount: 250,
          invoice_payload: row.id,
          telegram_payment_charge_id: paid.chargeId,
          provider_payment_charge_id: `${userId}_dup`,
        },
      },
    });
    await settled([`invoice:${row.id}`, `subscription:${userId}:${planId}`]);
    expect(activations(userId)).toHaveLength(1);
    const stored = await invoiceRow(row.id);
    expect(stored).toMatchObject({ status: 'paid', currency: 'XTR', telegramPaymentChargeId: paid.chargeId });
    const revenue = (await entriesOf(row.id)).filter((e) => e.account === accounts.revenue('subscriptions'));
    expect(revenue.map((e) => [e.amountMinor, e.currency])).toEqual([[-250n, 'XTR']]);
    await assertLedgerInvariant(db());
  });

  it('a pre-checkout for an invoice that is no longer payable is declined with a reason', async () => {
    const { planId, userId } = await buyer(100);
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'stars' });
    await starsInvoice(userId, invoiceId);
    await eventually('the invoice pending', async () => (await invoiceRow(invoiceId)).status === 'pending');
    // The user opens the plan on another rail: the Stars invoice is cancelled (and its message deleted).
    await commands().openInvoice({ userId, planId, rail: 'cryptocloud' });
    expect((await invoiceRow(invoiceId)).status).toBe('cancelled');
    // Its invoice message was deleted with the cancellation, so it cannot be paid from the chat...
    await expect(tg().payInvoice({ userId, payload: invoiceId })).rejects.toThrow(/deleted/);
    // ...and a pre-checkout for it (a copy forwarded earlier) is declined with the reason.
    const answered = tg().waitForCall(
      'answerPreCheckoutQuery',
      (c) => c.params.pre_checkout_query_id === `pcq-closed-${userId}`,
    );
    tg().injectUpdate({
      pre_checkout_query: {
        id: `pcq-closed-${userId}`,
        from: { id: userId, is_bot: false, first_name: `User ${userId}` },
        currency: 'XTR',
        total_amount: 100,
        invoice_payload: invoiceId,
      },
    });
    expect(String((await answered).params.error_message)).toMatch(/no longer open/);
    expect(JSON.stringify(tg().starTransactions())).not.toContain(invoiceId);
    expect(activations(userId)).toHaveLength(0);
  });

  it('a forwarded copy with another amount is declined: the amount must match', async () => {
    const { planId, userId, from } = await buyer(120);
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'stars' });
    await starsInvoice(userId, invoiceId);
    await eventually('the invoice pending', async () => (await invoiceRow(invoiceId)).status === 'pending');
    const answered = tg().waitForCall(
      'answerPreCheckoutQuery',
      (c) => c.params.pre_checkout_query_id === `pcq-${userId}`,
    );
    tg().injectUpdate({
      pre_checkout_query: {
        id: `pcq-${userId}`,
        from: { ...from, is_bot: false },
        currency: 'XTR',
        total_amount: 1,
        invoice_payload: invoiceId,
      },
    });
    const answer = await answered;
    expect(String(answer.params.error_message)).toMatch(/amount/);
  });

  it('a payment made while the worker is down is settled after restart; a missed successful_payment is found by reconciliation', async () => {
    const down = await buyer(90);
    const missed = await buyer(80);
    const first = await commands().openInvoice({ userId: down.userId, planId: down.planId, rail: 'stars' });
    const second = await commands().openInvoice({ userId: missed.userId, planId: missed.planId, rail: 'stars' });
    await starsInvoice(down.userId, first.invoiceId);
    await starsInvoice(missed.userId, second.invoiceId);
    await eventually(
      'both pending',
      async () =>
        ['pending'].includes((await invoiceRow(first.invoiceId)).status) &&
        (await invoiceRow(second.invoiceId)).status === 'pending',
    );
    // The bot answers the pre-checkout from the database, so the payment goes through with no worker.
    await stack.stopWorker();
    try {
      expect((await tg().payInvoice({ userId: down.userId, payload: first.invoiceId })).outcome).toBe('paid');
      // This one: Telegram took the Stars, but the bot never saw successful_payment.
      const silent = await tg().payInvoice({
        userId: missed.userId,
        payload: second.invoiceId,
        deliverSuccessfulPayment: false,
      });
      expect(silent.outcome).toBe('paid');
      expect((await invoiceRow(first.invoiceId)).status).toBe('pending');
    } finally {
      await stack.startWorker();
    }
    await eventually('access after restart', () => activations(down.userId).length === 1, 20_000);
    await eventually('access by reconciliation', () => activations(missed.userId).length === 1, 20_000);
    expect((await invoiceRow(second.invoiceId)).telegramPaymentChargeId).toMatch(/\S/);
    await assertLedgerInvariant(db());
  });

  it('a refund goes through refundStarPayment once, even asked twice, and ends the access it paid for', async () => {
    const { planId, userId, channelIds } = await buyer(60);
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'stars' });
    await starsInvoice(userId, invoiceId);
    await eventually('the invoice pending', async () => (await invoiceRow(invoiceId)).status === 'pending');
    const paid = await tg().payInvoice({ userId, payload: invoiceId });
    await eventually('access', () => activations(userId).length === 1, 20_000);
    const [a, b] = await Promise.all([
      commands().refundInvoice(invoiceId, 'admin:1'),
      commands().refundInvoice(invoiceId, 'admin:2'),
    ]);
    expect([a.alreadyRefunded, b.alreadyRefunded].sort()).toEqual([false, true]);
    const refunds = tg()
      .refunds()
      .filter((r) => r.chargeId === paid.chargeId);
    expect(refunds).toHaveLength(1);
    expect(
      tg()
        .calls('refundStarPayment')
        .filter((c) => c.ok),
    ).toHaveLength(1);
    await tg().waitForMessage(userId, textMatches(/refunded/), 20_000);
    await eventually(
      'access ended',
      async () => (await commands().subscriptionState(userId, planId))?.status !== 'active',
    );
    expect((await invoiceRow(invoiceId)).status).toBe('refunded');
    expect(channelIds.length).toBe(1);
    await assertLedgerInvariant(db());
  });

  it('/paysupport answers', async () => {
    const { from } = await buyer(10);
    const reply = await say(from, '/paysupport', textMatches(/Payment support/));
    expect(reply.text).toMatch(/refund/i);
  });
});
