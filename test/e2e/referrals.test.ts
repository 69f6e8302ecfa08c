/**
 * Referral commissions end to end: a referred user's payments through the CryptoCloud sandbox, the
 * commission workflow's hold (seconds here), refunds before and after the hold.
 */
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices, ledgerEntries, referralCommissions, referrers } from '../../infrastructure/db/schema';
import { runOps } from '../../ops/cli';
import type { commissionWorkflow } from '../../workflows/commission';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant, balancesOf } from '../ledger';

async function referralPair(stack: Stack, options: { commissionBps?: number; active?: boolean } = {}) {
  const referrerId = stack.newUserId();
  await stack.addUser(referrerId);
  await stack.runtime.db
    .insert(referrers)
    .values({ userId: referrerId, commissionBps: options.commissionBps ?? 1500, active: options.active ?? true });
  const payerId = stack.newUserId();
  await stack.addUser(payerId, { referredBy: referrerId });
  const { planId } = await stack.createPlan({ priceMinor: 1000n, durationSeconds: 3600 });
  return { referrerId, payerId, planId };
}

async function payInvoice(stack: Stack, userId: number, planId: string) {
  const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  await stack.sandbox.cryptocloud.pay(invoiceId);
  await eventually(
    `invoice ${invoiceId} paid`,
    async () =>
      (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status === 'paid',
  );
  return invoiceId;
}

const commissionOf = async (stack: Stack, invoiceId: string) =>
  (await stack.runtime.db.select().from(referralCommissions).where(eq(referralCommissions.invoiceId, invoiceId)))[0];
const commissionEntries = (stack: Stack, invoiceId: string) =>
  stack.runtime.db
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `commission:${invoiceId}:%`));

