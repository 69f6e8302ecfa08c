import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInitData } from '../../test/init-data';
import {
  AUTHORIZATION_REQUIRED,
  createInitDataVerifier,
  INIT_DATA_FORGED,
  INIT_DATA_TOO_OLD,
  miniAppAuth,
  miniAppAuthPlugin,
  telegramUserOf,
} from './auth';
import { miniAppCors, miniAppOrigin, ORIGIN_REFUSED } from './cors';

const BOT_TOKEN = '7012345678:AAHk2mQ1-test_token_of_this_bot_xyz';
const OTHER_BOT_TOKEN = '7098765432:AAF_another_bots_token_entirely-9';
const MINI_APP_ORIGIN = 'https://shop.example.com';
const SELLER_ID = 500123456;
const API = '/miniapp/api';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const genuine = (options: Partial<Parameters<typeof signInitData>[0]> = {}) =>
  signInitData({ botToken: BOT_TOKEN, user: { id: SELLER_ID, first_name: 'Ada', username: 'ada_sells' }, ...options });
const tma = (initData: string) => ({ authorization: `tma ${initData}` });

let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
  // The Mini App API as the upload routes will plug in: its own prefix, CORS and auth inside it.
  await app.register(
    async (api) => {
      await api.register(miniAppCors, { origin: `${MINI_APP_ORIGIN}/app/upload` });
      await api.register(miniAppAuthPlugin, { botToken: BOT_TOKEN, maxAgeSeconds: 3600 });
      api.get('/me', async (request) => ({ ok: true, user: telegramUserOf(request) }));
      api.post('/uploads', async (request) => ({ ok: true, sellerId: telegramUserOf(request).id }));
    },
    { prefix: API },
  );
  // A second context with a shorter max age, guarding a single route.
  await app.register(
    async (api) => {
      api.get('/short', { preHandler: miniAppAuth({ botToken: BOT_TOKEN, maxAgeSeconds: 60 }) }, async (request) => ({
        ok: true,
        id: request.telegramUser?.id,
      }));
    },
    { prefix: '/short-lived' },
  );
  app.get('/health', async (request) => ({ ok: true, user: request.telegramUser ?? null }));
  await app.ready();
});
afterAll(() => app.close());

