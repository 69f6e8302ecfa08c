/**
 * Opening a Mini App the way a Telegram client does: the user taps a `web_app` button of a bot
 * message, Telegram signs initData for that user with the bot's token and opens the button's URL with
 * the launch parameters in its fragment (`#tgWebAppData=…&tgWebAppVersion=…&tgWebAppThemeParams=…`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SandboxState } from './state';
import { TelegramSandboxError, type UserInput } from './types';

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
export function serializeParams(params: URLSearchParams): string {
  return [...params].map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

/** Signs the given fields as Telegram does: `hash` = hex HMAC_SHA256(secret, data_check_string). */
export function signParams(params: URLSearchParams, botToken: string): URLSearchParams {
  params.set('hash', createHmac('sha256', initDataSecret(botToken)).update(dataCheckString(params)).digest('hex'));
  return params;
}

/** Telegram's dark desktop theme, as `tgWebAppThemeParams` carries it. */
export const DARK_THEME_PARAMS: Record<string, string> = {
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

/** The fragment a client appends to a Mini App URL; the raw initData is encoded once more inside it. */
export function launchFragment(
  initData: string,
  themeParams: Record<string, string> = DARK_THEME_PARAMS,
  options: { version?: string; platform?: string; startParam?: string } = {},
): string {
  const params = new URLSearchParams();
  params.set('tgWebAppData', initData);
  params.set('tgWebAppVersion', options.version ?? '8.0');
  params.set('tgWebAppPlatform', options.platform ?? 'tdesktop');
  params.set('tgWebAppThemeParams', JSON.stringify(themeParams));
  if (options.startParam !== undefined) params.set('tgWebAppStartParam', options.startParam);
  return `#${serializeParams(params)}`;
}

export interface OpenedWebApp {
  /** The page URL with the launch parameters in its fragment, as the client's WebView loads it. */
  url: string;
  /** The raw initData (`Telegram.WebApp.initData`): what the page sends as `Authorization: tma …`. */
  initData: string;
}

/** The user taps the `web_app` button (by its text, or the first one) of a bot message in their chat. */
export function openWebApp(
  s: SandboxState,
  input: { from: UserInput; message_id: number; text?: string },
): OpenedWebApp {
  const record = s.ensureUser(input.from);
  const stored = s.chats.get(record.user.id)?.messages.get(input.message_id);
  if (!stored || stored.deleted || !stored.outgoing)
    throw new TelegramSandboxError(`no bot message ${input.message_id} in chat ${record.user.id}`, 404);
  const button = (stored.message.reply_markup?.inline_keyboard.flat() ?? []).find(
    (b) => 'web_app' in b && (input.text === undefined || b.text === input.text),
  );
  if (!button || !('web_app' in button) || !button.web_app)
    throw new TelegramSandboxError(
      `message ${input.message_id} has no web_app button${input.text ? ` "${input.text}"` : ''}`,
    );
  if (!s.lastToken) throw new TelegramSandboxError('no bot has called the Bot API yet', 409);
  const params = new URLSearchParams();
  params.set('query_id', `AAH${randomBytes(16).toString('base64url')}`);
  params.set('user', JSON.stringify(record.user));
  params.set('auth_date', String(s.unixNow()));
  params.set('signature', randomBytes(64).toString('base64url'));
  const initData = serializeParams(signParams(params, s.lastToken));
  return { url: `${button.web_app.url}${launchFragment(initData)}`, initData };
}
