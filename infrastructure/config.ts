/**
 * The one configuration module of every process. Every variable is read here, validated, and
 * documented in .env.example; a missing or malformed one stops start-up with a message naming the
 * variable and what it expects. Secret values are never echoed back.
 */
import { parseDuration, parseDurationList } from '../domain/duration';
import { isRail, RAILS, type Rail } from '../domain/rail';

export interface Config {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  api: { host: string; port: number; publicUrl: string; maxBodyBytes: number; trustProxy: string };
  telegram: {
    botToken: string;
    apiRoot: string;
    webhookSecret: string;
    /** When set, the api registers this URL with setWebhook at start; otherwise run the bot process. */
    webhookUrl: string | undefined;
    adminIds: number[];
    maxRetryAttempts: number;
    maxRetryDelaySeconds: number;
  };
  cryptocloud: {
    apiUrl: string;
    apiKey: string;
    secretKey: string;
    shopId: string;
    /** Price currencies the gateway can settle; an invoice for another currency is refused. */
    currencies: string[];
  };
  /** The rails offered to users: listed in PAYMENT_RAILS and configured (a rail without keys is off). */
  rails: Rail[];
  nowpayments: {
    apiUrl: string;
    /** Empty when unset: the rail is then off. */
    apiKey: string;
    ipnSecret: string;
    /** Price currencies NOWPayments settles for us. */
    currencies: string[];
    /** Coins users may pick: NOWPayments code (e.g. `usdttrc20`) and the label shown. */
    coins: Array<{ code: string; label: string }>;
    /** Also fulfil on `confirmed` (before NOWPayments forwards the coins), not only on `finished`. */
    fulfilOnConfirmed: boolean;
  };
  s3: {
    endpoint: string | undefined;
    region: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    /** The bucket's lifecycle rule aborts multipart uploads left incomplete this many days. */
    abortIncompleteAfterDays: number;
  };
  /** Seller uploads, browser → storage by presigned multipart URLs. */
  uploads: {
    /** The largest file a seller may upload. */
    maxBytes: number;
    /** The size of each part but the last (R2 wants equal parts); at least 5 MiB, S3's minimum. */
    partBytes: number;
    /** New and edited products wait for an admin's approval before buyers see them. */
    review: boolean;
  };
  /** Buyers' downloads through GET /download/:token. */
  downloads: {
    /** How long a download token may be claimed, and a claimed download resumed with Range requests. */
    tokenTtlMs: number;
    /** Downloads a buyer may start in any sliding hour. */
    perHour: number;
    /**
     * `stream`: the api streams the file. `presigned`: after the same checks the api redirects to a
     * short-lived presigned GET, for a CDN in front of the bucket.
     */
    delivery: 'stream' | 'presigned';
  };
  /** Marketplace orders and their deliveries (workflows/order.ts, workflows/delivery.ts). */
  orders: {
    /** Remind a buyer once who has not downloaded their purchase this long after delivery. */
    downloadReminderMs: number;
    /** Files up to this size also come as a document in the chat (the Bot API takes 50 MB uploads). */
    maxDocumentBytes: number;
    /** Tries at a delivery message (Telegram 429s and 5xx retried with backoff) before it shows failed. */
    deliveryAttempts: number;
    /** A paid sale is held in escrow this long (a refund in that time gives it back), then released to the seller. */
    escrowHoldMs: number;
    /** The platform's commission on every sale, in basis points of the price (1000 = 10 %). */
    feeBps: number;
    /** Admins are reminded this often while a buyer's dispute waits for their decision. */
    disputeReminderEveryMs: number;
  };
  /** The Mini App pages Telegram opens (seller uploads, downloads) and their API. */
  miniApp: {
    /** Their origin: the only one the api's and the bucket's CORS rules allow. */
    origin: string;
    /** How long after Telegram issued it (`auth_date`) a Mini App's initData is accepted; whole seconds. */
    initDataMaxAgeMs: number;
  };
  invoice: {
    /** How long an invoice may be paid. */
    ttlMs: number;
    /** Gateway status checks, as offsets from the invoice's creation (e.g. 1, 2, 5, 10, 20, 30 min). */
    reconcileAtMs: number[];
    /** After the last offset, check this often until the invoice settles or the late-payment window closes. */
    reconcileEveryMs: number;
    /** After expiry, how long a late payment is still looked for. */
    latePaymentWindowMs: number;
    /** Short re-checks after a failed status check or an unconfirmed signed postback. */
    recheckBackoffMs: number[];
    /** Tell admins once when the gateway's status API has failed this long for an invoice. */
    gatewayOutageAlertMs: number;
  };
  subscription: { reminderOffsetsMs: number[]; gracePeriodMs: number; removalDryRun: boolean };
  /** A referrer's commission is held this long after the payment (refunds reverse it), then available. */
  referral: { holdMs: number };
  payout: {
    /** The smallest payout of a referrer, in minor units of the payout currency. */
    minimumMinor: bigint;
    /** The smallest payout of a seller's sales balance, in minor units of the payout currency. */
    sellerMinimumMinor: bigint;
    /** Admins are reminded this often while a payout request waits for them. */
    reminderEveryMs: number;
  };
  /** Admin resolution of money an invoice could not settle (needs_review, late_paid, overpaid). */
  resolution: {
    /** Admins are reminded this often while a case waits for a decision (or a refund for its payout). */
    reminderEveryMs: number;
  };
  /** The worker's own Prometheus endpoint (activations, removals, Telegram errors); off when unset. */
  worker: {
    metricsHost: string;
    metricsPort: number | undefined;
    /** Workflows kept in the worker's memory between tasks; others are replayed from history when they wake. */
    maxCachedWorkflows: number;
  };
  /** Outgoing email (infrastructure/email/): over SMTP, Mailjet's Send API, or off. */
  email: {
    transport: EmailTransport;
    /** The sender, `Name <address>` or a bare address. */
    from: string;
    /** `smtp://` or `smtps://`, credentials in the URL when the server wants them. */
    smtpUrl: string;
    mailjet: { apiUrl: string; apiKey: string; secretKey: string };
  };
}

