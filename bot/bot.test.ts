/**
 * The bot against the Telegram sandbox over HTTP (webhook delivery), with the real Temporal dev
 * server, PostgreSQL, a worker and the CryptoCloud sandbox: what a user sees and what gets recorded.
 */
import { and, eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices, inviteLinks, referrals, subscriptions, users } from '../infrastructure/db/schema';
import type { UserInput } from '../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, hasButton, textMatches, WAIT_MS } from '../test/conversation';
import { invoiceWorkflowId } from '../infrastructure/temporal/commands';
import { eventually, startStack, type Stack } from '../test/harness';
import { formatMoment } from './i18n';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const person = (id: number, language_code = 'en'): UserInput => ({
  id,
  first_name: `Tester${id}`,
  username: `tester${id}`,
  language_code,
});

const { nextMessage, say, press } = conversation(tg);

async function callbackAnswer(queryId: string) {
  return eventually(
    `answer to callback ${queryId}`,
    () => {
      const answer = tg().callbackAnswer(queryId);
      return answer?.answered ? answer : undefined;
    },
    WAIT_MS,
  );
}

const userRow = async (id: number) => (await stack.runtime.db.select().from(users).where(eq(users.id, id)))[0];

/** A user who has accepted the terms and written to the bot, so the bot may message them. */
async function customer(language = 'en') {
  const from = person(stack.newUserId(), language);
  await stack.addUser(from.id);
  tg().addUser(from, { startedBot: true });
  return from;
}

describe('/start and the terms', () => {
  it('shows the terms, then the plans keyboard once they are accepted', async () => {
    const { planId } = await stack.createPlan({ title: 'Gold' });
    const from = person(stack.newUserId());
    const terms = await say(from, '/start', hasButton('terms_accept'));
    expect(terms.text).toMatch(/Terms of service/);
    const row = await userRow(from.id);
    expect(row?.termsAcceptedAt).toBeNull();
    expect(row?.referralCode).toMatch(/^[\w-]{8}$/);
    expect(row?.firstName).toBe(from.first_name);

    const plansMessage = await press(from, terms, 'terms_accept', hasButton(`plan:${planId}`));
    expect(plansMessage.text).toMatch(/Choose a plan/);
    expect(JSON.stringify(plansMessage.reply_markup)).toMatch(/Gold · 10\.00 USD/);
    expect((await userRow(from.id))?.termsAcceptedAt).toBeInstanceOf(Date);
    // The Accept button is gone from the terms message.
    expect(
      callbackDataOf(
        tg()
          .messagesTo(from.id)
          .find((m) => m.message_id === terms.message_id)!,
      ),
    ).toEqual([]);

    // Back again: straight to the plans.
    const again = await say(from, '/start', hasButton(`plan:${planId}`));
    expect(again.text).toMatch(/Welcome back/);
  });

  it('refuses commands and buttons until the terms are accepted', async () => {
    const { planId } = await stack.createPlan();
    const from = person(stack.newUserId());
    const refused = await say(from, '/myplan', hasButton('terms_accept'));
    expect(refused.text).toMatch(/accept the terms first/);
    await say(from, '/plans', textMatches(/accept the terms first/));

    // A plan button (e.g. from an old message) is refused too.
    const queryId = tg().pressButton({ from, message_id: refused.message_id, data: `plan:${planId}`, force: true });
    expect((await callbackAnswer(queryId)).text).toMatch(/accept the terms first/);
    const rows = await stack.runtime.db.select().from(invoices).where(eq(invoices.userId, from.id));
    expect(rows).toEqual([]);

    // /help stays open to newcomers.
    await say(from, '/help', textMatches(/What I can do/));
  });
});

