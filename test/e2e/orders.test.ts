/**
 * A product bought on every rail, end to end: Buy → the order's invoice → paid → one delivery DM
 * (the file attached) → the delivery's download link serves the exact bytes. Duplicated and
 * reordered payment notifications give one order, one delivery and one sale in the ledger.
 */
import { like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../domain/ledger';
import { ledgerEntries } from '../../infrastructure/db/schema';
import { ProductOwnedError } from '../../infrastructure/temporal/order-commands';
import { eventually, setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';
import { deliveriesTo, downloadFromDelivery, listedProduct, newBuyer, ordersOf, sha256 } from '../marketplace';
import { workflowsSettled } from '../settled';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ...storageEnv('orders'),
    INVOICE_TTL: '10s',
    INVOICE_LATE_PAYMENT_WINDOW: '2s',
    INVOICE_RECONCILE_SCHEDULE: '2s,4s',
    INVOICE_RECONCILE_EVERY: '3s',
  });
  await setupStackBucket(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const commands = () => stack.runtime.commands;
const settled = (ids: string[]) => workflowsSettled(stack.runtime.temporal.client, ids);
const saleEntries = (invoiceId: string) =>
  stack.runtime.db
    .select()
    .from(ledgerEntries)
    .where(like(ledgerEntries.transactionKey, `invoice:${invoiceId}:%`));
const soldNotices = (sellerId: number) =>
  tg()
    .messagesTo(sellerId)
    .filter((m) => /Sold:/.test(m.text ?? ''));

/** After payment: one paid-and-delivered order, one delivery DM with the file, one sale, exact bytes. */
async function expectOneDeliveredSale(
  product: Awaited<ReturnType<typeof listedProduct>>,
  buyerId: number,
  orderId: string,
  invoiceId: string,
  sale: { amountMinor: bigint; currency: string },
) {
  await eventually('the delivery DM', () => deliveriesTo(stack, buyerId).length > 0, 30_000);
  await eventually('the seller told of the sale', () => soldNotices(product.sellerId).length > 0);
  await settled([`invoice:${invoiceId}`, `order:${orderId}`]);
  const [order, ...others] = await ordersOf(stack, buyerId);
  expect(others).toHaveLength(0);
  expect(order).toMatchObject({ id: orderId, status: 'delivered', invoiceId });
  const [delivery, ...more] = deliveriesTo(stack, buyerId);
  expect(more).toHaveLength(0);
  // Small enough for the Bot API: the file itself is in the chat, under its own name.
  expect(delivery!.document).toMatchObject({ file_name: product.fileName, file_size: product.bytes.length });
  expect(soldNotices(product.sellerId)).toHaveLength(1);
  const escrow = (await saleEntries(invoiceId)).filter((e) => e.account === accounts.orderEscrow(orderId));
  expect(escrow.map((e) => [e.amountMinor, e.currency])).toEqual([[-sale.amountMinor, sale.currency]]);
  await assertLedgerInvariant(stack.runtime.db);

  const download = await downloadFromDelivery(stack, buyerId, orderId);
  expect(download.status).toBe(200);
  expect(sha256(download.body)).toBe(sha256(product.bytes));
  const [downloaded] = await ordersOf(stack, buyerId);
  expect(downloaded).toMatchObject({ downloadCount: 1 });
}

describe('a product bought on each rail', () => {
  it('Telegram Stars: the XTR invoice paid, the successful_payment delivered twice → one order, one delivery', async () => {
    const product = await listedProduct(stack, { priceStars: 120 });
    const { userId, from } = await newBuyer(stack);
    const { orderId, invoiceId } = await commands().openOrder({
      buyerId: userId,
      productId: product.productId,
      rail: 'stars',
    });
    const invoice = await eventually('the Stars invoice', () =>
      tg()
        .calls('sendInvoice')
        .find((c) => c.ok && String(c.params.chat_id) === String(userId) && c.params.payload === invoiceId),
    );
    expect(invoice.params).toMatchObject({ currency: 'XTR', title: product.title });
    await eventually('the invoice ready for payment', async () => (await ordersOf(stack, userId))[0]);
    const paid = await tg().payInvoice({ userId, payload: invoiceId });
    expect(paid.outcome).toBe('paid');
    // Telegram delivers the same successful_payment again.
    tg().injectUpdate({
      message: {
        message_id: 999_998,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: 'private', first_name: from.first_name },
        from: { ...from, is_bot: false },
        successful_payment: {
          currency: 'XTR',
          total_amount: 120,
          invoice_payload: invoiceId,
          telegram_payment_charge_id: paid.chargeId!,
          provider_payment_charge_id: `${userId}_dup`,
        },
      },
    });
    await expectOneDeliveredSale(product, userId, orderId, invoiceId, { amountMinor: 120n, currency: 'XTR' });
  });

  it('CryptoCloud: every postback three times → one order, one delivery, one sale', async () => {
    const product = await listedProduct(stack, { priceMinor: 1500n, currency: 'USD' });
    const { userId } = await newBuyer(stack);
    const { orderId, invoiceId } = await commands().openOrder({
      buyerId: userId,
      productId: product.productId,
      rail: 'cryptocloud',
    });
    await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
    stack.sandbox.cryptocloud.repeatPostbacks(3);
    try {
      await stack.sandbox.cryptocloud.pay(invoiceId);
      await expectOneDeliveredSale(product, userId, orderId, invoiceId, { amountMinor: 1500n, currency: 'USD' });
    } finally {
      stack.sandbox.cryptocloud.repeatPostbacks(1);
    }
  });

  it('NOWPayments: IPNs repeated and reordered → one order, one delivery, one sale', async () => {
    const product = await listedProduct(stack, { priceMinor: 2500n, currency: 'USD', priceStars: null });
    const { userId } = await newBuyer(stack);
    const { orderId, invoiceId } = await commands().openOrder({
      buyerId: userId,
      productId: product.productId,
      rail: 'nowpayments',
      payCurrency: 'btc',
    });
    const payment = await eventually('the NOWPayments payment', () => stack.sandbox.nowpayments.payment(invoiceId));
    stack.sandbox.nowpayments.repeatIpns(3);
    stack.sandbox.nowpayments.reorderIpns(4);
    try {
      await stack.sandbox.nowpayments.pay(payment.paymentId).done;
      await expectOneDeliveredSale(product, userId, orderId, invoiceId, { amountMinor: 2500n, currency: 'USD' });
    } finally {
      stack.sandbox.nowpayments.configureIpns({ repeat: 1, reorder: 0 });
    }
  });
});

