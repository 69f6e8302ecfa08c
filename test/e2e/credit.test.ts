/**
 * The user's kept balance (a resolution's "credit → keep as balance") applied to their next invoice,
 * end to end: the balance comes from a real overpayment through the CryptoCloud sandbox that an
 * admin kept as balance; the next invoice reserves it (`reserved:invoice:<id>`), asks the gateway
 * for the rest, and consumes the reservation when paid or returns it when the invoice expires. A
 * balance covering the price pays the invoice without any gateway invoice. /myplan shows the balance.
 * Real Temporal dev server and PostgreSQL; Telegram and CryptoCloud sandboxes over HTTP.
 */
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../domain/ledger';
import { invoices, ledgerEntries } from '../../infrastructure/db/schema';
import { owedOn } from '../../infrastructure/read-models/balances';
import { conversation, textMatches } from '../conversation';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    // Invoices close fast, so the expiry case happens within seconds.
    INVOICE_TTL: '4s',
    INVOICE_RECONCILE_SCHEDULE: '1s',
    INVOICE_RECONCILE_EVERY: '1s',
    INVOICE_LATE_PAYMENT_WINDOW: '2s',
  });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const cc = () => stack.sandbox.cryptocloud;
const { say } = conversation(tg);
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;

const invoiceRow = async (invoiceId: string) =>
  (await db().select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
const creditOf = (userId: number) => owedOn(db(), accounts.userCredit(userId), 'USD');
const entriesOf = (invoiceId: string) =>
  db()
    .select({ account: ledgerEntries.account, amount: ledgerEntries.amountMinor, key: ledgerEntries.transactionKey })
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `invoice:${invoiceId}:%`));
const sumOn = async (invoiceId: string, account: string) =>
  (await entriesOf(invoiceId)).filter((e) => e.account === account).reduce((sum, e) => sum + e.amount, 0n);

/**
 * A user whose overpayment of `extra` (minor units) on a paid 10.00 USD invoice an admin kept as their
 * balance, through the sandbox and the resolution workflow; and a second plan to spend it on.
 */
async function userWithCredit(extraMinor: bigint) {
  const first = await stack.createPlan({ priceMinor: 1000n, durationSeconds: 3600 });
  const userId = stack.newUserId();
  await stack.addUser(userId);
  const { invoiceId } = await commands().openInvoice({ userId, planId: first.planId });
  await eventually('the gateway invoice', () => cc().invoice(invoiceId));
  await cc().overpay(invoiceId, (Number(extraMinor) / 100).toFixed(2));
  await eventually(
    'the resolution case open',
    async () => (await commands().resolutionState(invoiceId))?.status === 'open',
    20_000,
  );
  const decided = await commands().resolve(invoiceId, { type: 'credit', mode: 'balance' }, { actor: 'ops' });
  expect(decided).toMatchObject({ applied: true });
  await eventually('the balance kept', async () => (await creditOf(userId)) === extraMinor);
  const next = await stack.createPlan({ priceMinor: 1000n, durationSeconds: 7200 });
  return { userId, planId: next.planId };
}

const subscriptionActive = async (userId: number, planId: string) =>
  (await commands().subscriptionState(userId, planId))?.status === 'active';

