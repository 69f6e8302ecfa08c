/**
 * `npm run bench:webhook`: postback intake throughput and latency, side by side with a bare Fastify
 * route on the same machine in the same run, then payment-to-invite latency through the whole stack
 * (sandbox gateway → webhook → invoice workflow → subscription workflow → invite DM).
 *
 * Options (environment): BENCH_SECONDS (per phase, default 10), BENCH_CONCURRENCY (default 32),
 * BENCH_PAYMENTS (payment-to-invite samples, default 40).
 */
import { performance } from 'node:perf_hooks';
import formBody from '@fastify/formbody';
import Fastify from 'fastify';
import { channels, planChannels, plans, users } from '../infrastructure/db/schema';
import { DEV_DEFAULTS, startDevStack } from '../infrastructure/processes/dev-stack';
import { signCryptoCloudPostback } from '../infrastructure/sandbox/cryptocloud';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const paymentSamples = Number(process.env.BENCH_PAYMENTS ?? 40);

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A closed loop of `concurrency` clients for `seconds`, each request built by `body(i)`. */
async function load(name: string, url: string, body: (i: number) => string, expectStatus: number): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const i = counter++;
        const t0 = performance.now();
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: body(i),
          });
          await response.arrayBuffer();
          if (response.status !== expectStatus) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const stack = await startDevStack({
  ephemeral: true,
  env: { LOG_LEVEL: 'error', INVOICE_RECONCILE_SCHEDULE: '10m', INVOICE_RECONCILE_EVERY: '1h' },
  log: () => {},
});
const bare = Fastify({ logger: false, bodyLimit: 65536 });
await bare.register(formBody);
bare.post('/bare', async () => ({ ok: true }));
const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/bare`;

try {
  const { db, commands } = stack.runtime;
  await db.insert(channels).values({ id: -1009999, title: 'Bench channel' }).onConflictDoNothing();
  await db
    .insert(plans)
    .values({ id: 'bench', title: 'Bench', priceMinor: 1000n, currency: 'USD', durationSeconds: 86_400 })
    .onConflictDoNothing();
  await db.insert(planChannels).values({ planId: 'bench', channelId: -1009999 }).onConflictDoNothing();
  stack.sandbox.telegram.addChannel({ id: -1009999, title: 'Bench channel' });

  const newUser = async (id: number) => {
    await db
      .insert(users)
      .values({ id, referralCode: `bench${id}`, termsAcceptedAt: new Date() })
      .onConflictDoNothing();
    stack.sandbox.telegram.addUser({ id, first_name: `Bench ${id}` }, { startedBot: true });
  };
  const waitFor = async <T>(check: () => T | undefined, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  // Open invoices whose postbacks the intake phase will report (unpaid at the gateway, so they stay open).
  const targets: Array<{ orderId: string; uuid: string }> = [];
  for (let i = 0; i < 50; i++) {
    const userId = 800_000_000 + i;
    await newUser(userId);
    const { invoiceId } = await commands.openInvoice({ userId, planId: 'bench' });
    const invoice = await waitFor(() => stack.sandbox.cryptocloud.invoice(invoiceId));
    targets.push({ orderId: invoiceId, uuid: invoice.uuid });
  }
  const postbacks = await Promise.all(
    targets.map(async ({ orderId, uuid }) =>
      JSON.stringify({
        status: 'success',
        invoice_id: uuid.replace(/^INV-/, ''),
        amount_crypto: 10,
        currency: 'USDT_TRC20',
        order_id: orderId,
        token: await signCryptoCloudPostback({ id: uuid.replace(/^INV-/, '') }, DEV_DEFAULTS.CRYPTOCLOUD_SECRET_KEY),
        invoice_info: { uuid, status: 'created', order_id: orderId, amount: 10, received: 0 },
      }),
    ),
  );

  const baseline = await load('bare Fastify route (baseline)', bareUrl, (i) => postbacks[i % postbacks.length]!, 200);
  const intake = await load(
    'POST /cryptocloud_webhook (verify JWT, audit row, signal workflow)',
    `${stack.apiUrl}/cryptocloud_webhook`,
    (i) => postbacks[i % postbacks.length]!,
    200,
  );

  // Payment to invite: the time from the gateway's payment to the invite DM, through every part.
  const samples: number[] = [];
  for (let i = 0; i < paymentSamples; i++) {
    const userId = 810_000_000 + i;
    await newUser(userId);
    const { invoiceId } = await commands.openInvoice({ userId, planId: 'bench' });
    await waitFor(() => stack.sandbox.telegram.messagesTo(userId).find((m) => /Invoice for/.test(m.text ?? '')));
    const t0 = performance.now();
    await stack.sandbox.cryptocloud.pay(invoiceId);
    await waitFor(() =>
      stack.sandbox.telegram.messagesTo(userId).find((m) => /subscription is active/.test(m.text ?? '')),
    );
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);

  const f = (n: number) => n.toFixed(1);
  console.log(
    `\nPostback intake, ${seconds} s per phase, ${concurrency} concurrent clients, one process (Node ${process.version}):\n`,
  );
  console.log('| endpoint | requests | errors | req/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of [baseline, intake])
    console.log(`| ${r.name} | ${r.requests} | ${r.errors} | ${f(r.rps)} | ${f(r.p50)} | ${f(r.p99)} |`);
  console.log(
    `\nPayment to invite DM, ${samples.length} sequential payments: p50 ${f(percentile(samples, 50))} ms, p99 ${f(percentile(samples, 99))} ms, max ${f(samples.at(-1)!)} ms`,
  );
} finally {
  await bare.close();
  await stack.stop();
}
process.exit(0);
