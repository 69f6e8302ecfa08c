/**
 * Invoice and subscription workflows end to end: sandbox gateway and Telegram over HTTP, the real
 * Temporal dev server and PostgreSQL. Durations are seconds (see test/harness.ts).
 */
import { and, desc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDecimal } from '../../domain/money';
import { invoices, ledgerEntries, outboxMessages, subscriptions, webhookEvents } from '../../infrastructure/db/schema';
import { signCryptoCloudPostback } from '../../infrastructure/sandbox/cryptocloud';
import { invoiceWorkflowId, subscriptionWorkflowId } from '../../infrastructure/temporal/commands';
import { eventually, startStack, TEST_SECRETS, type Stack } from '../harness';
import { workflowsSettled } from '../settled';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function buyer(options: Parameters<Stack['createPlan']>[0] = {}) {
  const plan = await stack.createPlan(options);
  const userId = stack.newUserId();
  await stack.addUser(userId);
  return { ...plan, userId };
}

async function openInvoice(userId: number, planId: string) {
  const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  return invoiceId;
}

const invoiceRow = async (invoiceId: string) =>
  (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
const subscriptionRow = async (userId: number, planId: string) =>
  (
    await stack.runtime.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)))
  )[0];
const textsTo = (userId: number) => stack.sandbox.telegram.messagesTo(userId).map((m) => m.text ?? '');
const ledgerFor = (invoiceId: string) =>
  stack.runtime.db
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `invoice:${invoiceId}:%`));

