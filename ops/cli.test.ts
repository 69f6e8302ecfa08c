/**
 * The ops CLI against the real stack: stuck invoices found through Temporal visibility and
 * reconciled, failed messages replayed exactly once, failed workflows listed, clear refusals.
 */
import { runOpsCapture } from '../test/ops';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../infrastructure/config';
import { writeDevStackFile } from '../infrastructure/processes/dev-stack-file';
import { publicScratchDir } from '../test/scratch';
import {
  auditLog,
  channels,
  invoices,
  outboxMessages,
  payoutRequests,
  planChannels,
  plans,
  referrers,
} from '../infrastructure/db/schema';
import { fundReferrer } from '../test/ledger';
import { InvoiceId, ProcessStatus, TelegramUserId } from '../workflows/search-attributes';
import { eventually, startStack, type Stack } from '../test/harness';
import { COMMANDS, failedWorkflows, loadOpsConfig, stuckInvoices, userReport, type OpsDeps } from './cli';

let stack: Stack;
let deps: OpsDeps;
beforeAll(async () => {
  // No automatic reconciliation within a test's lifetime: only ops can find a dropped postback.
  stack = await startStack({ INVOICE_TTL: '30m', INVOICE_RECONCILE_SCHEDULE: '10m', INVOICE_RECONCILE_EVERY: '10m' });
  deps = {
    db: stack.runtime.db,
    client: stack.runtime.temporal.client,
    commands: stack.runtime.commands,
    config: stack.config,
  };
});
afterAll(async () => {
  await stack?.stop();
});

const ops = (...argv: string[]) => runOpsCapture(deps, argv);

async function buyer() {
  const { planId } = await stack.createPlan();
  const userId = stack.newUserId();
  await stack.addUser(userId);
  return { userId, planId };
}