describe('referral deep links', () => {
  const codeOf = async (id: number) => (await userRow(id))!.referralCode;
  const referralOf = async (id: number) =>
    (await stack.runtime.db.select().from(referrals).where(eq(referrals.referredId, id)))[0];

  it('records the first referrer once, ignores self-referral and unknown codes', async () => {
    const [alice, bob, carol, dave] = [
      person(stack.newUserId()),
      person(stack.newUserId()),
      person(stack.newUserId()),
      person(stack.newUserId()),
    ];
    await say(alice, '/start', hasButton('terms_accept'));
    await say(carol, '/start', hasButton('terms_accept'));
    const aliceCode = await codeOf(alice.id);

    await say(bob, `/start ref_${aliceCode}`, hasButton('terms_accept'));
    expect((await referralOf(bob.id))?.referrerId).toBe(alice.id);
    expect((await userRow(bob.id))?.referredBy).toBe(alice.id);

    // A second link, even from someone else, changes nothing: the first referrer wins.
    await say(bob, `/start ref_${await codeOf(carol.id)}`, hasButton('terms_accept'));
    expect((await referralOf(bob.id))?.referrerId).toBe(alice.id);
    expect((await userRow(bob.id))?.referredBy).toBe(alice.id);
    await say(bob, `/start ref_${aliceCode}`, hasButton('terms_accept'));
    expect((await referralOf(bob.id))?.referrerId).toBe(alice.id);
    expect((await userRow(bob.id))?.referredBy).toBe(alice.id);
    expect(await stack.runtime.db.select().from(referrals).where(eq(referrals.referredId, bob.id))).toHaveLength(1);

    // Oneself: ignored.
    await say(alice, `/start ref_${aliceCode}`, hasButton('terms_accept'));
    expect(await referralOf(alice.id)).toBeUndefined();
    expect((await userRow(alice.id))?.referredBy).toBeNull();

    // Unknown code or another payload: no error, no referral.
    const reply = await say(dave, '/start ref_nosuchcode', hasButton('terms_accept'));
    expect(reply.text).toMatch(/Terms of service/);
    await say(dave, '/start something-else', hasButton('terms_accept'));
    expect(await referralOf(dave.id)).toBeUndefined();
  });
});

describe('plans and invoices', () => {
  it('opens exactly one invoice when Pay is pressed twice, and shows it again later', async () => {
    const { planId } = await stack.createPlan({ title: 'Silver', priceMinor: 2500n, durationSeconds: 30 * 86_400 });
    const from = await customer();
    const list = await say(from, '/plans', hasButton(`plan:${planId}`));
    const details = await press(from, list, `plan:${planId}`, hasButton(`pay:${planId}`));
    expect(details.text).toMatch(/Silver[\s\S]*25\.00 USD[\s\S]*30 days/);
    expect(callbackDataOf(details)).not.toContain(`trial:${planId}`);

    const first = tg().pressButton({ from, message_id: details.message_id, data: `pay:${planId}` });
    const second = tg().pressButton({ from, message_id: details.message_id, data: `pay:${planId}` });
    expect((await callbackAnswer(first)).text).toMatch(/Creating your invoice|already have an open invoice/);
    await callbackAnswer(second);

    // The workflow sends the invoice message with the payment link.
    const invoiceMessage = await tg().waitForMessage(from.id, textMatches(/Invoice for 25\.00 USD/), WAIT_MS);
    expect(buttonsOf(invoiceMessage).some((b) => 'url' in b && /^https?:\/\//.test(b.url))).toBe(true);
    const rows = await stack.runtime.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.userId, from.id), eq(invoices.planId, planId)));
    expect(rows).toHaveLength(1);
    const invoiceId = rows[0]!.id;
    const client = stack.runtime.temporal.client;
    await expect(client.workflow.getHandle(invoiceWorkflowId(invoiceId)).describe()).resolves.toBeDefined();
    // One invoice workflow for this user, whatever ids the two taps computed.
    const started = await eventually('the invoice workflow listed', async () => {
      const ids: string[] = [];
      const query = `WorkflowType = 'invoiceWorkflow' AND TelegramUserId = ${from.id}`;
      for await (const run of client.workflow.list({ query })) ids.push(run.workflowId);
      return ids.length > 0 && ids;
    });
    expect(started).toEqual([invoiceWorkflowId(invoiceId)]);

    // Pressing Pay once the invoice exists shows the same invoice again instead of a new one.
    await eventually(
      'the payment link recorded',
      async () => (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.payUrl,
    );
    const reminder = await press(from, details, `pay:${planId}`, textMatches(/still open/));
    expect(buttonsOf(reminder).some((b) => 'url' in b)).toBe(true);
    expect(await stack.runtime.db.select().from(invoices).where(eq(invoices.userId, from.id))).toHaveLength(1);
  });

  it('answers a plan that is gone or inactive with a clear message', async () => {
    const { planId } = await stack.createPlan({ title: 'Current' });
    const from = await customer();
    const list = await say(from, '/plans', hasButton(`plan:${planId}`));
    const reply = nextMessage(from.id, textMatches(/not available/));
    let queryId = '';
    const message = await reply(() => {
      queryId = tg().pressButton({ from, message_id: list.message_id, data: 'plan:nosuchplan', force: true });
    });
    expect(callbackDataOf(message)).toContain(`plan:${planId}`);
    expect((await callbackAnswer(queryId)).text).toMatch(/not available/);

    const payQuery = tg().pressButton({ from, message_id: list.message_id, data: 'pay:nosuchplan', force: true });
    expect((await callbackAnswer(payQuery)).text).toMatch(/not available/);
    const garbage = tg().pressButton({ from, message_id: list.message_id, data: 'no-such-button', force: true });
    expect((await callbackAnswer(garbage)).text).toMatch(/out of date/);
    expect(await stack.runtime.db.select().from(invoices).where(eq(invoices.userId, from.id))).toEqual([]);
  });
});

