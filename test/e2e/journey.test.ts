/** The journeys of `npm run demo`, through the bot: the subscriber's (with /myplan right at every step) and the seller's. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, payoutRequests, products } from '../../infrastructure/db/schema';
import { playBuyerJourney } from '../../infrastructure/processes/buyer-journey';
import { myPlanStatus, playRailPurchases, playSubscriberJourney } from '../../infrastructure/processes/journey';
import { playSellerJourney } from '../../infrastructure/processes/seller-journey';
import { playSellerMoneyJourney } from '../../infrastructure/processes/seller-money-journey';
import { setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';

const ADMIN_ID = 900_000_000 + Math.floor(Math.random() * 9_999_999);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    SUBSCRIPTION_REMINDERS: '4s',
    SUBSCRIPTION_GRACE_PERIOD: '3s',
    ESCROW_HOLD: '3s',
    MARKETPLACE_FEE_BPS: '1000',
    SELLER_PAYOUT_MINIMUM_MINOR: '500',
    ADMIN_IDS: String(ADMIN_ID),
    ...storageEnv('journey'),
  });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe('subscriber journey', () => {
  it('start → terms → plan → pay → invite → join → reminder → grace → removal, /myplan right at each step', async () => {
    const { planId, channelIds } = await stack.createPlan({ durationSeconds: 8, title: 'Journey plan' });
    const steps = await playSubscriberJourney({
      sandbox: stack.sandbox,
      planId,
      channelId: channelIds[0]!,
      userId: stack.newUserId(),
      stepTimeoutMs: 20_000,
    });
    expect(steps.map((s) => myPlanStatus(s.myPlan))).toEqual([
      'terms', // before accepting the terms, /myplan asks for them first
      'none', // terms accepted, nothing bought
      'none', // invoice open, not paid
      'active', // paid: active until the period end
      'active', // joined
      'active', // reminded before expiry
      'grace', // expired, within grace
      'ended', // removed
    ]);
    expect(steps[3]!.myPlan).toContain('Journey plan');
  }, 90_000);

  it('the same plan bought through the bot with a NOWPayments address and with Telegram Stars', async () => {
    const { planId } = await stack.createPlan({ durationSeconds: 600, title: 'Rails plan', priceStars: 250 });
    const steps = await playRailPurchases({
      sandbox: stack.sandbox,
      planId,
      userId: stack.newUserId(),
      stepTimeoutMs: 20_000,
    });
    expect(steps.map((s) => s.step.split(':')[0])).toEqual(['nowpayments', 'nowpayments', 'stars', 'stars']);
    expect(steps.at(-1)!.step).toMatch(/subscription is active/);
  }, 90_000);
});

describe('seller journey', () => {
  it('/sell → terms → shop name → upload Mini App (signed launch parameters) → file straight to storage → published → a buyer finds it', async () => {
    const title = `Sketching guide ${randomUUID().slice(0, 6)}`;
    const sellerId = stack.newUserId();
    const result = await playSellerJourney({
      sandbox: stack.sandbox,
      sellerId,
      buyerId: stack.newUserId(),
      title,
      stepTimeoutMs: 20_000,
    });
    expect(result.status).toBe('active');
    const [product] = await stack.runtime.db.select().from(products).where(eq(products.id, result.productId));
    expect(product).toMatchObject({ sellerId, title, status: 'active', priceStars: 450 });
    expect(result.found.text).toContain(title);
  }, 90_000);

  it('the buyer: Buy → Stars → paid in the chat → delivery DM → download → again from /library, the exact bytes', async () => {
    const title = `Ink basics ${randomUUID().slice(0, 6)}`;
    const buyerId = stack.newUserId();
    const listed = await playSellerJourney({
      sandbox: stack.sandbox,
      sellerId: stack.newUserId(),
      buyerId,
      title,
      stepTimeoutMs: 20_000,
    });
    const bought = await playBuyerJourney({
      sandbox: stack.sandbox,
      buyerId,
      card: listed.found,
      fileSha256: listed.fileSha256,
      stepTimeoutMs: 20_000,
    });
    expect(bought.downloads).toEqual([listed.fileSha256, listed.fileSha256]);
    const [order] = await stack.runtime.db.select().from(orders).where(eq(orders.id, bought.orderId));
    expect(order).toMatchObject({ buyerId, productId: listed.productId, status: 'delivered', downloadCount: 2 });
  }, 90_000);

  it("the seller's money: a crypto sale → the hold → released → payout asked from /balance → approved → paid", async () => {
    const title = `Watercolour primer ${randomUUID().slice(0, 6)}`;
    const sellerId = stack.newUserId();
    await playSellerJourney({
      sandbox: stack.sandbox,
      sellerId,
      buyerId: stack.newUserId(),
      title,
      stepTimeoutMs: 20_000,
    });
    const txHash = 'ab'.repeat(32);
    const money = await playSellerMoneyJourney({
      sandbox: stack.sandbox,
      sellerId,
      buyerId: stack.newUserId(),
      adminId: ADMIN_ID,
      title,
      payoutAmount: '5',
      wallet: 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL',
      txHash,
      stepTimeoutMs: 20_000,
    });
    // 9.00 USD less the 10 % fee: held, then available, then 5.00 of it paid out.
    expect(money.balances[0]).toContain('In escrow 8.10 USD · available 0.00 USD · platform fee taken 0.90 USD');
    expect(money.balances[1]).toContain('In escrow 0.00 USD · available 8.10 USD');
    expect(money.balances[2]).toContain('available 3.10 USD');
    expect(money.balances[2]).toContain('Reserved by payout requests 0.00 USD · paid out 5.00 USD');
    const [payout] = await stack.runtime.db.select().from(payoutRequests).where(eq(payoutRequests.id, money.payoutId));
    expect(payout).toMatchObject({ source: 'seller', status: 'paid', txHash, amountMinor: 500n, decidedBy: ADMIN_ID });
    await assertLedgerInvariant(stack.runtime.db);
  }, 120_000);
});