describe('the kept balance pays first', () => {
  it('a balance below the price: the gateway asks for the rest; paid, the subscription activates and the balance is spent', async () => {
    const { userId, planId } = await userWithCredit(300n);
    const { invoiceId } = await commands().openInvoice({ userId, planId });
    const atGateway = await eventually('the gateway invoice', () => cc().invoice(invoiceId));
    expect(Number(atGateway.amount_in_fiat)).toBe(7);
    await tg().waitForMessage(
      userId,
      textMatches(/Invoice for 7\.00 USD: the price 10\.00 USD less 3\.00 USD from your balance/),
    );
    // Reserved for this invoice while it is open.
    expect(await creditOf(userId)).toBe(0n);
    expect(await owedOn(db(), accounts.invoiceCredit(invoiceId), 'USD')).toBe(300n);
    expect(await invoiceRow(invoiceId)).toMatchObject({ amountMinor: 1000n, creditMinor: 300n });

    await cc().pay(invoiceId); // what is missing: 7.00
    await eventually('the invoice paid', async () => (await invoiceRow(invoiceId))?.status === 'paid', 20_000);
    await eventually('the subscription active', () => subscriptionActive(userId, planId), 20_000);
    await tg().waitForMessage(userId, textMatches(/Payment of 7\.00 USD received/));

    // The gateway holds exactly its 7.00; the price is revenue: 7.00 from the gateway, 3.00 from the balance.
    expect(await sumOn(invoiceId, accounts.gateway('cryptocloud'))).toBe(700n);
    expect(await sumOn(invoiceId, accounts.revenue('subscriptions'))).toBe(-1000n);
    expect(await owedOn(db(), accounts.invoiceCredit(invoiceId), 'USD')).toBe(0n);
    expect(await sumOn(invoiceId, accounts.userOverpayment(userId))).toBe(0n);
    expect(await creditOf(userId)).toBe(0n);
    await assertLedgerInvariant(db());

    // Refunded: the gateway's 7.00 goes back through the gateway, the 3.00 of balance to the balance.
    expect(await commands().refundInvoice(invoiceId, '4242', 'chargeback')).toMatchObject({ alreadyRefunded: false });
    expect(await sumOn(invoiceId, accounts.gateway('cryptocloud'))).toBe(0n);
    expect(await sumOn(invoiceId, accounts.revenue('subscriptions'))).toBe(0n);
    expect(await creditOf(userId)).toBe(300n);
    await assertLedgerInvariant(db());
  });

  it('a balance covering the price: paid at once, no gateway invoice; /myplan shows what is left', async () => {
    const { userId, planId } = await userWithCredit(1250n);
    const { invoiceId } = await commands().openInvoice({ userId, planId });
    await tg().waitForMessage(userId, textMatches(/Your balance paid 10\.00 USD for this invoice/));
    await eventually('the subscription active', () => subscriptionActive(userId, planId), 20_000);
    expect(cc().invoice(invoiceId)).toBeUndefined();
    const row = await invoiceRow(invoiceId);
    expect(row).toMatchObject({ status: 'paid', creditMinor: 1000n, providerInvoiceId: null });
    expect(row?.paidAt).toBeInstanceOf(Date);
    expect(await creditOf(userId)).toBe(250n);
    expect(await sumOn(invoiceId, accounts.revenue('subscriptions'))).toBe(-1000n);
    expect(await sumOn(invoiceId, accounts.gateway('cryptocloud'))).toBe(0n);
    await eventually('the workflow completed', async () => {
      const d = await stack.runtime.temporal.client.workflow.getHandle(`invoice:${invoiceId}`).describe();
      return d.status.name === 'COMPLETED';
    });

    const plan = await say(
      { id: userId, first_name: `User ${userId}`, language_code: 'en' },
      '/myplan',
      textMatches(/Your subscriptions/),
    );
    expect(plan.text).toContain('Balance: 2.50 USD');
    await assertLedgerInvariant(db());
  });

  it("a gateway that refuses the invoice: the run fails and the reserved balance is the user's again", async () => {
    const { userId, planId } = await userWithCredit(200n);
    cc().failMerchantApi('unauthorized', { count: 1 });
    const { invoiceId } = await commands().openInvoice({ userId, planId });
    await eventually('the invoice run failed', async () => {
      const d = await stack.runtime.temporal.client.workflow.getHandle(`invoice:${invoiceId}`).describe();
      return d.status.name === 'FAILED';
    });
    expect(cc().invoice(invoiceId)).toBeUndefined();
    expect(await creditOf(userId)).toBe(200n);
    expect(await owedOn(db(), accounts.invoiceCredit(invoiceId), 'USD')).toBe(0n);
    await assertLedgerInvariant(db());
  });

  it('an invoice that expires unpaid gives the reserved balance back', async () => {
    const { userId, planId } = await userWithCredit(400n);
    const { invoiceId } = await commands().openInvoice({ userId, planId });
    const atGateway = await eventually('the gateway invoice', () => cc().invoice(invoiceId));
    expect(Number(atGateway.amount_in_fiat)).toBe(6);
    expect(await creditOf(userId)).toBe(0n);
    await eventually('the invoice expired', async () => (await invoiceRow(invoiceId))?.status === 'expired', 20_000);
    expect(await creditOf(userId)).toBe(400n);
    expect(await owedOn(db(), accounts.invoiceCredit(invoiceId), 'USD')).toBe(0n);
    expect(
      (await entriesOf(invoiceId))
        .filter((e) => e.account === accounts.userCredit(userId))
        .map((e) => e.key)
        .sort(),
    ).toEqual([`invoice:${invoiceId}:credit:release`, `invoice:${invoiceId}:credit:reserve`]);
    expect(await subscriptionActive(userId, planId)).toBe(false);
    // The balance is there for the next invoice again.
    const again = await commands().openInvoice({ userId, planId });
    await eventually('the next gateway invoice', () => cc().invoice(again.invoiceId));
    expect(Number(cc().invoice(again.invoiceId)!.amount_in_fiat)).toBe(6);
    await assertLedgerInvariant(db());
  });
});
