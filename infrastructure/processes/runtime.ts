/** Builds the real dependencies of a process from its configuration (the composition root). */
import { Api } from 'grammy';
import { createActivities } from '../../activities';
import { createI18n } from '../../bot/i18n';
import type { Config } from '../config';
import { createDatabase } from '../db/client';
import { createEmailSender } from '../email';
import { createLogger, type Logger } from '../logger';
import { countTelegramErrors, instrumentActivities, workerMetrics } from '../metrics';
import { CryptoCloudClient } from '../providers/cryptocloud';
import { NowPaymentsClient } from '../providers/nowpayments';
import { StarsRail } from '../providers/stars';
import type { ActivityDeps } from '../../activities/deps';
import { assertRetryBudgetFits, installRetries } from '../providers/telegram';
import { connectTemporal } from '../temporal/client';
import { createCommands } from '../temporal/commands';
import { createObjectStorage } from '../storage/s3';

export async function createRuntime(
  config: Config,
  name: string,
  logger: Logger = createLogger(config.logLevel, name),
) {
  const database = createDatabase(config.databaseUrl);
  const temporal = await connectTemporal(config);
  const commands = createCommands({ client: temporal.client, db: database.db, config });
  return {
    config,
    logger,
    db: database.db,
    sql: database.sql,
    temporal,
    commands,
    async close() {
      await temporal.connection.close();
      await database.close();
    },
  };
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

export function createWorkerActivities(runtime: Runtime) {
  const { config } = runtime;
  // No Telegram activity may time out while auto-retry still holds its call (a second attempt would send again).
  assertRetryBudgetFits(config);
  const i18n = createI18n();
  // Counted in the worker's own registry (served on WORKER_METRICS_PORT, see the README, "Operations").
  const metrics = workerMetrics();
  // Counted innermost, so every failed attempt shows, also the 429s and 5xx that auto-retry waits out.
  const telegram = new Api(config.telegram.botToken, { apiRoot: config.telegram.apiRoot });
  countTelegramErrors(telegram, metrics);
  installRetries(telegram, config);
  return instrumentActivities(
    createActivities({
      db: runtime.db,
      telegram,
      gateways: paymentRails(config, telegram),
      workflows: runtime.commands,
      translate: (locale, key, vars) => i18n.t(locale, key, vars),
      adminIds: config.telegram.adminIds,
      logger: runtime.logger,
      storage: createObjectStorage(config.s3, { logger: runtime.logger }),
      email: createEmailSender(config.email),
    }),
    metrics,
  );
}

/** The adapters of the rails that are on (PAYMENT_RAILS and configured); a rail that is off is absent. */
export function paymentRails(config: Config, telegram: Api): ActivityDeps['gateways'] {
  const rails: ActivityDeps['gateways'] = {};
  if (config.rails.includes('cryptocloud')) rails.cryptocloud = new CryptoCloudClient(config.cryptocloud);
  if (config.rails.includes('nowpayments'))
    rails.nowpayments = new NowPaymentsClient({
      apiUrl: config.nowpayments.apiUrl,
      apiKey: config.nowpayments.apiKey,
      ipnCallbackUrl: `${config.api.publicUrl}/nowpayments_ipn`,
      fulfilOnConfirmed: config.nowpayments.fulfilOnConfirmed,
    });
  if (config.rails.includes('stars')) rails.stars = new StarsRail(telegram);
  return rails;
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Runs a process entry: a configuration problem prints the named variables and exits 2; any other
 * start-up failure (database or Temporal unreachable, ...) prints one clear line and exits 1.
 */
export async function runMain(
  name: string,
  start: () => Promise<{ logger: Logger; stop: () => Promise<void>; running?: Promise<unknown> }>,
): Promise<void> {
  const { ConfigError, loadDotEnv } = await import('../config');
  loadDotEnv();
  try {
    const handle = await start();
    onShutdown(handle.logger, handle.stop);
    await handle.running;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(`${name} could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
