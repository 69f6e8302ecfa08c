/**
 * The NOWPayments rail end to end: a plan bought from the bot with a coin address and a QR photo,
 * IPNs signed with the IPN secret (HMAC-SHA512 over the recursively key-sorted JSON) through
 * `/nowpayments_ipn`, and the invoice workflow asking NOWPayments' status API before any money moves.
 * Duplicated, reordered, forged and dropped IPNs; partial payments topped up with `purchase_id`;
 * `confirming` never activates; a repeat deposit after settlement is kept as overpayment.
 * Real Temporal dev server and PostgreSQL; the Telegram and NOWPayments sandboxes over HTTP.
 */
import { createHmac } from 'node:crypto';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../domain/ledger';
import { invoices, ledgerEntries, webhookEvents } from '../../infrastructure/db/schema';
import { nowPaymentsSignature } from '../../infrastructure/providers/nowpayments-signature';
import { callbackDataOf, conversation, textMatches } from '../conversation';
import { eventually, startStack, TEST_SECRETS, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';
import { ownLoopbackAddress, postFrom } from '../post-from';
import { workflowsSettled } from '../settled';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    INVOICE_TTL: '8s',
    INVOICE_LATE_PAYMENT_WINDOW: '2s',
    INVOICE_RECONCILE_SCHEDULE: '2s,4s',
    INVOICE_RECONCILE_EVERY: '3s',
  });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const settled = (ids: string[]) => workflowsSettled(stack.runtime.temporal.client, ids);
const np = () => stack.sandbox.nowpayments;
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
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
const paymentOf = (invoiceId: string) => eventually('the NOWPayments payment', () => np().payment(invoiceId));

async function buyer(priceMinor = 1000n) {
  const plan = await stack.createPlan({ priceMinor, durationSeconds: 3600 });
  const userId = stack.newUserId();
  await stack.addUser(userId);
  return { ...plan, userId, from: { id: userId, first_name: `User ${userId}` } };
}

describe('a plan bought with NOWPayments', () => {
  it('from the bot: coin chosen, address and QR photo, IPN finished → access; duplicated and reordered IPNs change nothing', async () => {
    const { planId, userId, from } = await buyer();
    const list = await say(from, '/plans', textMatches(/Choose a plan/));
    const details = await press(from, list, `plan:${planId}`, textMatches(/Price:/));
    expect(callbackDataOf(details)).toContain(`payr:nowpayments:${planId}`);
    const coins = await press(from, details, `payr:nowpayments:${planId}`, textMatches(/Choose the coin/));
    expect(callbackDataOf(coins)).toContain(`paycoin:btc:${planId}`);
    const photo = await press(from, coins, `paycoin:btc:${planId}`, textMatches(/Send exactly/));
    // A QR image, sent as a photo, with the amount, coin and address in its caption and a check button.
    expect(photo.photo).toBeDefined();
    const [invoice] = await db().select().from(invoices).where(eq(invoices.userId, userId));
    const payment = await paymentOf(invoice!.id);
    expect(photo.caption).toContain(payment.payAddress);
    expect(photo.caption).toContain(`${payment.payAmount} BTC`);
    expect(callbackDataOf(photo)).toContain(`inv:check:${invoice!.id}`);
    expect(payment.priceAmount).toBe('10');
    expect(payment.payCurrency).toBe('btc');

    // Every IPN three times, and the batch in reverse order.
    np().repeatIpns(3);
    np().reorderIpns(4);
    await np().pay(payment.paymentId).done;
    await eventually('access', () => activations(userId).length === 1, 20_000);
    np().configureIpns({ repeat: 1, reorder: 0 });
    await settled([`invoice:${invoice!.id}`, `subscription:${userId}:${planId}`]);
    expect(activations(userId)).toHaveLength(1);
    expect((await invoiceRow(invoice!.id)).status).toBe('paid');
    const revenue = (await entriesOf(invoice!.id)).filter((e) => e.account === accounts.revenue('subscriptions'));
    expect(revenue.map((e) => e.amountMinor)).toEqual([-1000n]);
    // The address message now says paid.
    await eventually('the address message edited', () =>
      tg()
        .calls('editMessageCaption')
        .some((c) => c.params.chat_id === userId && /paid/.test(String(c.params.caption))),
    );
    const outcomes = await db()
      .select({ outcome: webhookEvents.outcome })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.provider, 'nowpayments'), eq(webhookEvents.orderId, invoice!.id)));
    expect(outcomes.some((o) => o.outcome === 'duplicate')).toBe(true);
    await assertLedgerInvariant(db());
  });

  it('confirming never activates; the message says the coins are being confirmed; finished then does', async () => {
    const { planId, userId } = await buyer();
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'eth' });
    const payment = await paymentOf(invoiceId);
    await np().pay(payment.paymentId, { confirmations: 1 }).done; // waiting → confirming only
    await eventually('the confirming caption', () =>
      tg()
        .calls('editMessageCaption')
        .some((c) => c.params.chat_id === userId && /being confirmed/.test(String(c.params.caption))),
    );
    await commands().reconcileInvoice(invoiceId);
    await settled([`invoice:${invoiceId}`]);
    expect((await invoiceRow(invoiceId)).status).toBe('pending');
    expect(activations(userId)).toHaveLength(0);
    await np().advance(payment.paymentId).done;
    await eventually('access', () => activations(userId).length === 1, 20_000);
  });

  it('partially_paid, then a top-up address for the rest (purchase_id) → paid, once', async () => {
    const { planId, userId } = await buyer();
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'sol' });
    const payment = await paymentOf(invoiceId);
    const half = (Number(payment.payAmount) / 2).toFixed(8).replace(/0+$/, '');
    await np().pay(payment.paymentId, { amount: half }).done;
    const topUp = await eventually('the top-up payment', () =>
      np()
        .payments()
        .find((p) => p.orderId === invoiceId && p.paymentId !== payment.paymentId),
    );
    expect(topUp.purchaseId).toBe(payment.purchaseId);
    expect(Number(topUp.priceAmount)).toBeCloseTo(5, 4);
    await tg().waitForMessage(userId, textMatches(/is missing/), 20_000);
    expect((await invoiceRow(invoiceId)).status).toBe('partial');
    expect(activations(userId)).toHaveLength(0);
    await np().pay(topUp.paymentId).done;
    await eventually('access', () => activations(userId).length === 1, 20_000);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe('paid');
    expect(row.chargeIds).toEqual([String(payment.paymentId), String(topUp.paymentId)]);
    await assertLedgerInvariant(db());
  });

  it('an IPN dropped: reconciliation finds finished', async () => {
    const { planId, userId } = await buyer();
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'btc' });
    const payment = await paymentOf(invoiceId);
    np().dropIpns(10);
    await np().pay(payment.paymentId).done;
    const sent = np()
      .ipnDeliveries()
      .filter((d) => d.orderId === invoiceId && d.paymentStatus !== 'waiting' && !d.dropped);
    expect(sent).toHaveLength(0);
    await eventually('access by reconciliation', () => activations(userId).length === 1, 20_000);
    np().dropIpns(0);
  });

  it('a repeat deposit after settlement is kept as overpayment for admins, not lost', async () => {
    const { planId, userId } = await buyer();
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'btc' });
    const payment = await paymentOf(invoiceId);
    await np().pay(payment.paymentId).done;
    await eventually('paid', async () => (await invoiceRow(invoiceId)).status === 'paid');
    await np().repeatDeposit(payment.paymentId, { amount: payment.payAmount }).done;
    await eventually('overpaid', async () => (await invoiceRow(invoiceId)).status === 'overpaid', 20_000);
    const extra = (await entriesOf(invoiceId)).filter((e) => e.account === accounts.userOverpayment(userId));
    expect(extra.reduce((sum, e) => sum - e.amountMinor, 0n)).toBe(1000n);
    await eventually('access, once', () => activations(userId).length === 1);
    await assertLedgerInvariant(db());
  });
});

