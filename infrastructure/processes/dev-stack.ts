/**
 * The whole product on embedded defaults, in one process: Temporal dev server (with Web UI),
 * PostgreSQL (local or embedded), object storage (versitygw, unless S3_ENDPOINT names one), the sandbox standing in for Telegram, CryptoCloud, NOWPayments and Mailjet, the worker,
 * and the api with the bot on its webhook. Used by `npm run dev` and `npm run demo`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../api/app';
import { BOT_ALLOWED_UPDATES, createBot, registerCommandMenu } from '../../bot/bot';
import { loadConfig, type Config } from '../config';
import { createObjectStorage } from '../storage/s3';
import { runMigrations } from '../db/migrate';
import { channels, planChannels, plans } from '../db/schema';
import { createLogger } from '../logger';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { registerSearchAttributes } from '../temporal/client';
import { createWorker } from '../temporal/worker';
import {
  freePort,
  portIsOpen,
  providePostgres,
  startS3Server,
  startTemporalDevServer,
  type RunningService,
} from '../toolchain/services';
import { cacheDir } from '../toolchain/tools';
import { MAILJET_SANDBOX_DEFAULTS } from '../sandbox/mailjet';
import { NOWPAYMENTS_SANDBOX_DEFAULTS } from '../sandbox/nowpayments';
import { devStackSettings, writeDevStackFile } from './dev-stack-file';
import { createRuntime, createWorkerActivities, type Runtime } from './runtime';

/** Sandbox credentials: not secrets, they only open the local emulators. */
export const DEV_DEFAULTS = {
  TELEGRAM_BOT_TOKEN: '100000:dev-sandbox-token-not-secret',
  TELEGRAM_WEBHOOK_SECRET: 'dev-sandbox-webhook-secret',
  CRYPTOCLOUD_API_KEY: 'dev-sandbox-api-key',
  CRYPTOCLOUD_SECRET_KEY: 'dev-sandbox-project-secret',
  CRYPTOCLOUD_SHOP_ID: 'DEVSHOP1',
  ADMIN_IDS: '1000',
};

export const DEMO_CHANNEL = { id: -1001000000001, title: 'Premium Signals (sandbox)' };

export interface DevStack {
  config: Config;
  sandbox: Sandbox;
  apiUrl: string;
  temporalUiUrl: string | undefined;
  runtime: Runtime;
  /** The environment the stack's configuration was read from: another worker started with it joins this stack. */
  env: Record<string, string | undefined>;
  stop(): Promise<void>;
}

/**
 * `ephemeral` (benchmarks, the demo): a fresh database and an in-memory Temporal on free ports, so
 * nothing of the developer's own dev data is touched.
 */