export const EMAIL_TRANSPORTS = ['smtp', 'mailjet', 'off'] as const;
export type EmailTransport = (typeof EMAIL_TRANSPORTS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

interface Spec<T> {
  expects: string;
  default?: string;
  secret?: boolean;
  parse?: (raw: string) => T;
}

class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly notNeeded: ReadonlySet<string> = new Set(),
  ) {}

  optional<T = string>(name: string, spec: Spec<T>): T | undefined {
    const raw = this.env[name]?.trim() || spec.default;
    if (raw === undefined || raw === '') return undefined;
    try {
      return spec.parse ? spec.parse(raw) : (raw as T);
    } catch (error) {
      const got = spec.secret ? '' : ` (got "${raw}"${error instanceof Error ? `: ${error.message}` : ''})`;
      this.problems.push(`${name} is malformed: expected ${spec.expects}${got}`);
      return undefined;
    }
  }

  /** Missing: a problem, unless the process said it does not need it (then the empty string). */
  required(name: string, spec: Spec<string>): string {
    const value = this.optional(name, spec);
    if (value === undefined && this.notNeeded.has(name)) return '';
    if (value === undefined && !this.problems.some((p) => p.startsWith(`${name} `))) {
      this.problems.push(`${name} is missing: expected ${spec.expects}`);
    }
    return value as string;
  }
}

