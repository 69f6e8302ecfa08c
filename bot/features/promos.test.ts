/**
 * Promo codes in the bot against the Telegram sandbox, with the real database and the rest of the
 * stack: admins create, list and disable codes (refusals store nothing and are audited), users enter a
 * code with /promo, the promo_ deep link or the button, and only a usable code is remembered.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, promoCodes, promoSelections } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { callbackDataOf, conversation, textMatches } from '../../test/conversation';
import { startStack, type Stack } from '../../test/harness';

const ADMIN: UserInput = {
  id: 600_000_000 + Math.floor(Math.random() * 99_999_999),
  first_name: 'Admin',
  language_code: 'en',
};

let stack: Stack;
let plan: { planId: string; title: string };
let bot: { id: number; username: string };

beforeAll(async () => {
  stack = await startStack({ ADMIN_IDS: String(ADMIN.id) });
  await stack.addUser(ADMIN.id);
  stack.sandbox.telegram.addUser(ADMIN, { startedBot: true });
  const title = `Promo plan ${randomUUID().slice(0, 6)}`;
  plan = { ...(await stack.createPlan({ title, priceMinor: 1000n })), title };
  const me = await new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot }).getMe();
  bot = { id: me.id, username: me.username };
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, press, nextMessage } = conversation(tg);
const adminSays = (text: string, pattern: RegExp) => say(ADMIN, text, textMatches(pattern));
const newCode = (prefix = 'T') => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`;
const codeRow = async (code: string) => (await db().select().from(promoCodes).where(eq(promoCodes.code, code)))[0];
const selectionOf = async (userId: number) =>
  (await db().select().from(promoSelections).where(eq(promoSelections.userId, userId)))[0];
const auditRows = (code: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.actorId, ADMIN.id), eq(auditLog.target, code)))
    .orderBy(desc(auditLog.id));

async function customer(options: { acceptedTerms?: boolean } = {}): Promise<UserInput> {
  const from: UserInput = { id: stack.newUserId(), first_name: 'Buyer', language_code: 'en' };
  if (options.acceptedTerms !== false) await stack.addUser(from.id);
  tg().addUser(from, { startedBot: true });
  return from;
}

async function createCode(args: string): Promise<void> {
  await adminSays(`/promo_new ${args}`, /created/);
}

describe('admin promo commands', () => {
  it('refuses every bad /promo_new with its reason and the usage, stores nothing, audits the attempt', async () => {
    const code = newCode('BAD');
    const cases: Array<[string, RegExp]> = [
      [`/promo_new ${code}`, /^Usage: \/promo_new/],
      [`/promo_new ${code} percent 150`, /“150” is not a discount percentage/],
      [`/promo_new ${code} fixed 5 GBP`, /Unknown currency “GBP”: use one of USD, EUR, RUB, XTR/],
      [`/promo_new ${code} fixed 1.005 USD`, /“1.005” is not an amount in USD/],
      [`/promo_new ${code} percent 20 until=2020-01-01`, /until=2020-01-01 has already passed/],
      [`/promo_new ${code} percent 20 from=2031-02-30`, /from=2031-02-30 is not a date/],
      [`/promo_new ${code} percent 20 max=0`, /max=0: give a whole number from 1/],
      [`/promo_new ${code} percent 20 limit=5`, /“limit=5” is not an option/],
      [`/promo_new ${code} half 20`, /“half” is not a kind of discount/],
      ['/promo_new x! percent 20', /“x!” is not a promo code/],
    ];
    for (const [text, pattern] of cases) {
      const reply = await adminSays(text, /⚠️|Usage/);
      expect(reply.text, text).toMatch(pattern);
      if (!reply.text!.startsWith('Usage')) expect(reply.text, text).toContain('Usage: /promo_new');
    }
    const unknownPlan = await adminSays(`/promo_new ${code} percent 20 plans=${plan.planId},nosuchplan`, /⚠️/);
    expect(unknownPlan.text).toMatch(/Unknown plan\(s\): nosuchplan\. Plans: .*/);
    expect(await codeRow(code)).toBeUndefined();
    const audits = await auditRows(code);
    expect(audits.length).toBeGreaterThanOrEqual(cases.length);
    expect(audits.every((row) => row.action === 'promo.create' && row.details.refused !== undefined)).toBe(true);
    expect(audits[0]!.details).toMatchObject({ refused: 'promo-unknown-plans' });

    // Someone else: the ordinary unknown-command reply, and nothing stored.
    const stranger = await customer();
    const reply = await say(stranger, `/promo_new ${code} percent 20`, textMatches(/don't know the command/));
    expect(reply.text).toContain("I don't know the command /promo_new.");
    expect(await codeRow(code)).toBeUndefined();
  });

  it('creates, lists and disables a code, each audited; a second code with the same name is refused', async () => {
    const code = newCode('SPRING');
    const created = await adminSays(
      `/promo_new ${code.toLowerCase()} percent 20 max=10 per_user=2 until=2099-12-31 plans=${plan.planId}`,
      /created/,
    );
    expect(created.text).toContain(`Promo code ${code} created: 20 % off, plans ${plan.planId}.`);
    expect(created.text).toContain('Redemptions: 10 · per user: 2 · ends 2100-01-01 00:00 UTC');
    expect(created.text).toContain(`https://t.me/${bot.username}?start=promo_${code}`);
    expect(await codeRow(code)).toMatchObject({
      kind: 'percent',
      percentBps: 2000,
      maxRedemptions: 10,
      maxPerUser: 2,
      redeemedCount: 0,
      scope: 'plans',
      scopeIds: [plan.planId],
      endsAt: new Date('2100-01-01T00:00:00Z'),
      createdBy: ADMIN.id,
      disabledAt: null,
    });
    expect((await auditRows(code))[0]).toMatchObject({ action: 'promo.create', actor: 'admin' });

    const again = await adminSays(`/promo_new ${code} fixed 5 USD`, /already exists/);
    expect(again.text).not.toContain('Usage');
    expect(await codeRow(code)).toMatchObject({ kind: 'percent' });

    const listed = await adminSays('/promos', new RegExp(code));
    expect(listed.text).toMatch(/^🎟 Promo codes/);
    expect(listed.text).toContain(
      `${code} · 20 % off · ✅ active\nredeemed 0 of 10 (0 paid) · 2 per user · ends 2100-01-01 00:00 UTC · plans ${plan.planId}`,
    );

    const disabled = await adminSays(`/promo_disable ${code}`, /disabled/);
    expect(disabled.text).toContain(`Promo code ${code} disabled`);
    expect((await codeRow(code))?.disabledAt).toBeInstanceOf(Date);
    expect((await auditRows(code))[0]).toMatchObject({ action: 'promo.disable', actor: 'admin' });
    expect((await adminSays(`/promo_disable ${code}`, /already disabled/)).text).toContain('was already disabled');
    expect((await adminSays('/promos', new RegExp(code))).text).toContain(`${code} · 20 % off · ⏸ disabled`);

    const unknown = await adminSays('/promo_disable NOSUCHCODE1', /⚠️/);
    expect(unknown.text).toBe('⚠️ There is no promo code “NOSUCHCODE1”. See /promos.');
    expect((await adminSays('/promo_disable', /Usage/)).text).toMatch(/^Usage: \/promo_disable/);

    // A withdrawn code is refused to users, and nothing is remembered.
    const buyer = await customer();
    const reply = await say(buyer, `/promo ${code}`, textMatches(/withdrawn/));
    expect(reply.text).toBe(`⚠️ The promo code ${code} has been withdrawn.`);
    expect(await selectionOf(buyer.id)).toBeUndefined();
  });
});