describe('/myplan', () => {
  it('shows no subscription, then the active one with its expiry and a renew button after payment', async () => {
    const { planId } = await stack.createPlan({ title: 'Monthly', durationSeconds: 30 * 86_400 });
    const from = await customer();
    const none = await say(from, '/myplan', textMatches(/no subscription/));
    expect(callbackDataOf(none)).toContain('plans');

    const list = await press(from, none, 'plans', hasButton(`plan:${planId}`));
    const details = await press(from, list, `plan:${planId}`, hasButton(`pay:${planId}`));
    tg().pressButton({ from, message_id: details.message_id, data: `pay:${planId}` });
    const invoice = await eventually(
      'the invoice at the gateway',
      async () => {
        const [row] = await stack.runtime.db.select().from(invoices).where(eq(invoices.userId, from.id));
        return row?.providerInvoiceId ? row : undefined;
      },
      WAIT_MS,
    );
    await stack.sandbox.cryptocloud.pay(invoice.id);
    const subscription = await eventually(
      'the active subscription',
      async () => {
        const [row] = await stack.runtime.db
          .select()
          .from(subscriptions)
          .where(and(eq(subscriptions.userId, from.id), eq(subscriptions.planId, planId)));
        return row?.status === 'active' ? row : undefined;
      },
      WAIT_MS,
    );

    // The activation notice also says "active until": wait for the /myplan answer itself.
    const mine = await say(from, '/myplan', textMatches(/Monthly: ✅ active until/));
    expect(mine.text).toContain(`Monthly: ✅ active until ${formatMoment(subscription.expiresAt.getTime())}`);
    expect(callbackDataOf(mine)).toContain(`renew:${planId}`);
  });
});

describe('trials', () => {
  it('starts a trial once; the second try is refused; the trial admits to the channel', async () => {
    const { planId, channelIds } = await stack.createPlan({
      title: 'Trialled',
      trialSeconds: 3600,
      durationSeconds: 86_400,
    });
    const from = await customer();
    const list = await say(from, '/plans', hasButton(`plan:${planId}`));
    const details = await press(from, list, `plan:${planId}`, hasButton(`trial:${planId}`));
    expect(details.text).toMatch(/try it free for 1 hour/);

    const queryId = tg().pressButton({ from, message_id: details.message_id, data: `trial:${planId}` });
    expect((await callbackAnswer(queryId)).text).toMatch(/Starting your trial/);
    await tg().waitForMessage(from.id, textMatches(/trial is active/), WAIT_MS);
    expect((await userRow(from.id))?.trialUsedAt).toBeInstanceOf(Date);

    // Once per user: the old button and /trial are refused, and the plan no longer offers it.
    await press(from, details, `trial:${planId}`, textMatches(/already used your trial/));
    await say(from, '/trial', textMatches(/already used your trial/));
    const again = await press(from, list, `plan:${planId}`, hasButton(`pay:${planId}`));
    expect(callbackDataOf(again)).not.toContain(`trial:${planId}`);
    expect(
      tg()
        .messagesTo(from.id)
        .filter((m) => /trial is active/.test(m.text ?? '')),
    ).toHaveLength(1);

    // The personal link asks to join; the bot hands the request to the subscription, which approves.
    const channelId = channelIds[0]!;
    const [link] = await stack.runtime.db
      .select()
      .from(inviteLinks)
      .where(and(eq(inviteLinks.userId, from.id), eq(inviteLinks.channelId, channelId)));
    tg().requestJoin({ from, chatId: channelId, inviteLink: link!.link });
    await eventually('the join request approved', () => tg().member(channelId, from.id) === 'member', WAIT_MS);
  });
});

