/**
 * `npm run bench`: every benchmark of issue 13 that runs against the whole product, in one run, with
 * the product in its own process (bench/stack.ts: the dev stack on embedded defaults) and this process
 * as the load generator and measurer, reaching it only over HTTP (the sandbox's control API, the api)
 * and, for the raw baseline, through the Temporal server.
 *
 * 1. Payment → access (bench/latency.ts), at the sandbox boundary, for a plan on CryptoCloud, on
 *    NOWPayments, on Stars, and a product on Stars; each in a quiet chat and a hot one.
 * 2. Intake against raw signals and a bare Fastify route at the same concurrency, then intake at half
 *    its peak rate, open loop (bench/intake.ts).
 * 3. Idle cost (bench/idle.ts), on a second stack with BENCH_IDLE_SUBSCRIPTIONS subscriptions and
 *    BENCH_IDLE_INVOICES open invoices at rest; then, on it, signals to evicted subscriptions
 *    (bench/scale.ts) and raw signals with one worker and with a second worker process.
 * Then one markdown table with every figure and its baseline, and the machine.
 *
 * Knobs (environment): BENCH_PAYMENTS (per series, default 15), BENCH_SECONDS (per load phase,
 * default 10), BENCH_CONCURRENCY (default 32), BENCH_INTAKE_INVOICES (open invoices the load is
 * spread over, default 100), BENCH_IDLE_SUBSCRIPTIONS (10000), BENCH_IDLE_INVOICES (1000),
 * BENCH_IDLE_SECONDS (60), BENCH_ONLY (`latency`, `intake` or `idle`: just that part).
 */
import { cpus } from 'node:os';
import { cpuMeter, settle, type CpuShare } from './cpu';
import { measureIdle, seedsModel, type IdleResult } from './idle';
import { signalsAfterEviction, tasksByWorker, type ScaleResult } from './scale';
import { closedLoop, jsonPoster, openLoop, postbackBodies, rawSignaller, type LoadResult } from './intake';
import { PATH_LABELS, paymentSeries, type PaymentPath, type SeriesResult } from './latency';
import { SandboxClient } from './sandbox-client';
import {
  BARE_LINE_PREFIX,
  interrupted,
  removeChildLogs,
  STACK_LINE_PREFIX,
  startChild,
  stopAllChildren,
  stopChildrenOnExit,
  type BareInfo,
  type StackInfo,
  WORKER_LINE_PREFIX,
} from './stack-process';
import { ms, rate } from './stats';

