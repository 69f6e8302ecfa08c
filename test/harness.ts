/**
 * The whole product in-process for end-to-end tests: the sandbox (Telegram + CryptoCloud), the api
 * with the bot on its webhook, and a worker on its own task queue, against the real Temporal dev
 * server and PostgreSQL started by the global setup. Durations are seconds, not days.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { buildApp } from '../api/app';
import { createBot } from '../bot/bot';
import { loadConfig, type Config } from '../infrastructure/config';
import { channels, planChannels, plans, users } from '../infrastructure/db/schema';
import { createLogger } from '../infrastructure/logger';
import { createRuntime, createWorkerActivities, type Runtime } from '../infrastructure/processes/runtime';
import { startSandbox, type Sandbox } from '../infrastructure/sandbox/server';
import { createWorker } from '../infrastructure/temporal/worker';
import { freePort } from '../infrastructure/toolchain/services';
import { createObjectStorage } from '../infrastructure/storage/s3';

export const TEST_SECRETS = {
  TELEGRAM_BOT_TOKEN: '424242:sandbox-test-token-abcdef',
  TELEGRAM_WEBHOOK_SECRET: 'test-webhook-secret',
  CRYPTOCLOUD_API_KEY: 'cc-test-api-key',
  CRYPTOCLOUD_SECRET_KEY: 'cc-test-project-secret',
  CRYPTOCLOUD_SHOP_ID: 'SHOP1234',
  NOWPAYMENTS_API_KEY: 'np-test-api-key',
  NOWPAYMENTS_IPN_SECRET: 'np-test-ipn-secret',
};

/** Environment for a test process; every name is a real configuration variable. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    ...TEST_SECRETS,
    INVOICE_TTL: '30s',
    INVOICE_RECONCILE_SCHEDULE: '3s,6s',
    INVOICE_RECONCILE_EVERY: '5s',
    INVOICE_LATE_PAYMENT_WINDOW: '20s',
    INVOICE_RECHECK_BACKOFF: '1s,1s,2s',
    INVOICE_GATEWAY_OUTAGE_ALERT: '3s',
    SUBSCRIPTION_REMINDERS: '4s,2s',
    SUBSCRIPTION_GRACE_PERIOD: '3s',
    TELEGRAM_MAX_RETRY_DELAY_SECONDS: '4',
    ...overrides,
  };
}

export interface Stack {
  config: Config;
  sandbox: Sandbox;
  runtime: Runtime;
  apiUrl: string;
  /** A fresh plan with its own channel(s), unique to this test. */
  createPlan(options?: {
    priceMinor?: bigint;
    currency?: string;
    durationSeconds?: number;
    trialSeconds?: number;
    /** Whole Stars; null (the default): not sold for Stars. */
    priceStars?: number | null;
    channelCount?: number;
    title?: string;
  }): Promise<{ planId: string; channelIds: number[] }>;
  /** A Telegram user id no other test uses. */
  newUserId(): number;
  /** Registers a user as the bot would after /start with terms accepted. */
  addUser(userId: number, fields?: Partial<typeof users.$inferInsert>): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(overrides: Record<string, string> = {}): Promise<Stack> {
  const sandbox = await startSandbox({
    cryptocloud: {
      apiKey: TEST_SECRETS.CRYPTOCLOUD_API_KEY,
      secretKey: TEST_SECRETS.CRYPTOCLOUD_SECRET_KEY,
      shopId: TEST_SECRETS.CRYPTOCLOUD_SHOP_ID,
    },
    nowpayments: { apiKey: TEST_SECRETS.NOWPAYMENTS_API_KEY, ipnSecret: TEST_SECRETS.NOWPAYMENTS_IPN_SECRET },
  });
  // Known before listening: NOWPayments is given our IPN URL (PUBLIC_URL) when a payment is created.
  const apiPort = await freePort();
  const config = loadConfig(
    testEnv({
      TELEGRAM_API_ROOT: sandbox.url,
      CRYPTOCLOUD_API_URL: sandbox.url,
      NOWPAYMENTS_API_URL: `${sandbox.url}/v1`,
      PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      // Used only with EMAIL_TRANSPORT=mailjet: the sandbox's Mailjet emulator.
      MAILJET_API_URL: sandbox.url,
      ...overrides,
    }),
  );
  const logger = createLogger(config.logLevel, 'test');
  const runtime = await createRuntime(config, 'test', logger);
  const bot = createBot({ config, db: runtime.db, sql: runtime.sql, commands: runtime.commands, logger });
  const app = await buildApp({ config, runtime, logger, bot });
  const apiUrl = await app.listen({ host: '127.0.0.1', port: apiPort });
  sandbox.cryptocloud.setNotifyUrl(`${apiUrl}/cryptocloud_webhook`);
  await bot.init();
  await bot.api.setWebhook(`${apiUrl}/telegram_webhook`, { secret_token: config.telegram.webhookSecret });

  let worker: { worker: Worker; running: Promise<void> } | undefined;
  const startWorker = async () => {
    const created = await createWorker({
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createWorkerActivities(runtime),
      logger: runtime.logger,
    });
    worker = { worker: created.worker, running: created.worker.run().finally(() => created.connection.close()) };
  };
  const stopWorker = async () => {
    if (!worker) return;
    const current = worker;
    worker = undefined;
    current.worker.shutdown();
    await current.running;
  };
  await startWorker();

  const ids = new Set<number>();
  const newUserId = () => {
    for (;;) {
      const id = randomInt(100_000_000, 2_000_000_000);
      if (!ids.has(id)) {
        ids.add(id);
        return id;
      }
    }
  };

  return {
    config,
    sandbox,
    runtime,
    apiUrl,
    newUserId,
    startWorker,
    stopWorker,
    async createPlan(options = {}) {
      const planId = `p${randomUUID().replaceAll('-', '').slice(0, 10)}`;
      const channelIds = Array.from({ length: options.channelCount ?? 1 }, () => -(1_000_000_000_000 + newUserId()));
      await runtime.db.insert(plans).values({
        id: planId,
        title: options.title ?? `Plan ${planId}`,
        priceMinor: options.priceMinor ?? 1000n,
        currency: options.currency ?? 'USD',
        durationSeconds: options.durationSeconds ?? 12,
        trialSeconds: options.trialSeconds ?? 0,
        priceStars: options.priceStars ?? null,
      });
      for (const [index, channelId] of channelIds.entries()) {
        await runtime.db.insert(channels).values({ id: channelId, title: `Channel ${index + 1} of ${planId}` });
        await runtime.db.insert(planChannels).values({ planId, channelId });
        sandbox.telegram.addChannel({ id: channelId, title: `Channel ${index + 1} of ${planId}` });
      }
      return { planId, channelIds };
    },
    async addUser(userId, fields = {}) {
      await runtime.db
        .insert(users)
        .values({
          id: userId,
          firstName: `User ${userId}`,
          referralCode: `r${userId}`,
          termsAcceptedAt: new Date(),
          ...fields,
        })
        .onConflictDoNothing();
      // In Telegram a bot can only write to users who started it.
      sandbox.telegram.addUser({ id: userId, first_name: `User ${userId}` }, { startedBot: true });
    },
    async stop() {
      if (process.env.RECORD_HISTORIES) await recordHistories(runtime, config.temporal.taskQueue);
      await stopWorker();
      await app.close();
      await runtime.close();
      await sandbox.close();
    },
  };
}