const invoiceStatus = async (invoiceId: string) =>
  (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status;
const outboxRow = async (key: string) =>
  (await stack.runtime.db.select().from(outboxMessages).where(eq(outboxMessages.key, key)))[0];

describe('ops CLI', () => {
  it('finds an invoice whose postback was dropped and reconciles it with the gateway', async () => {
    const { userId, planId } = await buyer();
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
    await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
    stack.sandbox.cryptocloud.dropPostbacks(1);
    await stack.sandbox.cryptocloud.pay(invoiceId);

    const stuck = await eventually('the invoice listed as stuck', async () =>
      (await stuckInvoices(deps, { olderThanMs: 1000 })).find((row) => row.invoiceId === invoiceId),
    );
    expect(stuck).toMatchObject({
      processStatus: 'pending',
      telegramUserId: userId,
      amount: '10.00',
      received: '0',
      currency: 'USD',
    });
    expect(stuck.uiUrl).toContain(encodeURIComponent(`invoice:${invoiceId}`));
    const listed = await ops('stuck-invoices', '--older-than', '1s');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(invoiceId);
    // Younger than the threshold: not stuck.
    expect((await stuckInvoices(deps, { olderThanMs: 3_600_000 })).some((row) => row.invoiceId === invoiceId)).toBe(
      false,
    );
    expect(await invoiceStatus(invoiceId)).toBe('pending');

    const reconciled = await ops('reconcile', invoiceId);
    expect(reconciled).toMatchObject({ code: 0, err: '' });
    expect(reconciled.out).toContain(`invoice ${invoiceId}: asked the gateway`);
    await eventually('the invoice paid', async () => (await invoiceStatus(invoiceId)) === 'paid');
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''));
    await eventually(
      'no longer stuck',
      async () => !(await stuckInvoices(deps, { olderThanMs: 1000 })).some((row) => row.invoiceId === invoiceId),
    );
    expect(await ops('reconcile', invoiceId)).toMatchObject({
      code: 1,
      err: `error: invoice ${invoiceId} is closed (paid); nothing to reconcile`,
    });
  });

  it('replays a message Telegram refused exactly once, however often it is asked', async () => {
    const { userId, planId } = await buyer();
    stack.sandbox.telegram.injectFault({
      method: 'sendMessage',
      chatId: userId,
      fault: { kind: 'server_error', status: 400, description: 'Bad Request: message is too long' },
    });
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
    const key = `${invoiceId}:created`;
    await eventually('the message marked failed', async () => (await outboxRow(key))?.status === 'failed');
    expect(stack.sandbox.telegram.messagesTo(userId)).toHaveLength(0);
    expect((await userReport(deps, String(userId))).failedMessages).toEqual([
      expect.objectContaining({ key, status: 'failed' }),
    ]);

    const [a, b] = await Promise.all([ops('replay-delivery', key), ops('replay-delivery', key)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.out).toMatch(new RegExp(`message ${key} delivered \\(Telegram message \\d+\\)`));
    const again = await ops('replay-delivery', key);
    expect(again).toMatchObject({ code: 1, err: `error: message ${key} was already delivered; nothing to replay` });

    const invoiceMessages = stack.sandbox.telegram
      .messagesTo(userId)
      .filter((m) => /Invoice for 10\.00 USD/.test(m.text ?? ''));
    expect(invoiceMessages).toHaveLength(1);
    // The replayed message is the original one, pay button included.
    expect(JSON.stringify(invoiceMessages[0]!.reply_markup)).toContain('Pay');
    expect(await outboxRow(key)).toMatchObject({ status: 'sent', error: null });
  });

  it('lists workflows that failed', async () => {
    const { userId, planId } = await buyer();
    const invoiceId = `${userId}-${planId}-99`;
    // A provider no gateway is configured for: the workflow fails for good.
    await stack.runtime.temporal.client.workflow.start('invoiceWorkflow', {
      workflowId: `invoice:${invoiceId}`,
      taskQueue: stack.config.temporal.taskQueue,
      args: [
        {
          invoiceId,
          userId,
          planId,
          provider: 'nowhere',
          amountMinor: '1000',
          currency: 'USD',
          ttlMs: 60_000,
          reconcileAtMs: [30_000],
          reconcileEveryMs: 30_000,
          latePaymentWindowMs: 1000,
        },
      ],
      typedSearchAttributes: [
        { key: TelegramUserId, value: userId },
        { key: InvoiceId, value: invoiceId },
        { key: ProcessStatus, value: 'pending' },
      ],
    });
    const failed = await eventually('the failed workflow listed', async () =>
      (await failedWorkflows(deps, { sinceMs: 3_600_000 })).find((row) => row.workflowId === `invoice:${invoiceId}`),
    );
    expect(failed).toMatchObject({ type: 'invoiceWorkflow', executionStatus: 'FAILED', telegramUserId: userId });
    expect((await ops('failed', '--since', '1h')).out).toContain(`invoice:${invoiceId}`);
  });

  it("shows a user's workflows and records", async () => {
    const { userId, planId } = await buyer();
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
    const report = await eventually('the invoice workflow visible', async () => {
      const found = await userReport(deps, String(userId));
      return found.workflows.some((w) => w.workflowId === `invoice:${invoiceId}`) &&
        found.invoices.some((i) => i.id === invoiceId)
        ? found
        : undefined;
    });
    expect(report.user?.id).toBe(userId);
    const shown = await ops('user', String(userId));
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`invoice:${invoiceId}  RUNNING  pending`);
    await stack.runtime.commands.cancelInvoice(invoiceId, 'test');
  });

  it('answers unknown or malformed ids with one clear line and exit code 1', async () => {
    const unknownUser = stack.newUserId();
    const cases: Array<[string[], string]> = [
      [['reconcile', `${unknownUser}-nope-1`], `error: unknown invoice ${unknownUser}-nope-1`],
      [['reconcile', 'not an id'], 'error: "not an id" is not an invoice id (like 123456-plan-1)'],
      [['replay-delivery', `no-such-key-${randomUUID()}`], 'error: unknown message no-such-key-'],
      [['user', String(unknownUser)], `error: unknown user ${unknownUser}`],
      [['user', 'alice'], 'error: "alice" is not a Telegram user id'],
      [['refund', `${unknownUser}-nope-1`], `error: unknown invoice ${unknownUser}-nope-1`],
    ];
    for (const [argv, message] of cases) {
      const result = await ops(...argv);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.err.split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.err, argv.join(' ')).toContain(message);
      expect(result.out).toBe('');
    }
    const { userId, planId } = await buyer();
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
    await eventually('invoice recorded', async () => (await invoiceStatus(invoiceId)) === 'pending');
    expect(await ops('refund', invoiceId)).toMatchObject({
      code: 1,
      err: `error: Invoice ${invoiceId} is pending; only a paid invoice can be refunded`,
    });
    await stack.runtime.commands.cancelInvoice(invoiceId, 'test');
    expect((await ops('frobnicate')).code).toBe(2);
    expect((await ops()).code).toBe(2);
  });

  it('decides a payout and tells each of two operators at once what really happened', async () => {
    const userId = stack.newUserId();
    await stack.addUser(userId);
    await stack.runtime.db.insert(referrers).values({ userId, commissionBps: 1000 });
    await fundReferrer(stack.runtime.db, userId, 2000n, randomUUID());
    const { payoutId, accepted } = await stack.runtime.commands.requestPayout({
      requesterId: userId,
      amountMinor: 2000n,
      currency: 'USD',
      network: 'TRC20',
      wallet: 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL',
    });
    expect(accepted).toBe(true);
    const [a, b] = await Promise.all([
      ops('payout-reject', payoutId, '--by', '111', 'wrong', 'wallet'),
      ops('payout-approve', payoutId, '--by', '222'),
    ]);
    const row = (await stack.runtime.db.select().from(payoutRequests).where(eq(payoutRequests.id, payoutId)))[0];
    expect(row?.status).toBe('rejected');
    if (b.code !== 0) {
      // Rejected first: the approval is refused and says by whom.
      expect(a).toMatchObject({ code: 0, out: `payout ${payoutId} rejected by 111: wrong wallet` });
      expect(b).toMatchObject({
        code: 1,
        err: `error: Payout ${payoutId} is rejected (decided by 111): it cannot be approved`,
      });
    } else {
      // Approved first, then the rejection applies on top: both were applied, in that order.
      expect(b).toMatchObject({ code: 0, out: `payout ${payoutId} approved by 222` });
      expect(a).toMatchObject({ code: 0, out: `payout ${payoutId} rejected by 111: wrong wallet` });
    }
    expect(await ops('payout-paid', payoutId, 'ab'.repeat(32), '--by', '222')).toMatchObject({
      code: 1,
      err: `error: Payout ${payoutId} is rejected (decided by 111): it cannot be marked paid`,
    });
    expect((await ops('payout-approve', 'nosuchpayout', '--by', '1')).err).toBe('error: unknown payout nosuchpayout');
    expect((await ops('payout-approve', payoutId)).code).toBe(2);
  });
});