const integer = (min: number, max: number) => (raw: string) => {
  if (!/^\d+$/.test(raw)) throw new Error('not an integer');
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`out of range ${min}..${max}`);
  return value;
};
const boolean = (raw: string) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error('not a boolean');
};
const url = (raw: string) => new URL(raw).toString().replace(/\/$/, '');
/** `https://app.example.com` (scheme, host and port only, as browsers send it in Origin). */
const origin = (raw: string) => {
  const parsed = new URL(raw);
  if (!/^https?:$/.test(parsed.protocol) || parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username)
    throw new Error('not an origin (scheme://host[:port], no path)');
  return parsed.origin;
};
const BYTE_UNITS: Record<string, number> = { '': 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
/** A size in bytes, or with a binary unit: `65536`, `64MiB`, `10 GiB`. */
const byteSize = (min: number, max: number) => (raw: string) => {
  const match = /^(\d{1,16})\s*(kib|mib|gib|tib)?$/i.exec(raw);
  if (!match) throw new Error('not a size');
  const bytes = Number(match[1]) * BYTE_UNITS[(match[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) throw new Error(`out of range ${min}..${max} bytes`);
  return bytes;
};
const MIB = 2 ** 20;
/** S3's multipart limits: parts of 5 MiB to 5 GiB, at most 10,000 of them; objects up to 5 TiB. */
const S3_MIN_PART_BYTES = 5 * MIB;
const S3_MAX_PART_BYTES = 5 * 2 ** 30;
const S3_MAX_PARTS = 10_000;
const S3_MAX_OBJECT_BYTES = 5 * 2 ** 40;
/** `Shop <noreply@shop.example.com>` or `noreply@shop.example.com`. */
const mailbox = (raw: string) => {
  if (!/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(raw)) throw new Error('not an address');
  return raw;
};
const smtpUrl = (raw: string) => {
  const parsed = new URL(raw);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new Error('not smtp:// or smtps://');
  if (!parsed.hostname) throw new Error('no host');
  return raw;
};
const matching = (pattern: RegExp) => (raw: string) => {
  if (!pattern.test(raw)) throw new Error(`does not match ${pattern}`);
  return raw;
};
const idList = (raw: string) =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      if (!/^-?\d+$/.test(part)) throw new Error(`"${part}" is not a Telegram id`);
      return Number(part);
    });
const currencyList = (value: string) => {
  const codes = value
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  if (codes.length === 0 || !codes.every((code) => /^[A-Z]{3}$/.test(code)))
    throw new Error('not a list of 3-letter codes');
  return codes;
};
const railList = (value: string) => {
  const rails = value
    .split(',')
    .map((rail) => rail.trim().toLowerCase())
    .filter(Boolean);
  const unknown = rails.filter((rail) => !isRail(rail));
  if (unknown.length > 0) throw new Error(`unknown rail ${unknown.join(', ')}; rails are ${RAILS.join(', ')}`);
  return rails as Rail[];
};
/** `btc:BTC,usdttrc20:USDT (TRC20)`: NOWPayments codes with the label users see. */
const coinList = (value: string) => {
  const coins = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [code = '', ...label] = part.split(':');
      if (!/^[a-z0-9]{2,20}$/.test(code)) throw new Error(`"${code}" is not a NOWPayments coin code`);
      return { code, label: label.join(':').trim() || code.toUpperCase() };
    });
  if (coins.length === 0) throw new Error('empty list');
  return coins;
};
const positiveMinor = (raw: string) => {
  if (!/^\d{1,18}$/.test(raw) || BigInt(raw) <= 0n) throw new Error('not a positive integer');
  return BigInt(raw);
};
const positiveDuration = (raw: string) => {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new Error('must be longer than 0');
  return ms;
};
/** initData's age is checked in whole seconds, and 0 would switch the check off. */
const wholeSecondsDuration = (raw: string) => {
  const ms = parseDuration(raw);
  if (ms < 1000 || ms % 1000 !== 0) throw new Error('must be whole seconds, at least 1s');
  return ms;
};
/** Every duration in the list drives a timer, so none may be 0. */
const positiveDurationList = (raw: string) => {
  const list = parseDurationList(raw);
  if (list.length === 0) throw new Error('empty list');
  if (list.some((ms) => ms <= 0)) throw new Error('every duration must be longer than 0');
  return list;
};

/**
 * What only the processes that talk to Telegram and the gateway themselves need (api, bot, worker).
 * The ops CLI acts through Temporal and the database, so it loads the configuration without them.
 */
