/**
 * The bench's child processes, seen from the parent: each is `node --import tsx <script>`, in its own
 * process group (so the terminal's Ctrl-C reaches only the bench, which stops them in order), prints
 * one `<PREFIX>{json}` line on stdout when ready, and logs everything else to a file. They stop on
 * SIGTERM, and by themselves when the parent's end of their stdin closes (the bench was killed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const STACK_LINE_PREFIX = 'BENCH_STACK ';
export const WORKER_LINE_PREFIX = 'BENCH_WORKER ';
export const BARE_LINE_PREFIX = 'BENCH_BARE ';

/** What bench/stack.ts tells the bench (its one JSON line on stdout). */
export interface StackInfo {
  pid: number;
  apiUrl: string;
  sandboxUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The plan every rail can pay (CryptoCloud and NOWPayments in USD, Stars), with one channel. */
  planId: string;
  channelId: number;
  /** A product on sale (Stars and USD), its file stored; bought through its `p_<id>` deep link. */
  productId: string;
  /** The NOWPayments coin the bench picks, and whether `confirmed` already fulfils. */
  coin: string;
  fulfilOnConfirmed: boolean;
  /** The dev stack's CryptoCloud project secret: the bench signs postbacks with it, as the sandbox does. */
  cryptocloudSecretKey: string;
  /** Open CryptoCloud invoices (never paid) whose postbacks and signals the intake phases send. */
  intakeInvoices: Array<{ orderId: string; gatewayInvoiceId: string }>;
  /** The idle stack's subscribers (BENCH_IDLE_SUBSCRIPTIONS): user ids from `from`, each with an active plan. */
  subscribers?: { from: number; count: number };
  /** WORKER_MAX_CACHED_WORKFLOWS of the stack's worker. */
  maxCachedWorkflows: number;
  /** The stack's environment (JSON), for a second worker to join it. */
  workerEnvFile: string;
}

/** What bench/bare-server.ts tells the bench. */
export interface BareInfo {
  pid: number;
  url: string;
}

export interface RunningChild<T> {
  info: T;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const running = new Set<ChildProcess>();
const logFiles: string[] = [];
const interruption = new AbortController();
/** Aborted on Ctrl-C or SIGTERM: the phases stop starting new work while the children are stopped. */
export const interrupted: AbortSignal = interruption.signal;

/** Spawns `script` and resolves with its ready line's JSON; rejects (with the log's path) if it exits first. */
export async function startChild<T>(
  script: string,
  prefix: string,
  options: { name: string; args?: string[]; env?: NodeJS.ProcessEnv; unset?: string[]; readyTimeoutMs?: number },
): Promise<RunningChild<T>> {
  const logFile = join(tmpdir(), `tgc-bench-${options.name}-${process.pid}.log`);
  const log: WriteStream = createWriteStream(logFile);
  logFiles.push(logFile);
  const env = { ...process.env, ...options.env };
  for (const name of options.unset ?? []) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], {
    cwd: repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stderr.pipe(log, { end: false });
  const lines = createInterface({ input: child.stdout });

  const ready = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${options.name} was not ready in ${options.readyTimeoutMs ?? 180_000} ms (log: ${logFile})`)),
      options.readyTimeoutMs ?? 180_000,
    );
    lines.on('line', (line) => {
      if (!line.startsWith(prefix)) return void log.write(`${line}\n`);
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(prefix.length)) as T);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${signal ?? code}) before it was ready (log: ${logFile})`));
    });
  });
  try {
    const info = await ready;
    return { info, pid: child.pid!, logFile, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** SIGTERM, then after `graceMs` SIGKILL to its whole process group (its own servers included). */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** After a run that went well: the children's logs are of no further use. */
export function removeChildLogs(): void {
  for (const file of logFiles.splice(0)) rmSync(file, { force: true });
}

/** Stops every child still running (last started first). */
export async function stopAllChildren(): Promise<void> {
  for (const child of [...running].reverse()) await stopChild(child);
}

/**
 * Ctrl-C or SIGTERM: the children are stopped (their servers and databases with them) before the
 * bench exits; a second Ctrl-C kills them at once. A crash still closes their stdin, which stops them.
 */
export function stopChildrenOnExit(): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        for (const child of running) killGroup(child, 'SIGKILL');
        process.exit(130);
      }
      stopping = true;
      interruption.abort();
      process.stderr.write(`\n${signal}: stopping the bench's processes…\n`);
      void stopAllChildren().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGTERM');
  });
}
