/**
 * Sale alerts by email: a seller who gave an address with /alerts gets one email per sale in their
 * language, in the real SMTP server (Mailpit); a bad address is refused; after /alerts off, none.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { users } from '../../infrastructure/db/schema';
import { conversation, textMatches } from '../conversation';
import { eventually, setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { inbox, mailpitMessage } from '../mailpit';
import { deliveriesTo, listedProduct, newBuyer } from '../marketplace';
import { workflowsSettled } from '../settled';
import { eq } from 'drizzle-orm';

let stack: Stack;
beforeAll(async () => {
  const smtp = inject('smtp');
  stack = await startStack({
    ...storageEnv('alerts'),
    SMTP_URL: `smtp://${smtp.host}:${smtp.port}`,
    EMAIL_FROM: 'Shop alerts <alerts@shop.example.com>',
  });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const { say } = conversation(tg);

/** A Stars sale of the seller's product to a new buyer, delivered. */
async function sell(product: Awaited<ReturnType<typeof listedProduct>>) {
  const { userId } = await newBuyer(stack);
  const { orderId, invoiceId } = await stack.runtime.commands.openOrder({
    buyerId: userId,
    productId: product.productId,
    rail: 'stars',
  });
  await eventually('the Stars invoice', () =>
    tg()
      .calls('sendInvoice')
      .find((c) => c.ok && c.params.payload === invoiceId),
  );
  await tg().payInvoice({ userId, payload: invoiceId });
  await eventually('the delivery', () => deliveriesTo(stack, userId).length > 0, 20_000);
  await workflowsSettled(stack.runtime.temporal.client, [`order:${orderId}`]);
  return orderId;
}

describe('seller alerts by email', () => {
  it('/alerts <address> → one email per sale in the seller language; a bad address refused; /alerts off → none', async () => {
    const product = await listedProduct(stack, { priceStars: 60 });
    const from = { id: product.sellerId, first_name: `User ${product.sellerId}` };
    await say(from, '/alerts not-an-address', textMatches(/not an email address/));
    const address = `seller-${product.sellerId}@example.com`;
    await say(from, `/alerts ${address.toUpperCase()}`, textMatches(/will be emailed to/));

    const orderId = await sell(product);
    const [mail, ...more] = await eventually('the sale email', async () => {
      const got = await inbox(address);
      return got.length > 0 ? got : undefined;
    });
    expect(more).toHaveLength(0);
    expect(mail!.Subject).toBe(`Sold: ${product.title}`);
    const body = await mailpitMessage(mail!.ID);
    expect(body.From.Address).toBe('alerts@shop.example.com');
    expect(body.Text).toContain(`order ${orderId}`);
    expect(body.HTML).toContain('<p>');

    await say(from, '/alerts off', textMatches(/No more email alerts/));
    await sell(product);
    expect(await inbox(address)).toHaveLength(1);
  });

  it('in the seller language (Russian)', async () => {
    const product = await listedProduct(stack, { priceStars: 70 });
    await stack.runtime.db.update(users).set({ language: 'ru' }).where(eq(users.id, product.sellerId));
    const from = { id: product.sellerId, first_name: `User ${product.sellerId}` };
    const address = `ru-${product.sellerId}@example.com`;
    await say(from, `/alerts ${address}`, textMatches(new RegExp(address)));
    await sell(product);
    const [mail] = await eventually('the sale email', async () => {
      const got = await inbox(address);
      return got.length > 0 ? got : undefined;
    });
    expect(mail!.Subject).toBe(`Продано: ${product.title}`);
  });
});
