/**
 * The channel activities against the Telegram sandbox over HTTP and the real database: which of
 * Telegram's answers count as done, which tell the admins and fail the attempt for a retry, and which
 * fail visibly without blocking the removal.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createI18n } from '../bot/i18n';
import { createDatabase } from '../infrastructure/db/client';
import { channels, inviteLinks, planChannels, plans, users } from '../infrastructure/db/schema';
import { createLogger } from '../infrastructure/logger';
import { startSandbox, type Sandbox } from '../infrastructure/sandbox/server';
import type { WorkflowPort } from './deps';
import { createActivities } from './index';

const ADMIN = 1_900_000_001;
let sandbox: Sandbox;
let database: ReturnType<typeof createDatabase>;
let acts: ReturnType<typeof createActivities>;

beforeAll(async () => {
  sandbox = await startSandbox({ cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' } });
  database = createDatabase(inject('databaseUrl'), { max: 2 });
  const telegram = new Api('4242:activity-test-token', { apiRoot: sandbox.url });
  await telegram.getMe();
  const i18n = createI18n();
  acts = createActivities({
    db: database.db,
    telegram,
    gateways: {},
    workflows: {} as WorkflowPort,
    translate: (locale, key, vars) => i18n.t(locale, key, vars),
    adminIds: [ADMIN],
    logger: createLogger('silent'),
  });
  await database.db
    .insert(users)
    .values({ id: ADMIN, firstName: 'Admin', referralCode: `a${randomUUID().slice(0, 7)}` })
    .onConflictDoNothing();
});
beforeAll(() => {
  sandbox.telegram.addUser({ id: ADMIN, first_name: 'Admin' }, { startedBot: true });
});
afterAll(async () => {
  await database?.close();
  await sandbox?.close();
});

async function scenario() {
  const planId = `p${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const channelId = -(1_000_000_000_000 + randomInt(1, 1_000_000_000));
  const userId = randomInt(100_000_000, 1_800_000_000);
  await database.db.insert(plans).values({ id: planId, title: 'Plan', priceMinor: 100n, durationSeconds: 60 });
  await database.db.insert(channels).values({ id: channelId, title: `Channel ${channelId}` });
  await database.db.insert(planChannels).values({ planId, channelId });
  await database.db.insert(users).values({ id: userId, firstName: 'U', referralCode: `r${userId}` });
  sandbox.telegram.addChannel({ id: channelId, title: `Channel ${channelId}` });
  sandbox.telegram.addUser({ id: userId, first_name: 'U' }, { startedBot: true });
  return { planId, channelId, userId };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );
const channelRow = async (id: number) => (await database.db.select().from(channels).where(eq(channels.id, id)))[0];
const alerts = (channelId: number) =>
  sandbox.telegram.messagesTo(ADMIN).filter((m) => (m.text ?? '').includes(String(channelId)));

describe('channel activities and Telegram errors', () => {
  it('removal: USER_NOT_PARTICIPANT is done; an already revoked link is done', async () => {
    const { planId, channelId, userId } = await scenario();
    const [link] = await acts.ensureInviteLinks({ userId, planId, channelIds: [channelId] });
    sandbox.telegram.injectFault({
      method: 'banChatMember',
      fault: { kind: 'server_error', status: 400, description: 'Bad Request: USER_NOT_PARTICIPANT' },
    });
    // The link is unknown to Telegram by now (INVITE_HASH_EXPIRED): already as good as revoked.
    await database.db
      .update(inviteLinks)
      .set({ link: `${link!.link}-gone` })
      .where(eq(inviteLinks.userId, userId));
    expect(await acts.removeChannelAccess({ userId, planId, channelIds: [channelId], dryRun: false })).toEqual({
      removed: [channelId],
      dryRun: false,
    });
    const [row] = await database.db.select().from(inviteLinks).where(eq(inviteLinks.userId, userId));
    expect(row?.revokedAt).toBeInstanceOf(Date);
    expect(alerts(channelId)).toEqual([]);
  });

  it('removal without rights: admins told once, the attempt fails retryably, and succeeds once rights return', async () => {
    const { planId, channelId, userId } = await scenario();
    sandbox.telegram.setMember(channelId, userId, 'member');
    sandbox.telegram.setBotRights(channelId, { rights: { can_restrict_members: false } });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await failure(acts.removeChannelAccess({ userId, planId, channelIds: [channelId], dryRun: false }));
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({ type: 'TelegramChannelAccess', nonRetryable: false });
    }
    expect(await channelRow(channelId)).toMatchObject({
      healthProblem: 'no-rights',
      healthDetail: 'Bad Request: not enough rights to restrict/unrestrict chat member',
    });
    expect(alerts(channelId).map((m) => m.text)).toEqual([expect.stringMatching(/cannot manage channel/)]);
    expect(sandbox.telegram.member(channelId, userId)).toBe('member');

    sandbox.telegram.setBotRights(channelId, { rights: { can_restrict_members: true } });
    await acts.removeChannelAccess({ userId, planId, channelIds: [channelId], dryRun: false });
    expect(sandbox.telegram.member(channelId, userId)).toBe('left');
    expect(await channelRow(channelId)).toMatchObject({ healthProblem: null });
    expect(alerts(channelId).map((m) => m.text)).toEqual([
      expect.stringMatching(/cannot manage channel/),
      expect.stringMatching(/can manage channel .* again/),
    ]);
  });

  it('removal Telegram refuses for good (an admin of the channel): admins told, the rest goes on', async () => {
    const { planId, channelId, userId } = await scenario();
    sandbox.telegram.setMember(channelId, userId, 'administrator');
    expect(await acts.removeChannelAccess({ userId, planId, channelIds: [channelId], dryRun: false })).toEqual({
      removed: [],
      dryRun: false,
    });
    expect(alerts(channelId).map((m) => m.text)).toEqual([
      expect.stringMatching(/could not be removed .*user is an administrator of the chat/),
    ]);
    expect(await channelRow(channelId)).toMatchObject({ healthProblem: null });
  });

  it('join requests: already handled is done; no rights fails retryably; kicked bot is a channel problem', async () => {
    const { channelId, userId } = await scenario();
    await acts.answerJoinRequest({ chatId: channelId, userId, approve: true }); // HIDE_REQUESTER_MISSING
    await acts.answerJoinRequest({ chatId: channelId, userId, approve: false });
    sandbox.telegram.setBotRights(channelId, { rights: { can_invite_users: false } });
    expect(await failure(acts.answerJoinRequest({ chatId: channelId, userId, approve: true }))).toMatchObject({
      type: 'TelegramChannelAccess',
    });
    sandbox.telegram.setBotRights(channelId, { status: 'kicked' });
    expect(await failure(acts.answerJoinRequest({ chatId: channelId, userId, approve: false }))).toMatchObject({
      type: 'TelegramChannelAccess',
    });
    // Still one outage (its reason updated), still one alert.
    expect(await channelRow(channelId)).toMatchObject({ healthProblem: 'bot-removed' });
    expect(alerts(channelId)).toHaveLength(1);
  });
});
