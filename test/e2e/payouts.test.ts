/**
 * Payout workflow end to end: the reservation against concurrent requests, admin approval, payment
 * and rejection, reminders, validation. Real Temporal dev server and PostgreSQL; Telegram sandbox.
 */
import { randomUUID } from 'node:crypto';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayoutRequestError } from '../../domain/payout';
import { ledgerEntries, payoutRequests, referrers } from '../../infrastructure/db/schema';
import { PayoutActionError, UnknownPayoutError } from '../../infrastructure/temporal/money-commands';
import { eventually, startStack, type Stack } from '../harness';
import { assertLedgerInvariant, balancesOf, fundReferrer } from '../ledger';

const TRON = 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL';
const BSC = '0x52908400098527886E0F7030069857D2E4169EE7';
const ADMIN_ID = 700_000_000 + Math.floor(Math.random() * 99_999_999);
const OTHER_ADMIN_ID = ADMIN_ID + 1;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ADMIN_IDS: `${ADMIN_ID},${OTHER_ADMIN_ID}`,
    PAYOUT_REMINDER_EVERY: '3s',
    PAYOUT_MINIMUM_MINOR: '500',
  });
  await stack.addUser(ADMIN_ID);
  await stack.addUser(OTHER_ADMIN_ID);
});
afterAll(async () => {
  await stack?.stop();
});

async function referrerWith(balanceMinor: bigint) {
  const userId = stack.newUserId();
  await stack.addUser(userId);
  await stack.runtime.db.insert(referrers).values({ userId, commissionBps: 1000 });
  if (balanceMinor > 0n) await fundReferrer(stack.runtime.db, userId, balanceMinor, randomUUID());
  return userId;
}

const payoutRow = async (payoutId: string) =>
  (await stack.runtime.db.select().from(payoutRequests).where(eq(payoutRequests.id, payoutId)))[0];
const request = (
  requesterId: number,
  amountMinor: bigint,
  extra: { network?: string; wallet?: string; payoutId?: string } = {},
) =>
  stack.runtime.commands.requestPayout({
    requesterId,
    amountMinor,
    currency: 'USD',
    network: extra.network ?? 'TRC20',
    wallet: extra.wallet ?? TRON,
    payoutId: extra.payoutId,
  });

