/**
 * Who is calling the Mini App API: every call carries `Authorization: tma <initData>`, the query string
 * Telegram signed for this bot when it opened the Mini App. The HMAC (keyed from the bot token) and
 * the age of `auth_date` are checked by @tma.js/init-data-node; the user is then read from that
 * validated initData alone, never from the query, the body or `initDataUnsafe`.
 *
 * Neither the initData (a bearer credential for up to maxAge) nor the bot token is ever logged or
 * echoed back; only the derived HMAC key is kept in memory.
 */
import { timingSafeEqual } from 'node:crypto';
import { hashToken, signData, validate } from '@tma.js/init-data-node';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The Telegram user a Mini App request comes from, as Telegram signed it. */
export interface TelegramUser {
  id: number;
  firstName: string;
  username?: string;
  languageCode?: string;
}

export interface MiniAppAuthOptions {
  botToken: string;
  /** How long after Telegram issued it (`auth_date`) initData is accepted; whole seconds, at least 1. */
  maxAgeSeconds?: number;
}

/** The library's default is a day; a leaked initData should be of use for less. */
export const DEFAULT_INIT_DATA_MAX_AGE_SECONDS = 3600;

export const AUTHORIZATION_REQUIRED = 'Authorization: tma <initData> is required';
export const INIT_DATA_TOO_OLD = 'initData is too old; reopen the Mini App';
export const INIT_DATA_FORGED = 'initData signature is invalid: it was not signed by Telegram for this bot';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Mini App auth hook on the routes behind it; null elsewhere. */
    telegramUser: TelegramUser | null;
  }
}

export type InitDataVerdict = { ok: true; user: TelegramUser } | { ok: false; status: 400 | 401; error: string };

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const AUTH_DATE_PATTERN = /^\d{1,12}$/;

const malformed = (why: string): InitDataVerdict => ({
  ok: false,
  status: 400,
  error: `initData is malformed: ${why}`,
});

/** The user from initData already validated, or why not (400 malformed, 401 no user at all). */
function userFrom(params: URLSearchParams): InitDataVerdict {
  const raw = params.get('user');
  if (raw === null) return { ok: false, status: 401, error: 'initData names no user; open the Mini App from the bot' };
  let user: unknown;
  try {
    user = JSON.parse(raw);
  } catch {
    return malformed('user is not JSON');
  }
  if (typeof user !== 'object' || user === null) return malformed('user is not an object');
  const { id, first_name: firstName, username, language_code: languageCode } = user as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return malformed('user.id is not a user id');
  if (typeof firstName !== 'string') return malformed('user.first_name is missing');
  if (username !== undefined && typeof username !== 'string') return malformed('user.username is not text');
  if (languageCode !== undefined && typeof languageCode !== 'string')
    return malformed('user.language_code is not text');
  return {
    ok: true,
    user: {
      id,
      firstName,
      ...(username ? { username } : {}),
      ...(languageCode ? { languageCode } : {}),
    },
  };
}

/**
 * Checks an `Authorization` header value. Pure apart from the clock, so other entry points (a
 * download link opened from the Mini App, a WebSocket) can use it too.
 */
export function createInitDataVerifier(
  options: MiniAppAuthOptions,
): (authorization: string | undefined) => InitDataVerdict {
  if (!options.botToken) throw new Error('Mini App auth needs the bot token');
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_INIT_DATA_MAX_AGE_SECONDS;
  // 0 would switch the library's expiry check off altogether.
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1)
    throw new Error(`Mini App initData max age must be a whole number of seconds ≥ 1 (got ${maxAgeSeconds})`);
  const secret = hashToken(options.botToken).toString('hex');

  return (authorization) => {
    const match = /^tma[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (!match) return { ok: false, status: 401, error: AUTHORIZATION_REQUIRED };
    const initData = match[1]!;
    // Lenient by design (never throws); what matters is checked below.
    const params = new URLSearchParams(initData);
    const keys = [...params.keys()];
    // Telegram never repeats a field, and which of two values is meant would be ambiguous.
    if (new Set(keys).size !== keys.length) return malformed('a field appears twice');
    const hash = params.get('hash');
    if (hash === null) return malformed('it has no hash');
    if (!HASH_PATTERN.test(hash)) return malformed('hash is not 64 hex digits');
    if (!AUTH_DATE_PATTERN.test(params.get('auth_date') ?? '')) return malformed('auth_date is not a Unix time');
    // The library compares hashes with ===; compare in constant time first, so a forgery learns nothing.
    const checkString = keys
      .filter((key) => key !== 'hash')
      .sort()
      .map((key) => `${key}=${params.get(key)}`)
      .join('\n');
    const expected = Buffer.from(signData(checkString, secret, { tokenHashed: true }), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(hash, 'hex')))
      return { ok: false, status: 401, error: INIT_DATA_FORGED };
    try {
      validate(params, secret, { expiresIn: maxAgeSeconds, tokenHashed: true });
    } catch (error) {
      // By name: in 2.0.8 `instanceof ExpiredError` is false (error-kid resets the prototype to its base).
      const name = error instanceof Error ? error.name : '';
      if (name === 'ExpiredError') return { ok: false, status: 401, error: INIT_DATA_TOO_OLD };
      if (name === 'SignatureInvalidError') return { ok: false, status: 401, error: INIT_DATA_FORGED };
      // The structure was checked above, so anything else is the library disagreeing: refuse, vaguely.
      return malformed('it could not be validated');
    }
    return userFrom(params);
  };
}

/**
 * A hook for the Mini App API routes: refuses the request unless its initData is genuine and fresh,
 * and sets `request.telegramUser`. Use as `preHandler` (CORS preflights are answered earlier, in
 * `onRequest`, so they never reach it), on a whole context or a single route.
 */
export function miniAppAuth(options: MiniAppAuthOptions) {
  const verify = createInitDataVerifier(options);
  return async function miniAppAuthHook(request: FastifyRequest, reply: FastifyReply) {
    const verdict = verify(request.headers.authorization);
    if (!verdict.ok) {
      request.log.info({ status: verdict.status, reason: verdict.error }, 'mini app request refused');
      if (verdict.status === 401) reply.header('www-authenticate', 'tma');
      return reply.code(verdict.status).send({ ok: false, error: verdict.error });
    }
    request.telegramUser = verdict.user;
  };
}

/**
 * Registers `miniAppAuth` as a preHandler on the context that registers it (and its children), and
 * declares `request.telegramUser`. Register it inside the Mini App API's own plugin, not at the root.
 */
const registerMiniAppAuth: FastifyPluginAsync<MiniAppAuthOptions> = async (app, options) => {
  if (!app.hasRequestDecorator('telegramUser')) app.decorateRequest('telegramUser', null);
  app.addHook('preHandler', miniAppAuth(options));
};
export const miniAppAuthPlugin = fp(registerMiniAppAuth, { name: 'mini-app-auth', fastify: '5.x' });

/** The caller of a route behind `miniAppAuth`; a route outside it is a programming error (500). */
export function telegramUserOf(request: FastifyRequest): TelegramUser {
  if (!request.telegramUser) throw new Error('this route is not behind the Mini App auth hook');
  return request.telegramUser;
}
