/**
 * The combined server: the Telegram control routes over HTTP (what a person or a demo script uses),
 * reset, the index pages, and a prompt close even with a long poll in flight.
 */
import { validate } from '@tma.js/init-data-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './server';

const TOKEN = '777:control-api-token';
const CHANNEL = -1009876543210;
const carol = { id: 3003, first_name: 'Carol', username: 'carol' };

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({
    cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' },
    telegram: { botUsername: 'shop_bot' },
  });
});
afterEach(async () => {
  await sandbox.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const bot = (method: string, params: Record<string, unknown> = {}) => call('POST', `/bot${TOKEN}/${method}`, params);

describe('Telegram control API', () => {
  it('injects user actions and shows what the bot did', async () => {
    expect(await call('POST', '/_sandbox/telegram/channels', { id: CHANNEL, title: 'VIP' })).toMatchObject({
      status: 201,
      json: { chat: { id: CHANNEL, type: 'channel', title: 'VIP' } },
    });
    expect((await bot('getMe')).json).toMatchObject({ result: { id: 777, username: 'shop_bot' } });

    const injected = await call('POST', '/_sandbox/telegram/messages', { from: carol, text: '/buy plan_1' });
    expect(injected.json).toMatchObject({
      update: { message: { text: '/buy plan_1', entities: [{ type: 'bot_command', offset: 0, length: 4 }] } },
    });
    const updates = await bot('getUpdates', { timeout: 0 });
    expect(updates.json).toMatchObject({ ok: true, result: [{ message: { from: { id: carol.id } } }] });

    const sent = await bot('sendMessage', {
      chat_id: carol.id,
      text: 'Choose',
      reply_markup: { inline_keyboard: [[{ text: 'Plan 1', callback_data: 'plan:1' }]] },
    });
    const messageId = (sent.json.result as { message_id: number }).message_id;
    const pressed = await call('POST', '/_sandbox/telegram/callbacks', {
      from: carol,
      message_id: messageId,
      data: 'plan:1',
    });
    expect(pressed.json.callback_query_id).toEqual(expect.any(String));
    expect(
      await call('POST', '/_sandbox/telegram/callbacks', { from: carol, message_id: messageId, data: 'plan:2' }),
    ).toMatchObject({ status: 400 });

    const messages = await call('GET', `/_sandbox/telegram/chats/${carol.id}/messages`);
    expect(messages.json).toMatchObject({ messages: [{ message_id: messageId, text: 'Choose' }] });
    const calls = await call('GET', '/_sandbox/telegram/calls?method=sendMessage');
    expect(calls.json.calls).toHaveLength(1);
  });

  it('opens a web_app button as a Telegram client: the URL with launch parameters signed for the user', async () => {
    await call('POST', '/_sandbox/telegram/users', { ...carol, startedBot: true });
    const keyboard = {
      inline_keyboard: [[{ text: 'Upload', web_app: { url: 'https://shop.example/miniapp/upload' } }]],
    };
    const sent = await bot('sendMessage', { chat_id: carol.id, text: 'Your shop', reply_markup: keyboard });
    const messageId = (sent.json.result as { message_id: number }).message_id;
    const opened = await call('POST', '/_sandbox/telegram/open_web_app', { from: carol, message_id: messageId });
    expect(opened.status).toBe(200);
    const { url, initData } = opened.json as { url: string; initData: string };
    const fragment = new URLSearchParams(new URL(url).hash.slice(1));
    expect(url.startsWith('https://shop.example/miniapp/upload#tgWebAppData=')).toBe(true);
    expect(fragment.get('tgWebAppData')).toBe(initData);
    expect(JSON.parse(new URLSearchParams(initData).get('user')!)).toMatchObject({ id: carol.id });
    // Signed with the token the bot calls with: the library the api uses accepts it, another token not.
    expect(() => validate(initData, TOKEN)).not.toThrow();
    expect(() => validate(initData, '777:another-token')).toThrow();
    const none = await call('POST', '/_sandbox/telegram/open_web_app', { from: carol, message_id: 999 });
    expect(none.status).toBe(404);
  });

  it('handles invite links, joins and membership through HTTP', async () => {
    sandbox.telegram.addChannel({ id: CHANNEL, title: 'VIP' });
    const link = (await bot('createChatInviteLink', { chat_id: CHANNEL, creates_join_request: true })).json.result as {
      invite_link: string;
    };
    expect(
      await call('POST', '/_sandbox/telegram/join-requests', {
        from: carol,
        chatId: CHANNEL,
        inviteLink: link.invite_link,
      }),
    ).toMatchObject({ status: 200 });
    expect((await call('GET', `/_sandbox/telegram/chats/${CHANNEL}/join-requests`)).json).toMatchObject({
      requests: [{ user: { id: carol.id }, invite_link: link.invite_link }],
    });
    expect((await bot('approveChatJoinRequest', { chat_id: CHANNEL, user_id: carol.id })).json).toEqual({
      ok: true,
      result: true,
    });
    expect((await call('GET', `/_sandbox/telegram/chats/${CHANNEL}/members/${carol.id}`)).json).toEqual({
      status: 'member',
    });
    expect((await call('GET', `/_sandbox/telegram/chats/${CHANNEL}/invite-links`)).json).toMatchObject({
      links: [{ invite_link: link.invite_link, members: [carol.id], pending: [] }],
    });
    expect(
      await call('PUT', `/_sandbox/telegram/chats/${CHANNEL}/members/${carol.id}`, { status: 'kicked' }),
    ).toMatchObject({ json: { status: 'kicked' } });
    expect(await call('GET', '/_sandbox/telegram/chats/-1/members/1')).toMatchObject({ status: 404 });
  });

  it('injects and clears faults', async () => {
    await call('POST', '/_sandbox/telegram/messages', { from: carol, text: 'hi' });
    expect(
      await call('POST', '/_sandbox/telegram/faults', {
        method: 'sendMessage',
        times: 2,
        fault: { kind: 'server_error', status: 503 },
      }),
    ).toMatchObject({ status: 201 });
    expect(await bot('sendMessage', { chat_id: carol.id, text: 'a' })).toMatchObject({
      status: 503,
      json: { ok: false, error_code: 503 },
    });
    expect((await call('GET', '/_sandbox/telegram/faults')).json).toMatchObject({
      faults: [{ method: 'sendMessage', times: 1 }],
    });
    await call('DELETE', '/_sandbox/telegram/faults');
    expect(await bot('sendMessage', { chat_id: carol.id, text: 'b' })).toMatchObject({ status: 200 });
    expect(
      await call('POST', '/_sandbox/telegram/faults', { method: 'sendMessage', fault: { kind: 'meteor' } }),
    ).toMatchObject({ status: 400 });
  });

  it('accepts a raw update and keeps its order', async () => {
    await call('POST', '/_sandbox/telegram/updates', {
      my_chat_member: {
        chat: { id: CHANNEL, type: 'channel', title: 'VIP' },
        from: carol,
        date: 1,
        old_chat_member: { status: 'left', user: carol },
        new_chat_member: { status: 'administrator', user: carol },
      },
    });
    await call('POST', '/_sandbox/telegram/messages', { from: carol, text: 'second' });
    const result = (await bot('getUpdates')).json.result as Array<{ update_id: number }>;
    expect(result).toHaveLength(2);
    expect(result[1]!.update_id).toBe(result[0]!.update_id + 1);
    expect(await call('POST', '/_sandbox/telegram/updates', { message: {}, callback_query: {} })).toMatchObject({
      status: 400,
    });
  });
});

describe('server', () => {
  it('resets both emulators', async () => {
    sandbox.telegram.addChannel({ id: CHANNEL, title: 'VIP' });
    sandbox.cryptocloud.createInvoice({ shop_id: 'shop', amount: '5' });
    await bot('getMe');
    expect(await call('POST', '/_sandbox/reset')).toMatchObject({ status: 200 });
    expect(sandbox.telegram.calls()).toEqual([]);
    expect(sandbox.telegram.chatList()).toEqual([]);
    expect(sandbox.cryptocloud.invoices()).toEqual([]);
  });

  it('serves an index of control routes and a dashboard', async () => {
    expect(
      ((await call('GET', '/_sandbox')).json.routes as string[]).some((r) =>
        r.includes('/_sandbox/cryptocloud/invoices/:id/pay'),
      ),
    ).toBe(true);
    const dashboard = await fetch(`${sandbox.url}/`);
    expect(await dashboard.text()).toContain('tg-commerce sandbox');
  });

  it('closes promptly while a long poll waits', async () => {
    const poll = fetch(`${sandbox.url}/bot${TOKEN}/getUpdates?timeout=30`).then(
      (r) => r.json(),
      (e: unknown) => e,
    );
    await expect.poll(() => sandbox.telegram.isPolling()).toBe(true);
    const started = Date.now();
    await sandbox.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await poll).toBeDefined();
  });
});

describe('Mailjet emulator over HTTP', () => {
  const send = (auth: string | undefined, body: unknown) =>
    fetch(`${sandbox.url}/v3.1/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });
  const basic = () =>
    `Basic ${Buffer.from(`${sandbox.mailjet.apiKey}:${sandbox.mailjet.secretKey}`).toString('base64')}`;
  const valid = {
    Messages: [
      {
        From: { Email: 'shop@example.com', Name: 'Shop' },
        To: [{ Email: 'seller@example.com' }],
        Subject: 'Заказ оплачен',
        TextPart: 'text',
        HTMLPart: '<p>html</p>',
        CustomID: 'order-1:paid',
      },
    ],
  };

  it('refuses missing or wrong credentials with 401, records a valid message, forgets it on reset', async () => {
    expect((await send(undefined, valid)).status).toBe(401);
    const wrong = await send(`Basic ${Buffer.from('a:b').toString('base64')}`, valid);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ StatusCode: 401, ErrorMessage: expect.any(String) as unknown });
    expect(sandbox.mailjet.messages()).toEqual([]);

    const accepted = await send(basic(), valid);
    expect(accepted.status).toBe(200);
    const answer = (await accepted.json()) as { Messages: Array<{ Status: string; CustomID: string; To: unknown[] }> };
    expect(answer.Messages[0]).toMatchObject({ Status: 'success', CustomID: 'order-1:paid' });
    expect(answer.Messages[0]!.To).toHaveLength(1);
    const listed = await call('GET', '/_sandbox/mailjet/messages');
    expect(listed.json.messages).toEqual([
      expect.objectContaining({
        subject: 'Заказ оплачен',
        customId: 'order-1:paid',
        to: [{ Email: 'seller@example.com' }],
      }),
    ]);

    // A batch with one invalid message sends none of it.
    const invalid = await send(basic(), {
      Messages: [valid.Messages[0], { ...valid.Messages[0], To: [{ Email: 'x' }] }],
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      Messages: [
        { Status: 'success' },
        { Status: 'error', Errors: [{ ErrorCode: 'mj-0013', ErrorRelatedTo: ['To[0].Email'] }] },
      ],
    });
    expect(sandbox.mailjet.messages()).toHaveLength(1);

    await call('POST', '/_sandbox/reset');
    expect(sandbox.mailjet.messages()).toEqual([]);
  });
});