describe('the IPN route refuses what it cannot trust', () => {
  const ipnUrl = () => `${stack.apiUrl}/nowpayments_ipn`;
  const secret = TEST_SECRETS.NOWPAYMENTS_IPN_SECRET;
  const send = (body: string, signature: string | undefined, from: string, type = 'application/json') =>
    postFrom(ipnUrl(), from, body, type, signature === undefined ? {} : { 'x-nowpayments-sig': signature });
  const auditOf = async (from: string) =>
    (
      await db().select().from(webhookEvents).where(eq(webhookEvents.provider, 'nowpayments')).orderBy(webhookEvents.id)
    ).filter((row) => row.remoteAddress === from);

  it('forged, unsorted-key and nested-key-dropped signatures, unknown order, malformed body: 4xx, nothing changed, audited', async () => {
    const { planId, userId } = await buyer();
    const { invoiceId } = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'btc' });
    const payment = await paymentOf(invoiceId);
    const body = {
      payment_id: payment.paymentId,
      payment_status: 'finished',
      pay_address: payment.payAddress,
      price_amount: 10,
      price_currency: 'usd',
      pay_amount: Number(payment.payAmount),
      actually_paid: Number(payment.payAmount),
      pay_currency: 'btc',
      order_id: invoiceId,
      fee: { currency: 'btc', depositFee: 0.00001, withdrawalFee: 0, serviceFee: 0 },
    };
    const json = JSON.stringify(body);
    const hmac = (text: string) => createHmac('sha512', secret).update(text).digest('hex');
    const from = ownLoopbackAddress();
    const answers = [
      await send(
        json,
        hmac(json).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
        from,
      ), // forged
      await send(json, hmac(json), from), // over the unsorted JSON
      // The old recipe: JSON.stringify(body, Object.keys(body).sort()) drops the nested keys of `fee`.
      await send(json, hmac(JSON.stringify(body, Object.keys(body).sort())), from),
      await send(json, undefined, from), // no signature
      await send('{"payment_id": 1, ', 'ab', from), // malformed
      await send(json, nowPaymentsSignature(body, secret), from, 'text/plain'), // not JSON
    ];
    const unknownBody = { ...body, order_id: `${userId}-nosuchplan-aaaaaaaaaaaa` };
    answers.push(await send(JSON.stringify(unknownBody), nowPaymentsSignature(unknownBody, secret), from));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 400, 415, 404]);
    const audit = await auditOf(from);
    expect(audit).toHaveLength(7);
    expect(audit.filter((row) => row.verified)).toHaveLength(1);
    expect(audit.at(-1)!.outcome).toBe('unknown_order');
    await settled([`invoice:${invoiceId}`]);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe('pending');
    expect(await entriesOf(invoiceId)).toHaveLength(0);

    // The same body correctly signed is a hint only: NOWPayments' status API says the payment still waits.
    const good = await send(json, nowPaymentsSignature(body, secret), from);
    expect(good.status).toBe(200);
    await settled([`invoice:${invoiceId}`]);
    expect((await invoiceRow(invoiceId)).status).toBe('pending');
    expect(activations(userId)).toHaveLength(0);
  });
});