export const PROVIDER_CREDENTIALS = [
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'CRYPTOCLOUD_API_KEY',
  'CRYPTOCLOUD_SECRET_KEY',
  'CRYPTOCLOUD_SHOP_ID',
] as const;

/**
 * `notNeeded`: required variables this process never uses; when missing they are '' instead of a
 * problem (when given, they are still validated).
 */
export function loadConfig(env: Env = process.env, options: { notNeeded?: readonly string[] } = {}): Config {
  const notNeeded = new Set(options.notNeeded);
  const read = new Reader(env, notNeeded);
  const listed =
    read.optional('PAYMENT_RAILS', {
      expects: `comma-separated rails from ${RAILS.join(', ')}`,
      default: RAILS.join(','),
      parse: railList,
    }) ?? [];
  // A rail that is off needs no keys.
  if (!listed.includes('cryptocloud'))
    for (const name of ['CRYPTOCLOUD_API_KEY', 'CRYPTOCLOUD_SECRET_KEY', 'CRYPTOCLOUD_SHOP_ID']) notNeeded.add(name);
  const nodeEnv =
    read.optional('NODE_ENV', {
      expects: 'development, test or production',
      default: 'development',
      parse: (raw) => {
        if (raw !== 'development' && raw !== 'test' && raw !== 'production') throw new Error('unknown environment');
        return raw;
      },
    }) ?? 'development';

  const apiPort =
    read.optional('API_PORT', { expects: 'a TCP port', default: '8080', parse: integer(1, 65535) }) ?? 8080;
  const config: Config = {
    env: nodeEnv,
    logLevel:
      read.optional('LOG_LEVEL', {
        expects: 'trace, debug, info, warn, error or fatal',
        default: 'info',
        parse: matching(/^(trace|debug|info|warn|error|fatal|silent)$/),
      }) ?? 'info',
    databaseUrl: read.required('DATABASE_URL', {
      expects: 'a PostgreSQL URL like postgres://user@127.0.0.1:5432/tg_commerce',
      secret: true,
      parse: matching(/^postgres(ql)?:\/\/.+/),
    }),
    temporal: {
      address:
        read.optional('TEMPORAL_ADDRESS', {
          expects: 'host:port of the Temporal frontend',
          default: '127.0.0.1:7233',
          parse: matching(/^[\w.-]+:\d+$/),
        }) ?? '',
      namespace:
        read.optional('TEMPORAL_NAMESPACE', { expects: 'a Temporal namespace', default: 'default' }) ?? 'default',
      taskQueue:
        read.optional('TEMPORAL_TASK_QUEUE', { expects: 'a task queue name', default: 'tg-commerce' }) ?? 'tg-commerce',
      uiUrl:
        read.optional('TEMPORAL_UI_URL', {
          expects: 'the Temporal Web UI URL',
          default: 'http://127.0.0.1:8233',
          parse: url,
        }) ?? '',
    },
    api: {
      host:
        read.optional('API_HOST', { expects: 'an interface address to listen on', default: '127.0.0.1' }) ??
        '127.0.0.1',
      port: apiPort,
      publicUrl:
        read.optional('PUBLIC_URL', {
          expects: 'the public https URL of the api (for webhooks and links)',
          default: `http://127.0.0.1:${apiPort}`,
          parse: url,
        }) ?? '',
      maxBodyBytes:
        read.optional('API_MAX_BODY_BYTES', {
          expects: 'a body size limit in bytes',
          default: '65536',
          parse: integer(1024, 10_485_760),
        }) ?? 65536,
      trustProxy:
        read.optional('API_TRUST_PROXY', {
          expects: 'comma-separated addresses or CIDRs of the reverse proxy',
          default: '127.0.0.1',
          parse: matching(/^[\d.:/a-fA-F, ]+$/),
        }) ?? '127.0.0.1',
    },
    telegram: {
      botToken: read.required('TELEGRAM_BOT_TOKEN', {
        expects: 'the bot token from @BotFather, like 123456789:AA...',
        secret: true,
        parse: matching(/^\d+:[\w-]{10,}$/),
      }),
      apiRoot:
        read.optional('TELEGRAM_API_ROOT', {
          expects: 'the Bot API base URL without trailing slash',
          default: 'https://api.telegram.org',
          parse: url,
        }) ?? '',
      webhookSecret: read.required('TELEGRAM_WEBHOOK_SECRET', {
        expects: '1-256 characters of A-Z, a-z, 0-9, _ and -',
        secret: true,
        parse: matching(/^[\w-]{1,256}$/),
      }),
      webhookUrl: read.optional('TELEGRAM_WEBHOOK_URL', {
        expects: 'the public https URL Telegram posts updates to',
        parse: url,
      }),
      adminIds:
        read.optional('ADMIN_IDS', { expects: 'comma-separated Telegram user ids', default: '', parse: idList }) ?? [],
      maxRetryAttempts:
        read.optional('TELEGRAM_MAX_RETRY_ATTEMPTS', {
          expects: 'a number of retries',
          default: '3',
          parse: integer(0, 20),
        }) ?? 3,
      maxRetryDelaySeconds:
        read.optional('TELEGRAM_MAX_RETRY_DELAY_SECONDS', {
          expects: 'the longest retry_after to wait, in seconds',
          default: '4',
          parse: integer(1, 3600),
        }) ?? 4,
    },
    cryptocloud: {
      apiUrl:
        read.optional('CRYPTOCLOUD_API_URL', {
          expects: 'the CryptoCloud API base URL',
          default: 'https://api.cryptocloud.plus',
          parse: url,
        }) ?? '',
      apiKey: read.required('CRYPTOCLOUD_API_KEY', {
        expects: 'the CryptoCloud API key (Authorization: Token)',
        secret: true,
      }),
      secretKey: read.required('CRYPTOCLOUD_SECRET_KEY', {
        expects: 'the CryptoCloud project secret that signs postbacks',
        secret: true,
      }),
      shopId: read.required('CRYPTOCLOUD_SHOP_ID', { expects: 'the CryptoCloud shop id' }),
      currencies:
        read.optional('CRYPTOCLOUD_CURRENCIES', {
          expects: 'comma-separated ISO currency codes like USD,EUR,RUB',
          default: 'USD,EUR,RUB,GBP',
          parse: currencyList,
        }) ?? [],
    },
    rails: [],
    nowpayments: {
      apiUrl:
        read.optional('NOWPAYMENTS_API_URL', {
          expects: 'the NOWPayments API base URL including /v1',
          default: 'https://api.nowpayments.io/v1',
          parse: url,
        }) ?? '',
      apiKey: read.optional('NOWPAYMENTS_API_KEY', { expects: 'the NOWPayments API key', secret: true }) ?? '',
      ipnSecret:
        read.optional('NOWPAYMENTS_IPN_SECRET', {
          expects: 'the NOWPayments IPN secret key',
          secret: true,
        }) ?? '',
      currencies:
        read.optional('NOWPAYMENTS_CURRENCIES', {
          expects: 'comma-separated ISO price currencies like USD,EUR',
          default: 'USD,EUR',
          parse: currencyList,
        }) ?? [],
      coins:
        read.optional('NOWPAYMENTS_COINS', {
          expects: 'comma-separated code:label pairs like btc:BTC,usdttrc20:USDT (TRC20)',
          default: 'btc:BTC,eth:ETH,sol:SOL,usdttrc20:USDT (TRC20),usdcsol:USDC (Solana)',
          parse: coinList,
        }) ?? [],
      fulfilOnConfirmed:
        read.optional('NOWPAYMENTS_FULFIL_ON_CONFIRMED', {
          expects: 'true or false',
          default: 'false',
          parse: boolean,
        }) ?? false,
    },
    s3: {
      endpoint: read.optional('S3_ENDPOINT', { expects: 'the S3-compatible endpoint URL', parse: url }),
      region: read.optional('S3_REGION', { expects: 'an S3 region', default: 'us-east-1' }) ?? 'us-east-1',
      bucket:
        read.optional('S3_BUCKET', {
          expects: 'a bucket name',
          default: 'tg-commerce',
          parse: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
        }) ?? 'tg-commerce',
      accessKeyId:
        read.optional('S3_ACCESS_KEY_ID', { expects: 'the S3 access key id', default: '', secret: true }) ?? '',
      secretAccessKey:
        read.optional('S3_SECRET_ACCESS_KEY', { expects: 'the S3 secret key', default: '', secret: true }) ?? '',
      forcePathStyle:
        read.optional('S3_FORCE_PATH_STYLE', { expects: 'true or false', default: 'true', parse: boolean }) ?? true,
      abortIncompleteAfterDays:
        read.optional('S3_ABORT_INCOMPLETE_AFTER_DAYS', {
          expects: 'a whole number of days from 1 to 365',
          default: '2',
          parse: integer(1, 365),
        }) ?? 2,
    },
    uploads: {
      maxBytes:
        read.optional('UPLOAD_MAX_BYTES', {
          expects: "a size in bytes, or with KiB, MiB, GiB or TiB, from 1MiB to 5TiB (S3's largest object)",
          default: '10GiB',
          parse: byteSize(MIB, S3_MAX_OBJECT_BYTES),
        }) ?? 10 * 2 ** 30,
      partBytes:
        read.optional('UPLOAD_PART_BYTES', {
          expects: "a size in bytes, or with KiB, MiB or GiB, from 5MiB to 5GiB (S3's part limits)",
          default: '64MiB',
          parse: byteSize(S3_MIN_PART_BYTES, S3_MAX_PART_BYTES),
        }) ?? 64 * MIB,
      review: read.optional('PRODUCT_REVIEW', { expects: 'true or false', default: 'false', parse: boolean }) ?? false,
    },
    downloads: {
      tokenTtlMs:
        read.optional('DOWNLOAD_TOKEN_TTL', {
          expects: 'a duration longer than 0 like 5m',
          default: '5m',
          parse: positiveDuration,
        }) ?? 0,
      perHour:
        read.optional('DOWNLOADS_PER_HOUR', {
          expects: 'a whole number of downloads from 1 to 10000',
          default: '10',
          parse: integer(1, 10_000),
        }) ?? 10,
      delivery:
        (read.optional('DOWNLOAD_DELIVERY', {
          expects: 'stream or presigned',
          default: 'stream',
          parse: matching(/^(stream|presigned)$/),
        }) as 'stream' | 'presigned' | undefined) ?? 'stream',
    },
    orders: {
      downloadReminderMs:
        read.optional('ORDER_DOWNLOAD_REMINDER', {
          expects: 'a duration longer than 0 like 24h',
          default: '24h',
          parse: positiveDuration,
        }) ?? 0,
      maxDocumentBytes:
        read.optional('ORDER_DOCUMENT_MAX_MB', {
          expects: 'a whole number of megabytes from 0 to 2000 (0: never send the file itself)',
          default: '50',
          parse: (raw) => integer(0, 2000)(raw) * MIB,
        }) ?? 50 * MIB,
      deliveryAttempts:
        read.optional('ORDER_DELIVERY_ATTEMPTS', {
          expects: 'a whole number of tries from 1 to 100',
          default: '10',
          parse: integer(1, 100),
        }) ?? 10,
      escrowHoldMs:
        // 0 is allowed: a sale is released at once.
        read.optional('ESCROW_HOLD', {
          expects: 'a duration like 24h (0 for none)',
          default: '24h',
          parse: parseDuration,
        }) ?? 0,
      feeBps:
        read.optional('MARKETPLACE_FEE_BPS', {
          expects: 'a whole number of basis points from 0 to 10000 (1000 = 10 %)',
          default: '1000',
          parse: integer(0, 10_000),
        }) ?? 1000,
      disputeReminderEveryMs:
        read.optional('DISPUTE_REMINDER_EVERY', {
          expects: 'a duration longer than 0 like 12h',
          default: '12h',
          parse: positiveDuration,
        }) ?? 0,
    },
    miniApp: {
      origin: '',
      initDataMaxAgeMs:
        read.optional('MINIAPP_INIT_DATA_MAX_AGE', {
          expects: 'a duration in whole seconds, at least 1s, like 1h',
          default: '1h',
          parse: wholeSecondsDuration,
        }) ?? 0,
    },
    invoice: {
      ttlMs:
        read.optional('INVOICE_TTL', {
          expects: 'a duration longer than 0 like 60m',
          default: '60m',
          parse: positiveDuration,
        }) ?? 0,
      reconcileAtMs:
        read.optional('INVOICE_RECONCILE_SCHEDULE', {
          expects: 'comma-separated offsets (each longer than 0) from invoice creation like 1m,2m,5m,10m,20m,30m',
          default: '1m,2m,5m,10m,20m,30m',
          parse: positiveDurationList,
        }) ?? [],
      reconcileEveryMs:
        read.optional('INVOICE_RECONCILE_EVERY', {
          expects: 'a duration longer than 0 like 1h',
          default: '1h',
          parse: positiveDuration,
        }) ?? 0,
      latePaymentWindowMs:
        // 0 is allowed: no late payment is looked for after expiry.
        read.optional('INVOICE_LATE_PAYMENT_WINDOW', {
          expects: 'a duration like 24h (0 for none)',
          default: '24h',
          parse: parseDuration,
        }) ?? 0,
      recheckBackoffMs:
        read.optional('INVOICE_RECHECK_BACKOFF', {
          expects: 'comma-separated delays longer than 0 like 2s,5s,15s,1m',
          default: '2s,5s,15s,1m',
          parse: positiveDurationList,
        }) ?? [],
      gatewayOutageAlertMs:
        read.optional('INVOICE_GATEWAY_OUTAGE_ALERT', {
          expects: 'a duration longer than 0 like 10m',
          default: '10m',
          parse: positiveDuration,
        }) ?? 0,
    },
    subscription: {
      reminderOffsetsMs:
        read.optional('SUBSCRIPTION_REMINDERS', {
          expects: 'comma-separated durations (each longer than 0) before expiry like 3d,1d',
          default: '3d,1d',
          parse: positiveDurationList,
        }) ?? [],
      gracePeriodMs:
        // 0 is allowed: access ends at expiry.
        read.optional('SUBSCRIPTION_GRACE_PERIOD', {
          expects: 'a duration like 1d (0 for none)',
          default: '1d',
          parse: parseDuration,
        }) ?? 0,
      removalDryRun:
        read.optional('REMOVAL_DRY_RUN', { expects: 'true or false', default: 'false', parse: boolean }) ?? false,
    },
    referral: {
      holdMs:
        // 0 is allowed: a commission is available at once.
        read.optional('REFERRAL_HOLD', {
          expects: 'a duration like 7d (0 for none)',
          default: '7d',
          parse: parseDuration,
        }) ?? 0,
    },
    payout: {
      minimumMinor:
        read.optional('PAYOUT_MINIMUM_MINOR', {
          expects: 'a positive amount in minor units like 1000 (10.00 USD)',
          default: '1000',
          parse: positiveMinor,
        }) ?? 1000n,
      sellerMinimumMinor:
        read.optional('SELLER_PAYOUT_MINIMUM_MINOR', {
          expects: 'a positive amount in minor units like 1000 (10.00 USD)',
          default: '1000',
          parse: positiveMinor,
        }) ?? 1000n,
      reminderEveryMs:
        read.optional('PAYOUT_REMINDER_EVERY', {
          expects: 'a duration longer than 0 like 12h',
          default: '12h',
          parse: positiveDuration,
        }) ?? 0,
    },
    resolution: {
      reminderEveryMs:
        read.optional('RESOLUTION_REMINDER_EVERY', {
          expects: 'a duration like 12h',
          default: '12h',
          parse: positiveDuration,
        }) ?? 0,
    },
    worker: {
      metricsHost:
        read.optional('WORKER_METRICS_HOST', { expects: 'an interface address to listen on', default: '127.0.0.1' }) ??
        '127.0.0.1',
      metricsPort: read.optional('WORKER_METRICS_PORT', { expects: 'a TCP port', parse: integer(1, 65535) }),
      maxCachedWorkflows:
        read.optional('WORKER_MAX_CACHED_WORKFLOWS', {
          expects: 'a whole number of workflows from 1 to 100000',
          default: '1000',
          parse: integer(1, 100_000),
        }) ?? 1000,
    },
    email: {
      transport:
        (read.optional('EMAIL_TRANSPORT', {
          expects: 'smtp, mailjet or off',
          default: 'smtp',
          parse: matching(/^(smtp|mailjet|off)$/),
        }) as EmailTransport | undefined) ?? 'smtp',
      from:
        read.optional('EMAIL_FROM', {
          expects: 'a sender like "Shop <noreply@shop.example.com>" or noreply@shop.example.com',
          default: 'tg-commerce <noreply@localhost>',
          parse: mailbox,
        }) ?? '',
      smtpUrl:
        // Secret: the URL may carry the SMTP password.
        read.optional('SMTP_URL', {
          expects: 'an smtp:// or smtps:// URL like smtp://user:password@127.0.0.1:1025',
          default: 'smtp://127.0.0.1:1025',
          secret: true,
          parse: smtpUrl,
        }) ?? '',
      mailjet: {
        apiUrl:
          read.optional('MAILJET_API_URL', {
            expects: 'the Mailjet API base URL (without /v3.1)',
            default: 'https://api.mailjet.com',
            parse: url,
          }) ?? '',
        apiKey: read.optional('MAILJET_API_KEY', { expects: 'the Mailjet API key', secret: true }) ?? '',
        secretKey: read.optional('MAILJET_API_SECRET', { expects: 'the Mailjet API secret key', secret: true }) ?? '',
      },
    },
  };
  if (config.email.transport === 'mailjet')
    for (const [name, value] of [
      ['MAILJET_API_KEY', config.email.mailjet.apiKey],
      ['MAILJET_API_SECRET', config.email.mailjet.secretKey],
    ] as const)
      if (!value)
        read.problems.push(`${name} is missing: expected the Mailjet API credentials (EMAIL_TRANSPORT=mailjet)`);
  const configured: Record<Rail, boolean> = {
    cryptocloud: Boolean(config.cryptocloud.apiKey && config.cryptocloud.shopId),
    // Without an IPN secret NOWPayments sends no IPN at all, and ours could not be verified.
    nowpayments: Boolean(config.nowpayments.apiKey && config.nowpayments.ipnSecret),
    // Stars need no provider token: the bot token is enough.
    stars: true,
  };
  config.rails = listed.filter((rail) => configured[rail]);
  config.miniApp.origin =
    read.optional('MINIAPP_ORIGIN', {
      expects: 'the origin the Mini App pages are served from, like https://shop.example.com (no path)',
      // The pages are served by the api under /miniapp/.
      default: config.api.publicUrl ? new URL(config.api.publicUrl).origin : undefined,
      parse: origin,
    }) ?? '';
  if (Math.ceil(config.uploads.maxBytes / config.uploads.partBytes) > S3_MAX_PARTS)
    read.problems.push(
      `UPLOAD_PART_BYTES is too small for UPLOAD_MAX_BYTES: a largest file would need more than ${S3_MAX_PARTS} parts (S3's limit); use parts of at least ${Math.ceil(config.uploads.maxBytes / S3_MAX_PARTS / MIB)}MiB`,
    );
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** Loads `.env` from the working directory when present (the process environment wins). */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** An address under the api's PUBLIC_URL (a path in it is kept): links in messages and Mini App answers. */
export function publicLink(publicUrl: string, path: string): string {
  return new URL(path, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).toString();
}
