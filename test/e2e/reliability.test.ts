/**
 * Nothing lost, nothing doubled: a worker killed mid-flow, Telegram rate limits and blocked users,
 * join requests from strangers, and a removed member who pays again.
 */
import { and, eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxMessages, subscriptions, users } from '../../infrastructure/db/schema';
import { invoiceWorkflowId, subscriptionWorkflowId } from '../../infrastructure/temporal/commands';
import { eventually, startStack, spawnWorkerProcess, type Stack } from '../harness';
import { workflowsSettled } from '../settled';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function payingUser(options: Parameters<Stack['createPlan']>[0] = {}, timeoutMs = 30_000) {
  const plan = await stack.createPlan(options);
  const userId = stack.newUserId();
  await stack.addUser(userId);
  const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId: plan.planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId), timeoutMs);
  await stack.sandbox.telegram.waitForMessage(userId, (m) => /Invoice for/.test(m.text ?? ''), timeoutMs);
  return { ...plan, userId, invoiceId };
}

const activations = (userId: number) =>
  stack.sandbox.telegram.messagesTo(userId).filter((m) => /subscription is active/.test(m.text ?? ''));
const subscriptionOf = async (userId: number, planId: string) =>
  (
    await stack.runtime.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)))
  )[0];

const spawnWorker = () => spawnWorkerProcess(stack);

describe('reliability', () => {
  it('a worker killed between payment and invite delivers the invite exactly once after restart', async () => {
    await stack.stopWorker();
    let child = spawnWorker();
    try {
      // A fresh worker process starts slowly on a busy machine (it bundles the workflows first).
      const { userId, invoiceId, planId } = await payingUser({}, 120_000);
      // Hold the invite-link call so the kill lands after the payment is recorded and before the invite.
      stack.sandbox.telegram.injectFault({ method: 'createChatInviteLink', fault: { kind: 'slow', delayMs: 4000 } });
      await stack.sandbox.cryptocloud.pay(invoiceId);
      await stack.sandbox.telegram.waitForCall('createChatInviteLink', undefined, 30_000);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(activations(userId)).toHaveLength(0);

      child = spawnWorker();
      await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''), 120_000);
      await workflowsSettled(stack.runtime.temporal.client, [
        invoiceWorkflowId(invoiceId),
        subscriptionWorkflowId(userId, planId),
      ]);
      expect(activations(userId)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await stack.startWorker();
    }
  }, 240_000);

  it('Telegram 429 with retry_after: the message arrives after the wait', async () => {
    const { userId, invoiceId } = await payingUser();
    stack.sandbox.telegram.injectFault({
      method: 'sendMessage',
      chatId: userId,
      times: 1,
      fault: { kind: 'rate_limit', retryAfter: 2 },
    });
    await stack.sandbox.cryptocloud.pay(invoiceId);
    // The first message after the payment (the receipt) meets the 429, waits 2 s, and arrives once.
    const isReceipt = (c: { params: Record<string, unknown> }) =>
      c.params.chat_id === userId && /Payment of 10\.00 USD received/.test(String(c.params.text));
    await stack.sandbox.telegram.waitForCall('sendMessage', (c) => c.ok && isReceipt(c), 20_000);
    const attempts = stack.sandbox.telegram.calls('sendMessage').filter(isReceipt);
    expect(attempts.map((c) => c.ok)).toEqual([false, true]);
    expect(attempts[0]).toMatchObject({ errorCode: 429 });
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  it('a user who blocked the bot: recorded, not retried forever, the subscription itself unaffected', async () => {
    const { userId, planId, invoiceId } = await payingUser();
    stack.sandbox.telegram.injectFault({
      method: 'sendMessage',
      chatId: userId,
      times: 1000,
      fault: { kind: 'blocked' },
    });
    await stack.sandbox.cryptocloud.pay(invoiceId);
    await eventually(
      'the subscription to be active',
      async () => (await subscriptionOf(userId, planId))?.status === 'active',
    );
    await eventually(
      'the user to be marked as blocked',
      async () => (await stack.runtime.db.select().from(users).where(eq(users.id, userId)))[0]?.blockedAt,
    );
    const activationDm = await eventually('the invite DM recorded as blocked', async () =>
      (await stack.runtime.db.select().from(outboxMessages).where(eq(outboxMessages.chatId, userId))).find(
        (m) => m.key.includes(':access:') && m.status !== 'sending',
      ),
    );
    expect(activationDm.status).toBe('blocked');
    // Nothing in flight any more that could try again.
    await workflowsSettled(stack.runtime.temporal.client, [
      invoiceWorkflowId(invoiceId),
      subscriptionWorkflowId(userId, planId),
    ]);
    const attempts = stack.sandbox.telegram.calls('sendMessage').filter((c) => c.params.chat_id === userId);
    // One attempt per distinct message (invoice, payment, invite), none repeated.
    expect(attempts.length).toBeLessThanOrEqual(3);
    stack.sandbox.telegram.clearFaults();
  });

  it('declines a join request from a user without a subscription', async () => {
    const { channelIds } = await stack.createPlan();
    const stranger = stack.newUserId();
    await stack.addUser(stranger);
    const chatId = channelIds[0]!;
    const api = new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot });
    const link = (await api.createChatInviteLink(chatId, { creates_join_request: true })).invite_link;
    stack.sandbox.telegram.requestJoin({ from: { id: stranger, first_name: 'Stranger' }, chatId, inviteLink: link });
    await stack.sandbox.telegram.waitForCall('declineChatJoinRequest', (c) => c.params.user_id === stranger);
    expect(stack.sandbox.telegram.member(chatId, stranger)).not.toBe('member');
    expect(stack.sandbox.telegram.calls('approveChatJoinRequest').some((c) => c.params.user_id === stranger)).toBe(
      false,
    );
  });

  it('a removed member can pay again and rejoin', async () => {
    const { userId, planId, channelIds, invoiceId } = await payingUser({ durationSeconds: 3 });
    const chatId = channelIds[0]!;
    await stack.sandbox.cryptocloud.pay(invoiceId);
    const first = await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /subscription is active/.test(m.text ?? ''),
    );
    const firstLink = JSON.stringify(first.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)![0];
    stack.sandbox.telegram.requestJoin({ from: { id: userId, first_name: 'Back' }, chatId, inviteLink: firstLink });
    await eventually('membership', () => stack.sandbox.telegram.member(chatId, userId) === 'member');
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /access was removed/.test(m.text ?? ''), 20_000);
    expect(stack.sandbox.telegram.member(chatId, userId)).not.toBe('member');

    const { invoiceId: second } = await stack.runtime.commands.openInvoice({ userId, planId });
    expect(second).not.toBe(invoiceId);
    await eventually('the second gateway invoice', () => stack.sandbox.cryptocloud.invoice(second));
    await stack.sandbox.cryptocloud.pay(second);
    await eventually('a second activation', () => activations(userId).length === 2);
    const link = JSON.stringify(activations(userId)[1]!.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)![0];
    expect(link).not.toBe(firstLink); // the old link was revoked at removal
    stack.sandbox.telegram.requestJoin({ from: { id: userId, first_name: 'Back' }, chatId, inviteLink: link });
    await eventually('membership again', () => stack.sandbox.telegram.member(chatId, userId) === 'member');
  }, 60_000);
});