describe('users entering a code', () => {
  it('/promo CODE remembers a usable code and says what it takes off; /promo shows it; the button clears it', async () => {
    const code = newCode('TWENTY');
    await createCode(`${code} percent 20 plans=${plan.planId}`);
    const buyer = await customer();
    const saved = await say(buyer, `/promo ${code.toLowerCase()}`, textMatches(/saved/));
    expect(saved.text).toContain(`Promo code ${code} saved: 20 % off (plans ${plan.planId}).`);
    expect(saved.text).toContain(`With it you pay:\n${plan.title}: 10.00 USD → 8.00 USD`);
    expect(await selectionOf(buyer.id)).toMatchObject({ code });
    // Entering a code counts nothing.
    expect((await codeRow(code))?.redeemedCount).toBe(0);

    const shown = await say(buyer, '/promo', textMatches(/Your promo code/));
    expect(shown.text).toContain(`Your promo code ${code}: 20 % off`);
    expect(callbackDataOf(shown)).toEqual(['promo:enter', 'promo:clear']);
    const cleared = await press(buyer, shown, 'promo:clear', textMatches(/removed/));
    expect(cleared.text).toBe('Promo code removed: your next invoice is at the full price.');
    expect(await selectionOf(buyer.id)).toBeUndefined();
    const none = await say(buyer, '/promo', textMatches(/no promo code/));
    expect(callbackDataOf(none)).toEqual(['promo:enter']);
  });

  it('refuses unknown, expired and not yet started codes, keeping the code entered before', async () => {
    const good = newCode('GOOD');
    const expired = newCode('OLD');
    const later = newCode('LATER');
    await createCode(`${good} fixed 3 USD`);
    await createCode(`${later} percent 10 from=2099-01-01`);
    // Created valid, then its window passed.
    await createCode(`${expired} percent 10`);
    await db()
      .update(promoCodes)
      .set({ startsAt: new Date(Date.now() - 2 * 86_400_000), endsAt: new Date(Date.now() - 86_400_000) })
      .where(eq(promoCodes.code, expired));
    const buyer = await customer();
    await say(buyer, `/promo ${good}`, textMatches(/saved/));

    expect((await say(buyer, '/promo NOSUCHCODE2', textMatches(/⚠️/))).text).toBe(
      '⚠️ There is no promo code “NOSUCHCODE2”. Check the spelling and try again.',
    );
    expect((await say(buyer, '/promo no!', textMatches(/⚠️/))).text).toContain('There is no promo code “no!”');
    expect((await say(buyer, `/promo ${expired}`, textMatches(/⚠️/))).text).toBe(
      `⚠️ The promo code ${expired} has expired.`,
    );
    expect((await say(buyer, `/promo ${later}`, textMatches(/⚠️/))).text).toBe(
      `⚠️ The promo code ${later} is valid from 2099-01-01 00:00 UTC.`,
    );
    expect(await selectionOf(buyer.id)).toMatchObject({ code: good });

    // The remembered code expires afterwards: /promo says so.
    await db()
      .update(promoCodes)
      .set({ startsAt: null, endsAt: new Date(Date.now() - 1000) })
      .where(eq(promoCodes.code, good));
    const shown = await say(buyer, '/promo', textMatches(/can no longer be used/));
    expect(shown.text).toBe(
      `🎟 Your saved promo code ${good} can no longer be used:\n⚠️ The promo code ${good} has expired.`,
    );
  });

  it('the start=promo_CODE deep link remembers the code, before the terms for a newcomer', async () => {
    const code = newCode('LINK');
    await createCode(`${code} percent 50`);
    const newcomer = await customer({ acceptedTerms: false });
    const waitTerms = nextMessage(newcomer.id, textMatches(/Terms of service/));
    const saved = await say(newcomer, `/start promo_${code.toLowerCase()}`, textMatches(/saved/));
    expect(saved.text).toContain(`Promo code ${code} saved: 50 % off (any plan).`);
    expect(saved.text).toContain(`${plan.title}: 10.00 USD → 5.00 USD`);
    await waitTerms(() => undefined);
    expect(await selectionOf(newcomer.id)).toMatchObject({ code });

    const other = await customer();
    const refused = await say(other, '/start promo_NOSUCHCODE3', textMatches(/⚠️/));
    expect(refused.text).toContain('There is no promo code “NOSUCHCODE3”');
    expect(await selectionOf(other.id)).toBeUndefined();
  });

  it('the Promo code button asks for the code; the answer, or a reply to the prompt, is entered', async () => {
    const code = newCode('BTN');
    await createCode(`${code} fixed 2.5 USD`);
    const buyer = await customer();
    const none = await say(buyer, '/promo', textMatches(/no promo code/));
    const prompt = await press(buyer, none, 'promo:enter', textMatches(/Send me your promo code/));
    expect(prompt.reply_markup).toMatchObject({ force_reply: true });
    const saved = await say(buyer, code, textMatches(/saved/));
    expect(saved.text).toContain(`Promo code ${code} saved: 2.50 USD off`);
    expect(saved.text).toContain(`${plan.title}: 10.00 USD → 7.50 USD`);
    expect(await selectionOf(buyer.id)).toMatchObject({ code });
    // One answer per press: the next text is not taken for a code.
    expect((await say(buyer, 'hello', textMatches(/only understand/))).text).toMatch(/I only understand commands/);

    // Another process got the press: the reply to the prompt is recognised by itself.
    const other = await customer();
    const reply = nextMessage(other.id, textMatches(/saved|⚠️/));
    const answered = await reply(() =>
      tg().injectUpdate({
        message: {
          message_id: 900_001,
          date: Math.floor(Date.now() / 1000),
          chat: { id: other.id, type: 'private', first_name: other.first_name },
          from: other,
          text: code.toLowerCase(),
          reply_to_message: promptFrom(prompt),
        },
      }),
    );
    expect(answered.text).toContain(`Promo code ${code} saved`);
    expect(await selectionOf(other.id)).toMatchObject({ code });
  });
});

/** The prompt as Telegram quotes it in a reply. */
function promptFrom(prompt: SentMessage) {
  return {
    message_id: prompt.message_id,
    date: Math.floor(Date.now() / 1000),
    chat: { id: prompt.chat_id, type: 'private', first_name: 'Buyer' },
    from: { id: bot.id, is_bot: true, first_name: 'Bot', username: bot.username },
    text: prompt.text,
  };
}
