/** Builds the real dependencies of a process from its configuration (the composition root). */
import { createActivities } from '../../activities';
import { createI18n } from '../../bot/i18n';
import type { Config } from '../config';
import { createDatabase } from '../db/client';
import { createLogger, type Logger } from '../logger';
import { CryptoCloudClient } from '../providers/cryptocloud';
import { createTelegramApi } from '../providers/telegram';
import { connectTemporal } from '../temporal/client';
import { createCommands } from '../temporal/commands';

export async function createRuntime(config: Config, name: string, logger: Logger = createLogger(config.logLevel, name)) {
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
  const i18n = createI18n();
  return createActivities({
    db: runtime.db,
    telegram: createTelegramApi(config),
    gateways: { cryptocloud: new CryptoCloudClient(config.cryptocloud) },
    commands: runtime.commands,
    translate: (locale, key, vars) => i18n.t(locale, key, vars),
    adminIds: config.telegram.adminIds,
    logger: runtime.logger,
  });
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(() => process.exit(0), (error: unknown) => { logger.error({ err: error }, 'shutdown failed'); process.exit(1); });
    });
  }
}
