/** The Temporal worker: every workflow of the product and the activities over real dependencies. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type LogLevel,
} from '@temporalio/worker';
import type { Logger } from '../logger';
import type { createActivities } from '../../activities';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
/** Built by `npm run build:workflows`; production workers load it instead of bundling at start. */
export const workflowBundlePath = fileURLToPath(new URL('../../dist/workflow-bundle.js', import.meta.url));

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: ReturnType<typeof createActivities>;
  /** Tests point this at their own workflow files. */
  workflowsPath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  /** WORKER_MAX_CACHED_WORKFLOWS: a bound on memory; an evicted workflow is replayed when it wakes. */
  maxCachedWorkflows?: number;
  /** The SDK's own logs (and workflow `log.*`) go here as JSON, at this logger's level. */
  logger?: Logger;
}

let runtimeInstalled = false;

/** Once per process, before the first connection: route the SDK's logs into pino. */
function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<string, LogLevel> = {
    trace: 'TRACE',
    debug: 'DEBUG',
    info: 'INFO',
    warn: 'WARN',
    error: 'ERROR',
    fatal: 'ERROR',
  };
  const level = levels[logger.level] ?? 'ERROR';
  try {
    Runtime.install({
      logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
        const method = entryLevel.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
        logger[method](meta ?? {}, message);
      }),
    });
  } catch {
    // Already installed by someone else in this process (e.g. a test helper): keep theirs.
  }
}

export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  if (options.logger) installRuntime(options.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const useBundle = !options.workflowsPath && process.env.NODE_ENV === 'production' && existsSync(workflowBundlePath);
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(useBundle
      ? { workflowBundle: { codePath: workflowBundlePath } }
      : { workflowsPath: options.workflowsPath ?? workflowsPath }),
    activities: options.activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 50,
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
  return { worker, connection };
}

export async function buildWorkflowBundle(outPath = workflowBundlePath): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath });
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, code);
}
