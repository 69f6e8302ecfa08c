/**
 * The Telegram emulator driven by a real grammY bot over HTTP: responses, recording, updates by long
 * polling and by webhook, join requests, bans, uploads, markup validation and injected faults.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile, webhookCallback } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server';
import { TelegramSandboxError } from './index';

const TOKEN = '4242:sandbox-test-token';
const CHANNEL = -1001234567890;
const alice = { id: 1001, first_name: 'Alice', username: 'alice', language_code: 'en' };
const bob = { id: 1002, first_name: 'Bob' };

let sandbox: Sandbox;
let clock = Date.now();
const bots: Bot[] = [];
const servers: FastifyInstance[] = [];

beforeEach(async () => {
  clock = Date.now();
  sandbox = await startSandbox({
    cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' },
    telegram: { webhookRetryDelayMs: 20 },
    now: () => clock,
  });
  sandbox.telegram.addChannel({ id: CHANNEL, title: 'Paid channel' });
});

afterEach(async () => {
  for (const bot of bots.splice(0)) if (bot.isRunning()) await bot.stop();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await sandbox.close();
});

function newBot(timeoutSeconds?: number): Bot {
  const bot = new Bot(TOKEN, { client: { apiRoot: sandbox.url, ...(timeoutSeconds ? { timeoutSeconds } : {}) } });
  bots.push(bot);
  return bot;
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

describe('Bot API answers', () => {
  it('getMe derives the bot from the token and is recorded', async () => {
    const bot = newBot();
    await bot.init();
    expect(bot.botInfo).toMatchObject({ id: 4242, is_bot: true, username: 'sandbox_bot', first_name: 'Sandbox Bot' });
    expect(sandbox.telegram.calls('getMe')).toHaveLength(1);
    expect(sandbox.telegram.calls('getMe')[0]).toMatchObject({ ok: true, method: 'getMe' });
  });

  it('rejects malformed tokens and unknown methods like Telegram', async () => {
    const bad = await fetch(`${sandbox.url}/botnot-a-token/getMe`);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    const unknown = await fetch(`${sandbox.url}/bot${TOKEN}/sendTelepathy`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found: method not found' });
  });

  it('accepts form bodies and query strings, with JSON-encoded nested fields', async () => {
    sandbox.telegram.sendText({ from: alice, text: 'hi' });
    const form = new URLSearchParams({
      chat_id: String(alice.id),
      text: 'from a form',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Ok', callback_data: 'ok' }]] }),
    });
    const response = await fetch(`${sandbox.url}/bot${TOKEN}/sendMessage`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const viaQuery = await fetch(`${sandbox.url}/bot${TOKEN}/sendChatAction?chat_id=${alice.id}&action=typing`);
    expect(await viaQuery.json()).toEqual({ ok: true, result: true });
    const [call] = sandbox.telegram.calls('sendMessage');
    expect(call?.params).toMatchObject({
      chat_id: alice.id,
      reply_markup: { inline_keyboard: [[{ text: 'Ok', callback_data: 'ok' }]] },
    });
  });

  it('sends, edits and records messages with inline keyboards', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const sent = await bot.api.sendMessage(alice.id, '<b>Pay</b> 10 USD', {
      parse_mode: 'HTML',
      reply_markup: new InlineKeyboard().text('Check payment', 'check:1').url('Pay', 'https://pay.example/abc'),
    });
    expect(sent).toMatchObject({
      message_id: 2,
      chat: { id: alice.id, type: 'private' },
      from: { id: 4242, is_bot: true },
      text: 'Pay 10 USD',
    });
    expect(sent.reply_markup?.inline_keyboard[0]).toHaveLength(2);

    const edited = await bot.api.editMessageText(alice.id, sent.message_id, 'Paid ✅', {
      reply_markup: new InlineKeyboard().text('Open', 'open'),
    });
    expect(edited).toMatchObject({ text: 'Paid ✅', edit_date: expect.any(Number) as number });
    await bot.api.editMessageReplyMarkup(alice.id, sent.message_id, {
      reply_markup: new InlineKeyboard().text('Done', 'done'),
    });

    const [message] = sandbox.telegram.messagesTo(alice.id);
    expect(message).toMatchObject({
      text: 'Paid ✅',
      edited: true,
      reply_markup: { inline_keyboard: [[{ text: 'Done', callback_data: 'done' }]] },
    });
    expect(sandbox.telegram.calls().map((c) => c.method)).toEqual([
      'sendMessage',
      'editMessageText',
      'editMessageReplyMarkup',
    ]);

    // Telegram drops the keyboard when an edit omits reply_markup, and refuses a no-op edit.
    await bot.api.editMessageText(alice.id, sent.message_id, 'Paid, thanks');
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.message.reply_markup).toBeUndefined();
    const same = await rejection(bot.api.editMessageText(alice.id, sent.message_id, 'Paid, thanks'));
    expect(same.description).toMatch(/^Bad Request: message is not modified/);

    await bot.api.deleteMessage(alice.id, sent.message_id);
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.deleted).toBe(true);
    expect((await rejection(bot.api.deleteMessage(alice.id, sent.message_id))).description).toBe(
      'Bad Request: message to delete not found',
    );
  });

  it('refuses unknown chats, users who never started the bot, and blocked users', async () => {
    const bot = newBot();
    const unknown = await rejection(bot.api.sendMessage(999, 'hello'));
    expect([unknown.error_code, unknown.description]).toEqual([400, 'Bad Request: chat not found']);
    sandbox.telegram.addUser(bob);
    const stranger = await rejection(bot.api.sendMessage(bob.id, 'hello'));
    expect([stranger.error_code, stranger.description]).toEqual([
      403,
      "Forbidden: bot can't initiate conversation with a user",
    ]);
    sandbox.telegram.sendText({ from: bob, text: '/start' });
    await bot.api.sendMessage(bob.id, 'welcome');
    sandbox.telegram.blockBot(bob.id);
    const blocked = await rejection(bot.api.sendMessage(bob.id, 'still there?'));
    expect([blocked.error_code, blocked.description]).toEqual([403, 'Forbidden: bot was blocked by the user']);
    expect(sandbox.telegram.calls('sendMessage').map((c) => c.ok)).toEqual([false, false, true, false]);
  });

  it('validates formatting and keyboards the way Telegram rejects them', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    expect(
      (await rejection(bot.api.sendMessage(alice.id, 'Price: 10.5 USD', { parse_mode: 'MarkdownV2' }))).description,
    ).toBe("Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'");
    await bot.api.sendMessage(alice.id, '*Price:* 10\\.5 USD', { parse_mode: 'MarkdownV2' });
    expect((await rejection(bot.api.sendMessage(alice.id, 'line<br>break', { parse_mode: 'HTML' }))).description).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 4',
    );
    const tooLong = 'x'.repeat(65);
    expect(
      (
        await rejection(
          bot.api.sendMessage(alice.id, 'pick', { reply_markup: new InlineKeyboard().text('A', tooLong) }),
        )
      ).description,
    ).toBe('Bad Request: BUTTON_DATA_INVALID');
    // 22 three-byte characters are 66 bytes: the limit counts bytes, not characters.
    expect(
      (
        await rejection(
          bot.api.sendMessage(alice.id, 'pick', { reply_markup: new InlineKeyboard().text('A', '日'.repeat(22)) }),
        )
      ).description,
    ).toBe('Bad Request: BUTTON_DATA_INVALID');
    await bot.api.sendMessage(alice.id, 'pick', { reply_markup: new InlineKeyboard().text('A', '日'.repeat(21)) });
    expect((await rejection(bot.api.sendMessage(alice.id, 'x'.repeat(4097)))).description).toBe(
      'Bad Request: message is too long',
    );
  });
});

describe('invite links, join requests and membership', () => {
  it('creates a join-request link, receives the request and approves it', async () => {
    const bot = newBot();
    const expire = Math.floor(clock / 1000) + 3600;
    const link = await bot.api.createChatInviteLink(CHANNEL, {
      name: 'u1001 plan',
      expire_date: expire,
      creates_join_request: true,
    });
    expect(link).toMatchObject({
      creates_join_request: true,
      is_primary: false,
      is_revoked: false,
      name: 'u1001 plan',
      expire_date: expire,
      creator: { id: 4242 },
    });
    expect(link.invite_link).toMatch(/^https:\/\/t\.me\/\+[A-Za-z0-9_-]{16}$/);

    const update = sandbox.telegram.requestJoin({ from: alice, chatId: CHANNEL, inviteLink: link.invite_link });
    expect(update.chat_join_request).toMatchObject({
      chat: { id: CHANNEL, type: 'channel' },
      from: { id: alice.id },
      user_chat_id: alice.id,
      invite_link: { invite_link: link.invite_link },
    });
    expect(sandbox.telegram.joinRequests(CHANNEL)).toHaveLength(1);
    // The request opens a window in which the bot may write to the user.
    await bot.api.sendMessage(alice.id, 'We got your request');

    await bot.api.approveChatJoinRequest(CHANNEL, alice.id);
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('member');
    expect(await bot.api.getChatMember(CHANNEL, alice.id)).toMatchObject({ status: 'member', user: { id: alice.id } });
    expect((await rejection(bot.api.approveChatJoinRequest(CHANNEL, alice.id))).description).toBe(
      'Bad Request: USER_ALREADY_PARTICIPANT',
    );
    expect((await rejection(bot.api.declineChatJoinRequest(CHANNEL, bob.id))).description).toBe(
      'Bad Request: HIDE_REQUESTER_MISSING',
    );
    expect(sandbox.telegram.calls('approveChatJoinRequest').map((c) => c.ok)).toEqual([true, false]);
  });

  it('validates link parameters', async () => {
    const bot = newBot();
    const both = await rejection(
      bot.api.createChatInviteLink(CHANNEL, { member_limit: 1, creates_join_request: true }),
    );
    expect(both.error_code).toBe(400);
    expect((await rejection(bot.api.createChatInviteLink(CHANNEL, { member_limit: 0 }))).description).toBe(
      'Bad Request: USAGE_LIMIT_INVALID',
    );
    expect((await rejection(bot.api.createChatInviteLink(CHANNEL, { member_limit: 100_000 }))).description).toBe(
      'Bad Request: USAGE_LIMIT_INVALID',
    );
    expect((await rejection(bot.api.createChatInviteLink(CHANNEL, { name: 'n'.repeat(33) }))).error_code).toBe(400);
    expect((await rejection(bot.api.createChatInviteLink(-100999, {}))).description).toBe(
      'Bad Request: chat not found',
    );
  });

  it('enforces member_limit, revocation and expiry on direct joins', async () => {
    const bot = newBot();
    const single = await bot.api.createChatInviteLink(CHANNEL, {
      member_limit: 1,
      expire_date: Math.floor(clock / 1000) + 60,
    });
    expect(() =>
      sandbox.telegram.requestJoin({ from: alice, chatId: CHANNEL, inviteLink: single.invite_link }),
    ).toThrow(TelegramSandboxError);
    const joined = sandbox.telegram.joinByLink({ from: alice, chatId: CHANNEL, inviteLink: single.invite_link });
    expect(joined.chat_member).toMatchObject({
      old_chat_member: { status: 'left' },
      new_chat_member: { status: 'member' },
      invite_link: { invite_link: single.invite_link },
    });
    expect(() => sandbox.telegram.joinByLink({ from: bob, chatId: CHANNEL, inviteLink: single.invite_link })).toThrow(
      /member_limit/,
    );

    const revoked = await bot.api.revokeChatInviteLink(CHANNEL, single.invite_link);
    expect(revoked).toMatchObject({ invite_link: single.invite_link, is_revoked: true });
    sandbox.telegram.leaveChat({ from: alice, chatId: CHANNEL });
    expect(() => sandbox.telegram.joinByLink({ from: alice, chatId: CHANNEL, inviteLink: single.invite_link })).toThrow(
      /revoked/,
    );

    const short = await bot.api.createChatInviteLink(CHANNEL, { expire_date: Math.floor(clock / 1000) + 60 });
    clock += 61_000;
    expect(() => sandbox.telegram.joinByLink({ from: bob, chatId: CHANNEL, inviteLink: short.invite_link })).toThrow(
      /expired/,
    );
    expect(sandbox.telegram.member(CHANNEL, bob.id)).toBe('left');
  });

  it('bans, unbans with only_if_banned, and reports statuses', async () => {
    const bot = newBot();
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    await bot.api.banChatMember(CHANNEL, alice.id);
    expect(await bot.api.getChatMember(CHANNEL, alice.id)).toMatchObject({ status: 'kicked', until_date: 0 });
    await bot.api.unbanChatMember(CHANNEL, alice.id, { only_if_banned: true });
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('left');

    // only_if_banned leaves a member alone; without it Telegram removes the member.
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    await bot.api.unbanChatMember(CHANNEL, alice.id, { only_if_banned: true });
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('member');
    await bot.api.unbanChatMember(CHANNEL, alice.id);
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('left');

    expect(await bot.api.getChatMember(CHANNEL, 4242)).toMatchObject({
      status: 'administrator',
      can_invite_users: true,
      can_restrict_members: true,
    });
    expect((await rejection(bot.api.banChatMember(CHANNEL, 777))).error_code).toBe(400);
    expect(sandbox.telegram.calls('unbanChatMember').map((c) => c.params.only_if_banned)).toEqual([
      true,
      true,
      undefined,
    ]);
  });
});

describe("the bot's own rights in a channel", () => {
  const control = (path: string, method = 'GET', body?: unknown) =>
    fetch(`${sandbox.url}/_sandbox/telegram${path}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    }).then(async (response) => ({
      status: response.status,
      json: (await response.json()) as { member?: Record<string, unknown> },
    }));

  it('changes them from the control API, tells the bot with my_chat_member, and enforces them', async () => {
    const bot = newBot();
    const seen: Array<{ old: string; now: string; restrict?: boolean; invite?: boolean; from: number }> = [];
    bot.on('my_chat_member', (ctx) => {
      const now = ctx.myChatMember.new_chat_member;
      seen.push({
        old: ctx.myChatMember.old_chat_member.status,
        now: now.status,
        ...(now.status === 'administrator' ? { restrict: now.can_restrict_members, invite: now.can_invite_users } : {}),
        from: ctx.myChatMember.from.id,
      });
    });
    void bot.start({ timeout: 30 });
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    const link = await bot.api.createChatInviteLink(CHANNEL, { creates_join_request: true });

    // The owner takes away "ban users": bans and unbans fail with Telegram's own description.
    const changed = await control(`/chats/${CHANNEL}/bot`, 'PUT', {
      rights: { can_restrict_members: false },
      by: alice,
    });
    expect(changed.status).toBe(200);
    expect(changed.json.member).toMatchObject({ status: 'administrator', can_restrict_members: false });
    expect(await bot.api.getChatMember(CHANNEL, 4242)).toMatchObject({
      status: 'administrator',
      can_restrict_members: false,
      can_invite_users: true,
    });
    expect(await rejection(bot.api.banChatMember(CHANNEL, alice.id))).toMatchObject({
      error_code: 400,
      description: 'Bad Request: not enough rights to restrict/unrestrict chat member',
    });
    expect((await rejection(bot.api.unbanChatMember(CHANNEL, alice.id))).description).toBe(
      'Bad Request: not enough rights to restrict/unrestrict chat member',
    );
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('member');

    // Without "invite users": no links, no answers to join requests.
    sandbox.telegram.setBotRights(CHANNEL, { rights: { can_invite_users: false } });
    expect((await rejection(bot.api.createChatInviteLink(CHANNEL, {}))).description).toBe(
      'Bad Request: not enough rights to manage chat invite link',
    );
    expect((await rejection(bot.api.revokeChatInviteLink(CHANNEL, link.invite_link))).description).toBe(
      'Bad Request: not enough rights to manage chat invite link',
    );
    sandbox.telegram.requestJoin({ from: bob, chatId: CHANNEL, inviteLink: link.invite_link });
    expect((await rejection(bot.api.approveChatJoinRequest(CHANNEL, bob.id))).description).toBe(
      'Bad Request: CHAT_ADMIN_REQUIRED',
    );

    // Kicked: every channel method answers 403.
    sandbox.telegram.setBotRights(CHANNEL, { status: 'kicked' });
    expect(await rejection(bot.api.banChatMember(CHANNEL, alice.id))).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was kicked from the channel chat',
    });
    expect((await rejection(bot.api.declineChatJoinRequest(CHANNEL, bob.id))).error_code).toBe(403);

    // Promoted again: all rights back, and the pending request can be answered.
    sandbox.telegram.setBotRights(CHANNEL, { status: 'administrator' });
    expect(sandbox.telegram.botMember(CHANNEL)).toMatchObject({ can_restrict_members: true, can_invite_users: true });
    await bot.api.approveChatJoinRequest(CHANNEL, bob.id);
    await bot.api.banChatMember(CHANNEL, alice.id);
    expect(sandbox.telegram.member(CHANNEL, alice.id)).toBe('kicked');
    // Nothing visible changes: no update.
    expect(sandbox.telegram.setBotRights(CHANNEL, { rights: { can_invite_users: true } })).toBeUndefined();

    await eventually(() => seen.length === 4);
    await bot.stop();
    expect(seen).toEqual([
      { old: 'administrator', now: 'administrator', restrict: false, invite: true, from: alice.id },
      { old: 'administrator', now: 'administrator', restrict: false, invite: false, from: 777_000_001 },
      { old: 'administrator', now: 'kicked', from: 777_000_001 },
      { old: 'kicked', now: 'administrator', restrict: true, invite: true, from: 777_000_001 },
    ]);
  });

  it('refuses unknown rights and statuses', async () => {
    await newBot().api.getMe();
    expect((await control(`/chats/${CHANNEL}/bot`, 'PUT', { rights: { can_fly: true } })).status).toBe(400);
    expect((await control(`/chats/${CHANNEL}/bot`, 'PUT', { status: 'creator' })).status).toBe(400);
    expect((await control(`/chats/${CHANNEL}/bot`)).json.member).toMatchObject({ status: 'administrator' });
  });
});

describe('update delivery', () => {
  it('delivers injected text to a long-polling bot and confirms it by offset', async () => {
    const bot = newBot();
    bot.command('start', (ctx) => ctx.reply(`started with ${ctx.match}`));
    bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    void bot.start({ timeout: 30 });
    sandbox.telegram.sendText({ from: alice, text: '/start ref42' });
    sandbox.telegram.sendText({ from: alice, text: 'hello' });
    await sandbox.telegram.waitForMessage(alice.id, (m) => m.text === 'started with ref42');
    await sandbox.telegram.waitForMessage(alice.id, (m) => m.text === 'echo: hello');
    await bot.stop();
    expect(sandbox.telegram.messagesTo(alice.id).map((m) => m.text)).toEqual(['started with ref42', 'echo: hello']);
    expect(sandbox.telegram.updates().map((u) => u.state)).toEqual(['confirmed', 'confirmed']);
    expect(sandbox.telegram.calls('deleteWebhook')).toHaveLength(1);
  });

  it('posts updates to a webhook with the secret header and retries failures', async () => {
    const bot = newBot();
    bot.on('message:text', (ctx) => ctx.reply(`got ${ctx.message.text}`));
    const server = Fastify();
    servers.push(server);
    server.post('/hook', webhookCallback(bot, 'fastify', { secretToken: 'right-secret' }));
    const hookUrl = `${await server.listen({ port: 0, host: '127.0.0.1' })}/hook`;

    await bot.api.setWebhook(hookUrl, { secret_token: 'wrong-secret' });
    sandbox.telegram.sendText({ from: alice, text: 'first' });
    // grammY answers 401 to the wrong secret; the sandbox keeps the update and retries.
    await expect
      .poll(() => sandbox.telegram.webhookDeliveries().filter((d) => d.status === 401).length)
      .toBeGreaterThanOrEqual(2);
    expect((await bot.api.getWebhookInfo()).last_error_message).toBe(
      'Wrong response from the webhook: 401 Unauthorized',
    );

    await bot.api.setWebhook(hookUrl, { secret_token: 'right-secret' });
    sandbox.telegram.sendText({ from: alice, text: 'second' });
    await sandbox.telegram.waitForMessage(alice.id, (m) => m.text === 'got first');
    await sandbox.telegram.waitForMessage(alice.id, (m) => m.text === 'got second');
    // In order: the retried update first.
    expect(sandbox.telegram.messagesTo(alice.id).map((m) => m.text)).toEqual(['got first', 'got second']);
    expect((await rejection(bot.api.getUpdates())).error_code).toBe(409);
  });

  it('routes a button press to bot.callbackQuery and records the answer', async () => {
    const bot = newBot();
    bot.callbackQuery(/^check:(\d+)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: `checking ${ctx.match[1]}` });
      await ctx.editMessageText('Checked');
    });
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const sent = await bot.api.sendMessage(alice.id, 'Invoice', {
      reply_markup: new InlineKeyboard().text('Check', 'check:7'),
    });
    expect(() => sandbox.telegram.pressButton({ from: alice, message_id: sent.message_id, data: 'forged' })).toThrow(
      /no button/,
    );
    void bot.start();
    const queryId = sandbox.telegram.pressButton({ from: alice, message_id: sent.message_id, data: 'check:7' });
    await sandbox.telegram.waitForMessage(alice.id, (m) => m.text === 'Checked');
    expect(sandbox.telegram.callbackAnswer(queryId)).toMatchObject({ answered: true, text: 'checking 7' });
    const answer = await sandbox.telegram.waitForCall('answerCallbackQuery');
    expect(answer.params.callback_query_id).toBe(queryId);
  });

  it('holds back chat_member updates unless allowed_updates asks for them', async () => {
    const bot = newBot();
    const link = await bot.api.createChatInviteLink(CHANNEL, {});
    sandbox.telegram.joinByLink({ from: alice, chatId: CHANNEL, inviteLink: link.invite_link });
    expect(await bot.api.getUpdates({ timeout: 0 })).toEqual([]);
    expect(sandbox.telegram.updates()[0]?.state).toBe('filtered');

    sandbox.telegram.leaveChat({ from: alice, chatId: CHANNEL });
    const updates = await bot.api.getUpdates({ timeout: 0, allowed_updates: ['chat_member', 'message'] });
    expect(updates).toHaveLength(1);
    expect(updates[0]?.chat_member?.new_chat_member.status).toBe('left');
  });
});

describe('files', () => {
  it('records a multipart sendDocument and lets the bot resend it by file_id', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const content = Buffer.from('%PDF-1.4 product file');
    const sent = await bot.api.sendDocument(alice.id, new InputFile(content, 'guide.pdf'), {
      caption: 'Your <b>guide</b>',
      parse_mode: 'HTML',
      reply_markup: new InlineKeyboard().text('Thanks', 'thanks'),
    });
    expect(sent.document).toMatchObject({
      file_name: 'guide.pdf',
      mime_type: 'application/pdf',
      file_size: content.length,
    });
    expect(sent.caption).toBe('Your guide');

    const [call] = sandbox.telegram.calls('sendDocument');
    expect(call?.params).toMatchObject({
      chat_id: alice.id,
      document: { upload: 'guide.pdf', size: content.length },
      reply_markup: { inline_keyboard: [[{ text: 'Thanks', callback_data: 'thanks' }]] },
    });
    const [message] = sandbox.telegram.messagesTo(alice.id);
    expect(message).toMatchObject({
      method: 'sendDocument',
      caption: 'Your <b>guide</b>',
      document: { file_name: 'guide.pdf', source: 'upload' },
    });
    expect(sandbox.telegram.fileContent(sent.document.file_id)?.equals(content)).toBe(true);

    const again = await bot.api.sendDocument(alice.id, sent.document.file_id);
    expect(again.document.file_unique_id).toBe(sent.document.file_unique_id);
    expect(sandbox.telegram.messagesTo(alice.id)[1]?.document?.source).toBe('file_id');
    expect((await rejection(bot.api.sendDocument(alice.id, 'no-such-file-id'))).description).toBe(
      'Bad Request: wrong file identifier/HTTP URL specified',
    );
  });

  it('accepts real images as photos and refuses other bytes', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const photo = await bot.api.sendPhoto(alice.id, new InputFile(png, 'pixel.png'));
    expect(photo.photo.at(-1)).toMatchObject({ width: 1, height: 1, file_size: png.length });
    expect(sandbox.telegram.messagesTo(alice.id)[0]?.photo?.source).toBe('upload');
    expect(
      (await rejection(bot.api.sendPhoto(alice.id, new InputFile(Buffer.from('not an image'), 'x.png')))).description,
    ).toBe('Bad Request: IMAGE_PROCESS_FAILED');
  });

  it('getFile gives a file_path the bot downloads from /file/bot<token>/<file_path>, like Telegram', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const content = Buffer.from('\uFEFFid,name\r\n1,Иван\r\n', 'utf8');
    const sent = await bot.api.sendDocument(alice.id, new InputFile(content, 'users.csv'));
    const file = await bot.api.getFile(sent.document.file_id);
    expect(Object.keys(file).sort()).toEqual(['file_id', 'file_path', 'file_size', 'file_unique_id']);
    expect(file).toMatchObject({
      file_id: sent.document.file_id,
      file_unique_id: sent.document.file_unique_id,
      file_size: content.length,
    });
    expect(file.file_path).toMatch(/^documents\/file_\d+\.csv$/);
    expect((await bot.api.getFile(sent.document.file_id)).file_path).toBe(file.file_path);
    const url = (token: string, path = file.file_path!) => `${sandbox.url}/file/bot${token}/${path}`;
    const download = await fetch(url(TOKEN));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);

    const photo = await bot.api.sendPhoto(
      alice.id,
      new InputFile(
        Buffer.from(
          'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
          'base64',
        ),
        'pixel.png',
      ),
    );
    expect((await bot.api.getFile(photo.photo.at(-1)!.file_id)).file_path).toMatch(/^photos\/file_\d+\.jpg$/);

    // A malformed token → 401; another bot's token or a path never handed out → 404.
    const bad = await fetch(url('not-a-token'));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    for (const wrong of [url('4343:other-bot'), url(TOKEN, 'documents/file_999.csv')]) {
      const missing = await fetch(wrong);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
    }
    expect((await rejection(bot.api.getFile('no-such-file-id'))).description).toBe('Bad Request: invalid file_id');
    const big = sandbox.telegram.uploadFile({ content: Buffer.alloc(20 * 1024 * 1024 + 1), file_name: 'big.zip' });
    expect((await rejection(bot.api.getFile(big))).description).toBe('Bad Request: file is too big');
    expect(sandbox.telegram.calls('getFile').map((c) => c.ok)).toEqual([true, true, true, false, false]);

    sandbox.telegram.reset();
    expect((await fetch(url(TOKEN))).status).toBe(404);
  });
});

describe('editMessageMedia', () => {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );

  it('adds a photo to a text message, replaces it by upload or file_id, and refuses a no-op', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    const keyboard = new InlineKeyboard().text('▶', 'next');
    const sent = await bot.api.sendMessage(alice.id, 'Text card', { reply_markup: keyboard });
    const first = await bot.api.editMessageMedia(
      alice.id,
      sent.message_id,
      { type: 'photo', media: new InputFile(png, 'cover.png'), caption: 'Photo card' },
      { reply_markup: keyboard },
    );
    if (first === true) throw new Error('a chat message edit returns the message');
    expect(first.message_id).toBe(sent.message_id);
    expect(first.text).toBeUndefined();
    expect(first.caption).toBe('Photo card');
    const fileId = first.photo!.at(-1)!.file_id;
    const shown = sandbox.telegram.messagesTo(alice.id).find((m) => m.message_id === sent.message_id)!;
    expect(shown).toMatchObject({ method: 'sendPhoto', caption: 'Photo card', edited: true });
    expect(shown.photo).toMatchObject({ file_id: fileId, source: 'upload' });
    expect(shown.text).toBeUndefined();
    // Text edits no longer apply; the same media, caption and keyboard again is no change.
    expect((await rejection(bot.api.editMessageText(alice.id, sent.message_id, 'x'))).description).toBe(
      'Bad Request: there is no text in the message to edit',
    );
    const same = { type: 'photo' as const, media: fileId, caption: 'Photo card' };
    expect(
      (await rejection(bot.api.editMessageMedia(alice.id, sent.message_id, same, { reply_markup: keyboard })))
        .description,
    ).toMatch(/^Bad Request: message is not modified/);
    const byId = await bot.api.editMessageMedia(alice.id, sent.message_id, { ...same, caption: 'Again' });
    if (byId === true) throw new Error('a chat message edit returns the message');
    expect(byId.reply_markup).toBeUndefined();
    expect(sandbox.telegram.calls('editMessageMedia').at(-1)!.params.media).toEqual({
      type: 'photo',
      media: fileId,
      caption: 'Again',
    });
    expect(sandbox.telegram.messagesTo(alice.id).find((m) => m.message_id === sent.message_id)!.photo?.source).toBe(
      'file_id',
    );
    expect(
      (await rejection(bot.api.editMessageMedia(alice.id, sent.message_id, { type: 'photo', media: 'nope' })))
        .description,
    ).toBe('Bad Request: wrong file identifier/HTTP URL specified');
    expect(
      (
        await rejection(
          bot.api.editMessageMedia(alice.id, sent.message_id, {
            type: 'photo',
            media: new InputFile(Buffer.from('not an image'), 'x.png'),
          }),
        )
      ).description,
    ).toBe('Bad Request: IMAGE_PROCESS_FAILED');
  });
});

describe('faults', () => {
  it('answers 429 with retry_after once, then succeeds', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    sandbox.telegram.injectFault({
      method: 'sendMessage',
      chatId: alice.id,
      fault: { kind: 'rate_limit', retryAfter: 7 },
    });
    const limited = await rejection(bot.api.sendMessage(alice.id, 'one'));
    expect(limited).toMatchObject({
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    await bot.api.sendMessage(alice.id, 'two');
    expect(sandbox.telegram.calls('sendMessage').map((c) => [c.ok, c.errorCode])).toEqual([
      [false, 429],
      [true, undefined],
    ]);
    expect(sandbox.telegram.faults()).toEqual([]);
  });

  it('lets auto-retry honour retry_after', async () => {
    const bot = newBot();
    bot.api.config.use(autoRetry({ maxRetryAttempts: 2, maxDelaySeconds: 5 }));
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'rate_limit', retryAfter: 1 } });
    const started = Date.now();
    await bot.api.sendMessage(alice.id, 'eventually');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sandbox.telegram.calls('sendMessage').map((c) => c.ok)).toEqual([false, true]);
  });

  it('answers 403 blocked and 5xx on demand, only for the chat named', async () => {
    const bot = newBot();
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    sandbox.telegram.sendText({ from: bob, text: '/start' });
    sandbox.telegram.injectFault({ method: 'sendMessage', chatId: bob.id, times: 2, fault: { kind: 'blocked' } });
    await bot.api.sendMessage(alice.id, 'fine');
    for (let i = 0; i < 2; i++) {
      expect(await rejection(bot.api.sendMessage(bob.id, 'hi'))).toMatchObject({
        error_code: 403,
        description: 'Forbidden: bot was blocked by the user',
      });
    }
    await bot.api.sendMessage(bob.id, 'hi again');
    sandbox.telegram.injectFault({ method: 'createChatInviteLink', fault: { kind: 'server_error', status: 502 } });
    expect(await rejection(bot.api.createChatInviteLink(CHANNEL, {}))).toMatchObject({ error_code: 502 });
    await bot.api.createChatInviteLink(CHANNEL, {});
  });

  it('answers slowly, so a client timeout fires', async () => {
    const bot = newBot(0.3);
    sandbox.telegram.sendText({ from: alice, text: '/start' });
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'slow', delayMs: 1_500 } });
    const error = await bot.api.sendMessage(alice.id, 'late').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    sandbox.telegram.clearFaults();
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'slow', delayMs: 150 } });
    const started = Date.now();
    await bot.api.sendMessage(alice.id, 'slow but fine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
