// The test helpers against the tma.js parsers a Mini App page uses (@tma.js/sdk reads launch
// parameters with @tma.js/transformers) and the validator the api uses.
import { isValid } from '@tma.js/init-data-node';
import { parseInitDataQuery, parseLaunchParamsQuery } from '@tma.js/transformers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THEME_PARAMS, launchParamsHash, signInitData } from './init-data';

const BOT_TOKEN = '7012345678:AAHk2mQ1-test_token_of_this_bot_xyz';

describe('signInitData', () => {
  it('makes initData the library accepts for this bot only, and not once tampered with', () => {
    const initData = signInitData({ botToken: BOT_TOKEN, user: { id: 7, first_name: 'Zoë O’Brien' } });
    expect(isValid(initData, BOT_TOKEN)).toBe(true);
    expect(isValid(initData, '7012345678:AAHk2mQ1-test_token_of_this_bot_xyZ')).toBe(false);
    const tampered = signInitData({ botToken: BOT_TOKEN, tamper: { user: { id: 8, first_name: 'Eve' } } });
    expect(isValid(tampered, BOT_TOKEN)).toBe(false);
  });

  it('carries the fields Telegram sends, stale when asked', () => {
    const authDate = Math.floor(Date.now() / 1000) - 86_400 * 2;
    const initData = signInitData({ botToken: BOT_TOKEN, authDate, queryId: 'AAHdF6IQAAAAAN0XohDhrOrc' });
    const parsed = parseInitDataQuery(initData);
    expect(parsed.query_id).toBe('AAHdF6IQAAAAAN0XohDhrOrc');
    expect(parsed.auth_date.getTime()).toBe(authDate * 1000);
    expect(parsed.user?.id).toBe(279058397);
    expect(parsed.signature).toMatch(/^[\w-]{86}$/);
    expect(isValid(initData, BOT_TOKEN)).toBe(false);
    expect(isValid(initData, BOT_TOKEN, { expiresIn: 0 })).toBe(true);
  });
});

describe('launchParamsHash', () => {
  it('is the fragment a Telegram client opens the Mini App with', () => {
    const initData = signInitData({ botToken: BOT_TOKEN, user: { id: 42, first_name: 'Ada Lovelace' } });
    const hash = launchParamsHash(initData, DEFAULT_THEME_PARAMS, { platform: 'android', version: '8.0' });
    expect(hash).toMatch(/^#tgWebAppData=[^&]+&tgWebAppVersion=8\.0&tgWebAppPlatform=android&tgWebAppThemeParams=/);
    // What telegram-web-app.js and @tma.js/sdk hand the page as initData (raw): the value itself.
    expect(new URLSearchParams(hash.slice(1)).get('tgWebAppData')).toBe(initData);
    const launch = parseLaunchParamsQuery(hash.slice(1));
    expect(launch.tgWebAppVersion).toBe('8.0');
    expect(launch.tgWebAppPlatform).toBe('android');
    expect(launch.tgWebAppThemeParams.bg_color).toBe('#17212b');
    expect(launch.tgWebAppData?.user?.first_name).toBe('Ada Lovelace');
  });
});
