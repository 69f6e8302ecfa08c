/**
 * Marketplace escrow end to end, on Telegram Stars: a paid sale is split at once into the
 * platform's fee and the seller's held proceeds; the seller's /balance shows it in escrow; after
 * ESCROW_HOLD it is released (the seller told once) and /balance matches the ledger's sums. A refund
 * inside the hold gives the Stars back once (even asked twice), refunds the order and releases nothing.
 * Disputes, clawbacks and concurrent presses: escrow-disputes.test.ts.
 */
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escrowKeys } from '../../domain/escrow';
import { accounts } from '../../domain/ledger';
import { ledgerEntries, orders } from '../../infrastructure/db/schema';
import { owedOn } from '../../infrastructure/read-models/balances';
import { ProcessStatus, ReleaseAt } from '../../workflows/search-attributes';
import { conversation, textMatches } from '../conversation';
import { eventually, setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';
import { listedProduct, newBuyer } from '../marketplace';
import { workflowsSettled } from '../settled';

const HOLD_MS = 8_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ ...storageEnv('escrow'), ESCROW_HOLD: '8s', MARKETPLACE_FEE_BPS: '1000' });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
const { say } = conversation(tg);
const entriesOf = (orderId: string) =>
  db()
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `escrow:${orderId}:%`));
const legsOf = async (key: string) =>
  Object.fromEntries(
    (await db().select().from(ledgerEntries).where(eq(ledgerEntries.transactionKey, key))).map((e) => [
      e.account,
      e.amountMinor,
    ]),
  );
const releaseNotices = (sellerId: number) =>
  tg()
    .messagesTo(sellerId)
    .filter((m) => /is now available to you/.test(m.text ?? ''));
const balanceOfSeller = (sellerId: number) =>
  say({ id: sellerId, first_name: `Seller ${sellerId}` }, '/balance', textMatches(/sales balance/));

/** A Stars sale of 120 ⭐ paid by a new buyer; resolves once the escrow's hold is posted. */
async function paidStarsSale() {
  const product = await listedProduct(stack, { priceStars: 120 });
  const { userId } = await newBuyer(stack);
  const { orderId, invoiceId } = await commands().openOrder({
    buyerId: userId,
    productId: product.productId,
    rail: 'stars',
  });
  await eventually('the Stars invoice', () =>
    tg()
      .calls('sendInvoice')
      .find((c) => c.ok && String(c.params.chat_id) === String(userId) && c.params.payload === invoiceId),
  );
  const paid = await tg().payInvoice({ userId, payload: invoiceId });
  expect(paid.outcome).toBe('paid');
  await eventually(
    'the escrow hold posted',
    async () => (await legsOf(escrowKeys.hold(orderId)))[accounts.orderEscrow(orderId)],
  );
  return { product, buyerId: userId, orderId, invoiceId, chargeId: paid.chargeId! };
}

