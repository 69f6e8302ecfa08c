/**
 * Seller alerts by email through the Mailjet adapter (EMAIL_TRANSPORT=mailjet), read back from the
 * sandbox's Mailjet emulator: the same journey as the SMTP adapter's (test/seller-alerts-scenario.ts).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { MAILJET_SANDBOX_DEFAULTS } from '../../infrastructure/sandbox/mailjet';
import { setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { sellerAlertScenarios } from '../seller-alerts-scenario';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ESCROW_HOLD: '3s',
    SELLER_PAYOUT_MINIMUM_MINOR: '500',
    ...storageEnv('alerts-mj'),
    EMAIL_TRANSPORT: 'mailjet',
    MAILJET_API_KEY: MAILJET_SANDBOX_DEFAULTS.apiKey,
    MAILJET_API_SECRET: MAILJET_SANDBOX_DEFAULTS.secretKey,
    EMAIL_FROM: 'Shop alerts <alerts@mailjet-shop.example.com>',
  });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe('seller alerts by email (Mailjet)', () => {
  sellerAlertScenarios(
    () => stack,
    async (address) =>
      stack.sandbox.mailjet
        .messages()
        .filter((m) => m.to.some((to) => to.Email === address))
        .map((m) => ({
          subject: m.subject,
          fromAddress: m.from.Email,
          text: m.textPart ?? '',
          html: m.htmlPart ?? '',
        })),
    'alerts@mailjet-shop.example.com',
  );
});
