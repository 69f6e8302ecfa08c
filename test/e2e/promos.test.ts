/**
 * Promo codes through the invoice workflow: the code a user entered in the bot is redeemed when the
 * invoice is priced, so the price the plan screen shows is what every rail charges (CryptoCloud,
 * NOWPayments, Stars); redemptions are counted atomically against the code's cap across concurrent
 * buyers; an invoice that expires gives its redemption back. Real Temporal, PostgreSQL, sandboxes.
 */
import { randomInt } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromo } from '../../infrastructure/catalog/promos';
import { invoices, promoCodes, promoRedemptions } from '../../infrastructure/db/schema';
import { conversation, textMatches } from '../conversation';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ INVOICE_TTL: '6s', INVOICE_LATE_PAYMENT_WINDOW: '1s' });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
const { press, say } = conversation(tg);
const ops = { actor: 'ops' as const, actorId: null };

const invoiceRow = async (invoiceId: string) =>
  (await db().select().from(invoices).where(eq(invoices.id, invoiceId)))[0]!;
const redemption = async (invoiceId: string) =>
  (await db().select().from(promoRedemptions).where(eq(promoRedemptions.invoiceId, invoiceId)))[0];
const redeemedCount = async (code: string) =>
  (await db().select().from(promoCodes).where(eq(promoCodes.code, code)))[0]!.redeemedCount;

async function percentCode(percent: number, fields: { maxRedemptions?: number; maxPerUser?: number } = {}) {
  const code = `SAVE${randomInt(100_000, 999_999)}`;
  await createPromo(db(), ops, {
    code,
    kind: 'percent',
    percentBps: percent * 100,
    amountMinor: null,
    currency: null,
    maxRedemptions: fields.maxRedemptions ?? null,
    maxPerUser: fields.maxPerUser ?? 5,
    startsAt: null,
    endsAt: null,
    scope: 'all',
    scopeIds: [],
  });
  return code;
}

describe('promo codes priced inside the invoice workflow', () => {
  it('the price the user sees is the price charged, on every rail', async () => {
    const code = await percentCode(20);
    const { planId } = await stack.createPlan({ priceMinor: 1000n, priceStars: 250, durationSeconds: 3600 });
    const userId = stack.newUserId();
    await stack.addUser(userId);
    const from = { id: userId, first_name: `User ${userId}` };
    await say(from, `/promo ${code}`, textMatches(/saved/));
    const list = await say(from, '/plans', textMatches(/Choose a plan/));
    const details = await press(from, list, `plan:${planId}`, textMatches(/Price:/));
    expect(details.text).toContain('you pay 8.00 USD (or 200 ⭐)');

    // CryptoCloud
    const cc = await commands().openInvoice({ userId, planId, rail: 'cryptocloud' });
    const atCryptoCloud = await eventually('the CryptoCloud invoice', () =>
      stack.sandbox.cryptocloud.invoice(cc.invoiceId),
    );
    expect(Number(atCryptoCloud.amount_in_fiat)).toBe(8);
    // NOWPayments (the CryptoCloud invoice is cancelled first: one open invoice per plan)
    const np = await commands().openInvoice({ userId, planId, rail: 'nowpayments', payCurrency: 'btc' });
    const atNowPayments = await eventually('the NOWPayments payment', () =>
      stack.sandbox.nowpayments.payment(np.invoiceId),
    );
    expect(atNowPayments.priceAmount).toBe('8');
    expect((await redemption(cc.invoiceId))?.status).toBe('released');
    // Stars
    const stars = await commands().openInvoice({ userId, planId, rail: 'stars' });
    const sent = await eventually('the Stars invoice', () =>
      tg()
        .calls('sendInvoice')
        .find((c) => c.ok && c.params.payload === stars.invoiceId),
    );
    expect(JSON.stringify(sent.params.prices)).toContain('"amount":200');
    await eventually('pending', async () => (await invoiceRow(stars.invoiceId)).status === 'pending');
    expect((await tg().payInvoice({ userId, payload: stars.invoiceId })).outcome).toBe('paid');
    await eventually('paid', async () => (await invoiceRow(stars.invoiceId)).status === 'paid');
    const row = await invoiceRow(stars.invoiceId);
    expect(row).toMatchObject({ promoCode: code, discountMinor: 50n, amountMinor: 250n, currency: 'XTR' });
    await eventually('the redemption used', async () => (await redemption(stars.invoiceId))?.status === 'used');
    expect(await redeemedCount(code)).toBe(1);
    await assertLedgerInvariant(db());
  });

  it('a cap of 3 is never exceeded by 8 buyers opening invoices at once; an expired invoice releases its redemption', async () => {
    const code = await percentCode(50, { maxRedemptions: 3, maxPerUser: 1 });
    const { planId } = await stack.createPlan({ priceMinor: 1000n, durationSeconds: 3600 });
    const buyers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const userId = stack.newUserId();
        await stack.addUser(userId);
        tg().sendText({ from: { id: userId, first_name: 'Buyer' }, text: `/promo ${code}` });
        await tg().waitForMessage(userId, textMatches(/saved/));
        return userId;
      }),
    );
    const opened = await Promise.all(buyers.map((userId) => commands().openInvoice({ userId, planId })));
    const amounts = await Promise.all(
      opened.map(({ invoiceId }) =>
        eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId)).then((i) =>
          Number(i.amount_in_fiat),
        ),
      ),
    );
    expect(amounts.filter((a) => a === 5)).toHaveLength(3);
    expect(amounts.filter((a) => a === 10)).toHaveLength(5);
    expect(await redeemedCount(code)).toBe(3);

    // Nobody pays: the invoices expire and the three redemptions come back.
    await eventually('the redemptions released', async () => (await redeemedCount(code)) === 0, 30_000);
    const discounted = opened.filter((_, index) => amounts[index] === 5);
    for (const { invoiceId } of discounted) expect((await redemption(invoiceId))?.status).toBe('released');
  });
});