describe('escrow of a marketplace sale', () => {
  it('holds the sale less a 10 % fee, shows it in /balance, releases it after the hold and tells the seller once', async () => {
    const { product, orderId } = await paidStarsSale();
    const sellerId = product.sellerId;

    // Right after payment: the order's escrow emptied into the fee (12 ⭐) and the seller's held part (108 ⭐).
    expect(await legsOf(escrowKeys.hold(orderId))).toEqual({
      [accounts.orderEscrow(orderId)]: 120n,
      [accounts.marketplaceFees()]: -12n,
      [accounts.sellerHeld(sellerId)]: -108n,
    });
    expect(await owedOn(db(), accounts.orderEscrow(orderId), 'XTR')).toBe(0n);
    expect(await owedOn(db(), accounts.sellerHeld(sellerId), 'XTR')).toBe(108n);
    const state = await commands().escrowState(orderId);
    expect(state).toMatchObject({ stage: 'held', heldMinor: '108', feeMinor: '12', currency: 'XTR' });
    const [order] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(state!.releaseAt).toBe(order!.paidAt!.getTime() + HOLD_MS);
    // Temporal UI finds it by its release time: ReleaseAt < '<time>' AND ProcessStatus = 'held'.
    const described = await stack.runtime.temporal.client.workflow.getHandle(`escrow:${orderId}`).describe();
    expect(described.typedSearchAttributes.get(ReleaseAt)?.getTime()).toBe(state!.releaseAt);
    expect(described.typedSearchAttributes.get(ProcessStatus)).toBe('held');

    const during = await balanceOfSeller(sellerId);
    expect(during.text).toContain('In escrow ⭐ 108 · available ⭐ 0 · platform fee taken ⭐ 12');
    expect(during.text).toContain(`⏳ ${product.title}: ⭐ 108, released`);
    expect(releaseNotices(sellerId)).toHaveLength(0);
    await assertLedgerInvariant(db());

    await eventually(
      'the escrow released',
      async () => (await commands().escrowState(orderId))?.stage === 'released',
      HOLD_MS + 20_000,
    );
    await workflowsSettled(stack.runtime.temporal.client, [`escrow:${orderId}`]);
    expect(await legsOf(escrowKeys.release(orderId))).toEqual({
      [accounts.sellerHeld(sellerId)]: 108n,
      [accounts.sellerAvailable(sellerId)]: -108n,
    });
    const held = await owedOn(db(), accounts.sellerHeld(sellerId), 'XTR');
    const available = await owedOn(db(), accounts.sellerAvailable(sellerId), 'XTR');
    expect([held, available]).toEqual([0n, 108n]);
    const after = await balanceOfSeller(sellerId);
    expect(after.text).toContain(`In escrow ⭐ ${held} · available ⭐ ${available} · platform fee taken ⭐ 12`);
    expect(after.text).not.toContain('⏳');
    await eventually('the seller told of the release', () => releaseNotices(sellerId).length > 0);
    expect(releaseNotices(sellerId)).toHaveLength(1);
    expect(releaseNotices(sellerId)[0]!.text).toContain('⭐ 108 is now available to you (platform fee ⭐ 12)');
    // (A refund after the release is a clawback: test/e2e/escrow-disputes.test.ts.)
    await assertLedgerInvariant(db());
  });

  it('a refund inside the hold, asked twice: the Stars back once, the order refunded, nothing released', async () => {
    const { product, buyerId, orderId, chargeId } = await paidStarsSale();
    const sellerId = product.sellerId;

    // Asked twice at once: the update answers once the refund is done, one request refunded and the
    // other is told who did.
    const answers = await Promise.all([commands().refundOrder(orderId, 'ops'), commands().refundOrder(orderId, '2')]);
    expect(answers.map((answer) => answer.outcome).sort()).toEqual(['already-refunded', 'refunded']);
    const refundedBy = answers.find((answer) => answer.outcome === 'refunded')!;
    expect(refundedBy).toMatchObject({ escrow: { stage: 'refunded' } });
    const by = 'by' in refundedBy ? refundedBy.by : undefined;
    expect(answers.every((answer) => 'by' in answer && answer.by === by)).toBe(true);
    await workflowsSettled(stack.runtime.temporal.client, [`escrow:${orderId}`]);

    const refunds = tg()
      .calls('refundStarPayment')
      .filter((c) => c.params.telegram_payment_charge_id === chargeId);
    expect(refunds.filter((c) => c.ok)).toHaveLength(1);
    expect(
      tg()
        .refunds()
        .filter((r) => r.chargeId === chargeId),
    ).toHaveLength(1);
    const [order] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(order).toMatchObject({ status: 'refunded', buyerId });
    expect(await commands().escrowState(orderId)).toMatchObject({ stage: 'refunded', refundedBy: by });

    // Refunded on the rail: the fee and the held part go back out through the gateway; nothing released.
    expect(await legsOf(escrowKeys.refund(orderId))).toEqual({
      [accounts.sellerHeld(sellerId)]: 108n,
      [accounts.marketplaceFees()]: 12n,
      [accounts.gateway('stars')]: -120n,
    });
    const keys = new Set((await entriesOf(orderId)).map((e) => e.transactionKey));
    expect(keys).toEqual(new Set([escrowKeys.hold(orderId), escrowKeys.refund(orderId)]));
    expect(await owedOn(db(), accounts.sellerHeld(sellerId), 'XTR')).toBe(0n);
    expect(await owedOn(db(), accounts.sellerAvailable(sellerId), 'XTR')).toBe(0n);
    expect(await owedOn(db(), accounts.userRefund(buyerId), 'XTR')).toBe(0n);
    // Once the escrow has ended its last state answers.
    expect(await commands().refundOrder(orderId, 'ops')).toMatchObject({ outcome: 'already-refunded', by });

    const shown = await balanceOfSeller(sellerId);
    expect(shown.text).toContain('In escrow ⭐ 0 · available ⭐ 0 · platform fee taken ⭐ 0');
    expect(releaseNotices(sellerId)).toHaveLength(0);
    await assertLedgerInvariant(db());
  });
});