describe('join requests', () => {
  it('declines a user without a subscription and tells them how to get access', async () => {
    const { channelIds } = await stack.createPlan({ title: 'Private' });
    const channelId = channelIds[0]!;
    const api = new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot });
    const link = await api.createChatInviteLink(channelId, { creates_join_request: true });
    const from = person(stack.newUserId());
    const explained = nextMessage(from.id, textMatches(/need an active subscription/));
    await explained(() => tg().requestJoin({ from, chatId: channelId, inviteLink: link.invite_link }));
    const decline = await tg().waitForCall(
      'declineChatJoinRequest',
      (call) => call.params.user_id === from.id,
      WAIT_MS,
    );
    expect(decline.ok).toBe(true);
    expect(decline.params.chat_id).toBe(channelId);
    expect(tg().member(channelId, from.id)).not.toBe('member');
    expect(
      tg()
        .joinRequests(channelId)
        .some((r) => r.user.id === from.id),
    ).toBe(false);
  });
});

describe('languages', () => {
  it('switches to Russian with /language and answers in Russian from then on', async () => {
    const from = await customer('en');
    await say(from, '/help', textMatches(/What I can do/));
    const chooser = await say(from, '/language', hasButton('lang:ru'));
    const set = await press(from, chooser, 'lang:ru', textMatches(/Язык: .*Русский/));
    expect(set.text).toBeDefined();
    expect((await userRow(from.id))?.language).toBe('ru');
    await say(from, '/help', textMatches(/Что я умею/));
    await say(from, '/myplan', textMatches(/нет подписки/));

    await say(from, '/language en', textMatches(/Language: .*English/));
    await say(from, '/help', textMatches(/What I can do/));
    const unknown = await say(from, '/language xx', hasButton('lang:en'));
    expect(unknown.text).toMatch(/xx.* is not a language this bot speaks/);
  });

  it("uses the Telegram client's language until one is chosen", async () => {
    const from = await customer('ru');
    await say(from, '/help', textMatches(/Что я умею/));
    const newcomer = person(stack.newUserId(), 'ru-RU');
    const terms = await say(newcomer, '/start', hasButton('terms_accept'));
    expect(terms.text).toMatch(/Условия использования/);
    expect(buttonsOf(terms)[0]?.text).toMatch(/Принимаю/);
  });
});

describe('bad input and errors', () => {
  it('answers an unknown command, plain text and other messages with the help', async () => {
    const from = await customer();
    const unknown = await say(from, '/frobnicate now', textMatches(/don't know the command \/frobnicate/));
    expect(unknown.text).toMatch(/\/myplan/);
    await say(from, 'hello there', textMatches(/only understand commands[\s\S]*\/plans/));
  });

  it('tells the user to try again when Telegram refuses a reply, and keeps working', async () => {
    const from = await customer();
    // A rate limit longer than the bot is allowed to wait: auto-retry gives up and the error boundary takes over.
    tg().injectFault({
      method: 'sendMessage',
      chatId: from.id,
      times: 1,
      fault: { kind: 'rate_limit', retryAfter: 3600 },
    });
    await say(from, '/help', textMatches(/Something went wrong/));
    expect(
      tg()
        .calls('sendMessage')
        .some((call) => call.params.chat_id === from.id && call.errorCode === 429),
    ).toBe(true);
    await say(from, '/help', textMatches(/What I can do/));
  });
});
