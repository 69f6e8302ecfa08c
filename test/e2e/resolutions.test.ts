/**
 * Admin resolution of money an invoice could not settle (`resolution:<invoiceId>`), end to end:
 * the alert with its buttons, each decision through the bot, the ops CLI and the commands, the
 * subscription effect, the ledger after each, and two admins deciding at once. Real Temporal dev
 * server and PostgreSQL; Telegram sandbox over HTTP.
 *
 * Each case comes from a real invoice paid through the CryptoCloud sandbox (partly then expired,
 * after expiry, above the price): the invoice workflow posts the money and hands it over.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, like } from 'drizzle-orm';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { owedOn } from '../../infrastructure/read-models/balances';
import { accounts } from '../../domain/ledger';
import type { ResolutionKind } from '../../domain/resolution';
import { auditLog, invoices, ledgerEntries, subscriptions } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import {
  ResolutionRefusedError,
  resolutionWorkflowId,
  UnknownResolutionError,
} from '../../infrastructure/temporal/resolution-commands';
import { runOps, type OpsDeps } from '../../ops/cli';
import { callbackDataOf, conversation, textMatches } from '../conversation';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';

const DAY_MS = 86_400_000;
const admin = (first_name: string): UserInput => ({
  id: 700_000_000 + Math.floor(Math.random() * 99_999_999),
  first_name,
  language_code: 'en',
});
const ADMIN_A = admin('Alice');
const ADMIN_B = admin('Bob');
const TX_HASH = `0x${'c3'.repeat(32)}`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ADMIN_IDS: `${ADMIN_A.id},${ADMIN_B.id}`,
    RESOLUTION_REMINDER_EVERY: '4s',
    // Invoices close fast, so partial and late cases happen within seconds.
    INVOICE_TTL: '3s',
    INVOICE_RECONCILE_SCHEDULE: '1s',
    INVOICE_RECONCILE_EVERY: '2s',
    INVOICE_LATE_PAYMENT_WINDOW: '20s',
  });
  for (const a of [ADMIN_A, ADMIN_B]) {
    await stack.addUser(a.id);
    stack.sandbox.telegram.addUser(a, { startedBot: true });
  }
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const { press, say } = conversation(tg);
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
const opsDeps = (): OpsDeps => ({
  db: db(),
  client: stack.runtime.temporal.client,
  commands: commands(),
  config: stack.config,
});
async function ops(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(
    argv,
    opsDeps(),
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const decimal = (minor: bigint) => (Number(minor) / 100).toFixed(2);
const invoiceStatus = async (invoiceId: string) =>
  (await db().select({ status: invoices.status }).from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status;

/**
 * A user with a real invoice (price 10.00 USD) whose money the invoice cannot settle, produced through
 * the CryptoCloud sandbox: partial — part paid, then expiry (needs_review); late — paid after it
 * expired unpaid (late_paid); overpaid — paid above the price. The invoice workflow hands it over.
 */
async function openCase(kind: ResolutionKind, amountMinor: bigint, options: { durationSeconds?: number } = {}) {
  const { planId } = await stack.createPlan({ priceMinor: 1000n, durationSeconds: options.durationSeconds ?? 3600 });
  const userId = stack.newUserId();
  await stack.addUser(userId);
  const { invoiceId } = await commands().openInvoice({ userId, planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  const cc = stack.sandbox.cryptocloud;
  switch (kind) {
    case 'partial':
      await cc.payPartially(invoiceId, decimal(amountMinor));
      break;
    case 'late':
      await eventually(
        'the invoice expired unpaid',
        async () => (await invoiceStatus(invoiceId)) === 'expired',
        20_000,
      );
      await cc.pay(invoiceId, { amount: decimal(amountMinor) });
      break;
    case 'overpaid':
      await cc.overpay(invoiceId, decimal(amountMinor));
      break;
  }
  const state = { partial: 'needs_review', late: 'late_paid', overpaid: 'overpaid' }[kind];
  await eventually(`the invoice ${state}`, async () => (await invoiceStatus(invoiceId)) === state, 20_000);
  // The invoice records its state first, then hands the money over.
  await eventually('the resolution case open', async () => (await statusOf(invoiceId)) === 'open');
  return { userId, planId, invoiceId };
}

/** What an account holds for this invoice and its resolution (credit positive). */
async function heldOn(account: string, invoiceId: string): Promise<bigint> {
  const rows = await db()
    .select({ amount: ledgerEntries.amountMinor, key: ledgerEntries.transactionKey })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.account, account));
  return -rows
    .filter((r) => r.key.startsWith(`invoice:${invoiceId}:`) || r.key.startsWith(`resolution:${invoiceId}:`))
    .reduce((sum, r) => sum + r.amount, 0n);
}
const resolutionEntries = (invoiceId: string) =>
  db()
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `resolution:${invoiceId}:%`));
const auditOf = (invoiceId: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.target, invoiceId), like(auditLog.action, 'resolution.%')))
    .orderBy(auditLog.id);