const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number (got ${process.env[name]})`);
  return value;
};
const payments = Math.round(positive('BENCH_PAYMENTS', 15));
const seconds = positive('BENCH_SECONDS', 10);
const concurrency = Math.round(positive('BENCH_CONCURRENCY', 32));
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== 'latency' && only !== 'intake' && only !== 'idle')
  throw new Error('BENCH_ONLY is latency, intake or idle');
const idleSubscriptions = Math.round(positive('BENCH_IDLE_SUBSCRIPTIONS', 10_000));
const idleInvoices = Math.round(positive('BENCH_IDLE_INVOICES', 1_000));
const idleSeconds = positive('BENCH_IDLE_SECONDS', 60);

const LATENCY_GOAL = { p50: 150, p99: 400 };
const INTAKE_GOAL = { ratio: 0.8, halfP99: 50 };
const PATHS: PaymentPath[] = ['cryptocloud', 'nowpayments', 'stars', 'product'];

const progress = (line: string) => process.stderr.write(`${line}\n`);
const startedAt = new Date();
stopChildrenOnExit();

progress(`starting the stack (its own process; log in the temp dir)…`);
const stack = await startChild<StackInfo>('bench/stack.ts', STACK_LINE_PREFIX, {
  name: 'stack',
  env: { BENCH_INTAKE_INVOICES: process.env.BENCH_INTAKE_INVOICES ?? '100' },
  // Always a fresh database of its own (dropped at the end), never one DATABASE_URL names.
  unset: ['DATABASE_URL'],
});
progress(
  `stack ready: api ${stack.info.apiUrl}, sandbox ${stack.info.sandboxUrl}, pid ${stack.pid} (log ${stack.logFile})`,
);
const sandbox = new SandboxClient(stack.info.sandboxUrl);
const stackPid = stack.pid;

let exitCode = 0;
const series: Array<SeriesResult & { cpu: CpuShare }> = [];
const loads: Partial<Record<'bare' | 'raw' | 'intake' | 'half', LoadResult>> = {};
let idle: (IdleResult & { invoices: number }) | undefined;
let scale: (ScaleResult & { cache: number }) | undefined;
let workers: { one: LoadResult; two: LoadResult; share: Map<string, number>; second: string } | undefined;
try {
  if (only === undefined || only === 'latency') {
    for (const [index, path] of PATHS.entries()) {
      for (const mood of ['quiet', 'hot'] as const) {
        const firstUser = 800_000_000 + index * 100_000 + (mood === 'hot' ? 50_000 : 0);
        const meter = cpuMeter(stackPid);
        if (interrupted.aborted) break;
        const result = await paymentSeries(sandbox, stack.info, path, mood, payments, firstUser, interrupted);
        series.push({ ...result, cpu: meter.stop() });
        progress(
          `${PATH_LABELS[path]}, ${mood}: p50 ${ms(result.latency.p50)} ms, p99 ${ms(result.latency.p99)} ms` +
            (result.errors.length ? `, ${result.errors.length} failed (${result.errors[0]})` : ''),
        );
      }
    }
  }

  if ((only === undefined || only === 'intake') && !interrupted.aborted) {
    const bodies = await postbackBodies(stack.info);
    const bare = await startChild<BareInfo>('bench/bare-server.ts', BARE_LINE_PREFIX, { name: 'bare' });
    const barePoster = jsonPoster(bare.info.url, concurrency);
    const intakePoster = jsonPoster(`${stack.info.apiUrl}/cryptocloud_webhook`, concurrency);
    const raw = await rawSignaller(stack.info);
    const expect200 = (post: (body: string) => Promise<number>) => async (i: number) => {
      const status = await post(bodies(i).body);
      return status === 200 ? undefined : `HTTP ${status}`;
    };
    // Each phase numbers its postbacks on from the last, so none repeats one already sent.
    let offset = 0;
    const phase = async (name: keyof typeof loads, run: (from: number) => Promise<LoadResult>) => {
      await settle(stackPid);
      if (interrupted.aborted) return;
      const from = offset;
      const result = await run(from);
      offset = from + result.requests + result.errors + 1;
      loads[name] = result;
      progress(
        `${name}: ${rate(result.rate)}/s, p50 ${ms(result.latency.p50)} ms, p99 ${ms(result.latency.p99)} ms` +
          (result.errors ? `, ${result.errors} errors (${result.firstError})` : ''),
      );
    };
    try {
      const loop = { concurrency, seconds, stackPid };
      await phase('bare', () => closedLoop(expect200(barePoster.post), loop));
      await bare.stop();
      await phase('raw', (from) => closedLoop((i) => raw.signal(from + i, bodies(from + i).received), loop));
      await phase('intake', (from) => closedLoop((i) => expect200(intakePoster.post)(from + i), loop));
      const peak = loads.intake?.rate;
      if (peak)
        await phase('half', (from) =>
          openLoop((i) => expect200(intakePoster.post)(from + i), { rate: Math.max(1, peak / 2), seconds, stackPid }),
        );
    } finally {
      barePoster.close();
      intakePoster.close();
      await raw.close();
    }
  }

  if ((only === undefined || only === 'idle') && !interrupted.aborted) {
    await stack.stop();
    progress(`starting a stack with ${idleSubscriptions} subscriptions and ${idleInvoices} open invoices…`);
    const idleStack = await startChild<StackInfo>('bench/stack.ts', STACK_LINE_PREFIX, {
      name: 'idle-stack',
      env: { BENCH_INTAKE_INVOICES: String(idleInvoices), BENCH_IDLE_SUBSCRIPTIONS: String(idleSubscriptions) },
      unset: ['DATABASE_URL'],
      readyTimeoutMs: 20 * 60_000,
    });
    await settle(idleStack.pid);
    progress(`idle: measuring ${idleSeconds} s with no timer due…`);
    const measured = await measureIdle(idleStack.info.databaseUrl, idleStack.pid, idleSeconds);
    idle = { ...measured, invoices: idleStack.info.intakeInvoices.length };
    progress(`idle: ${idle.tableAccesses} table accesses, stack CPU ${idle.cpu.stack.toFixed(1)} %`);
    const idleSandbox = new SandboxClient(idleStack.info.sandboxUrl);
    scale = {
      ...(await signalsAfterEviction(idleStack.info, idleSandbox, idleStack.pid, payments)),
      cache: idleStack.info.maxCachedWorkflows,
    };
    progress(
      `scale: p50 ${ms(scale.signals.p50)} ms, p99 ${ms(scale.signals.p99)} ms, RSS ${scale.rssMiB.toFixed(0)} MiB`,
    );

    // Two workers: raw signals to the open invoices with the stack's one worker, then with a second
    // worker process on the same task queue; the histories say which worker took each task.
    const idleRaw = await rawSignaller(idleStack.info);
    const idleBodies = await postbackBodies(idleStack.info);
    try {
      const loop = { concurrency, seconds, stackPid: idleStack.pid };
      await settle(idleStack.pid);
      const one = await closedLoop((i) => idleRaw.signal(i, idleBodies(i).received), loop);
      const second = await startChild<{ pid: number; identity: string }>('bench/second-worker.ts', WORKER_LINE_PREFIX, {
        name: 'worker2',
        args: [idleStack.info.workerEnvFile],
      });
      await settle(idleStack.pid);
      const from = one.requests + one.errors + 1;
      const twoStarted = Date.now();
      const two = await closedLoop((i) => idleRaw.signal(from + i, idleBodies(from + i).received), loop);
      const share = await tasksByWorker(idleStack.info, twoStarted);
      await second.stop();
      workers = { one, two, share, second: second.info.identity };
      progress(`two workers: ${rate(one.rate)}/s with one, ${rate(two.rate)}/s with two`);
    } finally {
      await idleRaw.close();
    }
    await idleStack.stop();
  }
} catch (error) {
  exitCode = 1;
  progress(`the bench did not complete: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await stopAllChildren();
}

