/**
 * Prometheus metrics of the worker process: what happens inside activities (access granted, members
 * removed, Telegram API errors, activity failures) is only visible there, so the worker counts it
 * and serves its own `/metrics` on WORKER_METRICS_PORT. The api's `/metrics` (api/routes/metrics.ts)
 * derives business gauges from PostgreSQL and Temporal visibility at scrape time. See the README, "Operations".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from 'grammy';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export interface WorkerMetrics {
  registry: Registry;
  accessGrants: Counter;
  removals: Counter<'dry_run'>;
  telegramErrors: Counter<'method' | 'code'>;
  activityFailures: Counter<'activity'>;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tgc_worker_' });
  return {
    registry,
    accessGrants: new Counter({
      name: 'tgc_subscription_activations_total',
      help: 'Subscription periods that granted channel access (paid activations, trials and renewals after a lapse)',
      registers: [registry],
    }),
    removals: new Counter({
      name: 'tgc_member_removals_total',
      help: 'Members removed from channels when access ended (dry_run="true": logged only)',
      labelNames: ['dry_run'],
      registers: [registry],
    }),
    telegramErrors: new Counter({
      name: 'tgc_telegram_api_errors_total',
      help: 'Telegram Bot API calls that failed, by method and error code ("network" when unreachable)',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    activityFailures: new Counter({
      name: 'tgc_activity_failures_total',
      help: 'Activity attempts that failed (Temporal retries them)',
      labelNames: ['activity'],
      registers: [registry],
    }),
  };
}

let shared: WorkerMetrics | undefined;

/** One set per process: a worker restarted in the same process keeps counting. */
export function workerMetrics(): WorkerMetrics {
  shared ??= createWorkerMetrics();
  return shared;
}

/** Counts every error answer of the Bot API; install it before auto-retry to see each attempt. */
export function countTelegramErrors(api: Api, metrics: WorkerMetrics): void {
  api.config.use(async (prev, method, payload, signal) => {
    try {
      const response = await prev(method, payload, signal);
      if (!response.ok) metrics.telegramErrors.inc({ method, code: String(response.error_code) });
      return response;
    } catch (error) {
      metrics.telegramErrors.inc({ method, code: 'network' });
      throw error;
    }
  });
}

type ActivityFn = (...args: never[]) => Promise<unknown>;

/** Wraps activities to count failures and the business events that only activities see. */
export function instrumentActivities<T extends Record<string, ActivityFn>>(activities: T, metrics: WorkerMetrics): T {
  const wrapped: Record<string, ActivityFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        const result = await fn(...args);
        observe(name, args, result, metrics);
        return result;
      } catch (error) {
        metrics.activityFailures.inc({ activity: name });
        throw error;
      }
    };
    // Temporal registers activities by property name; keep the function names for stack traces.
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}

function observe(name: string, args: unknown[], result: unknown, metrics: WorkerMetrics): void {
  if (name === 'ensureInviteLinks') metrics.accessGrants.inc();
  if (
    name === 'removeChannelAccess' &&
    result &&
    typeof result === 'object' &&
    'removed' in result &&
    Array.isArray(result.removed)
  ) {
    const dryRun = (args[0] as { dryRun?: boolean } | undefined)?.dryRun === true;
    if (result.removed.length > 0) metrics.removals.inc({ dry_run: String(dryRun) }, result.removed.length);
  }
}

/** A bare HTTP server answering `GET /metrics` (and `/health`) for one registry. */
export async function serveMetrics(
  registry: Registry,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (body) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
      return;
    }
    if (request.method === 'GET' && path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":"ok"}');
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
