/**
 * A rail that is off is simply not there: with PAYMENT_RAILS=stars the CryptoCloud and NOWPayments
 * intake routes answer 404 (nothing audited), the plan screen offers only Stars, and opening an
 * invoice on a rail that is off is refused. Real Temporal, PostgreSQL and sandboxes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RailUnavailableError } from '../../infrastructure/temporal/commands';
import { callbackDataOf, conversation, textMatches } from '../conversation';
import { startStack, type Stack } from '../harness';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ PAYMENT_RAILS: 'stars' });
});
afterAll(async () => {
  await stack?.stop();
});

describe('rails that are off', () => {
  it('their intake routes answer 404; the plan offers only the rails that are on', async () => {
    for (const path of ['/cryptocloud_webhook', '/nowpayments_ipn']) {
      const answer = await fetch(`${stack.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(answer.status, path).toBe(404);
    }
    const { planId } = await stack.createPlan({ priceStars: 100 });
    const userId = stack.newUserId();
    await stack.addUser(userId);
    const from = { id: userId, first_name: 'Off' };
    const { say, press } = conversation(() => stack.sandbox.telegram);
    const list = await say(from, '/plans', textMatches(/Choose a plan/));
    const details = await press(from, list, `plan:${planId}`, textMatches(/Price:/));
    expect(callbackDataOf(details).filter((data) => /^pay/.test(data))).toEqual([`payr:stars:${planId}`]);
    await expect(stack.runtime.commands.openInvoice({ userId, planId, rail: 'cryptocloud' })).rejects.toBeInstanceOf(
      RailUnavailableError,
    );
  });
});
