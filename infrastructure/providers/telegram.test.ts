/**
 * Telegram error classification against the sandbox's real answers over HTTP, the in-process retry
 * budget against the activity timeouts, and a send tied to its activity's cancellation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Api } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { startSandbox, type Sandbox } from '../sandbox/server';
import {
  TELEGRAM_ACTIVITY_TIMEOUT_MS,
  assertRetryBudgetFits,
  classifyTelegramError,
  installRetries,
  withActivitySignal,
  type TelegramOperation,
} from './telegram';

const TOKEN = '4242:classify-test-token';
const CHANNEL = -1001000000777;
const alice = { id: 5001, first_name: 'Alice' };
const bob = { id: 5002, first_name: 'Bob' };

const baseEnv = {
  DATABASE_URL: 'postgres://app@127.0.0.1:5432/tg_commerce',
  TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOP',
  TELEGRAM_WEBHOOK_SECRET: 'hook-secret',
  CRYPTOCLOUD_API_KEY: 'api-key',
  CRYPTOCLOUD_SECRET_KEY: 'super-secret-value',
  CRYPTOCLOUD_SHOP_ID: 'SHOP',
};

let sandbox: Sandbox;
let api: Api;
beforeEach(async () => {
  sandbox = await startSandbox({ cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' } });
  sandbox.telegram.addChannel({ id: CHANNEL, title: 'Paid' });
  api = new Api(TOKEN, { apiRoot: sandbox.url });
  await api.getMe();
});
afterEach(async () => {
  await sandbox.close();
});

async function classified(call: Promise<unknown>, operation: TelegramOperation) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeDefined();
  return classifyTelegramError(error, operation);
}

describe('classifyTelegramError: each Telegram answer → success / retry / visible failure', () => {
  it('idempotent answers count as done', async () => {
    const link = await api.createChatInviteLink(CHANNEL, { creates_join_request: true });
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    expect(await classified(api.approveChatJoinRequest(CHANNEL, alice.id), 'approve-join')).toEqual({
      kind: 'done',
      description: 'Bad Request: USER_ALREADY_PARTICIPANT',
    });
    sandbox.telegram.addUser(bob);
    expect(await classified(api.approveChatJoinRequest(CHANNEL, bob.id), 'approve-join')).toMatchObject({
      kind: 'done',
      description: 'Bad Request: HIDE_REQUESTER_MISSING',
    });
    expect(await classified(api.declineChatJoinRequest(CHANNEL, bob.id), 'decline-join')).toMatchObject({
      kind: 'done',
    });
    expect(await classified(api.revokeChatInviteLink(CHANNEL, `${link.invite_link}x`), 'revoke-link')).toEqual({
      kind: 'done',
      description: 'Bad Request: INVITE_HASH_EXPIRED',
    });
    sandbox.telegram.injectFault({
      method: 'banChatMember',
      fault: { kind: 'server_error', status: 400, description: 'Bad Request: USER_NOT_PARTICIPANT' },
    });
    expect(await classified(api.banChatMember(CHANNEL, bob.id), 'remove-member')).toMatchObject({ kind: 'done' });
  });

  it('an idempotent answer for another operation is not success', async () => {
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    // USER_ALREADY_PARTICIPANT means "done" for an approval only; a decline that gets it was refused.
    sandbox.telegram.injectFault({
      method: 'declineChatJoinRequest',
      fault: { kind: 'server_error', status: 400, description: 'Bad Request: USER_ALREADY_PARTICIPANT' },
    });
    expect(await classified(api.declineChatJoinRequest(CHANNEL, alice.id), 'decline-join')).toMatchObject({
      kind: 'refused',
    });
    sandbox.telegram.injectFault({
      method: 'approveChatJoinRequest',
      fault: { kind: 'server_error', status: 400, description: 'Bad Request: USER_NOT_PARTICIPANT' },
    });
    expect(await classified(api.approveChatJoinRequest(CHANNEL, alice.id), 'approve-join')).toMatchObject({
      kind: 'refused',
    });
  });

  it('missing rights, a removed bot and an unknown chat are channel problems (admins told, retried)', async () => {
    sandbox.telegram.setMember(CHANNEL, alice, 'member');
    sandbox.telegram.setBotRights(CHANNEL, { rights: { can_restrict_members: false } });
    expect(await classified(api.banChatMember(CHANNEL, alice.id), 'remove-member')).toEqual({
      kind: 'channel',
      reason: 'no-rights',
      description: 'Bad Request: not enough rights to restrict/unrestrict chat member',
    });
    sandbox.telegram.setBotRights(CHANNEL, { rights: { can_invite_users: false } });
    expect(await classified(api.createChatInviteLink(CHANNEL, {}), 'create-link')).toMatchObject({
      kind: 'channel',
      reason: 'no-rights',
    });
    expect(await classified(api.approveChatJoinRequest(CHANNEL, alice.id), 'approve-join')).toEqual({
      kind: 'channel',
      reason: 'no-rights',
      description: 'Bad Request: CHAT_ADMIN_REQUIRED',
    });
    sandbox.telegram.setBotRights(CHANNEL, { status: 'kicked' });
    expect(await classified(api.unbanChatMember(CHANNEL, alice.id), 'remove-member')).toEqual({
      kind: 'channel',
      reason: 'bot-removed',
      description: 'Forbidden: bot was kicked from the channel chat',
    });
    sandbox.telegram.setBotRights(CHANNEL, { status: 'left' });
    expect(await classified(api.revokeChatInviteLink(CHANNEL, 'https://t.me/+x'), 'revoke-link')).toMatchObject({
      kind: 'channel',
      reason: 'bot-removed',
    });
    expect(await classified(api.banChatMember(-1009999999999, alice.id), 'remove-member')).toEqual({
      kind: 'channel',
      reason: 'chat-not-found',
      description: 'Bad Request: chat not found',
    });
  });

  it('other refusals fail visibly; rate limits, 5xx and network errors are retried', async () => {
    sandbox.telegram.setMember(CHANNEL, alice, 'administrator');
    expect(await classified(api.banChatMember(CHANNEL, alice.id), 'remove-member')).toEqual({
      kind: 'refused',
      description: 'Bad Request: user is an administrator of the chat',
    });
    sandbox.telegram.injectFault({ method: 'banChatMember', fault: { kind: 'rate_limit', retryAfter: 30 } });
    expect(await classified(api.banChatMember(CHANNEL, bob.id), 'remove-member')).toMatchObject({
      kind: 'transient',
    });
    sandbox.telegram.injectFault({ method: 'banChatMember', fault: { kind: 'server_error', status: 502 } });
    expect(await classified(api.banChatMember(CHANNEL, bob.id), 'remove-member')).toMatchObject({
      kind: 'transient',
    });
    const unreachable = new Api(TOKEN, { apiRoot: 'http://127.0.0.1:9' });
    expect(await classified(unreachable.banChatMember(CHANNEL, bob.id), 'remove-member')).toMatchObject({
      kind: 'transient',
    });
  });
});

describe('in-process retries fit in the activity timeout', () => {
  it('the defaults fit; a configuration that does not stops the worker, naming both variables', () => {
    expect(() => assertRetryBudgetFits(loadConfig(baseEnv))).not.toThrow();
    const tooLong = loadConfig({ ...baseEnv, TELEGRAM_MAX_RETRY_ATTEMPTS: '3', TELEGRAM_MAX_RETRY_DELAY_SECONDS: '5' });
    expect(() => assertRetryBudgetFits(tooLong)).toThrow(ConfigError);
    expect(() => assertRetryBudgetFits(tooLong)).toThrow(
      /TELEGRAM_MAX_RETRY_ATTEMPTS × TELEGRAM_MAX_RETRY_DELAY_SECONDS/,
    );
  });

  it('no workflow proxy gives its activities less time than the check assumes', () => {
    const dir = new URL('../../workflows/', import.meta.url);
    const timeouts = readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) =>
        [...readFileSync(new URL(name, dir), 'utf8').matchAll(/startToCloseTimeout:\s*'(\d+) (second|minute)s?'/g)].map(
          (m) => ({ name, ms: Number(m[1]) * (m[2] === 'minute' ? 60_000 : 1000) }),
        ),
      );
    expect(timeouts.length).toBeGreaterThan(5);
    for (const timeout of timeouts)
      expect(timeout.ms, timeout.name).toBeGreaterThanOrEqual(TELEGRAM_ACTIVITY_TIMEOUT_MS);
  });

  it('5xx is not waited out in-process (Temporal retries it), 429 within the limit is', async () => {
    const config = loadConfig({ ...baseEnv, TELEGRAM_API_ROOT: sandbox.url });
    installRetries(api, config);
    sandbox.telegram.addUser(alice, { startedBot: true });
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'server_error', status: 500 } });
    await expect(api.sendMessage(alice.id, 'one')).rejects.toMatchObject({ error_code: 500 });
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'rate_limit', retryAfter: 1 } });
    await api.sendMessage(alice.id, 'two');
    expect(sandbox.telegram.calls('sendMessage').map((c) => c.errorCode ?? 200)).toEqual([500, 429, 200]);
  });
});

describe('a send tied to its activity', () => {
  it('a cancelled attempt (e.g. timed out) stops waiting out a 429 and never sends', async () => {
    installRetries(api, loadConfig(baseEnv));
    sandbox.telegram.addUser(alice, { startedBot: true });
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'rate_limit', retryAfter: 1 } });
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const attempt = env.run(() => withActivitySignal((signal) => api.sendMessage(alice.id, 'once', {}, signal)));
    const outcome = attempt.then(
      () => 'sent',
      () => 'aborted',
    );
    await sandbox.telegram.waitForCall('sendMessage');
    env.cancel('TIMED_OUT');
    expect(await outcome).toBe('aborted');
    expect(heartbeats.length).toBeGreaterThan(0);
    // Past the retry_after: the aborted attempt did not come back to send.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(sandbox.telegram.calls('sendMessage').map((c) => c.errorCode)).toEqual([429]);
    expect(sandbox.telegram.messagesTo(alice.id)).toEqual([]);

    // Outside an activity the same call simply waits the 429 out and sends.
    sandbox.telegram.injectFault({ method: 'sendMessage', fault: { kind: 'rate_limit', retryAfter: 1 } });
    await withActivitySignal((signal) => api.sendMessage(alice.id, 'once', {}, signal));
    expect(sandbox.telegram.messagesTo(alice.id).map((m) => m.text)).toEqual(['once']);
  });
});
