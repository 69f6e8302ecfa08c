/**
 * Starts the real services once for the whole test run: the Temporal dev server (with the product's
 * search attributes), versitygw (S3), Mailpit (SMTP) and a fresh PostgreSQL database with the
 * migrations applied.
 * Tests read their addresses with `inject(...)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'vitest';
import type { TestProject } from 'vitest/node';
import { buildMiniAppPages } from '../api/miniapp/static-pages';
import { runMigrations } from '../infrastructure/db/migrate';
import {
  providePostgres,
  startMailServer,
  startS3Server,
  startTemporalDevServer,
  type RunningService,
} from '../infrastructure/toolchain/services';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
    /** Mailpit: SMTP on host:port, its HTTP API (`/api/v1/messages`) at apiUrl. */
    smtp: { host: string; port: number; apiUrl: string };
  }
}

export default async function setup(project: TestProject) {
  const running: RunningService[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'tgc-test-'));
  const temporalStart = startTemporalDevServer({
    headless: true,
    // Continue-as-new suggested after 300 events (default 4096), so long-lived workflows roll over within a test.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 300 },
  });
  const s3Start = startS3Server({ dir: join(scratch, 's3') });
  const mailStart = startMailServer();
  const pgStart = providePostgres(`tg_commerce_test_${process.pid}`, { fresh: true, dropOnStop: true });
  // The pages as their sources are now, so a browser test never runs an old build.
  const pages = buildMiniAppPages();
  const settled = await Promise.allSettled([temporalStart, s3Start, pgStart, mailStart, pages]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    // One did not start: stop the others, so no server outlives the run.
    for (const result of settled.slice(0, 4))
      if (result.status === 'fulfilled') await (result.value as RunningService).stop().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
    throw failed.reason;
  }
  const [temporal, s3, pg, mail] = [await temporalStart, await s3Start, await pgStart, await mailStart];
  running.push(temporal, s3, pg, mail);
  await runMigrations(pg.url);
  project.provide('temporalAddress', temporal.address);
  project.provide('databaseUrl', pg.url);
  project.provide('s3', { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  project.provide('smtp', { host: mail.host, port: mail.port, apiUrl: mail.apiUrl });

  return async () => {
    await Promise.allSettled(running.map((service) => service.stop()));
    rmSync(scratch, { recursive: true, force: true });
  };
}
