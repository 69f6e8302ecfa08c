import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PROVIDER_CREDENTIALS } from './config';

const valid = {
  DATABASE_URL: 'postgres://app@127.0.0.1:5432/tg_commerce',
  TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOP',
  TELEGRAM_WEBHOOK_SECRET: 'hook-secret',
  CRYPTOCLOUD_API_KEY: 'api-key',
  CRYPTOCLOUD_SECRET_KEY: 'super-secret-value',
  CRYPTOCLOUD_SHOP_ID: 'SHOP',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('loads a complete environment with typed values and defaults', () => {
    const config = loadConfig({
      ...valid,
      API_PORT: '9000',
      ADMIN_IDS: '1, 22,333',
      SUBSCRIPTION_REMINDERS: '3d,1d',
      REMOVAL_DRY_RUN: 'yes',
    });
    expect(config.api.port).toBe(9000);
    expect(config.telegram.adminIds).toEqual([1, 22, 333]);
    expect(config.subscription.reminderOffsetsMs).toEqual([3 * 86_400_000, 86_400_000]);
    expect(config.subscription.removalDryRun).toBe(true);
    expect(config.invoice.reconcileAtMs).toEqual([1, 2, 5, 10, 20, 30].map((m) => m * 60_000));
    expect(config.temporal.taskQueue).toBe('tg-commerce');
    expect(config.orders.disputeReminderEveryMs).toBe(12 * 3_600_000);
    expect(loadConfig({ ...valid, DISPUTE_REMINDER_EVERY: '5s' }).orders.disputeReminderEveryMs).toBe(5000);
  });

  it('names every missing variable and what it expects', () => {
    const problems = problemsOf({});
    for (const name of Object.keys(valid)) {
      expect(
        problems.find((p) => p.startsWith(`${name} is missing: expected`)),
        name,
      ).toBeDefined();
    }
  });

  it('names malformed variables with the expected form', () => {
    const problems = problemsOf({
      ...valid,
      API_PORT: 'eighty',
      INVOICE_TTL: 'soon',
      ADMIN_IDS: '12,abc',
      TEMPORAL_ADDRESS: 'nowhere',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^API_PORT is malformed: expected a TCP port/),
        expect.stringMatching(/^INVOICE_TTL is malformed: expected a duration/),
        expect.stringMatching(/^ADMIN_IDS is malformed: expected comma-separated Telegram user ids/),
        expect.stringMatching(/^TEMPORAL_ADDRESS is malformed/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('refuses a zero or negative duration where it drives a timer, naming the variable', () => {
    const mustBePositive = [
      'INVOICE_TTL',
      'INVOICE_RECONCILE_EVERY',
      'INVOICE_RECONCILE_SCHEDULE',
      'SUBSCRIPTION_REMINDERS',
      'PAYOUT_REMINDER_EVERY',
      'DISPUTE_REMINDER_EVERY',
    ];
    for (const name of mustBePositive) {
      for (const value of ['0s', '0', '0ms', '-5s']) {
        const problems = problemsOf({ ...valid, [name]: value });
        expect(problems, `${name}=${value}`).toHaveLength(1);
        expect(problems[0], `${name}=${value}`).toMatch(new RegExp(`^${name} is malformed: expected .*longer than 0`));
      }
    }
    // One zero in a list is enough to refuse it.
    expect(problemsOf({ ...valid, INVOICE_RECONCILE_SCHEDULE: '1m,0s,5m' })).toEqual([
      expect.stringMatching(/^INVOICE_RECONCILE_SCHEDULE is malformed: .*every duration must be longer than 0/),
    ]);
    expect(problemsOf({ ...valid, SUBSCRIPTION_REMINDERS: '3d,0' })).toEqual([
      expect.stringMatching(/^SUBSCRIPTION_REMINDERS is malformed/),
    ]);
    expect(problemsOf({ ...valid, INVOICE_RECONCILE_EVERY: '0s' })).toEqual([
      'INVOICE_RECONCILE_EVERY is malformed: expected a duration longer than 0 like 1h (got "0s": must be longer than 0)',
    ]);
  });

  it('accepts 0 where nothing waits on it: late-payment window, grace period, referral hold', () => {
    const config = loadConfig({
      ...valid,
      INVOICE_LATE_PAYMENT_WINDOW: '0s',
      SUBSCRIPTION_GRACE_PERIOD: '0',
      REFERRAL_HOLD: '0m',
    });
    expect(config.invoice.latePaymentWindowMs).toBe(0);
    expect(config.subscription.gracePeriodMs).toBe(0);
    expect(config.referral.holdMs).toBe(0);
    // Negative is never a duration.
    expect(problemsOf({ ...valid, SUBSCRIPTION_GRACE_PERIOD: '-1d' })).toEqual([
      expect.stringMatching(/^SUBSCRIPTION_GRACE_PERIOD is malformed/),
    ]);
  });

  it('lets a process do without the provider credentials it never uses, still validating given ones', () => {
    const env = { DATABASE_URL: valid.DATABASE_URL };
    expect(problemsOf(env).length).toBe(PROVIDER_CREDENTIALS.length);
    const config = loadConfig(env, { notNeeded: PROVIDER_CREDENTIALS });
    expect(config.telegram.botToken).toBe('');
    expect(config.cryptocloud.secretKey).toBe('');
    expect(() => loadConfig({}, { notNeeded: PROVIDER_CREDENTIALS })).toThrow(/DATABASE_URL is missing/);
    expect(() => loadConfig({ ...env, TELEGRAM_BOT_TOKEN: 'nope' }, { notNeeded: PROVIDER_CREDENTIALS })).toThrow(
      /TELEGRAM_BOT_TOKEN is malformed/,
    );
  });

  it('never echoes a secret value in its messages', () => {
    const error = (() => {
      try {
        loadConfig({ ...valid, TELEGRAM_BOT_TOKEN: 'not-a-token-s3cr3t', DATABASE_URL: 'mysql://u:hunter2@db' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/TELEGRAM_BOT_TOKEN is malformed/);
    expect(error?.message).toMatch(/DATABASE_URL is malformed/);
    expect(error?.message).not.toMatch(/s3cr3t|hunter2/);
  });

  it('accepts Mini App initData for an hour by default, in whole seconds of at least 1s', () => {
    expect(loadConfig(valid).miniApp.initDataMaxAgeMs).toBe(3_600_000);
    expect(loadConfig({ ...valid, MINIAPP_INIT_DATA_MAX_AGE: '90s' }).miniApp.initDataMaxAgeMs).toBe(90_000);
    // 0 would switch the age check off; the check counts whole seconds.
    for (const value of ['0', '0s', '500ms', '1500ms', 'an hour']) {
      expect(problemsOf({ ...valid, MINIAPP_INIT_DATA_MAX_AGE: value }), value).toEqual([
        expect.stringMatching(/^MINIAPP_INIT_DATA_MAX_AGE is malformed: expected a duration in whole seconds/),
      ]);
    }
  });

  it('has every variable it reads documented in .env.example', () => {
    const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const read = [...source.matchAll(/read\.(?:optional|required)(?:<[^>]*>)?\('([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(20);
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe('payment rails', () => {
  it('offers every listed rail that has its keys; a listed rail without keys is off', () => {
    expect(loadConfig(valid).rails).toEqual(['cryptocloud', 'stars']);
    const withNowPayments = { ...valid, NOWPAYMENTS_API_KEY: 'k', NOWPAYMENTS_IPN_SECRET: 's' };
    expect(loadConfig(withNowPayments).rails).toEqual(['cryptocloud', 'nowpayments', 'stars']);
    // The IPN secret alone is not enough: without the API key nothing can be created.
    expect(loadConfig({ ...valid, NOWPAYMENTS_IPN_SECRET: 's' }).rails).toEqual(['cryptocloud', 'stars']);
    expect(loadConfig({ ...withNowPayments, PAYMENT_RAILS: 'stars' }).rails).toEqual(['stars']);
  });

  it('needs no CryptoCloud keys when CryptoCloud is off, and refuses unknown rails and coins', () => {
    const {
      CRYPTOCLOUD_API_KEY: _k,
      CRYPTOCLOUD_SECRET_KEY: _s,
      CRYPTOCLOUD_SHOP_ID: _i,
      ...withoutCryptoCloud
    } = valid;
    expect(loadConfig({ ...withoutCryptoCloud, PAYMENT_RAILS: 'stars' }).rails).toEqual(['stars']);
    expect(() => loadConfig(withoutCryptoCloud)).toThrow(/CRYPTOCLOUD_API_KEY is missing/);
    expect(() => loadConfig({ ...valid, PAYMENT_RAILS: 'stars,paypal' })).toThrow(/PAYMENT_RAILS.*unknown rail paypal/);
    expect(() => loadConfig({ ...valid, NOWPAYMENTS_COINS: 'BTC!' })).toThrow(/NOWPAYMENTS_COINS/);
    expect(loadConfig({ ...valid, NOWPAYMENTS_COINS: 'btc:Bitcoin,xrp' }).nowpayments.coins).toEqual([
      { code: 'btc', label: 'Bitcoin' },
      { code: 'xrp', label: 'XRP' },
    ]);
  });
});

describe('marketplace uploads and storage', () => {
  it('defaults: 10 GiB files in 64 MiB parts, abandoned uploads aborted after 2 days, the Mini App on PUBLIC_URL', () => {
    const config = loadConfig({ ...valid, PUBLIC_URL: 'https://shop.example.com/base/' });
    expect(config.uploads).toEqual({ maxBytes: 10 * 2 ** 30, partBytes: 64 * 2 ** 20, review: false });
    expect(config.s3.abortIncompleteAfterDays).toBe(2);
    expect(config.downloads).toEqual({ tokenTtlMs: 5 * 60_000, perHour: 10, delivery: 'stream' });
    expect(config.miniApp.origin).toBe('https://shop.example.com');
    expect(loadConfig(valid).miniApp.origin).toBe('http://127.0.0.1:8080');
  });

  it('reads sizes in bytes or binary units and an explicit origin', () => {
    const config = loadConfig({
      ...valid,
      UPLOAD_MAX_BYTES: '2 GiB',
      UPLOAD_PART_BYTES: '5242880',
      MINIAPP_ORIGIN: 'https://App.Example.com:8443/',
      S3_ABORT_INCOMPLETE_AFTER_DAYS: '7',
      PRODUCT_REVIEW: 'true',
      DOWNLOAD_TOKEN_TTL: '90s',
      DOWNLOADS_PER_HOUR: '3',
      DOWNLOAD_DELIVERY: 'presigned',
    });
    expect(config.downloads).toEqual({ tokenTtlMs: 90_000, perHour: 3, delivery: 'presigned' });
    expect(config.uploads).toEqual({ maxBytes: 2 * 2 ** 30, partBytes: 5 * 2 ** 20, review: true });
    expect(config.miniApp.origin).toBe('https://app.example.com:8443');
    expect(config.s3.abortIncompleteAfterDays).toBe(7);
  });

  it('refuses parts below 5 MiB, sizes beyond S3 limits, more than 10000 parts, a path in the origin', () => {
    expect(problemsOf({ ...valid, UPLOAD_PART_BYTES: '4MiB' })).toEqual([
      expect.stringMatching(/^UPLOAD_PART_BYTES is malformed: expected a size .* from 5MiB/),
    ]);
    expect(problemsOf({ ...valid, UPLOAD_MAX_BYTES: '6TiB' })).toEqual([
      expect.stringMatching(/^UPLOAD_MAX_BYTES is malformed/),
    ]);
    expect(problemsOf({ ...valid, UPLOAD_MAX_BYTES: 'ten gigs' })).toEqual([
      expect.stringMatching(/^UPLOAD_MAX_BYTES is malformed/),
    ]);
    expect(problemsOf({ ...valid, UPLOAD_MAX_BYTES: '100GiB', UPLOAD_PART_BYTES: '5MiB' })).toEqual([
      expect.stringMatching(/^UPLOAD_PART_BYTES is too small for UPLOAD_MAX_BYTES: .*at least 11MiB/),
    ]);
    expect(problemsOf({ ...valid, MINIAPP_ORIGIN: 'https://shop.example.com/app/' })).toEqual([
      expect.stringMatching(/^MINIAPP_ORIGIN is malformed: expected the origin/),
    ]);
    expect(problemsOf({ ...valid, S3_ABORT_INCOMPLETE_AFTER_DAYS: '0' })).toEqual([
      expect.stringMatching(/^S3_ABORT_INCOMPLETE_AFTER_DAYS is malformed/),
    ]);
    expect(problemsOf({ ...valid, DOWNLOAD_TOKEN_TTL: '0s', DOWNLOADS_PER_HOUR: '0' })).toEqual([
      expect.stringMatching(/^DOWNLOAD_TOKEN_TTL is malformed: expected a duration longer than 0/),
      expect.stringMatching(/^DOWNLOADS_PER_HOUR is malformed/),
    ]);
  });
});

describe('email', () => {
  it('defaults: SMTP to Mailpit on 127.0.0.1:1025, Mailjet at its public API without keys', () => {
    expect(loadConfig(valid).email).toEqual({
      transport: 'smtp',
      from: 'tg-commerce <noreply@localhost>',
      smtpUrl: 'smtp://127.0.0.1:1025',
      mailjet: { apiUrl: 'https://api.mailjet.com', apiKey: '', secretKey: '' },
    });
  });

  it('reads Mailjet with its keys, and SMTP with credentials in the URL', () => {
    expect(
      loadConfig({
        ...valid,
        EMAIL_TRANSPORT: 'mailjet',
        EMAIL_FROM: 'Shop <noreply@shop.example.com>',
        MAILJET_API_URL: 'http://127.0.0.1:8090/',
        MAILJET_API_KEY: 'key',
        MAILJET_API_SECRET: 'secret',
      }).email,
    ).toEqual({
      transport: 'mailjet',
      from: 'Shop <noreply@shop.example.com>',
      smtpUrl: 'smtp://127.0.0.1:1025',
      mailjet: { apiUrl: 'http://127.0.0.1:8090', apiKey: 'key', secretKey: 'secret' },
    });
    const config = loadConfig({ ...valid, SMTP_URL: 'smtps://user:pass@smtp.example.com:465', EMAIL_TRANSPORT: 'off' });
    expect(config.email.smtpUrl).toBe('smtps://user:pass@smtp.example.com:465');
    expect(config.email.transport).toBe('off');
  });

  it('needs both Mailjet keys only with EMAIL_TRANSPORT=mailjet; names malformed ones without echoing the SMTP URL', () => {
    expect(problemsOf({ ...valid, EMAIL_TRANSPORT: 'mailjet', MAILJET_API_KEY: 'key' })).toEqual([
      'MAILJET_API_SECRET is missing: expected the Mailjet API credentials (EMAIL_TRANSPORT=mailjet)',
    ]);
    expect(problemsOf({ ...valid, MAILJET_API_KEY: 'key' })).toEqual([]);
    const problems = problemsOf({
      ...valid,
      EMAIL_TRANSPORT: 'sendgrid',
      EMAIL_FROM: 'nobody',
      SMTP_URL: 'http://user:hunter2@mail.example.com',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^EMAIL_TRANSPORT is malformed: expected smtp, mailjet or off/),
      expect.stringMatching(/^EMAIL_FROM is malformed: expected a sender/),
      'SMTP_URL is malformed: expected an smtp:// or smtps:// URL like smtp://user:password@127.0.0.1:1025',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