if (series.length > 0 || Object.keys(loads).length > 0 || idle) console.log(`\n${table()}`);
const failed = series.some((s) => s.errors.length > 0) || Object.values(loads).some((r) => r.errors > 0);
if (exitCode === 0 && !failed) removeChildLogs();
else progress(`logs of the stack kept: ${stack.logFile}`);
process.exit(exitCode);

function table(): string {
  const cpu = cpus();
  const lines = [
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ${startedAt.toISOString().slice(0, 10)}; ` +
      [
        ...(series.length ? [`${payments} payments per series`] : []),
        ...(Object.keys(loads).length
          ? [
              `${seconds} s per load phase at concurrency ${concurrency} over ${stack.info.intakeInvoices.length} open invoices`,
            ]
          : []),
      ].join(', ') +
      '.',
    '',
    '| measure | n | errors | rate /s | p50 ms | p90 ms | p99 ms | max ms | baseline | result | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const s of series) {
    const met = s.latency.p50 <= LATENCY_GOAL.p50 && s.latency.p99 <= LATENCY_GOAL.p99;
    const notes = [
      `paid ${ms(s.gapP50)} ms after the invoice message`,
      ...(Number.isFinite(s.receiptP50) ? [`"payment received" DM at ${ms(s.receiptP50)} ms`] : []),
      `machine ${s.cpu.machine.toFixed(0)} % busy`,
      ...(s.errors.length ? [`failed: ${s.errors[0]}`] : []),
    ];
    lines.push(
      `| payment → access, ${PATH_LABELS[s.path]}, ${s.mood} chat | ${s.latency.count} | ${s.errors.length} | | ` +
        `${ms(s.latency.p50)} | ${ms(s.latency.p90)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ` +
        `goal p50 ≤ ${LATENCY_GOAL.p50}, p99 ≤ ${LATENCY_GOAL.p99} | ${s.latency.count ? (met ? 'met' : 'not met') : '–'} | ` +
        `${notes.join('; ')} |`,
    );
  }
  const load = (label: string, r: LoadResult | undefined, baseline: string, result: string, note = '') => {
    if (!r) return;
    const notes = [
      ...(note ? [note] : []),
      `CPU ${cpuText(r.cpu)}`,
      ...(r.errors ? [`first error: ${r.firstError}`] : []),
    ];
    lines.push(
      `| ${label} | ${r.requests} | ${r.errors} | ${rate(r.rate)} | ${ms(r.latency.p50)} | ${ms(r.latency.p90)} | ` +
        `${ms(r.latency.p99)} | ${ms(r.latency.max)} | ${baseline} | ${result} | ${notes.join('; ')} |`,
    );
  };
  const { bare, raw, intake, half } = loads;
  load('bare Fastify route, own process (HTTP floor)', bare, '', '');
  load('raw `paymentReported` signals, one Temporal client (engine rate)', raw, '', '');
  const ratio = intake && raw ? intake.rate / raw.rate : NaN;
  load(
    '`POST /cryptocloud_webhook`, signed postbacks (intake)',
    intake,
    `raw ${raw ? rate(raw.rate) : '–'}/s; bare ${bare ? rate(bare.rate) : '–'}/s; goal ≥ ${INTAKE_GOAL.ratio}× raw`,
    `${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'}× raw (${ratio >= INTAKE_GOAL.ratio ? 'met' : 'not met'})` +
      (bare && intake ? `, ${(intake.rate / bare.rate).toFixed(2)}× bare` : ''),
  );
  if (half)
    load(
      'intake at half its peak, open loop',
      half,
      `goal p99 ≤ ${INTAKE_GOAL.halfP99}`,
      half.latency.p99 <= INTAKE_GOAL.halfP99 ? 'met' : 'not met',
      `${rate(half.targetRate ?? NaN)}/s asked, sender at most ${ms(half.maxSendLagMs ?? NaN)} ms late`,
    );
  if (idle) {
    const model = seedsModel(idleSubscriptions, idle.invoices);
    lines.push(
      `| idle: ${idleSubscriptions} active subscriptions, ${idle.invoices} open invoices, ${idle.seconds} s, no timer due | ` +
        `${idle.tableAccesses} | | | | | | | seeds' model, per cycle: ${model.queriesPerCycle} queries, ` +
        `${model.gatewayCallsPerCycle} gateway calls, ${model.rowsPerCycle} rows read | ` +
        `${idle.tableAccesses === 0 ? 'met' : 'not met'} (goal: 0 product queries) | n = table scans and row ` +
        `writes on the product's tables; transactions ${idle.transactions} (the meter's 2 reads included); ` +
        `CPU stack ${idle.cpu.stack.toFixed(1)} %, its servers ${idle.cpu.servers.toFixed(1)} % (of a core) |`,
    );
  }
  if (scale) {
    const s = scale.signals;
    const met = s.p50 <= LATENCY_GOAL.p50 && s.p99 <= LATENCY_GOAL.p99;
    lines.push(
      `| admin grant to an evicted subscription (${idleSubscriptions} open, cache ${scale.cache}): signal → message | ` +
        `${s.count} | ${scale.errors.length} | | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} | ` +
        `goal p50 ≤ ${LATENCY_GOAL.p50}, p99 ≤ ${LATENCY_GOAL.p99} | ${s.count ? (met ? 'met' : 'not met') : '–'} | ` +
        `replayed from history, then answered; the stack's RSS (api, bot, worker, sandbox) ${scale.rssMiB.toFixed(0)} MiB |`,
    );
  }
  if (workers) {
    const total = [...workers.share.values()].reduce((sum, n) => sum + n, 0);
    const shares = [...workers.share.entries()]
      .map(
        ([identity, n]) =>
          `${identity === workers.second ? 'the second' : "the stack's"} worker ${((n / total) * 100).toFixed(0)} %`,
      )
      .join(', ');
    load(`raw signals to ${idle?.invoices ?? '?'} open invoices, one worker`, workers.one, '', '');
    load(
      'the same, a second worker process on the task queue',
      workers.two,
      `one worker ${rate(workers.one.rate)}/s`,
      `${(workers.two.rate / workers.one.rate).toFixed(2)}× one worker`,
      `tasks taken (${total} in 100 invoices' histories): ${shares}`,
    );
  }
  return lines.join('\n');
}

/** Who was busy: percent of one core for the bench, the stack and its servers; of all cores for the machine. */
function cpuText(cpu: CpuShare): string {
  const core = (value: number) => `${value.toFixed(0)} %`;
  return `bench ${core(cpu.bench)}, stack ${core(cpu.stack)}, its servers ${core(cpu.servers)} (of a core); machine ${core(cpu.machine)} (of all)`;
}
