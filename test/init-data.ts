/**
 * Mini App `initData` signed the way Telegram signs it, with node:crypto rather than the library the
 * server validates with, so tests check that library against an independent implementation:
 * secret = HMAC_SHA256(key "WebAppData", data bot_token); data_check_string = every field but `hash`,
 * sorted, `key=value` joined by "\n"; hash = hex HMAC_SHA256(secret, data_check_string).
 * Also the URL fragment a Telegram client opens a Mini App with (launch parameters).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  DARK_THEME_PARAMS,
  dataCheckString,
  initDataSecret,
  serializeParams as serialize,
} from '../infrastructure/sandbox/telegram/web-app';

export {
  dataCheckString,
  initDataSecret,
  launchFragment as launchParamsHash,
} from '../infrastructure/sandbox/telegram/web-app';

/** The `user` field as Telegram sends it (snake_case JSON). */
export interface InitDataUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: boolean;
  allows_write_to_pm?: boolean;
  photo_url?: string;
}

export interface SignInitDataOptions {
  botToken: string;
  /** Merged over a default user; null leaves the `user` field out. */
  user?: Partial<InitDataUser> | null;
  /** When Telegram issued it: a Date or Unix seconds; default now. Older ones are stale. */
  authDate?: Date | number;
  /** Default a random id like Telegram's; null leaves it out. */
  queryId?: string | null;
  startParam?: string;
  chatType?: string;
  chatInstance?: string;
  /**
   * Telegram's Ed25519 `signature` field (Bot API 8.0), part of the HMAC'd data like any field. Only
   * Telegram can make a real one, so the default is random bytes of its shape; null leaves it out.
   */
  signature?: string | null;
  /** More fields, signed like the others. */
  fields?: Record<string, string>;
  /**
   * Changes made after signing, keeping the hash: a string or object (sent as JSON) replaces the
   * field, null removes it. `{ hash: '…' }` forges the hash itself.
   */
  tamper?: Record<string, string | object | null>;
}

export const DEFAULT_INIT_DATA_USER: InitDataUser = {
  id: 279058397,
  first_name: 'Vladislav',
  last_name: 'Kibenko',
  username: 'vdkfrost',
  language_code: 'ru',
  is_premium: true,
  allows_write_to_pm: true,
};

/** A raw initData query string, as `Telegram.WebApp.initData` holds it. */
export function signInitData(options: SignInitDataOptions): string {
  const params = new URLSearchParams();
  const queryId = options.queryId === undefined ? `AAH${randomBytes(16).toString('base64url')}` : options.queryId;
  if (queryId !== null) params.set('query_id', queryId);
  if (options.user !== null) params.set('user', JSON.stringify({ ...DEFAULT_INIT_DATA_USER, ...options.user }));
  if (options.chatInstance !== undefined) params.set('chat_instance', options.chatInstance);
  if (options.chatType !== undefined) params.set('chat_type', options.chatType);
  if (options.startParam !== undefined) params.set('start_param', options.startParam);
  const authDate = options.authDate ?? new Date();
  params.set('auth_date', String(authDate instanceof Date ? Math.floor(authDate.getTime() / 1000) : authDate));
  for (const [key, value] of Object.entries(options.fields ?? {})) params.set(key, value);
  const signature = options.signature === undefined ? randomBytes(64).toString('base64url') : options.signature;
  if (signature !== null) params.set('signature', signature);

  const hash = createHmac('sha256', initDataSecret(options.botToken)).update(dataCheckString(params)).digest('hex');
  params.set('hash', hash);
  for (const [key, value] of Object.entries(options.tamper ?? {})) {
    if (value === null) params.delete(key);
    else params.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return serialize(params);
}

/** Telegram's dark desktop theme, as `tgWebAppThemeParams` carries it. */
export const DEFAULT_THEME_PARAMS = DARK_THEME_PARAMS;
