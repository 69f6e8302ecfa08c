/**
 * A second worker process on a bench stack's task queue (`npm run worker`'s code, with the stack's
 * environment read from the file the stack wrote): the Temporal server hands each task to one of
 * the two. Prints `BENCH_WORKER {pid, identity}` once polling; stops on SIGTERM or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { loadConfig } from '../infrastructure/config';
import { runWorker } from '../infrastructure/processes/worker';
import { WORKER_LINE_PREFIX } from './stack-process';

const env = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, string | undefined>;
const worker = await runWorker(loadConfig(env));
let stopping: Promise<void> | undefined;
const stop = () => (stopping ??= worker.stop().then(() => process.exit(0)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
// The SDK's default identity: what the histories name as the worker that took a task.
process.stdout.write(
  `${WORKER_LINE_PREFIX}${JSON.stringify({ pid: process.pid, identity: `${process.pid}@${hostname()}` })}\n`,
);