describe('payout requests', () => {
  it('five concurrent requests over one balance: only those the balance covers are accepted', async () => {
    const userId = await referrerWith(2500n);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => request(userId, 1000n)));
    const accepted = outcomes.filter((o) => o.accepted);
    const refused = outcomes.filter((o) => !o.accepted);
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const o of refused)
      expect(o).toMatchObject({ accepted: false, reason: 'insufficient_balance', availableMinor: '500' });
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 500n, reserved: 2000n });
    // Only accepted requests have a read-model row and reach the admins.
    const rows = await stack.runtime.db.select().from(payoutRequests).where(eq(payoutRequests.requesterId, userId));
    expect(rows.map((r) => r.id).sort()).toEqual(accepted.map((o) => o.payoutId).sort());
    for (const { payoutId } of accepted) {
      const adminMessage = await stack.sandbox.telegram.waitForMessage(ADMIN_ID, (m) =>
        (m.text ?? '').includes(`Payout request ${payoutId}:`),
      );
      const buttons = JSON.stringify(adminMessage.reply_markup);
      expect(buttons).toContain(`payout:approve:${payoutId}`);
      expect(buttons).toContain(`payout:reject:${payoutId}`);
      await stack.sandbox.telegram.waitForMessage(userId, (m) =>
        (m.text ?? '').includes(`Payout request ${payoutId} for 10.00 USD`),
      );
      expect((await stack.runtime.commands.payoutState(payoutId)).status).toBe('requested');
    }
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('the same payout id asked again, after that payout ended, gets its first answer', async () => {
    const userId = await referrerWith(700n);
    const payoutId = `po-repeat-${randomUUID().slice(0, 8)}`;
    const first = await request(userId, 900n, { payoutId });
    expect(first).toMatchObject({ payoutId, accepted: false, availableMinor: '700' });
    await fundReferrer(stack.runtime.db, userId, 500n, randomUUID());
    // The refused payout's workflow has ended; the balance now covers the amount, yet the answer is the first one.
    expect(await request(userId, 900n, { payoutId })).toEqual(first);
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 1200n, reserved: 0n });
  });

  it('reject gives the balance back and tells the requester why', async () => {
    const userId = await referrerWith(1200n);
    const outcome = await request(userId, 1200n, { network: 'BEP20', wallet: BSC });
    expect(outcome.accepted).toBe(true);
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 0n, reserved: 1200n });
    // A second request finds nothing left.
    expect(await request(userId, 600n)).toMatchObject({ accepted: false, availableMinor: '0' });

    await stack.runtime.commands.rejectPayout(outcome.payoutId, ADMIN_ID, 'wallet not whitelisted');
    await eventually('the rejection recorded', async () => (await payoutRow(outcome.payoutId))?.status === 'rejected');
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 1200n, reserved: 0n });
    expect(await payoutRow(outcome.payoutId)).toMatchObject({ decidedBy: ADMIN_ID, reason: 'wallet not whitelisted' });
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      /rejected: wallet not whitelisted\. The amount is back/.test(m.text ?? ''),
    );
    await expect(stack.runtime.commands.approvePayout(outcome.payoutId, ADMIN_ID)).rejects.toThrow(PayoutActionError);
    await expect(stack.runtime.commands.approvePayout(outcome.payoutId, ADMIN_ID)).rejects.toThrow(
      `Payout ${outcome.payoutId} is rejected (decided by ${ADMIN_ID}): it cannot be approved`,
    );
    // The balance is spendable again.
    expect((await request(userId, 1200n)).accepted).toBe(true);
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('approve then mark paid moves the money out of the platform, once', async () => {
    const userId = await referrerWith(3000n);
    const outcome = await request(userId, 2000n);
    expect(outcome.accepted).toBe(true);
    const { payoutId } = outcome;

    await stack.runtime.commands.approvePayout(payoutId, ADMIN_ID);
    await eventually('approval recorded', async () => (await payoutRow(payoutId))?.status === 'approved');
    await stack.sandbox.telegram.waitForMessage(userId, (m) =>
      (m.text ?? '').includes(`Payout ${payoutId} for 20.00 USD was approved`),
    );
    await expect(stack.runtime.commands.approvePayout(payoutId, ADMIN_ID)).rejects.toThrow(
      /is approved \(decided by \d+\): it cannot be approved/,
    );

    await expect(stack.runtime.commands.markPayoutPaid(payoutId, ADMIN_ID, 'not-a-hash')).rejects.toThrow(
      PayoutRequestError,
    );
    const txHash = 'ab'.repeat(32);
    await stack.runtime.commands.markPayoutPaid(payoutId, ADMIN_ID, txHash);
    await eventually('payment recorded', async () => (await payoutRow(payoutId))?.status === 'paid');
    expect(await payoutRow(payoutId)).toMatchObject({ txHash, decidedBy: ADMIN_ID });
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 1000n, reserved: 0n });
    const paid = await stack.runtime.db
      .select()
      .from(ledgerEntries)
      .where(like(ledgerEntries.transactionKey, `payout:${payoutId}:%`));
    expect(paid.find((e) => e.account === 'gateway:payouts')?.amountMinor).toBe(-2000n);
    await stack.sandbox.telegram.waitForMessage(userId, (m) => (m.text ?? '').includes(`Transaction: ${txHash}`));
    expect((await stack.runtime.commands.payoutState(payoutId)).status).toBe('paid');
    await expect(stack.runtime.commands.rejectPayout(payoutId, ADMIN_ID, 'too late')).rejects.toThrow(
      /is paid \(decided by \d+\): it cannot be rejected/,
    );
    expect(
      (
        await stack.runtime.db
          .select()
          .from(ledgerEntries)
          .where(like(ledgerEntries.transactionKey, `payout:${payoutId}:%`))
      ).length,
    ).toBe(paid.length);
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('reminds the admins while nobody acts', async () => {
    const userId = await referrerWith(800n);
    const { payoutId, accepted } = await request(userId, 800n);
    expect(accepted).toBe(true);
    const reminder = await stack.sandbox.telegram.waitForMessage(
      ADMIN_ID,
      (m) => (m.text ?? '').includes(`Payout request ${payoutId} (8.00 USD for user ${userId}) is still waiting`),
      15_000,
    );
    expect(JSON.stringify(reminder.reply_markup)).toContain(`payout:approve:${payoutId}`);
    await stack.runtime.commands.rejectPayout(payoutId, ADMIN_ID, 'test over');
    await eventually('rejection recorded', async () => (await payoutRow(payoutId))?.status === 'rejected');
  });

  it('the same payout id twice is one request', async () => {
    const userId = await referrerWith(1000n);
    const payoutId = `po-${randomUUID().slice(0, 8)}`;
    const [first, second] = await Promise.all([
      request(userId, 1000n, { payoutId }),
      request(userId, 1000n, { payoutId }),
    ]);
    expect(first).toMatchObject({ payoutId, accepted: true });
    expect(second).toMatchObject({ payoutId, accepted: true });
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 0n, reserved: 1000n });
  });

  it('refuses a bad wallet or an amount under the minimum before anything starts', async () => {
    const userId = await referrerWith(10_000n);
    await expect(request(userId, 1000n, { network: 'TRC20', wallet: BSC })).rejects.toThrow(
      /A TRC20 \(TRON\) address starts with T/,
    );
    await expect(request(userId, 499n)).rejects.toThrow('The minimum payout is 5.00 USD (asked for 4.99 USD)');
    await expect(request(userId, 1000n, { network: 'DOGE' })).rejects.toThrow(/Unknown network "DOGE"/);
    expect(await stack.runtime.db.select().from(payoutRequests).where(eq(payoutRequests.requesterId, userId))).toEqual(
      [],
    );
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 10_000n, reserved: 0n });
    await expect(stack.runtime.commands.approvePayout('no-such-payout', ADMIN_ID)).rejects.toThrow(UnknownPayoutError);
  });
});

