/** The subscriber journey of `npm run demo`, through the bot, with /myplan right at every step. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { myPlanStatus, playRailPurchases, playSubscriberJourney } from '../../infrastructure/processes/journey';
import { startStack, type Stack } from '../harness';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ SUBSCRIPTION_REMINDERS: '4s', SUBSCRIPTION_GRACE_PERIOD: '3s' });
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
