/**
 * A refund ends what it paid for: refunding an invoice takes back the subscription period it bought
 * (ending access when nothing remains) and the referrer's commission. Real Temporal dev server,
 * PostgreSQL; Telegram and CryptoCloud sandboxes.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices, ledgerEntries, referralCommissions, referrers, subscriptions } from '../../infrastructure/db/schema';
import type { subscriptionWorkflow, SubscriptionView } from '../../workflows/subscription';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant, balancesOf } from '../ledger';

const HOUR_MS = 3_600_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ REFERRAL_HOLD: '1h' });
});
afterAll(async () => {
  await stack?.stop();
});

async function payInvoice(userId: number, planId: string) {
  const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  await stack.sandbox.cryptocloud.pay(invoiceId);
  await eventually(
    `invoice ${invoiceId} paid`,
    async () =>
      (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status === 'paid',
  );
  return invoiceId;
}

const subscriptionRow = async (userId: number, planId: string) =>
  (
    await stack.runtime.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)))
  )[0];
const state = (userId: number, planId: string): Promise<SubscriptionView | undefined> =>
  stack.runtime.commands.subscriptionState(userId, planId);

async function joinChannel(userId: number, channelId: number) {
  const invite = await stack.sandbox.telegram.waitForMessage(userId, (m) =>
    /subscription is active/.test(m.text ?? ''),
  );
  const link = JSON.stringify(invite.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)?.[0];
  expect(link).toBeDefined();
  stack.sandbox.telegram.requestJoin({
    from: { id: userId, first_name: 'Buyer' },
    chatId: channelId,
    inviteLink: link!,
  });
  await eventually('joined the channel', () => stack.sandbox.telegram.member(channelId, userId) === 'member');
}

describe('refunds', () => {
  it('refunding the only payment ends the subscription, removes the member and reverses the commission', async () => {
    const referrerId = stack.newUserId();
    await stack.addUser(referrerId);
    await stack.runtime.db.insert(referrers).values({ userId: referrerId, commissionBps: 1000 });
    const userId = stack.newUserId();
    await stack.addUser(userId, { referredBy: referrerId });
    const { planId, channelIds } = await stack.createPlan({ durationSeconds: 3600 });
    const channelId = channelIds[0]!;

    const invoiceId = await payInvoice(userId, planId);
    await joinChannel(userId, channelId);
    expect((await subscriptionRow(userId, planId))?.status).toBe('active');
    await eventually(
      'commission held',
      async () =>
        (
          await stack.runtime.db.select().from(referralCommissions).where(eq(referralCommissions.invoiceId, invoiceId))
        )[0]?.status === 'held',
    );

    // Two admins refund at once: one refund happens, and each is told whose it was.
    const answers = await Promise.all([
      stack.runtime.commands.refundInvoice(invoiceId, '111', 'chargeback'),
      stack.runtime.commands.refundInvoice(invoiceId, '222', 'chargeback'),
    ]);
    const applied = answers.filter((a) => !a.alreadyRefunded);
    expect(applied).toHaveLength(1);
    const winner = applied[0]!.refundedBy;
    expect(['111', '222']).toContain(winner);
    for (const answer of answers)
      expect(answer).toEqual({
        invoiceId,
        alreadyRefunded: answer !== applied[0],
        commissionReversed: true,
        subscriptionShortened: true,
        refundedBy: winner,
      });
    const refundPosting = await stack.runtime.db
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.transactionKey, `invoice:${invoiceId}:refund`));
    expect(refundPosting).toHaveLength(2);

    // The hour it bought is taken back: nothing remains, so access ends now (no grace), as at expiry.
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /was refunded, so the period it paid for was taken back: your subscription has ended/.test(m.text ?? ''),
    );
    await eventually('member removed', () => stack.sandbox.telegram.member(channelId, userId) !== 'member');
    expect(
      stack.sandbox.telegram
        .calls('banChatMember')
        .some((c) => c.params.user_id === userId && c.params.chat_id === channelId),
    ).toBe(true);
    await eventually('read model expired', async () => (await subscriptionRow(userId, planId))?.status === 'expired');
    const row = await subscriptionRow(userId, planId);
    expect(row!.accessUntil.getTime()).toBeLessThanOrEqual(Date.now());
    // The workflow has ended with the period.
    const ended = await stack.runtime.temporal.client.workflow
      .getHandle<typeof subscriptionWorkflow>(`subscription:${userId}:${planId}`)
      .result();
    expect(ended).toMatchObject({ status: 'expired' });
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /Your payment of 10\.00 USD .* was refunded/.test(m.text ?? ''),
    );
    const texts = stack.sandbox.telegram.messagesTo(userId).map((m) => m.text ?? '');
    expect(texts.filter((t) => /was refunded/.test(t))).toHaveLength(2); // the payment, and the period: once each

    // The commission is reversed too.
    await eventually(
      'commission reversed',
      async () =>
        (
          await stack.runtime.db.select().from(referralCommissions).where(eq(referralCommissions.invoiceId, invoiceId))
        )[0]?.status === 'reversed',
    );
    expect(await balancesOf(stack.runtime.db, referrerId)).toEqual({ held: 0n, available: 0n, reserved: 0n });
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('paid twice (a renewal), one refunded: one period remains, access stays; refunding it again changes nothing', async () => {
    const userId = stack.newUserId();
    await stack.addUser(userId);
    const { planId, channelIds } = await stack.createPlan({ durationSeconds: 3600 });
    const channelId = channelIds[0]!;

    await payInvoice(userId, planId);
    await joinChannel(userId, channelId);
    const afterFirst = (await state(userId, planId))!.expiresAt!;
    const second = await payInvoice(userId, planId);
    const renewed = await eventually('renewed by the second payment', async () => {
      const s = await state(userId, planId);
      return s?.expiresAt !== undefined && s.expiresAt > afterFirst && s.expiresAt;
    });
    expect(renewed - afterFirst).toBe(HOUR_MS);

    const result = await stack.runtime.commands.refundInvoice(second, '4242', 'double charge');
    expect(result).toMatchObject({ alreadyRefunded: false, subscriptionShortened: true });
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /was refunded, so the period it paid for was taken back: your subscription now ends on/.test(m.text ?? ''),
    );
    const after = (await state(userId, planId))!;
    expect(after).toMatchObject({ status: 'active', expiresAt: afterFirst });
    await eventually(
      'read model shortened',
      async () => (await subscriptionRow(userId, planId))?.expiresAt.getTime() === afterFirst,
    );
    expect(stack.sandbox.telegram.member(channelId, userId)).toBe('member');

    // The same refund again is once: the period is not taken back twice.
    expect(await stack.runtime.commands.refundInvoice(second, '111')).toMatchObject({
      alreadyRefunded: true,
      refundedBy: '4242',
    });
    await stack.runtime.commands.invoiceRefunded(userId, planId, second);
    // Signals are handled in order: once this later grant shows, the repeats before it were handled.
    await stack.runtime.commands.grant(userId, planId, 1, 4242);
    await eventually(
      'the grant after the repeats applied',
      async () => (await state(userId, planId))?.expiresAt === afterFirst + 24 * HOUR_MS,
    );
    expect(stack.sandbox.telegram.member(channelId, userId)).toBe('member');
    expect(
      stack.sandbox.telegram.messagesTo(userId).filter((m) => /your subscription now ends on/.test(m.text ?? '')),
    ).toHaveLength(1);
    expect((await subscriptionRow(userId, planId))?.status).toBe('active');
    await assertLedgerInvariant(stack.runtime.db);
  });
});
