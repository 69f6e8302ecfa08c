/**
 * Seller alerts by email through the SMTP adapter, read back from the real SMTP server (Mailpit):
 * the journey of test/seller-alerts-scenario.ts (seller-alerts-mailjet.test.ts plays it on Mailjet).
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { inbox, mailpitMessage } from '../mailpit';
import { sellerAlertScenarios } from '../seller-alerts-scenario';

let stack: Stack;
beforeAll(async () => {
  const smtp = inject('smtp');
  stack = await startStack({
    ESCROW_HOLD: '3s',
    SELLER_PAYOUT_MINIMUM_MINOR: '500',
    ...storageEnv('alerts'),
    SMTP_URL: `smtp://${smtp.host}:${smtp.port}`,
    EMAIL_FROM: 'Shop alerts <alerts@shop.example.com>',
  });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe('seller alerts by email (SMTP)', () => {
  sellerAlertScenarios(
    () => stack,
    async (address) =>
      Promise.all(
        (await inbox(address)).map(async ({ ID }) => {
          const mail = await mailpitMessage(ID);
          return { subject: mail.Subject, fromAddress: mail.From.Address, text: mail.Text, html: mail.HTML };
        }),
      ),
    'alerts@shop.example.com',
  );
});
