/**
 * The bot loses its admin rights in a paid channel: the admins are told (once), the channel is marked
 * unhealthy, the removal of an expired member keeps being retried and goes through once the rights are
 * back, so nobody whose subscription ended stays in the channel.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, subscriptions } from '../../infrastructure/db/schema';
import { eventually, startStack, type Stack } from '../harness';

let stack: Stack;
let adminId: number;
beforeAll(async () => {
  adminId = 1_999_000_000 + Math.floor(Math.random() * 100_000);
  stack = await startStack({ ADMIN_IDS: String(adminId) });
  await stack.addUser(adminId);
});
afterAll(async () => {
  await stack?.stop();
});

const healthOf = async (channelId: number) =>
  (await stack.runtime.db.select().from(channels).where(eq(channels.id, channelId)))[0];
const adminMessages = (pattern: RegExp) =>
  stack.sandbox.telegram.messagesTo(adminId).filter((m) => pattern.test(m.text ?? ''));

async function memberOfPaidChannel(durationSeconds: number) {
  const plan = await stack.createPlan({ durationSeconds });
  const userId = stack.newUserId();
  await stack.addUser(userId);
  const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId: plan.planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  await stack.sandbox.cryptocloud.pay(invoiceId);
  const invite = await stack.sandbox.telegram.waitForMessage(
    userId,
    (m) => /subscription is active/.test(m.text ?? ''),
    20_000,
  );
  const link = JSON.stringify(invite.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)![0];
  const chatId = plan.channelIds[0]!;
  return { ...plan, userId, chatId, link };
}

describe('the bot losing its admin rights in a channel', () => {
  it('admins are told, the removal is retried until rights return, and the expired member is removed', async () => {
    const { userId, planId, chatId, link } = await memberOfPaidChannel(8);
    stack.sandbox.telegram.requestJoin({ from: { id: userId, first_name: 'Member' }, chatId, inviteLink: link });
    await eventually('membership', () => stack.sandbox.telegram.member(chatId, userId) === 'member', 15_000);

    // The owner takes away "Ban users": Telegram tells the bot with my_chat_member.
    stack.sandbox.telegram.setBotRights(chatId, { rights: { can_restrict_members: false } });
    await stack.sandbox.telegram.waitForMessage(adminId, (m) => /cannot manage channel/.test(m.text ?? ''), 15_000);
    expect(await healthOf(chatId)).toMatchObject({ healthProblem: 'no-rights' });
    expect(adminMessages(/cannot manage channel/)[0]!.text).toMatch(/can_restrict_members/);

    // The period and the grace end; Telegram refuses the ban; the workflow keeps retrying.
    const refused = (c: { ok: boolean; params: Record<string, unknown>; description?: string }) =>
      !c.ok &&
      c.params.user_id === userId &&
      c.description === 'Bad Request: not enough rights to restrict/unrestrict chat member';
    await stack.sandbox.telegram.waitForCall('banChatMember', refused, 30_000);
    await eventually(
      'a retried removal',
      () => stack.sandbox.telegram.calls('banChatMember').filter(refused).length >= 2,
      15_000,
    );
    expect(stack.sandbox.telegram.member(chatId, userId)).toBe('member');
    // One alert for the whole outage, however many retries.
    expect(adminMessages(/cannot manage channel/)).toHaveLength(1);

    // Rights back: admins hear of it, the next retry removes the member.
    stack.sandbox.telegram.setBotRights(chatId, { rights: { can_restrict_members: true } });
    await stack.sandbox.telegram.waitForMessage(adminId, (m) => /can manage channel/.test(m.text ?? ''), 15_000);
    await eventually('the member removed', () => stack.sandbox.telegram.member(chatId, userId) !== 'member', 30_000);
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /access was removed/.test(m.text ?? ''), 15_000);
    const [row] = await stack.runtime.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)));
    expect(row?.status).toBe('expired');
    expect(await healthOf(chatId)).toMatchObject({ healthProblem: null, unhealthySince: null });
    expect(adminMessages(/cannot manage channel/)).toHaveLength(1);
  }, 90_000);

  it('a join request met while the bot cannot answer it is approved once the rights are back', async () => {
    const { userId, chatId, link } = await memberOfPaidChannel(60);
    stack.sandbox.telegram.setBotRights(chatId, { status: 'kicked' });
    await eventually(
      'the channel marked unhealthy',
      async () => (await healthOf(chatId))?.healthProblem === 'bot-removed',
    );
    stack.sandbox.telegram.requestJoin({ from: { id: userId, first_name: 'Member' }, chatId, inviteLink: link });
    await stack.sandbox.telegram.waitForCall(
      'approveChatJoinRequest',
      (c) => c.params.user_id === userId && c.description === 'Forbidden: bot was kicked from the channel chat',
      15_000,
    );
    expect(stack.sandbox.telegram.member(chatId, userId)).toBe('left');
    stack.sandbox.telegram.setBotRights(chatId, { status: 'administrator' });
    await eventually(
      'membership after the rights returned',
      () => stack.sandbox.telegram.member(chatId, userId) === 'member',
      30_000,
    );
    // The bot's my_chat_member handler clears the problem; the retried approval may land first.
    await eventually('the channel healthy again', async () => (await healthOf(chatId))?.healthProblem === null);
  }, 60_000);
});