describe('two admins deciding the same payout at once', () => {
  const settled = <T>(p: Promise<T>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  const ledgerRows = (payoutId: string) =>
    stack.runtime.db
      .select()
      .from(ledgerEntries)
      .where(like(ledgerEntries.transactionKey, `payout:${payoutId}:%`));

  it('approve twice, then reject and mark paid together: one decision each time, the other admin told the truth', async () => {
    for (let round = 0; round < 2; round++) {
      const userId = await referrerWith(1000n);
      const { payoutId, accepted } = await request(userId, 1000n);
      expect(accepted).toBe(true);

      const approvals = await Promise.all([
        settled(stack.runtime.commands.approvePayout(payoutId, ADMIN_ID)),
        settled(stack.runtime.commands.approvePayout(payoutId, OTHER_ADMIN_ID)),
      ]);
      const approved = approvals.flatMap((r) => (r.ok ? [r.value] : []));
      const refused = approvals.flatMap((r) => (r.ok ? [] : [r.error]));
      expect(approved).toHaveLength(1);
      expect(approved[0]).toMatchObject({ payoutId, status: 'approved' });
      const approver = approved[0]!.decidedBy;
      expect(refused[0]).toBeInstanceOf(PayoutActionError);
      expect((refused[0] as Error).message).toBe(
        `Payout ${payoutId} is approved (decided by ${approver}): it cannot be approved`,
      );
      // Answered once applied: the read model already says so.
      expect(await payoutRow(payoutId)).toMatchObject({ status: 'approved', decidedBy: approver });

      // Reject and mark paid are both final: exactly one of them happens.
      const txHash = 'ab'.repeat(32);
      const [reject, paid] = await Promise.all([
        settled(stack.runtime.commands.rejectPayout(payoutId, ADMIN_ID, 'duplicate request')),
        settled(stack.runtime.commands.markPayoutPaid(payoutId, OTHER_ADMIN_ID, txHash)),
      ]);
      expect([reject.ok, paid.ok].filter(Boolean)).toHaveLength(1);
      const release = (await ledgerRows(payoutId)).filter((e) => e.transactionKey.endsWith(':release'));
      const sent = (await ledgerRows(payoutId)).filter((e) => e.account === 'gateway:payouts');
      if (reject.ok) {
        expect(reject.value).toEqual({
          payoutId,
          source: 'referrer',
          status: 'rejected',
          decidedBy: ADMIN_ID,
          reason: 'duplicate request',
        });
        expect(!paid.ok && paid.error).toBeInstanceOf(PayoutActionError);
        expect(!paid.ok && (paid.error as Error).message).toBe(
          `Payout ${payoutId} is rejected (decided by ${ADMIN_ID}): it cannot be marked paid`,
        );
        expect(await payoutRow(payoutId)).toMatchObject({ status: 'rejected', decidedBy: ADMIN_ID });
        expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 1000n, reserved: 0n });
        expect(release).toHaveLength(2);
        expect(sent).toHaveLength(0);
      } else {
        expect(paid.ok && paid.value).toEqual({
          payoutId,
          source: 'referrer',
          status: 'paid',
          decidedBy: OTHER_ADMIN_ID,
          txHash,
        });
        expect(reject.error).toBeInstanceOf(PayoutActionError);
        expect((reject.error as Error).message).toBe(
          `Payout ${payoutId} is paid (decided by ${OTHER_ADMIN_ID}): it cannot be rejected`,
        );
        expect(await payoutRow(payoutId)).toMatchObject({ status: 'paid', decidedBy: OTHER_ADMIN_ID, txHash });
        expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 0n, reserved: 0n });
        expect(release).toHaveLength(0);
        expect(sent.map((e) => e.amountMinor)).toEqual([-1000n]);
      }
    }
    await assertLedgerInvariant(stack.runtime.db);
  });

  it('marked paid twice at once: one payment recorded, the second admin is told it is already paid', async () => {
    const userId = await referrerWith(1500n);
    const { payoutId, accepted } = await request(userId, 1500n);
    expect(accepted).toBe(true);
    const first = 'cd'.repeat(32);
    const second = 'ef'.repeat(32);
    const results = await Promise.all([
      settled(stack.runtime.commands.markPayoutPaid(payoutId, ADMIN_ID, first)),
      settled(stack.runtime.commands.markPayoutPaid(payoutId, OTHER_ADMIN_ID, second)),
    ]);
    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = won[0]!.value;
    expect(winner).toMatchObject({ payoutId, status: 'paid' });
    const winnerHash = winner.decidedBy === ADMIN_ID ? first : second;
    expect(winner.txHash).toBe(winnerHash);
    expect(lost[0]!.error).toBeInstanceOf(PayoutActionError);
    expect(lost[0]!.error).toMatchObject({ status: 'paid', decidedBy: winner.decidedBy });
    // The row already says paid with the winner's hash when the answer arrives.
    expect(await payoutRow(payoutId)).toMatchObject({
      status: 'paid',
      txHash: winnerHash,
      decidedBy: winner.decidedBy,
    });
    // The money left once.
    expect(await balancesOf(stack.runtime.db, userId)).toEqual({ held: 0n, available: 0n, reserved: 0n });
    const paid = (await ledgerRows(payoutId)).filter((e) => e.account === 'gateway:payouts');
    expect(paid.map((e) => e.amountMinor)).toEqual([-1500n]);
    // A late decision on the ended workflow gets the same truth.
    await expect(stack.runtime.commands.approvePayout(payoutId, OTHER_ADMIN_ID)).rejects.toThrow(
      `Payout ${payoutId} is paid (decided by ${winner.decidedBy}): it cannot be approved`,
    );
    await assertLedgerInvariant(stack.runtime.db);
  });
});
