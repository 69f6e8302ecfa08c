/**
 * Plans managed from the bot: an admin (who never accepted the subscribers' terms) creates a plan
 * with two channels through the guided /newplan flow over the Telegram sandbox, a channel where the
 * bot is only a member is refused, bad values are refused and change nothing; a user buys the plan
 * on the CryptoCloud sandbox and gets into both channels; a price change applies to new invoices
 * only; deactivating stops new invoices and leaves the running subscription alone. The Stars price
 * (Telegram requires digital goods in bots to be payable in Stars) is set in /newplan, changed and
 * removed from the card, and out-of-range or fractional values are refused.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  channels,
  inviteLinks,
  invoices,
  planChannels,
  plans,
  subscriptions,
  users,
} from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { UnknownPlanError } from '../../infrastructure/temporal/commands';
import { callbackDataOf, conversation, hasButton, textMatches, WAIT_MS } from '../conversation';
import { eventually, startStack, type Stack } from '../harness';

const ADMIN: UserInput = {
  id: 710_000_000 + Math.floor(Math.random() * 9_999_999),
  first_name: 'Catalog',
  language_code: 'en',
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ ADMIN_IDS: String(ADMIN.id) });
  // Only known to Telegram: no user row, no accepted terms.
  stack.sandbox.telegram.addUser(ADMIN, { startedBot: true });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, press, nextMessage, lastMessageId } = conversation(tg);
const admin = (text: string, pattern: RegExp) => say(ADMIN, text, textMatches(pattern));

const channelId = () => -(1_000_000_000_000 + stack.newUserId());

/**
 * What the stored catalog holds of one flow's plan and channels, to show a refusal changed nothing
 * (only these: other test files write plans and channels of their own meanwhile).
 */
async function catalogSnapshot(planId: string, channelIds: number[]) {
  return {
    plans: await db().select().from(plans).where(eq(plans.id, planId)),
    channels: await db().select().from(channels).where(inArray(channels.id, channelIds)).orderBy(channels.id),
    planChannels: await db()
      .select()
      .from(planChannels)
      .where(eq(planChannels.planId, planId))
      .orderBy(planChannels.channelId),
  };
}

/** The admin forwards a post from a channel to the bot (forward_origin of type channel). */
function forwardFrom(channel: { id: number; title: string }) {
  return nextMessage(
    ADMIN.id,
    textMatches(/Picked:/),
  )(() =>
    tg().injectUpdate({
      message: {
        message_id: 900_000 + Math.floor(Math.random() * 99_999),
        date: Math.floor(Date.now() / 1000),
        chat: { id: ADMIN.id, type: 'private', first_name: ADMIN.first_name },
        from: { ...ADMIN, is_bot: false },
        text: 'A post from the channel',
        forward_origin: {
          type: 'channel',
          chat: { id: channel.id, type: 'channel', title: channel.title },
          message_id: 42,
          date: Math.floor(Date.now() / 1000) - 60,
        },
      },
    }),
  );
}

async function customer(): Promise<UserInput> {
  const id = stack.newUserId();
  await stack.addUser(id);
  return { id, first_name: `User ${id}`, language_code: 'en' };
}

async function openedInvoice(userId: number) {
  return eventually(
    'the invoice at the gateway',
    async () => {
      const [row] = await db().select().from(invoices).where(eq(invoices.userId, userId));
      return row?.providerInvoiceId ? row : undefined;
    },
    WAIT_MS,
  );
}

