/**
 * The seller-alert email journey, played against one email adapter: the real SMTP server (Mailpit)
 * or the Mailjet emulator. Both test files run it whole, so the two adapters are held to one behaviour.
 */
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { sellers, users } from '../infrastructure/db/schema';
import { buttonsOf, conversation, hasButton, textMatches } from './conversation';
import { eventually, type Stack } from './harness';
import { deliveriesTo, listedProduct, newBuyer } from './marketplace';
import { workflowsSettled } from './settled';

export interface ReceivedEmail {
  subject: string;
  fromAddress: string;
  text: string;
  html: string;
}

/** What arrived for one address, through the adapter's own receiving end. */
export type Mailbox = (address: string) => Promise<ReceivedEmail[]>;

export function sellerAlertScenarios(stack: () => Stack, mailbox: Mailbox, from: string) {
  const tg = () => stack().sandbox.telegram;
  const { say, pressAndEdit } = conversation(tg);

  /** A Stars sale of the seller's product to a new buyer, delivered. */
  async function sell(product: Awaited<ReturnType<typeof listedProduct>>) {
    const { userId } = await newBuyer(stack());
    const { orderId, invoiceId } = await stack().runtime.commands.openOrder({
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
    await eventually('the delivery', () => deliveriesTo(stack(), userId).length > 0, 20_000);
    await workflowsSettled(stack().runtime.temporal.client, [`order:${orderId}`]);
    return orderId;
  }
  /** The sale alerts among what arrived (a sale's release, after the short hold, is emailed too). */
  const saleMails = async (address: string) =>
    (await mailbox(address)).filter((m) => /^(Sold|Продано): /.test(m.subject));
  const arrived = (address: string, count: number, of: Mailbox = mailbox) =>
    eventually(`${count} email(s) to ${address}`, async () => {
      const got = await of(address);
      return got.length >= count ? got : undefined;
    });

  it('/alerts <address> → one email per sale in the seller language; a bad address refused; /alerts off → none', async () => {
    const product = await listedProduct(stack(), { priceStars: 60 });
    const seller = { id: product.sellerId, first_name: `User ${product.sellerId}` };
    await say(seller, '/alerts not-an-address', textMatches(/not an email address/));
    const address = `seller-${product.sellerId}@example.com`;
    await say(seller, `/alerts ${address.toUpperCase()}`, textMatches(/will be emailed to/));

    const orderId = await sell(product);
    const [mail, ...more] = await arrived(address, 1, saleMails);
    expect(more).toHaveLength(0);
    expect(mail!.subject).toBe(`Sold: ${product.title}`);
    expect(mail!.fromAddress).toBe(from);
    expect(mail!.text).toContain(`order ${orderId}`);
    expect(mail!.html).toContain('<p>');

    await say(seller, '/alerts off', textMatches(/No more email alerts/));
    await sell(product);
    expect(await saleMails(address)).toHaveLength(1);
  });

  it('a kind turned off in /alerts is not emailed; turned back on, it is', async () => {
    const product = await listedProduct(stack(), { priceStars: 65 });
    const seller = { id: product.sellerId, first_name: `User ${product.sellerId}` };
    const address = `kinds-${product.sellerId}@example.com`;
    await say(seller, `/alerts ${address}`, textMatches(/will be emailed to/));
    const menu = await say(seller, '/alerts', hasButton('alrt:sale'));
    const off = await pressAndEdit(seller, menu, 'alrt:sale');
    expect(buttonsOf(off).map((b) => b.text)).toContain('🚫 Sales: not emailed');
    const [row] = await stack()
      .runtime.db.select({ optOuts: sellers.alertOptOuts })
      .from(sellers)
      .where(eq(sellers.userId, product.sellerId));
    expect(row!.optOuts).toEqual(['sale']);
    await sell(product);
    expect(await saleMails(address)).toHaveLength(0);

    const on = await pressAndEdit(seller, off, 'alrt:sale');
    expect(buttonsOf(on).map((b) => b.text)).toContain('✅ Sales: emailed');
    await sell(product);
    await arrived(address, 1, saleMails);
  });

  /** A crypto (CryptoCloud, USD) sale to a new buyer, paid; resolves once the order knows it. */
  async function sellForCrypto(product: Awaited<ReturnType<typeof listedProduct>>) {
    const { userId } = await newBuyer(stack());
    const { orderId, invoiceId } = await stack().runtime.commands.openOrder({
      buyerId: userId,
      productId: product.productId,
      rail: 'cryptocloud',
    });
    await eventually('the gateway invoice', () => stack().sandbox.cryptocloud.invoice(invoiceId));
    await stack().sandbox.cryptocloud.pay(invoiceId);
    await eventually('the escrow holding', async () => {
      const escrow = await stack().runtime.commands.escrowState(orderId);
      return escrow?.stage === 'held' ? escrow : undefined;
    });
    return { orderId, buyerId: userId };
  }

  it('each kind of alert arrives once: sale, release from escrow, dispute opened, payout paid', async () => {
    const product = await listedProduct(stack(), { priceMinor: 2000n, priceStars: null });
    const sellerId = product.sellerId;
    const seller = { id: sellerId, first_name: `User ${sellerId}` };
    const address = `kinds-${sellerId}@example.com`;
    await say(seller, `/alerts ${address}`, textMatches(/will be emailed to/));
    const { commands, temporal } = stack().runtime;

    // A sale, released after the hold.
    const first = await sellForCrypto(product);
    await eventually(
      'the release',
      async () => (await commands.escrowState(first.orderId))?.stage === 'released',
      30_000,
    );
    // A second sale, disputed inside its hold.
    const second = await sellForCrypto(product);
    await commands.openDispute(second.orderId, second.buyerId, 'The file is empty');
    // A payout of the released money, sent.
    const payout = await commands.requestPayout({
      source: 'seller',
      requesterId: sellerId,
      amountMinor: 1000n,
      currency: 'USD',
      network: 'TRC20',
      wallet: 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL',
    });
    expect(payout.accepted).toBe(true);
    const txHash = 'ab'.repeat(32);
    await commands.markPayoutPaid(payout.payoutId, 1, txHash);

    const expected = [
      `Sold: ${product.title}`,
      `Sold: ${product.title}`,
      `Available: ${product.title}`,
      `Dispute: ${product.title}`,
      `Payout request ${payout.payoutId} received`,
      `Payout ${payout.payoutId} sent: 10.00 USD`,
    ].sort();
    await arrived(address, expected.length);
    await workflowsSettled(temporal.client, [`order:${first.orderId}`, `order:${second.orderId}`]);
    await workflowsSettled(temporal.client, [`escrow:${first.orderId}`, `payout:${payout.payoutId}`]);
    const mails = await mailbox(address);
    expect(mails.map((m) => m.subject).sort()).toEqual(expected);
    const paid = mails.find((m) => m.subject.startsWith(`Payout ${payout.payoutId} sent`))!;
    expect(paid.text).toContain(`Transaction: ${txHash}`);
    expect(mails.find((m) => m.subject.startsWith('Dispute:'))!.text).toContain('The file is empty');
  });

  it('in the seller language (Russian)', async () => {
    const product = await listedProduct(stack(), { priceStars: 70 });
    await stack().runtime.db.update(users).set({ language: 'ru' }).where(eq(users.id, product.sellerId));
    const seller = { id: product.sellerId, first_name: `User ${product.sellerId}` };
    const address = `ru-${product.sellerId}@example.com`;
    await say(seller, `/alerts ${address}`, textMatches(new RegExp(address)));
    await sell(product);
    const [mail] = await arrived(address, 1, saleMails);
    expect(mail!.subject).toBe(`Продано: ${product.title}`);
  });
}
