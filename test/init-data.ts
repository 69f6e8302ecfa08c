/**
 * Mini App `initData` signed the way Telegram signs it, with node:crypto rather than the library the
 * server validates with, so tests check that library against an independent implementation:
 * secret = HMAC_SHA256(key "WebAppData", data bot_token); data_check_string = every field but `hash`,
 * sorted, `key=value` joined by "\n"; hash = hex HMAC_SHA256(secret, data_check_string).
 * Also the URL fragment a Telegram client opens a Mini App with (launch parameters).
 */
import { createHmac, randomBytes } from 'node:crypto';

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

/** Telegram's secret key for a bot's initData: HMAC_SHA256 keyed with "WebAppData" over the token. */
export function initDataSecret(botToken: string): Buffer {
  return createHmac('sha256', 'WebAppData').update(botToken).digest();
}

/** Every field but `hash`, sorted, as `key=value` lines (values decoded). */
export function dataCheckString(params: URLSearchParams): string {
  return [...params]
    .filter(([key]) => key !== 'hash')
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('\n');
}

/** Percent-encodes the pairs the way Telegram clients do (encodeURIComponent, spaces as %20). */
function serialize(params: URLSearchParams): string {
  return [...params].map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

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
export const DEFAULT_THEME_PARAMS: Record<string, string> = {
  accent_text_color: '#6ab2f2',
  bg_color: '#17212b',
  button_color: '#5288c1',
  button_text_color: '#ffffff',
  bottom_bar_bg_color: '#17212b',
  destructive_text_color: '#ec3942',
  header_bg_color: '#17212b',
  hint_color: '#708499',
  link_color: '#6ab3f3',
  secondary_bg_color: '#232e3c',
  section_bg_color: '#17212b',
  section_header_text_color: '#6ab3f3',
  subtitle_text_color: '#708499',
  text_color: '#f5f5f5',
};

/**
 * The URL fragment a Telegram client appends to a Mini App URL: launch parameters as a query string
 * in `location.hash` (`#tgWebAppData=…&tgWebAppVersion=…&tgWebAppPlatform=…&tgWebAppThemeParams=…`),
 * the raw initData encoded once more as the value of `tgWebAppData`.
 */
export function launchParamsHash(
  initData: string,
  themeParams: Record<string, string> = DEFAULT_THEME_PARAMS,
  options: { version?: string; platform?: string; startParam?: string } = {},
): string {
  const params = new URLSearchParams();
  params.set('tgWebAppData', initData);
  params.set('tgWebAppVersion', options.version ?? '8.0');
  params.set('tgWebAppPlatform', options.platform ?? 'tdesktop');
  params.set('tgWebAppThemeParams', JSON.stringify(themeParams));
  if (options.startParam !== undefined) params.set('tgWebAppStartParam', options.startParam);
  return `#${serialize(params)}`;
}