describe('Mini App auth', () => {
  it('lets genuine, fresh initData through and takes the user from it', async () => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: tma(genuine()) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ok: true,
      user: { id: SELLER_ID, firstName: 'Ada', username: 'ada_sells', languageCode: 'ru' },
    });
  });

  it('reads names with spaces and non-Latin letters as Telegram encodes them, and any case of "tma"', async () => {
    const initData = genuine({ user: { id: 42, first_name: 'Анна Мария & Co', username: undefined } });
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: { authorization: `TMA  ${initData}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ user: unknown }>().user).toEqual({ id: 42, firstName: 'Анна Мария & Co', languageCode: 'ru' });
  });

  it('accepts initData without the Ed25519 signature field (clients before Bot API 8.0)', async () => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: tma(genuine({ signature: null })) });
    expect(res.statusCode).toBe(200);
  });

  it('ignores a user id in the query string or body', async () => {
    const inQuery = await app.inject({
      method: 'GET',
      url: `${API}/me?id=1&user_id=1&user=${encodeURIComponent('{"id":1,"first_name":"Mallory"}')}`,
      headers: tma(genuine()),
    });
    expect(inQuery.json<{ user: { id: number } }>().user.id).toBe(SELLER_ID);
    const inBody = await app.inject({
      method: 'POST',
      url: `${API}/uploads`,
      headers: tma(genuine()),
      payload: { sellerId: 1, user: { id: 1 }, telegramUser: { id: 1 } },
    });
    expect(inBody.statusCode).toBe(200);
    expect(inBody.json()).toEqual({ ok: true, sellerId: SELLER_ID });
  });

  it('refuses initData in the query string instead of the header', async () => {
    const res = await app.inject({ method: 'GET', url: `${API}/me?tgWebAppData=${encodeURIComponent(genuine())}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ ok: false, error: AUTHORIZATION_REQUIRED });
  });

  it.each([
    ['no Authorization header', {}],
    ['the Bearer scheme', { authorization: `Bearer ${genuine()}` }],
    ['a bare "tma"', { authorization: 'tma' }],
    ['"tma" and spaces only', { authorization: 'tma   ' }],
  ])('asks for tma credentials when it gets %s', async (_name, headers: Record<string, string>) => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('tma');
    expect(res.json()).toEqual({ ok: false, error: AUTHORIZATION_REQUIRED });
  });

  it.each([
    ['a forged hash', () => genuine({ tamper: { hash: 'ab'.repeat(32) } })],
    ['a user id changed after signing', () => genuine({ tamper: { user: { id: 1, first_name: 'Mallory' } } })],
    [
      'auth_date moved forward after signing',
      () => genuine({ authDate: nowSeconds() - 60, tamper: { auth_date: String(nowSeconds()) } }),
    ],
    ['a field added after signing', () => genuine({ tamper: { start_param: 'admin' } })],
    ['the signature field removed after signing', () => genuine({ tamper: { signature: null } })],
    ["another bot's token", () => signInitData({ botToken: OTHER_BOT_TOKEN, user: { id: SELLER_ID } })],
    ['the bot token itself used as the HMAC key', () => forgedWithRawToken()],
  ])('refuses %s as not signed by Telegram', async (_name, initData) => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: tma(initData()) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ ok: false, error: INIT_DATA_FORGED });
  });

  it('refuses stale initData with a hint to reopen the Mini App, and takes it just inside the max age', async () => {
    const stale = await app.inject({
      method: 'GET',
      url: `${API}/me`,
      headers: tma(genuine({ authDate: nowSeconds() - 3601 })),
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toEqual({ ok: false, error: INIT_DATA_TOO_OLD });
    const fresh = await app.inject({
      method: 'GET',
      url: `${API}/me`,
      headers: tma(genuine({ authDate: nowSeconds() - 3500 })),
    });
    expect(fresh.statusCode).toBe(200);
  });

  it('applies the configured max age', async () => {
    const twoMinutesOld = tma(genuine({ authDate: nowSeconds() - 120 }));
    expect((await app.inject({ method: 'GET', url: `${API}/me`, headers: twoMinutesOld })).statusCode).toBe(200);
    const short = await app.inject({ method: 'GET', url: '/short-lived/short', headers: twoMinutesOld });
    expect(short.statusCode).toBe(401);
    expect(short.json()).toEqual({ ok: false, error: INIT_DATA_TOO_OLD });
    const recent = await app.inject({
      method: 'GET',
      url: '/short-lived/short',
      headers: tma(genuine({ authDate: nowSeconds() - 30 })),
    });
    expect(recent.json()).toEqual({ ok: true, id: SELLER_ID });
  });

  it.each([
    ['a value that is not a query string', () => 'not-init-data', 'it has no hash'],
    ['no hash', () => genuine({ tamper: { hash: null } }), 'it has no hash'],
    ['a hash that is not hex', () => genuine({ tamper: { hash: 'z'.repeat(64) } }), 'hash is not 64 hex digits'],
    ['a short hash', () => genuine({ tamper: { hash: 'abc123' } }), 'hash is not 64 hex digits'],
    ['no auth_date', () => genuine({ tamper: { auth_date: null } }), 'auth_date is not a Unix time'],
    ['a worded auth_date', () => genuine({ tamper: { auth_date: 'yesterday' } }), 'auth_date is not a Unix time'],
    ['a repeated field', () => `${genuine()}&user=%7B%22id%22%3A1%7D`, 'a field appears twice'],
    ['a signed user that is not JSON', () => genuine({ fields: { user: '{id:1' }, user: null }), 'user is not JSON'],
    ['a signed user without an id', () => genuine({ fields: { user: '{"first_name":"A"}' }, user: null }), 'user.id'],
    ['a signed user with a fractional id', () => genuine({ user: { id: 1.5 } }), 'user.id'],
  ])('answers 400 to %s', async (_name, initData, why) => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: tma(initData()) });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain(`initData is malformed: ${why}`);
  });

  it('refuses genuine initData that names no user', async () => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: tma(genuine({ user: null })) });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: string }>().error).toMatch(/names no user/);
  });

  it('leaves routes outside the Mini App API alone', async () => {
    const res = await app.inject({ method: 'GET', url: '/health', headers: { origin: MINI_APP_ORIGIN } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, user: null });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses to start without a bot token or with a max age that would switch the check off', () => {
    expect(() => miniAppAuth({ botToken: '' })).toThrow(/bot token/);
    for (const maxAgeSeconds of [0, -1, 0.5, Number.NaN])
      expect(() => createInitDataVerifier({ botToken: BOT_TOKEN, maxAgeSeconds })).toThrow(/max age/);
    // An hour by default.
    const verify = createInitDataVerifier({ botToken: BOT_TOKEN });
    expect(verify(`tma ${genuine({ authDate: nowSeconds() - 3500 })}`).ok).toBe(true);
    expect(verify(`tma ${genuine({ authDate: nowSeconds() - 3700 })}`)).toMatchObject({
      status: 401,
      error: INIT_DATA_TOO_OLD,
    });
  });

  it('never logs the initData or the bot token', async () => {
    logLines.length = 0;
    const initData = genuine();
    const hash = new URLSearchParams(initData).get('hash')!;
    const attempts = [
      tma(initData),
      tma(genuine({ tamper: { hash: 'cd'.repeat(32) } })),
      tma(genuine({ authDate: nowSeconds() - 7200 })),
      tma(`${initData}&user=x`),
      { authorization: `Bearer ${initData}` },
    ];
    for (const headers of attempts) await app.inject({ method: 'GET', url: `${API}/me`, headers });
    const log = logLines.join('\n');
    expect(log).toContain('mini app request refused');
    for (const secret of [hash, BOT_TOKEN, BOT_TOKEN.split(':')[1]!, 'ada_sells', String(SELLER_ID), 'query_id'])
      expect(log).not.toContain(secret);
  });
});

