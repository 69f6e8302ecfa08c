/**
 * The servers a benchmark runs against, started side by side: Temporal (the api will not start
 * without it), versitygw with a fresh bucket, and PostgreSQL with the migrations applied. `stop`
 * undoes everything, last started first, also on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '../infrastructure/db/migrate';
import { createObjectStorage } from '../infrastructure/storage/s3';
import {
  providePostgres,
  startS3Server,
  startTemporalDevServer,
  type RunningService,
} from '../infrastructure/toolchain/services';

export function benchServices(name: string) {
  const running: RunningService[] = [];
  const scratch = mkdtempSync(join(tmpdir(), `tgc-bench-${name}-`));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const service of running.reverse()) await service.stop().catch(() => {});
      rmSync(scratch, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));

  async function start(bucket: string) {
    // Settled, not all: when one fails to start, the others are up (and stopped at the end) first.
    const services = await Promise.allSettled([
      startTemporalDevServer({ headless: true }),
      startS3Server({ dir: join(scratch, 's3') }),
      providePostgres(`tg_commerce_bench_${process.pid}`, { fresh: true, dropOnStop: true }),
    ]);
    for (const service of services) if (service.status === 'fulfilled') running.push(service.value);
    const failed = services.find((service) => service.status === 'rejected');
    if (failed) throw failed.reason;
    const [temporal, s3, pg] = services.map((service) => (service as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startTemporalDevServer>>,
      Awaited<ReturnType<typeof startS3Server>>,
      Awaited<ReturnType<typeof providePostgres>>,
    ];
    await runMigrations(pg.url);
    const s3Config = {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      abortIncompleteAfterDays: 1,
    };
    const storage = createObjectStorage(s3Config, { logger: { info: () => {}, warn: () => {} } });
    await storage.setupBucket({ corsOrigins: ['http://127.0.0.1'] });
    return { temporal, s3, pg, s3Config, storage };
  }

  /** Runs `stop` (e.g. removing what the bench stored) before the servers stop. */
  const onStop = (service: RunningService) => running.push(service);
  return { start, stop, onStop };
}