describe('ops CLI start-up', () => {
  /** The CLI as its own process with nothing but PATH in its environment (like `env -i PATH=...`). */
  const bare = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'ops/cli.ts', ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('--help needs no configuration and lists every command with a description', () => {
    const file = readFileSync(new URL('./cli.ts', import.meta.url), 'utf8');
    // The commands are the cases of runOps's switch.
    const source = file.slice(file.indexOf('export async function runOps'));
    const handled = [...source.matchAll(/^ {6}case '([\w-]+)':/gm)].map((match) => match[1]!);
    expect(handled.length).toBeGreaterThan(5);
    expect([...COMMANDS].sort()).toEqual([...handled].sort());
    for (const args of [['--help'], ['stuck-invoices', '-h']]) {
      const result = bare(...args);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr).toBe('');
      for (const command of handled)
        expect(result.stdout, `${command} in --help`).toMatch(new RegExp(`^  ${command}\\b.*\\S\\s{2,}\\w`, 'm'));
      expect(result.stdout).toContain('.data/dev-stack.env');
    }
  });

  it('refuses an unknown command with the usage before reading any configuration', () => {
    const result = bare('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: unknown command "frobnicate"');
    expect(result.stderr).toContain('stuck-invoices');
    expect(result.stderr).not.toContain('DATABASE_URL');
  });

  it("uses a running dev stack's settings file only when DATABASE_URL is not set, and names a stale one", async () => {
    const dir = publicScratchDir('tgc-ops-');
    const file = join(dir, 'dev-stack.env');
    try {
      const remove = writeDevStackFile(
        {
          DATABASE_URL: 'postgres://dev@127.0.0.1:5432/tg_commerce_dev',
          TEMPORAL_ADDRESS: '127.0.0.1:17233',
          TEMPORAL_TASK_QUEUE: 'dev-queue',
          REFERRAL_HOLD: '4s',
        },
        [],
        file,
      );
      const notes: string[] = [];
      const env: Record<string, string | undefined> = { TEMPORAL_TASK_QUEUE: 'mine' };
      const config = loadOpsConfig(env, (line) => notes.push(line), file);
      expect(config.databaseUrl).toBe('postgres://dev@127.0.0.1:5432/tg_commerce_dev');
      expect(config.temporal.address).toBe('127.0.0.1:17233');
      // The environment wins over the file, variable by variable.
      expect(config.temporal.taskQueue).toBe('mine');
      expect(config.referral.holdMs).toBe(4000);
      expect(notes).toEqual([expect.stringContaining(`pid ${process.pid}`)]);

      // A deployment's own DATABASE_URL: the file is not looked at.
      const deployed = loadOpsConfig({ DATABASE_URL: 'postgres://ops@db/prod' }, () => {}, file);
      expect(deployed.temporal.address).toBe('127.0.0.1:7233');

      remove();
      expect(() => readFileSync(file)).toThrow(/ENOENT/);

      // Left behind by a stack that was killed: ignored, and the error says why.
      const exited = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => exited.once('exit', resolve));
      writeFileSync(file, `DEV_STACK_PID=${exited.pid}\nDATABASE_URL=postgres://gone@127.0.0.1/x\n`);
      let error: unknown;
      try {
        loadOpsConfig({}, () => {}, file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^DATABASE_URL is missing/),
        expect.stringContaining(`is stale: the dev stack that wrote it (pid ${exited.pid}) is no longer running`),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ops CLI: plans', () => {
  const channelId = () => -(1_000_000_000_000 + stack.newUserId());
  const planRow = async (id: string) => (await stack.runtime.db.select().from(plans).where(eq(plans.id, id)))[0];
  const channelsOf = async (id: string) =>
    (await stack.runtime.db.select().from(planChannels).where(eq(planChannels.planId, id)))
      .map((row) => row.channelId)
      .sort();
  const snapshot = async () => ({
    plans: await stack.runtime.db.select().from(plans).orderBy(plans.id),
    channels: await stack.runtime.db.select().from(channels).orderBy(channels.id),
    planChannels: await stack.runtime.db
      .select()
      .from(planChannels)
      .orderBy(planChannels.planId, planChannels.channelId),
  });

  it('creates, lists, edits, prices and deactivates a plan and attaches and detaches channels, each audited', async () => {
    const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
    const id = `ops${suffix}`;
    const a = { id: channelId(), title: `Ops A ${suffix}` };
    const b = { id: channelId(), title: `Ops B ${suffix}`, username: `opsb${suffix}` };
    const memberOnly = { id: channelId(), title: `Ops member ${suffix}` };
    stack.sandbox.telegram.addChannel(a);
    stack.sandbox.telegram.addChannel(b);
    stack.sandbox.telegram.addChannel({ ...memberOnly, botStatus: 'member' });

    const created = await ops(
      'plan-create',
      id,
      '--title',
      'Ops Plan',
      '--duration',
      '7d',
      '--price',
      '5',
      '--currency',
      'usd',
      '--trial',
      '1d',
      '--channel',
      String(a.id),
      '--channel',
      `@${b.username}`,
    );
    expect(created).toMatchObject({ code: 0, err: '', out: `plan ${id} created and on sale: 5.00 USD / 7d` });
    expect(await planRow(id)).toMatchObject({
      title: 'Ops Plan',
      durationSeconds: 7 * 86_400,
      trialSeconds: 86_400,
      priceMinor: 500n,
      currency: 'USD',
      active: true,
    });
    expect(await channelsOf(id)).toEqual([a.id, b.id].sort());
    const listed = await ops('plans');
    expect(listed.out.split('\n').find((line) => line.startsWith(`${id} `))).toBe(
      `${id}  active  Ops Plan  5.00 USD / 7d  trial 1d  channels: ${[a, b]
        .sort((x, y) => x.title.localeCompare(y.title))
        .map((c) => `${c.id} (${c.title})`)
        .join(', ')}`,
    );

    expect(await ops('plan-edit', id, '--title', 'Ops Plan Plus', '--duration', '14d', '--trial', '0')).toMatchObject({
      code: 0,
      out: `plan ${id} changed`,
    });
    expect(await planRow(id)).toMatchObject({ title: 'Ops Plan Plus', durationSeconds: 14 * 86_400, trialSeconds: 0 });
    expect(await ops('plan-price', id, '7.5', 'USD')).toMatchObject({
      code: 0,
      out: `plan ${id} now costs 7.50 USD for new invoices`,
    });
    expect((await planRow(id))?.priceMinor).toBe(750n);

    // The bot only a member of the channel: refused, saying which rights are needed.
    const refused = await ops('plan-channels', id, 'attach', String(memberOnly.id));
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      `error: the bot is only a member of "${memberOnly.title}" (${memberOnly.id}): make it an administrator with can_invite_users and can_restrict_members`,
    );
    expect(await channelsOf(id)).toEqual([a.id, b.id].sort());

    expect(await ops('plan-channels', id, 'detach', String(a.id))).toMatchObject({
      code: 0,
      out: `channel ${a.id} detached from plan ${id}`,
    });
    expect(await ops('plan-channels', id, 'detach', String(b.id))).toMatchObject({
      code: 1,
      err: `error: channel ${b.id} is the only channel of plan ${id}: attach another one first`,
    });
    expect(await ops('plan-channels', id, 'attach', String(a.id))).toMatchObject({
      code: 0,
      out: `channel ${a.id} (${a.title}) attached to plan ${id}`,
    });
    expect((await ops('plan-channels', id)).out).toContain(`${b.id}  ${b.title}`);

    expect(await ops('plan-deactivate', id)).toMatchObject({
      code: 0,
      out: `plan ${id} is now off sale (running subscriptions go on)`,
    });
    expect((await planRow(id))?.active).toBe(false);
    expect((await ops('plan-deactivate', id)).out).toBe(
      `plan ${id} was already off sale (running subscriptions go on)`,
    );
    expect((await ops('plans')).out).toContain(`${id}  inactive`);

    const audits = await stack.runtime.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.target, id), eq(auditLog.actor, 'ops')))
      .orderBy(auditLog.id);
    expect(audits.map((row) => row.action)).toEqual([
      'plan.create',
      'plan.edit',
      'plan.price',
      'plan.channel_attach',
      'plan.channel_detach',
      'plan.channel_detach',
      'plan.channel_attach',
      'plan.deactivate',
    ]);
    expect(audits[2]!.details).toEqual({
      before: { priceMinor: '500', currency: 'USD' },
      after: { priceMinor: '750', currency: 'USD' },
    });
    expect(audits[3]!.details).toMatchObject({ refused: 'channel-bot-not-admin' });
    expect(audits[5]!.details).toMatchObject({ refused: 'plan-last-channel' });
  });

  it('refuses bad input with one clear line and leaves every stored record intact', async () => {
    const { planId, channelIds } = await stack.createPlan();
    const channel = String(channelIds[0]!);
    const fresh = `new${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const create = (...overrides: string[]) => {
      const options: Record<string, string> = {
        '--title': 'T',
        '--duration': '30d',
        '--price': '9.99',
        '--currency': 'USD',
      };
      for (let i = 0; i < overrides.length; i += 2) options[overrides[i]!] = overrides[i + 1]!;
      const id = options.id ?? fresh;
      delete options.id;
      return ['plan-create', id, ...Object.entries(options).flat(), '--channel', channel];
    };
    const before = await snapshot();
    const cases: Array<[string[], string]> = [
      [create('id', planId), `error: a plan with id ${planId} already exists`],
      [create('id', 'Bad Id'), 'error: "Bad Id" is not a plan id'],
      [create('--duration', '0'), 'error: "0" is not a period length'],
      [create('--duration', '-5d'), 'error: "-5d" is not a period length'],
      [create('--trial', 'soon'), 'error: "soon" is not a trial length'],
      [create('--price', 'abc'), 'error: "abc" is not a price'],
      [create('--price', '-1'), 'error: "-1" is not a price'],
      [create('--price', '0'), 'error: "0" is not a price'],
      [create('--price', '1.234'), 'error: "1.234" is not a price'],
      [create('--currency', 'XYZ'), 'error: unknown currency "XYZ": use one of USD, EUR, RUB'],
      [create('--title', '   '), 'error: a plan title has 1-64 characters'],
      [['plan-price', planId, '0', 'USD'], 'error: "0" is not a price'],
      [['plan-price', planId, '5', 'GBP'], 'error: unknown currency "GBP"'],
      [['plan-edit', planId, '--duration', '0'], 'error: "0" is not a period length'],
      [['plan-edit', planId], 'error: nothing to change'],
      [['plan-edit', fresh, '--title', 'X'], `error: unknown plan ${fresh}`],
      [['plan-price', fresh, '5', 'USD'], `error: unknown plan ${fresh}`],
      [['plan-deactivate', fresh], `error: unknown plan ${fresh}`],
      [
        ['plan-channels', planId, 'attach', '@no_such_channel_here'],
        'error: Telegram does not know channel @no_such_channel_here',
      ],
      [['plan-channels', planId, 'attach', 'news'], 'error: "news" is not a channel'],
    ];
    for (const [argv, message] of cases) {
      const result = await ops(...argv);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.err.split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.err, argv.join(' ')).toContain(message);
      expect(result.out, argv.join(' ')).toBe('');
    }
    expect(await snapshot()).toEqual(before);
    expect((await ops('plan-create', fresh, '--duration', '30d')).code).toBe(2);
    expect((await ops('plan-price', planId, '5')).code).toBe(2);
    expect((await ops('plan-channels', planId, 'move', channel)).code).toBe(2);
    expect(await planRow(fresh)).toBeUndefined();
  });
});