/** Overrides giving a stack its own bucket on the test S3 server; create it with `setupStackBucket`. */
export function storageEnv(bucketPrefix: string): Record<string, string> {
  const s3 = inject('s3');
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_BUCKET: `${bucketPrefix}-${randomUUID().slice(0, 8)}`,
  };
}

/** Creates the stack's bucket with its CORS rule (the Mini App's origin by default) and lifecycle rule. */
export async function setupStackBucket(stack: Stack, corsOrigins = [stack.config.miniApp.origin]): Promise<void> {
  const storage = createObjectStorage(stack.config.s3);
  try {
    await storage.setupBucket({ corsOrigins });
  } finally {
    storage.close();
  }
}

export { eventually } from './eventually';

/**
 * The stack's worker as its own OS process (same task queue, sandbox and `env` overrides), so a test
 * can kill it for real; stop the in-process one first with `stack.stopWorker()`.
 */
export function spawnWorkerProcess(stack: Stack, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'infrastructure/processes/worker.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      ...testEnv({
        TELEGRAM_API_ROOT: stack.sandbox.url,
        CRYPTOCLOUD_API_URL: stack.sandbox.url,
        NOWPAYMENTS_API_URL: `${stack.sandbox.url}/v1`,
        PUBLIC_URL: stack.config.api.publicUrl,
        TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
        ...env,
      }),
    },
    stdio: 'ignore',
  });
}

/**
 * `RECORD_HISTORIES=1 npx vitest run test/e2e` keeps the histories of the closed workflows of a run
 * in test/histories (protobuf binary), where the replay test checks them against the current workflow code.
 */
async function recordHistories(runtime: Runtime, taskQueue: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const { default: proto } = await import('@temporalio/proto');
  const query = `TaskQueue = '${taskQueue}' AND (ExecutionStatus = 'Completed' OR ExecutionStatus = 'ContinuedAsNew')`;
  for await (const execution of runtime.temporal.client.workflow.list({ query })) {
    const history = await runtime.temporal.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .fetchHistory();
    const name = `${execution.type}-${execution.workflowId.replace(/[^\w-]/g, '_')}-${execution.runId.slice(0, 8)}.bin`;
    await writeFile(
      new URL(`./histories/${name}`, import.meta.url),
      proto.temporal.api.history.v1.History.encode(history).finish(),
    );
  }
}
