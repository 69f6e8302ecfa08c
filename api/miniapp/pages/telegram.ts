/**
 * What every Mini App page shares: the launch parameters as Telegram passes them (the initData the
 * api validates, the theme), calls to the api with `Authorization: tma <initData>`, and the notice box.
 */
import { on, postEvent, retrieveLaunchParams, retrieveRawInitData } from '@tma.js/bridge';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const api = new URL('api/', location.href);

/** A failure the user can read: shown in the notice box as it is. */
export class PageError extends Error {}

/** The raw initData the server validates; outside Telegram there is none and the page says so. */
function initData(): string {
  try {
    const raw = retrieveRawInitData();
    if (raw) return raw;
  } catch {
    // No launch parameters: not opened from Telegram.
  }
  throw new PageError('Open this page from the bot: it needs Telegram to know who you are.');
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, api), {
    method,
    headers: {
      authorization: `tma ${initData()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as { ok?: boolean; error?: string } & T;
  if (!response.ok) throw new PageError(answer.error ?? `the server answered ${response.status}`);
  return answer;
}

export function notice(message: string | undefined) {
  const box = $('notice');
  box.textContent = message ?? '';
  box.hidden = !message;
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Telegram's colours as CSS variables (`--tg-theme-bg-color`, ...), now and when the theme changes. */
function followTheme(theme: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(theme))
    if (value) document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll('_', '-')}`, value);
}

/** The client's Mini App version (`tgWebAppVersion`), or undefined outside Telegram. */
export function telegramVersion(): string | undefined {
  try {
    return retrieveLaunchParams().tgWebAppVersion;
  } catch {
    return undefined;
  }
}

export function startTelegram() {
  try {
    followTheme(retrieveLaunchParams().tgWebAppThemeParams);
  } catch {
    // Not in Telegram: the page keeps its default colours.
  }
  on('theme_changed', ({ theme_params }) => followTheme(theme_params));
  try {
    postEvent('web_app_ready');
    postEvent('web_app_expand');
  } catch {
    // A plain browser has no Telegram to tell.
  }
}