describe('one order per buyer and product', () => {
  it('two Buy taps at once meet on one order; once owned, Buy is refused with the order to open', async () => {
    const product = await listedProduct(stack, { priceStars: 30 });
    const { userId } = await newBuyer(stack);
    const buy = () => commands().openOrder({ buyerId: userId, productId: product.productId, rail: 'stars' });
    const [a, b] = await Promise.all([buy(), buy()]);
    expect(a.orderId).toBe(b.orderId);
    expect(await ordersOf(stack, userId)).toHaveLength(1);
    await eventually('the Stars invoice', () =>
      tg()
        .calls('sendInvoice')
        .find((c) => c.ok && c.params.payload === a.invoiceId),
    );
    await tg().payInvoice({ userId, payload: a.invoiceId });
    await eventually('the delivery DM', () => deliveriesTo(stack, userId).length === 1, 30_000);
    const again = await buy().catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ProductOwnedError);
    expect((again as ProductOwnedError).orderId).toBe(a.orderId);
  });

  it('switching rails cancels the unpaid invoice first: the old order is cancelled, the new one is open', async () => {
    const product = await listedProduct(stack, { priceStars: 40, priceMinor: 900n });
    const { userId } = await newBuyer(stack);
    const first = await commands().openOrder({ buyerId: userId, productId: product.productId, rail: 'cryptocloud' });
    await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(first.invoiceId));
    const second = await commands().openOrder({ buyerId: userId, productId: product.productId, rail: 'stars' });
    expect(second.orderId).not.toBe(first.orderId);
    await settled([`order:${first.orderId}`]);
    const rows = await ordersOf(stack, userId);
    expect(Object.fromEntries(rows.map((o) => [o.id, o.status]))).toEqual({
      [first.orderId]: 'cancelled',
      [second.orderId]: 'awaiting_payment',
    });
    // The price snapshot is the order's: Stars on the new one, the fiat price on the old.
    expect(rows.find((o) => o.id === second.orderId)).toMatchObject({ rail: 'stars', priceStars: 40 });
    expect(rows.find((o) => o.id === first.orderId)).toMatchObject({ priceMinor: 900n, currency: 'USD' });
  });

  it('partly paid and expired: the order owned nothing, and admins resolve the money without plan actions', async () => {
    const product = await listedProduct(stack, { priceMinor: 1200n, currency: 'USD' });
    const { userId } = await newBuyer(stack);
    const { orderId, invoiceId } = await commands().openOrder({
      buyerId: userId,
      productId: product.productId,
      rail: 'cryptocloud',
    });
    await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
    await stack.sandbox.cryptocloud.payPartially(invoiceId, '5.00');
    await eventually(
      'the order closed',
      async () => (await ordersOf(stack, userId))[0]?.status === 'cancelled',
      40_000,
    );
    await settled([`order:${orderId}`]);
    expect(deliveriesTo(stack, userId)).toHaveLength(0);
    const by = { actor: 'admin' as const, id: 1 };
    await eventually('the resolution open', async () =>
      (await commands().unresolved()).some((view) => view.invoiceId === invoiceId),
    );
    const resolve = (action: Parameters<ReturnType<typeof commands>['resolve']>[1]) =>
      commands().resolve(invoiceId, action, by);
    await expect(resolve({ type: 'credit', mode: 'extend', days: 3 })).rejects.toThrow(/order's payment/);
    await expect(resolve({ type: 'accept' })).rejects.toThrow(/order's payment/);
    const kept = await resolve({ type: 'credit', mode: 'balance' });
    expect(kept).toMatchObject({ applied: true });
    await assertLedgerInvariant(stack.runtime.db);
  }, 120_000);
});