describe('Mini App CORS', () => {
  const preflight = (origin: string, url = `${API}/uploads`) =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it("lets the Mini App's own origin read the answers, errors included", async () => {
    const ok = await app.inject({
      method: 'GET',
      url: `${API}/me`,
      headers: { ...tma(genuine()), origin: MINI_APP_ORIGIN },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(MINI_APP_ORIGIN);
    expect(ok.headers.vary).toMatch(/origin/i);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    // The page must read a refusal to tell the seller to reopen the Mini App.
    const stale = await app.inject({
      method: 'GET',
      url: `${API}/me`,
      headers: { ...tma(genuine({ authDate: nowSeconds() - 7200 })), origin: MINI_APP_ORIGIN },
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.headers['access-control-allow-origin']).toBe(MINI_APP_ORIGIN);
  });

  it('answers the Mini App origin a preflight allowing Authorization, without asking it for credentials', async () => {
    const res = await preflight(MINI_APP_ORIGIN);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(MINI_APP_ORIGIN);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toEqual(
      expect.arrayContaining(['authorization', 'content-type']),
    );
    expect(String(res.headers['access-control-allow-methods'])).toMatch(/POST/);
    expect(String(res.headers['access-control-allow-methods'])).toMatch(/DELETE/);
  });

  it.each([
    ['another site', 'https://evil.example.net'],
    ['a subdomain of the Mini App', 'https://evil.shop.example.com'],
    ['the Mini App host over http', 'http://shop.example.com'],
    ['the Mini App host on another port', 'https://shop.example.com:8443'],
    ['an opaque origin', 'null'],
  ])('gives %s no CORS headers and refuses its preflight', async (_name, origin) => {
    const res = await app.inject({ method: 'GET', url: `${API}/me`, headers: { ...tma(genuine()), origin } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await preflight(origin);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ ok: false, error: ORIGIN_REFUSED });
    for (const header of [
      'access-control-allow-origin',
      'access-control-allow-headers',
      'access-control-allow-methods',
    ])
      expect(refused.headers[header]).toBeUndefined();
  });

  it('works in several API contexts, and answers preflights whichever plugin is registered first', async () => {
    const twoApis = Fastify();
    for (const [prefix, corsFirst] of [
      ['/one', true],
      ['/two', false],
    ] as const)
      await twoApis.register(
        async (api) => {
          if (corsFirst) await api.register(miniAppCors, { origin: MINI_APP_ORIGIN });
          await api.register(miniAppAuthPlugin, { botToken: BOT_TOKEN });
          if (!corsFirst) await api.register(miniAppCors, { origin: MINI_APP_ORIGIN });
          api.post('/uploads', async (request) => ({ ok: true, sellerId: telegramUserOf(request).id }));
        },
        { prefix },
      );
    try {
      for (const prefix of ['/one', '/two']) {
        const allowed = await twoApis.inject({
          method: 'OPTIONS',
          url: `${prefix}/uploads`,
          headers: { origin: MINI_APP_ORIGIN, 'access-control-request-method': 'POST' },
        });
        expect(allowed.statusCode, prefix).toBe(204);
        const call = await twoApis.inject({ method: 'POST', url: `${prefix}/uploads`, headers: tma(genuine()) });
        expect(call.json(), prefix).toEqual({ ok: true, sellerId: SELLER_ID });
      }
    } finally {
      await twoApis.close();
    }
  });

  it('takes the origin from a Mini App URL and refuses anything but http(s)', () => {
    expect(miniAppOrigin('https://Shop.Example.com:443/app/upload?x=1')).toBe('https://shop.example.com');
    expect(miniAppOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    for (const bad of ['*', '', 'shop.example.com', 'ftp://shop.example.com', 'javascript:alert(1)'])
      expect(() => miniAppOrigin(bad)).toThrow(/http\(s\) URL/);
  });
});

/** A forger who knows the HMAC recipe but keys it with the token directly, skipping "WebAppData". */
function forgedWithRawToken(): string {
  const params = new URLSearchParams(genuine());
  params.delete('hash');
  const check = [...params]
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('\n');
  params.set('hash', createHmac('sha256', BOT_TOKEN).update(check).digest('hex'));
  return params.toString();
}