export async function startDevStack(
  options: {
    env?: Record<string, string>;
    log?: (line: string) => void;
    ephemeral?: boolean;
    /** Leave the stack's settings in this file for the ops CLI (`npm run dev`: DEV_STACK_FILE). */
    settingsFile?: string;
  } = {},
): Promise<DevStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const services: RunningService[] = [];
  const stopAll = async () => {
    for (const service of services.reverse()) await service.stop().catch(() => {});
  };
  try {
    const ephemeral = options.ephemeral ?? false;
    const temporalPort = ephemeral || (await portIsOpen(7233)) ? await freePort() : 7233;
    const uiPort = ephemeral || (await portIsOpen(8233)) ? await freePort() : 8233;
    const temporal = await startTemporalDevServer({
      port: temporalPort,
      uiPort,
      dbFile: ephemeral ? undefined : join(cacheDir, 'temporal-dev.db'),
    });
    services.push(temporal);
    const postgres = await providePostgres(ephemeral ? `tg_commerce_run_${process.pid}` : 'tg_commerce', {
      fresh: ephemeral,
      dropOnStop: ephemeral,
    });
    services.push(postgres);
    await runMigrations(postgres.url);

    // Seller uploads: the developer's own S3 when configured, else a local versitygw.
    const external = process.env.S3_ENDPOINT ?? options.env?.S3_ENDPOINT;
    const s3Dir = ephemeral ? mkdtempSync(join(tmpdir(), 'tgc-s3-')) : join(cacheDir, 's3-dev');
    if (ephemeral) services.push({ stop: async () => rmSync(s3Dir, { recursive: true, force: true }) });
    const s3 = external ? undefined : await startS3Server({ dir: s3Dir });
    if (s3) services.push(s3);
    const storageEnv: Record<string, string> = s3
      ? { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey }
      : {};

    const sandboxPort = ephemeral || (await portIsOpen(8090)) ? await freePort() : 8090;
    const sandbox = await startSandbox({
      port: sandboxPort,
      cryptocloud: {
        apiKey: DEV_DEFAULTS.CRYPTOCLOUD_API_KEY,
        secretKey: DEV_DEFAULTS.CRYPTOCLOUD_SECRET_KEY,
        shopId: DEV_DEFAULTS.CRYPTOCLOUD_SHOP_ID,
      },
    });
    services.push({ stop: () => sandbox.close() });
    sandbox.telegram.addChannel(DEMO_CHANNEL);

    const apiPort = ephemeral || (await portIsOpen(8080)) ? await freePort() : 8080;
    // The environment may tune anything (log level, durations, admins); the services and sandbox
    // started here are what this stack talks to, whatever the environment says.
    const env = {
      // The sandbox's Mailjet refuses a sender without a dotted domain, as Mailjet does.
      EMAIL_FROM: 'tg-commerce (sandbox) <noreply@sandbox.example.com>',
      ...DEV_DEFAULTS,
      ...process.env,
      ...options.env,
      TELEGRAM_API_ROOT: sandbox.url,
      CRYPTOCLOUD_API_URL: sandbox.url,
      TELEGRAM_BOT_TOKEN: DEV_DEFAULTS.TELEGRAM_BOT_TOKEN,
      CRYPTOCLOUD_API_KEY: DEV_DEFAULTS.CRYPTOCLOUD_API_KEY,
      CRYPTOCLOUD_SECRET_KEY: DEV_DEFAULTS.CRYPTOCLOUD_SECRET_KEY,
      CRYPTOCLOUD_SHOP_ID: DEV_DEFAULTS.CRYPTOCLOUD_SHOP_ID,
      NOWPAYMENTS_API_URL: `${sandbox.url}/v1`,
      NOWPAYMENTS_API_KEY: NOWPAYMENTS_SANDBOX_DEFAULTS.apiKey,
      NOWPAYMENTS_IPN_SECRET: NOWPAYMENTS_SANDBOX_DEFAULTS.ipnSecret,
      // Email goes to the sandbox's Mailjet emulator (GET /_sandbox/mailjet/messages shows it).
      EMAIL_TRANSPORT: 'mailjet',
      MAILJET_API_URL: sandbox.url,
      MAILJET_API_KEY: MAILJET_SANDBOX_DEFAULTS.apiKey,
      MAILJET_API_SECRET: MAILJET_SANDBOX_DEFAULTS.secretKey,
      TELEGRAM_WEBHOOK_URL: undefined,
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_UI_URL: temporal.uiUrl ?? 'http://127.0.0.1:8233',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      ...storageEnv,
    };
    const config = loadConfig(env);
    const logger = createLogger(config.logLevel, 'dev');
    const runtime = await createRuntime(config, 'dev', logger);
    services.push({ stop: () => runtime.close() });
    await registerSearchAttributes(runtime.temporal.connection, config.temporal.namespace);
    await seedDemoCatalog(runtime.db);
    const storage = createObjectStorage(config.s3, { logger });
    await storage.setupBucket({ corsOrigins: [config.miniApp.origin].filter(Boolean) });
    storage.close();

    const { worker, connection } = await createWorker({
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      activities: createWorkerActivities(runtime),
      logger: runtime.logger,
    });
    const running = worker.run();
    services.push({
      stop: async () => {
        worker.shutdown();
        await running;
        await connection.close();
      },
    });

    const bot = createBot({ config, db: runtime.db, sql: runtime.sql, commands: runtime.commands, logger });
    const app = await buildApp({ config, runtime, logger, bot });
    const apiUrl = await app.listen({ host: config.api.host, port: config.api.port });
    services.push({ stop: () => app.close() });
    sandbox.cryptocloud.setNotifyUrl(`${apiUrl}/cryptocloud_webhook`);
    await bot.init();
    await bot.api.setWebhook(`${apiUrl}/telegram_webhook`, {
      secret_token: config.telegram.webhookSecret,
      allowed_updates: [...BOT_ALLOWED_UPDATES],
    });
    await registerCommandMenu(bot);

    if (options.settingsFile) {
      try {
        const remove = writeDevStackFile(
          devStackSettings(config),
          [`api ${apiUrl}`, `sandbox ${sandbox.url}`],
          options.settingsFile,
        );
        // Stopped first (services stop in reverse): no tool is pointed at a stack on its way down.
        services.push({ stop: async () => remove() });
      } catch (error) {
        // A read-only checkout still gets a running stack; only the ops CLI then needs DATABASE_URL.
        log(`(could not write ${options.settingsFile}: ${error instanceof Error ? error.message : String(error)})`);
      }
    }

    log(`api          ${apiUrl}   (health: ${apiUrl}/health)`);
    log(`temporal     ${temporal.address}`);
    log(`temporal UI  ${config.temporal.uiUrl}`);
    log(`sandbox      ${sandbox.url}   (control API: ${sandbox.url}/_sandbox/…; Telegram and CryptoCloud stand-ins)`);
    log(`postgres     ${postgres.url.replace(/\/\/[^@]*@/, '//…@')}`);
    return { config, sandbox, apiUrl, temporalUiUrl: config.temporal.uiUrl, runtime, env, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A plan and a channel so a fresh machine has something to sell; kept as they are once present. */
async function seedDemoCatalog(db: Awaited<ReturnType<typeof createRuntime>>['db']): Promise<void> {
  await db.insert(channels).values(DEMO_CHANNEL).onConflictDoNothing();
  await db
    .insert(plans)
    .values([
      {
        id: 'monthly',
        title: 'Monthly',
        priceMinor: 1500n,
        currency: 'USD',
        // Telegram requires digital goods in bots to be payable in Stars.
        priceStars: 750,
        durationSeconds: 30 * 86_400,
        trialSeconds: 3 * 86_400,
        sortOrder: 1,
      },
      {
        id: 'yearly',
        title: 'Yearly',
        priceMinor: 12000n,
        currency: 'USD',
        priceStars: 6000,
        durationSeconds: 365 * 86_400,
        sortOrder: 2,
      },
    ])
    .onConflictDoNothing();
  await db
    .insert(planChannels)
    .values([
      { planId: 'monthly', channelId: DEMO_CHANNEL.id },
      { planId: 'yearly', channelId: DEMO_CHANNEL.id },
    ])
    .onConflictDoNothing();
}
