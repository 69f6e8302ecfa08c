/**
 * Intake against the engine's own rate, at the same concurrency:
 * - raw: a Temporal client in this process signals `paymentReported` to the open invoice workflows,
 *   the payload the CryptoCloud route sends (one connection, reused);
 * - intake: `POST /cryptocloud_webhook` with valid signed postbacks for the same invoices, each one new
 *   (the route de-duplicates on invoice, status and amount; a repeat would stop before the signal);
 * - bare: the same bodies to a bare Fastify route in its own process (the HTTP floor);
 * - half: intake at half of its closed-loop peak, open loop (requests sent on schedule whatever the
 *   answers), latency from each request's scheduled time, so a stall cannot hide behind fewer requests.
 * The postbacks claim `created` (never paid): every one reaches a workflow, which asks the gateway.
 */
import { Agent, request } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { signCryptoCloudPostback } from '../infrastructure/sandbox/cryptocloud/postbacks';
import { cpuMeter, type CpuShare } from './cpu';
import { interrupted, type StackInfo } from './stack-process';
import { summarise, type Summary } from './stats';

export interface LoadResult {
  requests: number;
  errors: number;
  /** The first error seen, to say what went wrong. */
  firstError?: string;
  /** Completed per second of wall time. */
  rate: number;
  latency: Summary;
  cpu: CpuShare;
  /** Open loop only: the rate asked for, and how late the sender fell behind its schedule at worst. */
  targetRate?: number;
  maxSendLagMs?: number;
}

/** A load phase's unit of work: resolves when answered, throws (or returns a reason) on an error. */
type Operation = (i: number) => Promise<string | undefined>;

/** `concurrency` clients in a closed loop for `seconds`. */
export async function closedLoop(
  operation: Operation,
  options: { concurrency: number; seconds: number; stackPid: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let counter = 0;
  const meter = cpuMeter(options.stackPid);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline && !interrupted.aborted) {
        const i = counter++;
        const t0 = performance.now();
        const failure = await operation(i).catch((error: unknown) =>
          error instanceof Error ? error.message : String(error),
        );
        latencies.push(performance.now() - t0);
        if (failure !== undefined) {
          errors++;
          firstError ??= failure;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    errors,
    firstError,
    rate: latencies.length / elapsed,
    latency: summarise(latencies),
    cpu: meter.stop(),
  };
}

/** Requests at a fixed `rate` for `seconds`, each timed from when it was due (open loop). */
export async function openLoop(
  operation: Operation,
  options: { rate: number; seconds: number; stackPid: number; maxInFlight?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let errors = 0;
  let firstError: string | undefined;
  let maxSendLagMs = 0;
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const meter = cpuMeter(options.stackPid);
  const started = performance.now();
  for (let i = 0; i < total && !interrupted.aborted; i++) {
    const due = started + i * interval;
    const now = performance.now();
    if (due > now + 1) await new Promise((resolve) => setTimeout(resolve, due - now));
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    if (pending.size >= (options.maxInFlight ?? 2000)) {
      // Far behind: count it as an error rather than queue without bound.
      errors++;
      firstError ??= 'too many requests in flight';
      continue;
    }
    const done: Promise<void> = operation(i)
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)))
      .then((failure) => {
        latencies.push(performance.now() - due);
        if (failure !== undefined) {
          errors++;
          firstError ??= failure;
        }
        pending.delete(done);
      });
    pending.add(done);
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    errors,
    firstError,
    rate: latencies.length / elapsed,
    latency: summarise(latencies),
    cpu: meter.stop(),
    targetRate: options.rate,
    maxSendLagMs,
  };
}

/** POSTs of JSON over kept-alive connections (node:http: cheaper per request than fetch, so the client is not the limit). */
export function jsonPoster(url: string, concurrency: number) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 1) });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/** Valid signed postbacks for the stack's open invoices, each new (its `received` differs), as the sandbox builds them. */
export async function postbackBodies(stack: StackInfo) {
  // One token per invoice, valid for the run (the sandbox signs a fresh one per postback; the check is the same).
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const targets = await Promise.all(
    stack.intakeInvoices.map(async ({ orderId, gatewayInvoiceId }) => {
      const id = gatewayInvoiceId.replace(/^INV-/, '');
      return { orderId, id, token: await signCryptoCloudPostback({ id, exp }, stack.cryptocloudSecretKey) };
    }),
  );
  return (i: number) => {
    const target = targets[i % targets.length]!;
    // A different amount seen so far makes every postback a new one to the route's de-duplication.
    const received = `0.${String(i + 1).padStart(9, '0')}`;
    return {
      orderId: target.orderId,
      received,
      body: JSON.stringify({
        status: 'success',
        invoice_id: target.id,
        amount_crypto: 10,
        currency: 'USDT_TRC20',
        order_id: target.orderId,
        token: target.token,
        invoice_info: { uuid: `INV-${target.id}`, status: 'created', order_id: target.orderId, amount: 10, received },
      }),
    };
  };
}

/** The raw side: a Temporal client signalling the invoice workflows directly, as the route's reportPayment does. */
export async function rawSignaller(stack: StackInfo) {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const handles = stack.intakeInvoices.map(({ orderId }) => client.workflow.getHandle(`invoice:${orderId}`));
  return {
    signal: async (i: number, received: string) => {
      // The payload of api/routes/cryptocloud-webhook.ts: status, received, source.
      await handles[i % handles.length]!.signal('paymentReported', { status: 'created', received, source: 'webhook' });
      return undefined;
    },
    close: () => connection.close(),
  };
}