describe('referral commissions with a short hold', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ REFERRAL_HOLD: '4s' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('two payments give two commissions, repeated webhooks none extra; each becomes available after the hold; a later refund takes it back', async () => {
    const { referrerId, payerId, planId } = await referralPair(stack);

    stack.sandbox.cryptocloud.repeatPostbacks(4);
    let first: string;
    try {
      first = await payInvoice(stack, payerId, planId);
      await eventually(
        'all postbacks sent',
        () => stack.sandbox.cryptocloud.postbacks().filter((p) => p.orderId === first).length >= 4,
      );
    } finally {
      stack.sandbox.cryptocloud.repeatPostbacks(1);
    }
    await eventually('first commission held', async () => (await commissionOf(stack, first))?.status === 'held');
    expect(await commissionOf(stack, first)).toMatchObject({
      referrerId,
      referredId: payerId,
      commissionBps: 1500,
      baseAmountMinor: 1000n,
      amountMinor: 150n,
      currency: 'USD',
    });
    expect(await balancesOf(stack.runtime.db, referrerId)).toMatchObject({ held: 150n, available: 0n });
    await stack.sandbox.telegram.waitForMessage(referrerId, (m) => /You earned 1\.50 USD/.test(m.text ?? ''));

    const second = await payInvoice(stack, payerId, planId);
    expect(second).not.toBe(first);
    await eventually('second commission recorded', () => commissionOf(stack, second));

    await eventually(
      'both commissions available after the hold',
      async () =>
        (await commissionOf(stack, first))?.status === 'available' &&
        (await commissionOf(stack, second))?.status === 'available',
      20_000,
    );
    expect(await balancesOf(stack.runtime.db, referrerId)).toEqual({ held: 0n, available: 300n, reserved: 0n });
    // Exactly one held and one release posting per invoice, however many postbacks came in.
    for (const invoiceId of [first, second]) {
      const keys = (await commissionEntries(stack, invoiceId)).map((e) => e.transactionKey).sort();
      expect(keys).toEqual([
        `commission:${invoiceId}:held`,
        `commission:${invoiceId}:held`,
        `commission:${invoiceId}:release`,
        `commission:${invoiceId}:release`,
      ]);
    }
    const rows = await stack.runtime.db
      .select()
      .from(referralCommissions)
      .where(eq(referralCommissions.referrerId, referrerId));
    expect(rows).toHaveLength(2);
    await stack.sandbox.telegram.waitForMessage(referrerId, (m) =>
      /1\.50 USD of referral commission is now available/.test(m.text ?? ''),
    );
    await assertLedgerInvariant(stack.runtime.db);

    // Refunded after the hold: taken back from available (the first run of the workflow has ended).
    expect(
      await runOps(
        ['refund', first, 'chargeback'],
        {
          db: stack.runtime.db,
          client: stack.runtime.temporal.client,
          commands: stack.runtime.commands,
          config: stack.config,
        },
        () => {},
        () => {},
      ),
    ).toBe(0);
    await eventually('commission reversed', async () => (await commissionOf(stack, first))?.status === 'reversed');
    expect(await balancesOf(stack.runtime.db, referrerId)).toEqual({ held: 0n, available: 150n, reserved: 0n });
    await stack.sandbox.telegram.waitForMessage(referrerId, (m) =>
      /was refunded, so its 1\.50 USD commission was taken back/.test(m.text ?? ''),
    );
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('gives nothing when the payer was not referred or the referrer is inactive', async () => {
    const inactive = await referralPair(stack, { active: false });
    const invoiceA = await payInvoice(stack, inactive.payerId, inactive.planId);
    const plain = stack.newUserId();
    await stack.addUser(plain);
    const invoiceB = await payInvoice(stack, plain, inactive.planId);
    // The invoice workflow decides right after delivery: wait for its end, then look.
    for (const invoiceId of [invoiceA, invoiceB])
      await stack.runtime.temporal.client.workflow.getHandle(`invoice:${invoiceId}`).result();
    expect(await commissionOf(stack, invoiceA)).toBeUndefined();
    expect(await commissionOf(stack, invoiceB)).toBeUndefined();
    expect(await balancesOf(stack.runtime.db, inactive.referrerId)).toEqual({ held: 0n, available: 0n, reserved: 0n });
  });
});

describe('referral commissions with a long hold', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ REFERRAL_HOLD: '1h' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a refund during the hold reverses the held commission, which never becomes available', async () => {
    const { referrerId, payerId, planId } = await referralPair(stack, { commissionBps: 2000 });
    const invoiceId = await payInvoice(stack, payerId, planId);
    await eventually('commission held', async () => (await commissionOf(stack, invoiceId))?.status === 'held');
    expect(await balancesOf(stack.runtime.db, referrerId)).toEqual({ held: 200n, available: 0n, reserved: 0n });

    const result = await stack.runtime.commands.refundInvoice(invoiceId, 'ops', 'customer asked');
    expect(result).toEqual({
      invoiceId,
      alreadyRefunded: false,
      commissionReversed: true,
      subscriptionShortened: true,
      refundedBy: 'ops',
    });
    const commission = await stack.runtime.temporal.client.workflow
      .getHandle<typeof commissionWorkflow>(`commission:${invoiceId}`)
      .result();
    expect(commission).toMatchObject({ invoiceId, status: 'reversed' });
    expect(await balancesOf(stack.runtime.db, referrerId)).toEqual({ held: 0n, available: 0n, reserved: 0n });
    expect((await commissionEntries(stack, invoiceId)).some((e) => e.transactionKey.endsWith(':release'))).toBe(false);

    const invoice = (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
    expect(invoice?.status).toBe('refunded');
    expect(invoice?.statusHistory.at(-1)).toMatchObject({
      status: 'refunded',
      source: 'refund:ops',
      note: 'customer asked',
    });
    await stack.sandbox.telegram.waitForMessage(payerId, (m) =>
      /Your payment of 10\.00 USD .* was refunded/.test(m.text ?? ''),
    );
    // The payment itself is reversed in the ledger too.
    const refund = await stack.runtime.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.transactionKey, `invoice:${invoiceId}:refund`)));
    expect(refund.find((e) => e.account === 'gateway:cryptocloud')?.amountMinor).toBe(-1000n);

    // Twice is once, and the second caller is told so.
    expect(await stack.runtime.commands.refundInvoice(invoiceId, '4242')).toMatchObject({
      alreadyRefunded: true,
      refundedBy: 'ops',
    });
    expect(
      await stack.runtime.db
        .select()
        .from(ledgerEntries)
        .where(like(ledgerEntries.transactionKey, `commission:${invoiceId}:reversal`)),
    ).toHaveLength(2);
    await assertLedgerInvariant(stack.runtime.db);
  });
});