const alertTo = (adminId: number, invoiceId: string) =>
  tg().waitForMessage(
    adminId,
    (m) => (m.text ?? '').includes(`Invoice ${invoiceId} (user`) && /needs a decision/.test(m.text ?? ''),
  );
const current = (chatId: number, message: SentMessage) =>
  tg()
    .messagesTo(chatId)
    .find((m) => m.message_id === message.message_id)!;
const statusOf = async (invoiceId: string) => (await commands().resolutionState(invoiceId))?.status;

describe('admin resolutions', () => {
  it('a partial payment accepted as paid (Accept button) activates the subscription; the money becomes revenue', async () => {
    const { userId, planId, invoiceId } = await openCase('partial', 400n);
    const alert = await alertTo(ADMIN_A.id, invoiceId);
    expect(alert.text).toContain('4.00 USD arrived, less than the price');
    const buttons = callbackDataOf(alert);
    expect(buttons).toEqual([
      `res:accept:${invoiceId}`,
      `res:credit:${invoiceId}`,
      `res:refund:${invoiceId}`,
      `res:writeoff:${invoiceId}`,
    ]);
    await alertTo(ADMIN_B.id, invoiceId); // every admin is told

    tg().pressButton({ from: ADMIN_A, message_id: alert.message_id, data: `res:accept:${invoiceId}` });
    await eventually('the alert shows the outcome', () =>
      /accepted as paid; the subscription is activated/.test(current(ADMIN_A.id, alert).text ?? ''),
    );
    expect(callbackDataOf(current(ADMIN_A.id, alert))).toEqual([]);
    // The other admin's copy too: no stale buttons anywhere.
    const alertB = await alertTo(ADMIN_B.id, invoiceId);
    await eventually(
      'the other alert shows the outcome',
      () =>
        /accepted as paid/.test(current(ADMIN_B.id, alertB).text ?? '') &&
        callbackDataOf(current(ADMIN_B.id, alertB)).length === 0,
    );
    await tg().waitForMessage(userId, textMatches(/subscription is active/));
    await tg().waitForMessage(userId, textMatches(/4\.00 USD for invoice .* was accepted as full payment/));
    await tg().waitForMessage(
      ADMIN_B.id,
      textMatches(new RegExp(`Invoice ${invoiceId} .*accepted as paid.*by admin ${ADMIN_A.id}`, 's')),
    );
    const [sub] = await db()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId)));
    expect(sub?.status).toBe('active');
    // The invoices read model says what the admin decided.
    const [row] = await db().select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(row?.status).toBe('paid');
    expect(row?.paidAt).toBeInstanceOf(Date);
    expect(row?.statusHistory.at(-1)).toMatchObject({
      status: 'paid',
      note: `4.00 USD accepted by admin ${ADMIN_A.id}`,
    });

    expect(await heldOn(accounts.userUnapplied(userId), invoiceId)).toBe(0n);
    expect((await resolutionEntries(invoiceId)).map((e) => [e.account, e.amountMinor]).sort()).toEqual(
      [
        [accounts.userUnapplied(userId), 400n],
        [accounts.revenue('subscriptions'), -400n],
      ].sort(),
    );
    expect(await auditOf(invoiceId)).toMatchObject([
      {
        actor: 'admin',
        actorId: ADMIN_A.id,
        action: 'resolution.accept',
        details: { amount: '4.00', currency: 'USD' },
      },
    ]);
    await eventually('the workflow ended', async () => {
      const d = await stack.runtime.temporal.client.workflow.getHandle(resolutionWorkflowId(invoiceId)).describe();
      return d.status.name === 'COMPLETED';
    });
    await assertLedgerInvariant(db());

    // Accepted, the invoice counts as paid and can be refunded: what it paid (4.00) goes back through the gateway.
    expect(await commands().refundInvoice(invoiceId, String(ADMIN_A.id), 'chargeback')).toMatchObject({
      alreadyRefunded: false,
    });
    expect(await heldOn(accounts.gateway('cryptocloud'), invoiceId)).toBe(0n);
    expect(await heldOn(accounts.revenue('subscriptions'), invoiceId)).toBe(0n);
    await assertLedgerInvariant(db());
  });

  it('a late payment credited as days (Credit → Extend) extends the running subscription by exactly those days', async () => {
    const { userId, planId, invoiceId } = await openCase('late', 1000n, { durationSeconds: 10 * 86_400 });
    await commands().grant(userId, planId, 3, ADMIN_A.id);
    const before = await eventually('the running subscription', async () => {
      const v = await commands().subscriptionState(userId, planId);
      return v?.status === 'active' && v.expiresAt ? v.expiresAt : undefined;
    });
    const alert = await alertTo(ADMIN_B.id, invoiceId);
    expect(alert.text).toContain('10.00 USD arrived after the invoice had closed unpaid');
    expect(callbackDataOf(alert)).not.toContain(`res:accept:${invoiceId}`); // accept is for partial payments only
    // Worth 10 days at the plan's price: offered first.
    tg().pressButton({ from: ADMIN_B, message_id: alert.message_id, data: `res:credit:${invoiceId}` });
    const menu = await eventually('the credit choices', () => {
      const data = callbackDataOf(current(ADMIN_B.id, alert));
      return data.includes(`res:extend:10:${invoiceId}`) ? data : undefined;
    });
    expect(menu).toEqual([
      `res:extend:10:${invoiceId}`,
      `res:extend:30:${invoiceId}`,
      `res:balance:${invoiceId}`,
      `res:menu:${invoiceId}`,
    ]);
    tg().pressButton({ from: ADMIN_B, message_id: alert.message_id, data: `res:extend:10:${invoiceId}` });
    await eventually('the alert shows the outcome', () =>
      /credited as 10 days of the plan/.test(current(ADMIN_B.id, alert).text ?? ''),
    );
    const after = await eventually('the extension', async () => {
      const v = await commands().subscriptionState(userId, planId);
      return v?.expiresAt && v.expiresAt > before ? v.expiresAt : undefined;
    });
    expect(after - before).toBe(10 * DAY_MS);
    await tg().waitForMessage(userId, textMatches(/credited: 10 days were added/));
    expect(await heldOn(accounts.latePayments(), invoiceId)).toBe(0n);
    const entries = await resolutionEntries(invoiceId);
    expect(entries.map((e) => [e.account, e.amountMinor]).sort()).toEqual(
      [
        [accounts.latePayments(), 1000n],
        [accounts.revenue('subscriptions'), -1000n],
      ].sort(),
    );
    expect(await auditOf(invoiceId)).toMatchObject([
      { actorId: ADMIN_B.id, action: 'resolution.credit-extend', details: { days: 10, amount: '10.00' } },
    ]);
    await assertLedgerInvariant(db());
  });

  it('an overpayment refunded (ops CLI) is payable, reminded about, then paid out with its transaction hash (/refundpaid)', async () => {
    const { userId, invoiceId } = await openCase('overpaid', 250n);
    await alertTo(ADMIN_A.id, invoiceId);
    // Visibility (what `unresolved` lists from) follows the workflow within moments.
    await eventually('the case listed', async () =>
      (await ops('unresolved')).out.includes(`${invoiceId}  open  overpaid  held 2.50 USD  user ${userId}`),
    );

    const refunded = await ops('resolve', invoiceId, 'refund');
    expect(refunded).toMatchObject({ code: 0 });
    expect(refunded.out).toContain(`decided: ${invoiceId}  refund_pending  overpaid`);
    expect(await heldOn(accounts.userOverpayment(userId), invoiceId)).toBe(0n);
    expect(await heldOn(accounts.userRefund(userId), invoiceId)).toBe(250n);
    await assertLedgerInvariant(db());
    await tg().waitForMessage(userId, textMatches(/2\.50 USD for invoice .* will be refunded/));

    // While the payout is outstanding, admins are reminded, with a button for it.
    const reminder = await tg().waitForMessage(
      ADMIN_A.id,
      textMatches(new RegExp(`refund of 2\\.50 USD for invoice ${invoiceId} .* is not paid out yet`)),
      15_000,
    );
    expect(callbackDataOf(reminder)).toEqual([`res:refundpaid:${invoiceId}`]);

    expect(await ops('refund-paid', invoiceId, 'not-a-hash')).toMatchObject({ code: 1 });
    const reply = await say(ADMIN_B, `/refundpaid ${invoiceId} ${TX_HASH}`, textMatches(/refunded in|already decided/));
    expect(reply.text).toContain(`refunded in ${TX_HASH}`);
    expect(await heldOn(accounts.userRefund(userId), invoiceId)).toBe(0n);
    // The reminder's button is gone; it shows the payout (edited right after the decision is applied).
    await eventually('the reminder edited', () =>
      current(ADMIN_A.id, reminder).text?.includes(`refunded in ${TX_HASH}`),
    );
    expect(callbackDataOf(current(ADMIN_A.id, reminder))).toEqual([]);
    const paidOut = (await resolutionEntries(invoiceId)).find((e) => e.account === accounts.payoutsSent());
    expect(paidOut).toMatchObject({ amountMinor: -250n });
    expect(paidOut?.memo).toContain(TX_HASH);
    await tg().waitForMessage(
      userId,
      textMatches(new RegExp(`refund of 2\\.50 USD .* was sent\\. Transaction: ${TX_HASH}`)),
    );
    expect((await auditOf(invoiceId)).map((a) => [a.actor, a.action, a.details.txHash])).toEqual([
      ['ops', 'resolution.refund', undefined],
      ['admin', 'resolution.refund-paid', TX_HASH],
    ]);
    // Paid once: a second hash is told what happened.
    const again = await say(
      ADMIN_A,
      `/refundpaid ${invoiceId} ${'0x' + 'd4'.repeat(32)}`,
      textMatches(/already decided/),
    );
    expect(again.text).toContain(`paid out in ${TX_HASH}`);
    // The invoice paid for its plan and stays overpaid; its history has both decisions, each once.
    const [row] = await db().select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(row?.status).toBe('overpaid');
    expect(row?.statusHistory.filter((h) => h.source.startsWith('resolution:'))).toMatchObject([
      { status: 'overpaid', source: 'resolution:ops', note: '2.50 USD to be refunded by ops' },
      { status: 'overpaid', note: `refund of 2.50 USD paid in ${TX_HASH}` },
    ]);
    expect((await ops('unresolved')).out).not.toContain(invoiceId);
    await assertLedgerInvariant(db());
  });

  it('a late payment on a partly paid invoice joins its case; accepting takes all of it', async () => {
    const { userId, planId, invoiceId } = await openCase('partial', 400n);
    const first = await alertTo(ADMIN_A.id, invoiceId);
    await stack.sandbox.cryptocloud.pay(invoiceId, { amount: '6.00' });
    const second = await tg().waitForMessage(
      ADMIN_A.id,
      (m) =>
        m.message_id > first.message_id &&
        /10\.00 USD arrived that the invoice could not settle \(partial\+late\)/.test(m.text ?? ''),
    );
    expect(callbackDataOf(second)).toContain(`res:accept:${invoiceId}`);
    expect(await invoiceStatus(invoiceId)).toBe('late_paid');
    const reply = await say(ADMIN_A, `/resolve ${invoiceId} accept`, textMatches(/accepted as paid|already/));
    expect(reply.text).toContain('10.00 USD accepted as paid');
    expect((await resolutionEntries(invoiceId)).map((e) => [e.account, e.amountMinor]).sort()).toEqual(
      [
        [accounts.userUnapplied(userId), 400n],
        [accounts.latePayments(), 600n],
        [accounts.revenue('subscriptions'), -1000n],
      ].sort(),
    );
    expect(await heldOn(accounts.userUnapplied(userId), invoiceId)).toBe(0n);
    expect(await heldOn(accounts.latePayments(), invoiceId)).toBe(0n);
    await eventually(
      'the subscription active',
      async () => (await commands().subscriptionState(userId, planId))?.status === 'active',
    );
    // Both alerts lost their buttons.
    await eventually('both alerts without buttons', () =>
      [first, second].every((alert) => callbackDataOf(current(ADMIN_A.id, alert)).length === 0),
    );
    await assertLedgerInvariant(db());
  });

  it('two admins deciding at once: one decision, the other is told what was decided', async () => {
    const { userId, invoiceId } = await openCase('partial', 600n);
    await alertTo(ADMIN_A.id, invoiceId);
    const [a, b] = await Promise.all([
      commands().resolve(invoiceId, { type: 'credit', mode: 'balance' }, { actor: 'admin', id: ADMIN_A.id }),
      commands().resolve(invoiceId, { type: 'writeoff', reason: 'test dust' }, { actor: 'admin', id: ADMIN_B.id }),
    ]);
    expect([a.applied, b.applied].sort()).toEqual([false, true]);
    const winner = a.applied ? a : b;
    const loser = a.applied ? b : a;
    expect(loser.view.outcome).toEqual(winner.view.outcome);
    const entries = await resolutionEntries(invoiceId);
    expect(new Set(entries.map((e) => e.transactionKey)).size).toBe(1);
    expect(await heldOn(accounts.userUnapplied(userId), invoiceId)).toBe(0n);
    const target = a.applied ? accounts.userCredit(userId) : accounts.writtenOff();
    expect(entries.find((e) => e.account === target)?.amountMinor).toBe(-600n);
    expect((await auditOf(invoiceId)).filter((r) => !r.details.refused)).toHaveLength(1);
    await assertLedgerInvariant(db());
  });

  it('two admins pressing buttons at once: one alert shows the decision, the other what had been decided', async () => {
    const { invoiceId } = await openCase('late', 300n);
    const [alertA, alertB] = await Promise.all([alertTo(ADMIN_A.id, invoiceId), alertTo(ADMIN_B.id, invoiceId)]);
    const queryA = tg().pressButton({ from: ADMIN_A, message_id: alertA.message_id, data: `res:refund:${invoiceId}` });
    const queryB = tg().pressButton({ from: ADMIN_B, message_id: alertB.message_id, data: `res:refund:${invoiceId}` });
    await eventually('both alerts updated', () => {
      const texts = [current(ADMIN_A.id, alertA).text ?? '', current(ADMIN_B.id, alertB).text ?? ''];
      return texts.every((t) => /to be refunded/.test(t)) ? texts : undefined;
    });
    for (const [chatId, alert] of [
      [ADMIN_A.id, alertA],
      [ADMIN_B.id, alertB],
    ] as const)
      expect(callbackDataOf(current(chatId, alert))).toEqual([]);
    const answers = await eventually('both buttons answered', () => {
      const both = [tg().callbackAnswer(queryA), tg().callbackAnswer(queryB)];
      return both.every((a) => a?.answered) ? both : undefined;
    });
    // One decided (a plain toast), the other is told who had decided what.
    expect(answers.filter((a) => !a?.show_alert && /to be refunded \(payable\)/.test(a?.text ?? ''))).toHaveLength(1);
    expect(
      answers.filter(
        (a) =>
          a?.show_alert &&
          /was already decided by admin \d+: 3\.00 USD to be refunded, not paid out yet/.test(a.text ?? ''),
      ),
    ).toHaveLength(1);
    expect((await resolutionEntries(invoiceId)).length).toBe(2);
    expect(await statusOf(invoiceId)).toBe('refund_pending');
    await commands().refundPaid(invoiceId, TX_HASH, { actor: 'ops' });
    // The late money paid for nothing and went back: the invoice row says refunded.
    const [row] = await db().select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(row?.status).toBe('refunded');
    expect(row?.statusHistory.at(-1)).toMatchObject({
      status: 'refunded',
      source: 'resolution:ops',
      note: `refund of 3.00 USD paid in ${TX_HASH}`,
    });
    await assertLedgerInvariant(db());
  });

  it('write off by button asks for the reason; keep as balance; money that grows is one case', async () => {
    const c = await openCase('late', 200n);
    const first = await alertTo(ADMIN_A.id, c.invoiceId);
    expect(first.text).toContain('2.00 USD arrived');
    // The same hand-over again (e.g. a retried activity) is nothing new; more money is, and the admins see the new total.
    const reported = (await commands().resolutionState(c.invoiceId))!.reported.late!;
    await commands().openResolution({ ...c, kind: 'late', amount: reported, currency: 'USD', provider: 'cryptocloud' });
    await stack.sandbox.cryptocloud.pay(c.invoiceId, { amount: '3.00' });
    const second = await tg().waitForMessage(
      ADMIN_A.id,
      (m) =>
        m.message_id > first.message_id &&
        (m.text ?? '').includes(`Invoice ${c.invoiceId} (user`) &&
        /5\.00 USD arrived/.test(m.text ?? ''),
    );
    await press(ADMIN_A, second, `res:writeoff:${c.invoiceId}`, textMatches(/Reply with the reason/)).then(
      async (promptMessage) => {
        expect(promptMessage.reply_markup).toMatchObject({ force_reply: true });
        const me = tg()
          .messagesTo(ADMIN_A.id)
          .find((m) => m.message_id === promptMessage.message_id)!;
        const done = tg().waitForMessage(
          ADMIN_A.id,
          (m) => m.message_id > promptMessage.message_id && /written off/.test(m.text ?? ''),
        );
        tg().injectUpdate({
          message: {
            message_id: 1_000_000 + Math.floor(Math.random() * 1_000_000),
            date: Math.floor(Date.now() / 1000),
            chat: { id: ADMIN_A.id, type: 'private', first_name: ADMIN_A.first_name },
            from: ADMIN_A,
            text: 'refunded off-platform by support',
            reply_to_message: me.message,
          },
        });
        expect((await done).text).toContain('5.00 USD written off: refunded off-platform by support');
      },
    );
    expect(await heldOn(accounts.latePayments(), c.invoiceId)).toBe(0n);
    const writtenOff = (await resolutionEntries(c.invoiceId)).find((e) => e.account === accounts.writtenOff());
    expect(writtenOff?.amountMinor).toBe(-500n);
    expect(writtenOff?.memo).toContain('refunded off-platform by support');
    expect(
      tg()
        .messagesTo(ADMIN_A.id)
        .filter((m) => /needs a decision/.test(m.text ?? '') && (m.text ?? '').includes(c.invoiceId)),
    ).toHaveLength(2);

    const kept = await openCase('overpaid', 150n);
    const reply = await say(
      ADMIN_B,
      `/resolve ${kept.invoiceId} balance`,
      textMatches(/kept as the user's balance|already/),
    );
    expect(reply.text).toContain('1.50 USD kept as the user');
    expect(await owedOn(db(), accounts.userCredit(kept.userId), 'USD')).toBe(150n);
    await tg().waitForMessage(kept.userId, textMatches(/kept as your balance for the next invoice/));
    const [keptRow] = await db().select().from(invoices).where(eq(invoices.id, kept.invoiceId));
    expect(keptRow?.statusHistory.at(-1)).toMatchObject({
      status: 'overpaid',
      note: `1.50 USD kept as balance by admin ${ADMIN_B.id}`,
    });
    // /myplan shows the balance (the subscription the invoice paid for, then the balance).
    const keptUser = { id: kept.userId, first_name: 'Kept', language_code: 'en' };
    const plan = await say(keptUser, '/myplan', textMatches(/Your subscriptions/));
    expect(plan.text).toMatch(/active until[\s\S]*Balance: 1\.50 USD/);
    await assertLedgerInvariant(db());
  });

  it('refuses malformed decisions and actions the case does not allow, changing nothing', async () => {
    const { invoiceId } = await openCase('late', 100n);
    await alertTo(ADMIN_A.id, invoiceId);
    const by = { actor: 'admin' as const, id: ADMIN_A.id };
    await expect(commands().resolve(invoiceId, { type: 'accept' }, by)).rejects.toThrow(
      /"accept" does not apply to late money/,
    );
    await expect(commands().resolve(invoiceId, { type: 'credit', mode: 'extend', days: 0 }, by)).rejects.toThrow(
      ResolutionRefusedError,
    );
    await expect(commands().resolve(invoiceId, { type: 'writeoff', reason: '  ' }, by)).rejects.toThrow(
      /needs a reason/,
    );
    await expect(commands().resolve(invoiceId, { type: 'refundPaid', txHash: TX_HASH }, by)).rejects.toThrow(
      /no refund is waiting/,
    );
    await expect(commands().resolve('1-nosuch-1', { type: 'refund' }, by)).rejects.toThrow(UnknownResolutionError);
    // The workflow's validator refuses them too, when the command's own checks are skipped.
    const handle = stack.runtime.temporal.client.workflow.getHandle(resolutionWorkflowId(invoiceId));
    for (const [action, why] of [
      [{ type: 'accept' }, /"accept" does not apply to late money/],
      [{ type: 'credit', mode: 'extend', days: -3 }, /days must be a whole number above 0/],
      [{ type: 'refundPaid', txHash: 'nope' }, /transaction hash is 64 hexadecimal digits/],
    ] as const) {
      const failure = await handle.executeUpdate('resolve', { args: [{ action, by }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((failure as WorkflowUpdateFailedError).cause?.message).toMatch(why);
    }
    const reply = await say(ADMIN_A, `/resolve ${invoiceId} credit zero`, textMatches(/Usage: \/resolve/));
    expect(reply.text).toContain('credit needs a number of days');
    expect(await ops('resolve', invoiceId, 'accept')).toMatchObject({ code: 1 });
    expect(await resolutionEntries(invoiceId)).toEqual([]);
    expect(await statusOf(invoiceId)).toBe('open');
    expect((await auditOf(invoiceId)).every((r) => r.details.refused)).toBe(true);
    await commands().resolve(invoiceId, { type: 'writeoff', reason: 'test over' }, by);
  });

  it('reminds the admins while nobody decides', async () => {
    const { invoiceId } = await openCase('overpaid', 120n);
    const reminder = await tg().waitForMessage(
      ADMIN_B.id,
      textMatches(new RegExp(`Invoice ${invoiceId} \\(user \\d+\\): 1\\.20 USD still waits for a decision`)),
      15_000,
    );
    expect(callbackDataOf(reminder)).toEqual([
      `res:credit:${invoiceId}`,
      `res:refund:${invoiceId}`,
      `res:writeoff:${invoiceId}`,
    ]);
    await commands().resolve(invoiceId, { type: 'writeoff', reason: randomUUID() }, { actor: 'ops' });
    await eventually('resolved', async () => (await statusOf(invoiceId)) === 'resolved');
  });
});
