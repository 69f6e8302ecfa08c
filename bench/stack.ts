/**
 * The product under test, in its own process: `node --import tsx bench/stack.ts`, spawned by
 * bench/run.ts. It starts the dev stack on embedded defaults (fresh database, in-memory Temporal,
 * the sandbox, local object storage; api, bot and worker in this one process, as `npm run dev` runs
 * them), seeds what the benchmark buys (a plan with a channel payable on every rail, a product on sale
 * with its file stored, open invoices for the intake phases), prints one line
 * `BENCH_STACK {json}` (see StackInfo) and waits. SIGTERM, SIGINT or the parent closing stdin stop it.
 *
 * Nothing here measures: the load generator is the parent, which reaches this process only over HTTP
 * (the sandbox's control API, the api) and through the Temporal server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { eq } from 'drizzle-orm';
import { newProductId, objectKeyFor } from '../domain/product';
import {
  channels,
  invoices,
  planChannels,
  plans,
  productFiles,
  products,
  sellers,
  users,
} from '../infrastructure/db/schema';
import { DEV_DEFAULTS, startDevStack } from '../infrastructure/processes/dev-stack';
import { subscriptionSettings, subscriptionWorkflowId } from '../infrastructure/temporal/commands';
import { createObjectStorage } from '../infrastructure/storage/s3';
import { ProcessStatus, TelegramUserId } from '../workflows/search-attributes';
import { STACK_LINE_PREFIX, type StackInfo } from './stack-process';

const BENCH_CHANNEL = { id: -1009000000001, title: 'Bench channel' };
const BENCH_PLAN = 'bench';
const INTAKE_USERS_FROM = 910_000_000;
const SELLER_ID = 900_000_001;
const IDLE_USERS_FROM = 920_000_000;

const intakeCount = Number(process.env.BENCH_INTAKE_INVOICES ?? 100);

const stack = await startDevStack({
  ephemeral: true,
  env: {
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    // No reconciliation during the run: every gateway check the worker makes is one a report asked for.
    INVOICE_RECONCILE_SCHEDULE: '10m',
    INVOICE_RECONCILE_EVERY: '1h',
  },
  log: (line) => process.stderr.write(`${line}\n`),
});

let stopping: Promise<void> | undefined;
const stop = (code: number) =>
  (stopping ??= stack.stop().then(
    () => process.exit(code),
    () => process.exit(1),
  ));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));
// The parent holds our stdin: when it goes away (even killed), so do we.
process.stdin.on('end', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();

try {
  const { db, commands } = stack.runtime;
  const { config, sandbox } = stack;

  await db.insert(channels).values(BENCH_CHANNEL).onConflictDoNothing();
  sandbox.telegram.addChannel(BENCH_CHANNEL);
  await db.insert(plans).values({
    id: BENCH_PLAN,
    title: 'Bench',
    priceMinor: 1000n,
    currency: 'USD',
    priceStars: 500,
    durationSeconds: 30 * 86_400,
    sortOrder: 0,
  });
  await db.insert(planChannels).values({ planId: BENCH_PLAN, channelId: BENCH_CHANNEL.id });

  // A seller's product on sale, with its file in the bucket as an upload leaves it (test/marketplace.ts).
  await db
    .insert(users)
    .values({ id: SELLER_ID, firstName: 'Bench seller', referralCode: 'benchseller', termsAcceptedAt: new Date() });
  sandbox.telegram.addUser({ id: SELLER_ID, first_name: 'Bench seller' }, { startedBot: true });
  await db.insert(sellers).values({
    userId: SELLER_ID,
    displayName: 'Bench shop',
    shopSlug: 'bench-shop',
    termsAcceptedAt: new Date(),
  });
  const productId = newProductId();
  await db.insert(products).values({
    id: productId,
    sellerId: SELLER_ID,
    title: 'Bench guide',
    categoryId: 'courses',
    priceStars: 100,
    priceMinor: 1500n,
    currency: 'USD',
    status: 'active',
  });
  const bytes = randomBytes(64 * 1024);
  const objectKey = objectKeyFor(SELLER_ID, 'file');
  const storage = createObjectStorage(config.s3, { logger: { info: () => {}, warn: () => {} } });
  try {
    await storage.client.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: objectKey, Body: bytes, ContentType: 'application/pdf' }),
    );
  } finally {
    storage.close();
  }
  await db.insert(productFiles).values({
    id: randomUUID(),
    productId,
    role: 'file',
    objectKey,
    sizeBytes: bytes.length,
    contentType: 'application/pdf',
    originalName: 'bench-guide.pdf',
    state: 'stored',
  });

  // Open invoices for the intake phases: users who accepted the terms, each with an unpaid invoice
  // whose gateway invoice is recorded (the webhook binds a postback to it).
  const intakeInvoices: StackInfo['intakeInvoices'] = [];
  const openOne = async (index: number) => {
    const userId = INTAKE_USERS_FROM + index;
    await db.insert(users).values({
      id: userId,
      firstName: `Intake ${index}`,
      referralCode: `intake${index}`,
      termsAcceptedAt: new Date(),
    });
    sandbox.telegram.addUser({ id: userId, first_name: `Intake ${index}` }, { startedBot: true });
    const { invoiceId } = await commands.openInvoice({ userId, planId: BENCH_PLAN });
    for (let waited = 0; ; waited += 20) {
      const [row] = await db
        .select({ gatewayInvoiceId: invoices.providerInvoiceId })
        .from(invoices)
        .where(eq(invoices.id, invoiceId));
      if (row?.gatewayInvoiceId) {
        intakeInvoices.push({ orderId: invoiceId, gatewayInvoiceId: row.gatewayInvoiceId });
        return;
      }
      if (waited > 60_000) throw new Error(`invoice ${invoiceId} got no gateway invoice in 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  for (let next = 0; next < intakeCount; next += 10)
    await Promise.all(Array.from({ length: Math.min(10, intakeCount - next) }, (_, i) => openOne(next + i)));

  // Idle cost (bench/idle.ts): subscriptions in a paid period, started with the state a renewal
  // carries over (as continue-as-new leaves them), so each waits on its reminder and expiry timers.
  const subscribers = Number(process.env.BENCH_IDLE_SUBSCRIPTIONS ?? 0);
  for (let from = 0; from < subscribers; from += 1000)
    await db
      .insert(users)
      .values(
        Array.from({ length: Math.min(1000, subscribers - from) }, (_, i) => ({
          id: IDLE_USERS_FROM + from + i,
          firstName: `Subscriber ${from + i}`,
          referralCode: `idle${from + i}`,
          termsAcceptedAt: new Date(),
        })),
      )
      .onConflictDoNothing();
  for (let i = 0; i < subscribers; i++)
    sandbox.telegram.addUser({ id: IDLE_USERS_FROM + i, first_name: `Subscriber ${i}` }, { startedBot: true });
  const settings = subscriptionSettings(config);
  const startSubscription = async (index: number) => {
    const userId = IDLE_USERS_FROM + index;
    const now = Date.now();
    await stack.runtime.temporal.client.workflow.start('subscriptionWorkflow', {
      workflowId: subscriptionWorkflowId(userId, BENCH_PLAN),
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          userId,
          planId: BENCH_PLAN,
          settings,
          carry: {
            expiresAt: now + 30 * 86_400_000,
            periodStart: now,
            trial: false,
            accessGrantedAt: now,
            remindersSent: [],
            appliedInvoices: [],
            version: 1,
          },
        },
      ],
      typedSearchAttributes: [
        { key: TelegramUserId, value: userId },
        { key: ProcessStatus, value: 'active' },
      ],
    });
  };
  for (let next = 0; next < subscribers; next += 50)
    await Promise.all(Array.from({ length: Math.min(50, subscribers - next) }, (_, i) => startSubscription(next + i)));

  // What a second worker needs to join this stack (bench/second-worker.ts): the stack's own
  // environment, in a file only this user reads, removed when the stack stops.
  const workerEnvFile = join(tmpdir(), `tgc-bench-worker-env-${process.pid}.json`);
  writeFileSync(workerEnvFile, JSON.stringify(stack.env), { mode: 0o600 });
  process.once('exit', () => rmSync(workerEnvFile, { force: true }));

  const info: StackInfo = {
    pid: process.pid,
    apiUrl: stack.apiUrl,
    sandboxUrl: sandbox.url,
    databaseUrl: config.databaseUrl,
    temporalAddress: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    planId: BENCH_PLAN,
    channelId: BENCH_CHANNEL.id,
    productId,
    coin: 'btc',
    fulfilOnConfirmed: config.nowpayments.fulfilOnConfirmed,
    cryptocloudSecretKey: DEV_DEFAULTS.CRYPTOCLOUD_SECRET_KEY,
    intakeInvoices,
    ...(subscribers > 0 ? { subscribers: { from: IDLE_USERS_FROM, count: subscribers } } : {}),
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    workerEnvFile,
  };
  process.stdout.write(`${STACK_LINE_PREFIX}${JSON.stringify(info)}\n`);
} catch (error) {
  process.stderr.write(`bench stack: seeding failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  await stop(1);
}