describe('subscription paid through CryptoCloud', () => {
  it('activates once, sends one invite, approves the join, reminds, expires and removes', async () => {
    const { userId, planId, channelIds } = await buyer({ durationSeconds: 8 });
    const channelId = channelIds[0]!;
    const invoiceId = await openInvoice(userId, planId);
    // The invoice message with the pay button reached the user.
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /Invoice for 10\.00 USD/.test(m.text ?? ''));
    // A second request for the same plan finds the same open invoice.
    expect((await stack.runtime.commands.openInvoice({ userId, planId })).invoiceId).toBe(invoiceId);

    await stack.sandbox.cryptocloud.pay(invoiceId);
    const inviteMessage = await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /subscription is active/.test(m.text ?? ''),
    );
    const link = JSON.stringify(inviteMessage.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)?.[0];
    expect(link).toBeDefined();
    expect((await invoiceRow(invoiceId))?.status).toBe('paid');
    expect((await subscriptionRow(userId, planId))?.status).toBe('active');

    stack.sandbox.telegram.requestJoin({
      from: { id: userId, first_name: 'Buyer' },
      chatId: channelId,
      inviteLink: link!,
    });
    await eventually(
      'approval of the join request',
      () => stack.sandbox.telegram.member(channelId, userId) === 'member',
    );

    await stack.sandbox.telegram.waitForMessage(userId, (m) => /ends on/.test(m.text ?? ''), 15_000);
    await stack.sandbox.telegram.waitForMessage(
      userId,
      (m) => /has ended\. You keep access/.test(m.text ?? ''),
      15_000,
    );
    expect((await subscriptionRow(userId, planId))?.status).toBe('grace');
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /access was removed/.test(m.text ?? ''), 15_000);
    expect(
      stack.sandbox.telegram
        .calls('banChatMember')
        .some((c) => c.params.user_id === userId && c.params.chat_id === channelId),
    ).toBe(true);
    expect(
      stack.sandbox.telegram
        .calls('unbanChatMember')
        .some((c) => c.params.user_id === userId && c.params.only_if_banned === true),
    ).toBe(true);
    expect(stack.sandbox.telegram.member(channelId, userId)).not.toBe('member');
    expect((await subscriptionRow(userId, planId))?.status).toBe('expired');
    expect(textsTo(userId).filter((t) => /subscription is active/.test(t))).toHaveLength(1);
  });

  it('five concurrent copies of one postback give one activation, one invite, one ledger posting', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = await openInvoice(userId, planId);
    stack.sandbox.cryptocloud.repeatPostbacks(5);
    try {
      await stack.sandbox.cryptocloud.pay(invoiceId);
      await eventually(
        'five postbacks delivered',
        () => stack.sandbox.cryptocloud.postbacks().filter((p) => p.orderId === invoiceId).length >= 5,
      );
    } finally {
      stack.sandbox.cryptocloud.repeatPostbacks(1);
    }
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''));
    await eventually(
      'all postbacks audited',
      async () =>
        (await stack.runtime.db.select().from(webhookEvents).where(eq(webhookEvents.orderId, invoiceId))).length >= 5,
    );
    // Any wrong second activation would come from these two workflows: wait until they are idle.
    await workflowsSettled(stack.runtime.temporal.client, [
      invoiceWorkflowId(invoiceId),
      subscriptionWorkflowId(userId, planId),
    ]);
    expect(textsTo(userId).filter((t) => /subscription is active/.test(t))).toHaveLength(1);
    expect(textsTo(userId).filter((t) => /Payment of 10\.00 USD received/.test(t))).toHaveLength(1);
    expect(
      stack.sandbox.telegram
        .calls('createChatInviteLink')
        .filter((c) => String(c.params.name).startsWith(`u${userId} `)),
    ).toHaveLength(1);
    const ledger = await ledgerFor(invoiceId);
    expect(ledger).toHaveLength(2);
    expect(ledger.reduce((sum, e) => sum + e.amountMinor, 0n)).toBe(0n);
  });

  it('an older postback arriving after the payment (re-ordered) changes nothing', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = await openInvoice(userId, planId);
    await stack.sandbox.cryptocloud.payPartially(invoiceId, '4');
    const partialPostback = stack.sandbox.cryptocloud
      .postbacks()
      .filter((p) => p.orderId === invoiceId)
      .at(-1)!;
    await stack.sandbox.cryptocloud.pay(invoiceId, { amount: '6' });
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''));
    const messagesBefore = stack.sandbox.telegram.messagesTo(userId).length;

    // The gateway's earlier "partial" postback, delivered again late (fresh token, same content).
    const token = await signCryptoCloudPostback({ id: partialPostback.invoiceId }, TEST_SECRETS.CRYPTOCLOUD_SECRET_KEY);
    const response = await fetch(`${stack.apiUrl}/cryptocloud_webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...partialPostback.body, token }),
    });
    expect(response.status).toBe(200);
    const [audited] = await stack.runtime.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.orderId, invoiceId))
      .orderBy(desc(webhookEvents.id))
      .limit(1);
    // Never signalled again, still audited: de-duplicated while the invoice workflow runs, or after_close
    // once it has ended (its claims go with it); which one depends on how fast the workflow finished.
    expect(audited).toMatchObject({ verified: true });
    expect(['duplicate', 'after_close']).toContain(audited?.outcome);
    await workflowsSettled(stack.runtime.temporal.client, [
      invoiceWorkflowId(invoiceId),
      subscriptionWorkflowId(userId, planId),
    ]);
    expect((await invoiceRow(invoiceId))?.status).toBe('paid');
    expect(stack.sandbox.telegram.messagesTo(userId)).toHaveLength(messagesBefore);
    expect(await ledgerFor(invoiceId)).toHaveLength(2);
  });

  it('a dropped postback is found by the reconciliation timer', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = await openInvoice(userId, planId);
    stack.sandbox.cryptocloud.dropPostbacks(1);
    await stack.sandbox.cryptocloud.pay(invoiceId);
    // Schedule in tests: 3 s then 6 s after creation.
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''), 15_000);
    const events = await stack.runtime.db.select().from(webhookEvents).where(eq(webhookEvents.orderId, invoiceId));
    expect(events).toHaveLength(0);
    expect(
      (await invoiceRow(invoiceId))?.statusHistory.some((h) => h.status === 'paid' && h.source === 'reconciliation'),
    ).toBe(true);
  });

  it('partial payment, then a top-up settles it', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = await openInvoice(userId, planId);
    await stack.sandbox.cryptocloud.payPartially(invoiceId, '4');
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /We received 4\.00 of 10\.00 USD\. 6\.00 USD is missing/.test(m.text ?? ''),
    );
    expect((await invoiceRow(invoiceId))?.status).toBe('partial');
    expect(await subscriptionRow(userId, planId)).toBeUndefined();
    await stack.sandbox.cryptocloud.pay(invoiceId, { amount: '6' });
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''));
    expect((await invoiceRow(invoiceId))?.status).toBe('paid');
  });

  it('a cancel closes an unpaid invoice, and is ignored once money has arrived', async () => {
    const unpaid = await buyer();
    const first = await openInvoice(unpaid.userId, unpaid.planId);
    await stack.runtime.commands.cancelInvoice(first, 'test');
    await stack.sandbox.telegram.waitForMessage(unpaid.userId, (m) => /invoice was cancelled/.test(m.text ?? ''));
    expect((await invoiceRow(first))?.status).toBe('cancelled');
    expect(stack.sandbox.cryptocloud.invoice(first)?.status).toBe('canceled');

    const partlyPaid = await buyer();
    const second = await openInvoice(partlyPaid.userId, partlyPaid.planId);
    await stack.sandbox.cryptocloud.payPartially(second, '4');
    await eventually('the partial payment', async () => (await invoiceRow(second))?.status === 'partial');
    await stack.runtime.commands.cancelInvoice(second, 'test');
    // Still listening: the top-up settles it.
    await stack.sandbox.cryptocloud.pay(second, { amount: '6' });
    await stack.sandbox.telegram.waitForMessage(partlyPaid.userId, (m) => /subscription is active/.test(m.text ?? ''));
    expect((await invoiceRow(second))?.status).toBe('paid');
  });

  it('an overpaid invoice activates and records the overpayment', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = await openInvoice(userId, planId);
    await stack.sandbox.cryptocloud.overpay(invoiceId, '2.5');
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''));
    const row = await invoiceRow(invoiceId);
    expect(row?.status).toBe('overpaid');
    expect(row?.overpaidAmount).toBe('2.5');
    const ledger = await ledgerFor(invoiceId);
    expect(ledger.find((e) => e.account === `payable:user:${userId}:overpayment`)?.amountMinor).toBe(-250n);
    expect(ledger.reduce((sum, e) => sum + e.amountMinor, 0n)).toBe(0n);
  });
});

describe('language of workflow messages', () => {
  it("follows the user's Telegram language when none was chosen, and the chosen one over it", async () => {
    const { planId } = await stack.createPlan();
    const russian = stack.newUserId();
    await stack.addUser(russian, { telegramLanguage: 'ru' });
    await openInvoice(russian, planId);
    await stack.sandbox.telegram.waitForMessage(russian, (m) => /Счёт на 10\.00 USD/.test(m.text ?? ''));

    const choseEnglish = stack.newUserId();
    await stack.addUser(choseEnglish, { telegramLanguage: 'ru', language: 'en' });
    await openInvoice(choseEnglish, planId);
    await stack.sandbox.telegram.waitForMessage(choseEnglish, (m) => /Invoice for 10\.00 USD/.test(m.text ?? ''));
  });
});

describe('invoice expiry', () => {
  let short: Stack;
  beforeAll(async () => {
    short = await startStack({
      INVOICE_TTL: '4s',
      INVOICE_RECONCILE_SCHEDULE: '2s',
      INVOICE_RECONCILE_EVERY: '2s',
      INVOICE_LATE_PAYMENT_WINDOW: '30s',
    });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('an unpaid invoice expires and the user is told; a payment after expiry is recorded and reported', async () => {
    const plan = await short.createPlan();
    const userId = short.newUserId();
    await short.addUser(userId);
    const { invoiceId } = await short.runtime.commands.openInvoice({ userId, planId: plan.planId });
    await short.sandbox.telegram.waitForMessage(userId, (m) => /expired unpaid/.test(m.text ?? ''), 15_000);
    expect((await short.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status).toBe(
      'expired',
    );

    await short.sandbox.cryptocloud.pay(invoiceId);
    await short.sandbox.telegram.waitForMessage(
      userId,
      (m) => /arrived after the invoice had closed/.test(m.text ?? ''),
      15_000,
    );
    const row = (await short.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
    expect(row?.status).toBe('late_paid');
    expect(Number(compareDecimal(row!.amountReceived, '10'))).toBe(0);
    // Nothing was activated, and the money sits in the late-payments suspense account.
    expect(await short.runtime.db.select().from(subscriptions).where(eq(subscriptions.userId, userId))).toHaveLength(0);
    const ledger = await short.runtime.db
      .select()
      .from(ledgerEntries)
      .where(like(ledgerEntries.transactionKey, `invoice:${invoiceId}:%`));
    expect(ledger.find((e) => e.account === 'suspense:late-payments')?.amountMinor).toBe(-1000n);
    // The admin was told (ADMIN_IDS is empty in tests, so the outbox holds no admin rows; the user row exists).
    expect(
      (
        await short.runtime.db
          .select()
          .from(outboxMessages)
          .where(like(outboxMessages.key, `${invoiceId}:late_paid%`))
      ).length,
    ).toBeGreaterThan(0);
  });
});