describe('plans managed from the bot', () => {
  it('an admin creates a two-channel plan step by step; a user buys it and joins both channels', async () => {
    const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
    const planId = `vip${suffix}`;
    const news = { id: channelId(), title: `News ${suffix}` };
    const club = { id: channelId(), title: `Club ${suffix}`, username: `club${suffix}` };
    const memberOnly = { id: channelId(), title: `Member only ${suffix}` };
    tg().addChannel(news);
    tg().addChannel(club);
    tg().addChannel({ ...memberOnly, botStatus: 'member' });
    const unknownChannel = channelId();
    const flowIds = [news.id, club.id, memberOnly.id, unknownChannel];
    const before = await catalogSnapshot(planId, flowIds);

    // The admin never accepted the terms, yet reaches the admin flow.
    await admin('/newplan', /New plan\. Send its id/);
    await admin('Bad-Id!', /“Bad-Id!” is not a plan id/);
    await admin(planId, /Send the plan's title/);
    await admin('VIP Club', /length of one paid period/);
    await admin('0', /“0” is not a period length/);
    await admin('-3d', /“-3d” is not a period length/);
    await admin('30d', /Send the price with its currency/);
    await admin('abc USD', /“abc” is not a price/);
    await admin('0 USD', /“0” is not a price/);
    await admin('9.999 USD', /“9\.999” is not a price/);
    await admin('9.99 XYZ', /Unknown currency “XYZ”: use one of USD, EUR, RUB/);
    await admin('9.99 USD', /price in Telegram Stars/);
    await admin('2.5', /“2\.5” is not a Stars price: send a whole number of Stars from 1 to 10000/);
    await admin('10001', /10001 Stars is out of range: a Stars price is from 1 to 10000 Stars/);
    await admin('500', /free trial length/);
    await admin('0', /Pick the channels/);
    // Refusals: the bot only a member; a channel Telegram does not know.
    const refused = await admin(
      String(memberOnly.id),
      /not an administrator of “Member only .*” \(its status there: member\).*can_invite_users, can_restrict_members/,
    );
    expect(refused.text).toContain(memberOnly.title);
    await admin(String(unknownChannel), /does not know the channel/);
    expect(await catalogSnapshot(planId, flowIds)).toEqual(before);

    // One channel by a forwarded post, one by its @username.
    const afterForward = await forwardFrom(news);
    expect(afterForward.text).toContain(`Picked: ${news.title}`);
    const picked = await admin(`@${club.username}`, /Picked:/);
    expect(picked.text).toContain(`Picked: ${news.title}, ${club.title}`);
    // Both are offered as picked buttons; unpicking and picking again goes through the check once more.
    expect(callbackDataOf(picked)).toEqual(expect.arrayContaining([`np:ch:${news.id}`, `np:ch:${club.id}`]));
    const unpicked = await press(ADMIN, picked, `np:ch:${club.id}`, textMatches(/Picked:/));
    expect(unpicked.text).toContain(`Picked: ${news.title}\n`.trimEnd());
    expect(unpicked.text).not.toContain(`Picked: ${news.title}, ${club.title}`);
    const repicked = await press(ADMIN, unpicked, `np:ch:${club.id}`, textMatches(/Picked:/));
    expect(repicked.text).toContain(`Picked: ${news.title}, ${club.title}`);
    const confirm = await press(ADMIN, repicked, 'np:done', textMatches(/Create this plan\?/));
    expect(confirm.text).toContain('Period: 30 days');
    expect(confirm.text).toContain('Price: 9.99 USD');
    expect(confirm.text).toContain('Stars price: ⭐ 500 Stars');
    expect(confirm.text).toContain('Trial: no trial');
    expect(confirm.text).toContain(`${news.title} (${news.id}), ${club.title} (${club.id})`);
    expect((await db().select().from(plans).where(eq(plans.id, planId))).length).toBe(0);

    await press(ADMIN, confirm, 'np:create', textMatches(/Plan VIP Club \(vip\w+\) created and on sale/));
    const [plan] = await db().select().from(plans).where(eq(plans.id, planId));
    expect(plan).toMatchObject({
      title: 'VIP Club',
      durationSeconds: 30 * 86_400,
      trialSeconds: 0,
      priceMinor: 999n,
      currency: 'USD',
      priceStars: 500,
      active: true,
    });
    const attached = await db().select().from(planChannels).where(eq(planChannels.planId, planId));
    expect(attached.map((row) => row.channelId).sort()).toEqual([news.id, club.id].sort());
    const audits = await db().select().from(auditLog).where(eq(auditLog.target, planId));
    const created = audits.find((a) => a.action === 'plan.create');
    expect(created).toMatchObject({ actor: 'admin', actorId: ADMIN.id });
    expect(created?.details).toMatchObject({
      priceMinor: '999',
      currency: 'USD',
      priceStars: 500,
      channels: [news.id, club.id],
    });
    expect(audits.find((a) => a.details.refused === 'channel-bot-not-admin')).toMatchObject({
      action: 'plan.channel_attach',
      actorId: ADMIN.id,
    });
    // The admin row exists (made on first contact) and still has no accepted terms.
    expect((await db().select().from(users).where(eq(users.id, ADMIN.id)))[0]?.termsAcceptedAt).toBeNull();

    // A second plan with the same id is refused at once.
    await admin('/newplan', /Send its id/);
    await admin(planId, /A plan with the id “vip\w+” already exists/);
    await admin('/cancel', /Cancelled/);

    // A user buys it and is let into both channels.
    const buyer = await customer();
    const list = await say(buyer, '/plans', hasButton(`plan:${planId}`));
    const details = await press(buyer, list, `plan:${planId}`, hasButton(`pay:${planId}`));
    tg().pressButton({ from: buyer, message_id: details.message_id, data: `pay:${planId}` });
    const invoice = await openedInvoice(buyer.id);
    expect(invoice).toMatchObject({ amountMinor: 999n, currency: 'USD', planId });
    await stack.sandbox.cryptocloud.pay(invoice.id);
    const active = await tg().waitForMessage(buyer.id, textMatches(/subscription is active/), WAIT_MS);
    expect(JSON.stringify(active.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/g)).toHaveLength(2);
    const links = await db()
      .select()
      .from(inviteLinks)
      .where(and(eq(inviteLinks.userId, buyer.id), eq(inviteLinks.planId, planId)));
    expect(links.map((l) => l.channelId).sort()).toEqual([news.id, club.id].sort());
    for (const link of links) tg().requestJoin({ from: buyer, chatId: link.channelId, inviteLink: link.link });
    await eventually(
      'both join requests approved',
      () => tg().member(news.id, buyer.id) === 'member' && tg().member(club.id, buyer.id) === 'member',
      WAIT_MS,
    );

    // A new price from the plan card: new invoices only.
    const catalog = await say(ADMIN, '/catalog', hasButton(`cat:plan:${planId}`));
    const card = await press(ADMIN, catalog, `cat:plan:${planId}`, hasButton(`cat:act:price:${planId}`));
    expect(card.text).toContain('on sale');
    expect(card.text).toContain('Stars price: ⭐ 500 Stars');
    await press(ADMIN, card, `cat:act:price:${planId}`, textMatches(/Send the price/));
    await admin('-1 USD', /“-1” is not a price/);
    const repriced = nextMessage(ADMIN.id, hasButton(`cat:act:off:${planId}`));
    const newCard: SentMessage = await repriced(() => tg().sendText({ from: ADMIN, text: '12.50 USD' }));
    expect(newCard.text).toContain('Price: 12.50 USD');
    const second = await customer();
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId: second.id, planId });
    expect((await openedInvoice(second.id)).amountMinor).toBe(1250n);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]?.amountMinor).toBe(999n);
    await stack.runtime.commands.cancelInvoice(invoiceId, 'test');

    // Deactivated: no new invoices; the running subscription goes on.
    await press(ADMIN, newCard, `cat:act:off:${planId}`, textMatches(/VIP Club is no longer on sale/));
    expect((await db().select().from(plans).where(eq(plans.id, planId)))[0]?.active).toBe(false);
    const third = await customer();
    await expect(stack.runtime.commands.openInvoice({ userId: third.id, planId })).rejects.toBeInstanceOf(
      UnknownPlanError,
    );
    const [subscription] = await db()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, buyer.id), eq(subscriptions.planId, planId)));
    expect(subscription?.status).toBe('active');
    expect(tg().member(news.id, buyer.id)).toBe('member');
    expect(tg().member(club.id, buyer.id)).toBe('member');
    const actions = (await db().select().from(auditLog).where(eq(auditLog.target, planId))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['plan.create', 'plan.price', 'plan.deactivate']));
  });

  it('an admin edits a plan from its card: title, period, trial, channels attached and detached', async () => {
    const { planId, channelIds } = await stack.createPlan({ title: 'Editable', durationSeconds: 86_400 });
    const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
    const extra = { id: channelId(), title: `Extra ${suffix}` };
    const memberOnly = { id: channelId(), title: `Bystander ${suffix}` };
    tg().addChannel(extra);
    tg().addChannel({ ...memberOnly, botStatus: 'member' });
    const catalog = await say(ADMIN, '/catalog', hasButton(`cat:plan:${planId}`));
    let card = await press(ADMIN, catalog, `cat:plan:${planId}`, hasButton(`cat:act:title:${planId}`));
    const cardAfter = (text: string) =>
      nextMessage(ADMIN.id, hasButton(`cat:act:title:${planId}`))(() => tg().sendText({ from: ADMIN, text }));

    await press(ADMIN, card, `cat:act:title:${planId}`, textMatches(/Send the plan's title/));
    card = await cardAfter('Edited title');
    await press(ADMIN, card, `cat:act:duration:${planId}`, textMatches(/length of one paid period/));
    await admin('0d', /“0d” is not a period length/);
    card = await cardAfter('12h');
    await press(ADMIN, card, `cat:act:trial:${planId}`, textMatches(/free trial length/));
    card = await cardAfter('2d');
    expect(await db().select().from(plans).where(eq(plans.id, planId))).toEqual([
      expect.objectContaining({ title: 'Edited title', durationSeconds: 12 * 3_600, trialSeconds: 2 * 86_400 }),
    ]);

    // Attaching: the bystander channel is refused, the other is added.
    await press(ADMIN, card, `cat:act:attach:${planId}`, textMatches(/Forward a post from the channel/));
    await admin(String(memberOnly.id), /not an administrator of “Bystander .*” \(its status there: member\)/);
    card = await cardAfter(String(extra.id));
    expect(card.text).toContain(`${extra.title} (${extra.id})`);
    const attached = async () =>
      (await db().select().from(planChannels).where(eq(planChannels.planId, planId))).map((r) => r.channelId).sort();
    expect(await attached()).toEqual([channelIds[0]!, extra.id].sort());

    card = await press(ADMIN, card, `cat:detach:${planId}:${channelIds[0]!}`, hasButton(`cat:act:title:${planId}`));
    expect(await attached()).toEqual([extra.id]);
    // The last channel has no detach button.
    expect(callbackDataOf(card).some((data) => data.startsWith('cat:detach:'))).toBe(false);

    const actions = (await db().select().from(auditLog).where(eq(auditLog.target, planId)).orderBy(auditLog.id)).map(
      (a) => `${a.action}${a.details.refused ? ' refused' : ''}`,
    );
    expect(actions).toEqual([
      'plan.edit',
      'plan.edit refused',
      'plan.edit',
      'plan.edit',
      'plan.channel_attach refused',
      'plan.channel_attach',
      'plan.channel_detach',
    ]);
  });

  it('a plan created without Stars says so in the summary and stores no Stars price', async () => {
    const { channelIds } = await stack.createPlan();
    const planId = `nostars${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    await admin('/newplan', /Send its id/);
    await admin(planId, /Send the plan's title/);
    await admin('Crypto only', /length of one paid period/);
    await admin('7d', /Send the price with its currency/);
    await admin('5 EUR', /price in Telegram Stars/);
    await admin('skip', /free trial length/);
    const pick = await admin('0', /Pick the channels/);
    const picked = await press(ADMIN, pick, `np:ch:${channelIds[0]!}`, textMatches(/Picked: Channel 1/));
    const confirm = await press(ADMIN, picked, 'np:done', textMatches(/Create this plan\?/));
    expect(confirm.text).toContain('Stars price: not sold for Stars');
    await press(ADMIN, confirm, 'np:create', textMatches(/Plan Crypto only \(nostars\w+\) created/));
    expect((await db().select().from(plans).where(eq(plans.id, planId)))[0]).toMatchObject({
      priceMinor: 500n,
      currency: 'EUR',
      priceStars: null,
    });
  });

  it('an admin changes the Stars price from the card, is refused bad values, and stops selling for Stars', async () => {
    const { planId } = await stack.createPlan({ title: 'Starry', priceStars: 300 });
    const storedStars = async () => (await db().select().from(plans).where(eq(plans.id, planId)))[0]?.priceStars;
    const catalog = await say(ADMIN, '/catalog', hasButton(`cat:plan:${planId}`));
    let card = await press(ADMIN, catalog, `cat:plan:${planId}`, hasButton(`cat:act:stars:${planId}`));
    expect(card.text).toContain('Stars price: ⭐ 300 Stars');
    const cardAfter = (text: string) =>
      nextMessage(ADMIN.id, hasButton(`cat:act:stars:${planId}`))(() => tg().sendText({ from: ADMIN, text }));
    const replyTextsSince = (messageId: number) =>
      tg()
        .messagesTo(ADMIN.id)
        .filter((m) => m.message_id > messageId)
        .map((m) => m.text ?? '');

    await press(ADMIN, card, `cat:act:stars:${planId}`, textMatches(/new price in Telegram Stars/));
    await admin('0.5', /“0\.5” is not a Stars price: send a whole number of Stars from 1 to 10000/);
    await admin('10001', /10001 Stars is out of range: a Stars price is from 1 to 10000 Stars/);
    await admin('abc', /“abc” is not a Stars price/);
    expect(await storedStars()).toBe(300);

    // Still in the edit flow after the refusals: a whole number within range is saved.
    const sinceSaved = lastMessageId(ADMIN.id);
    card = await cardAfter('750');
    expect(replyTextsSince(sinceSaved)).toContainEqual(expect.stringMatching(/Stars price saved: new Stars invoices/));
    expect(card.text).toContain('Stars price: ⭐ 750 Stars');
    expect(await storedStars()).toBe(750);

    await press(ADMIN, card, `cat:act:stars:${planId}`, textMatches(/new price in Telegram Stars/));
    const sinceRemoved = lastMessageId(ADMIN.id);
    card = await cardAfter('-');
    expect(replyTextsSince(sinceRemoved)).toContainEqual(expect.stringMatching(/no longer sold for Stars/));
    expect(card.text).toContain('Stars price: not sold for Stars');
    expect(await storedStars()).toBeNull();

    const audits = await db().select().from(auditLog).where(eq(auditLog.target, planId)).orderBy(auditLog.id);
    expect(audits.map((a) => [a.action, a.details.refused ?? 'saved'])).toEqual([
      ['plan.price_stars', 'plan-bad-stars'],
      ['plan.price_stars', 'plan-stars-out-of-range'],
      ['plan.price_stars', 'plan-bad-stars'],
      ['plan.price_stars', 'saved'],
      ['plan.price_stars', 'saved'],
    ]);
    expect(audits.filter((a) => !a.details.refused).map((a) => a.details)).toEqual([
      { before: 300, after: 750 },
      { before: 750, after: null },
    ]);
    expect(audits.every((a) => a.actor === 'admin' && a.actorId === ADMIN.id)).toBe(true);
  });
});
