/**
 * Deliveries that must not be lost or doubled: a worker killed between payment and delivery, a
 * buyer who blocked the bot (failed in Temporal UI, replayed by ops exactly once), a file too big to
 * attach, and the one reminder for a purchase nobody downloaded.
 */
import { runOpsCapture } from '../ops';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices } from '../../infrastructure/db/schema';
import { DownloadError, issueDownloadToken } from '../../infrastructure/downloads/tokens';
import type { OpsDeps } from '../../ops/cli';
import { eventually, setupStackBucket, startStack, storageEnv, spawnWorkerProcess, type Stack } from '../harness';
import { deliveriesTo, downloadFromDelivery, listedProduct, newBuyer, ordersOf, sha256 } from '../marketplace';
import { workflowsSettled } from '../settled';

let stack: Stack;
let storage: Record<string, string>;
let deps: OpsDeps;
beforeAll(async () => {
  storage = storageEnv('deliveries');
  stack = await startStack({ ...storage, ORDER_DOWNLOAD_REMINDER: '3s', ORDER_DOCUMENT_MAX_MB: '1' });
  await setupStackBucket(stack);
  deps = {
    db: stack.runtime.db,
    client: stack.runtime.temporal.client,
    commands: stack.runtime.commands,
    config: stack.config,
  };
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const settled = (ids: string[]) => workflowsSettled(stack.runtime.temporal.client, ids);

const ops = (...argv: string[]) => runOpsCapture(deps, argv);

/** A Stars order opened and its invoice message out, ready to be paid. */
async function starsOrder(options: Parameters<typeof listedProduct>[1] = {}, timeoutMs = 30_000) {
  const product = await listedProduct(stack, { priceStars: 75, ...options });
  const { userId } = await newBuyer(stack);
  const { orderId, invoiceId } = await stack.runtime.commands.openOrder({
    buyerId: userId,
    productId: product.productId,
    rail: 'stars',
  });
  await eventually(
    'the Stars invoice',
    () =>
      tg()
        .calls('sendInvoice')
        .find((c) => c.ok && c.params.payload === invoiceId),
    timeoutMs,
  );
  return { product, userId, orderId, invoiceId };
}

/** Delivery workflows found by Temporal's visibility, as an admin would in Temporal UI. */
async function deliveriesShowing(status: string, orderId: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = "deliveryWorkflow" AND ProcessStatus = "${status}" AND OrderId = "${orderId}"`;
  for await (const workflow of stack.runtime.temporal.client.workflow.list({ query })) ids.push(workflow.workflowId);
  return ids;
}

const spawnWorker = () => spawnWorkerProcess(stack, storage);

describe('order delivery', () => {
  it('a buyer who blocked the bot: failed in Temporal UI, replayed once after unblocking, a second replay does nothing', async () => {
    const { product, userId, orderId, invoiceId } = await starsOrder();
    tg().blockBot(userId);
    await tg().payInvoice({ userId, payload: invoiceId });
    await eventually(
      'the delivery shown as failed',
      async () => (await deliveriesShowing('failed', orderId)).length > 0,
      30_000,
    );
    expect(deliveriesTo(stack, userId)).toHaveLength(0);
    const [blocked] = await ordersOf(stack, userId);
    expect(blocked).toMatchObject({ status: 'paid' }); // owned, not delivered yet

    tg().unblockBot(userId);
    const [first, second] = await Promise.all([ops('replay-delivery', orderId), ops('replay-delivery', orderId)]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.out).toContain(`order ${orderId}: delivered again`);
    await settled([`delivery:${orderId}`]);
    expect(deliveriesTo(stack, userId)).toHaveLength(1);
    expect(await deliveriesShowing('failed', orderId)).toEqual([]);
    const [delivered] = await ordersOf(stack, userId);
    expect(delivered).toMatchObject({ status: 'delivered' });

    const again = await ops('replay-delivery', orderId);
    expect(again).toMatchObject({ code: 1, err: `error: order ${orderId} was already delivered; nothing to replay` });
    await settled([`delivery:${orderId}`]);
    expect(deliveriesTo(stack, userId)).toHaveLength(1);
    const download = await downloadFromDelivery(stack, userId, orderId);
    expect(sha256(download.body)).toBe(sha256(product.bytes));
  });

  it('refunded while the buyer had blocked the bot: no delivery after unblocking, the replay refused', async () => {
    const { userId, orderId, invoiceId } = await starsOrder();
    tg().blockBot(userId);
    await tg().payInvoice({ userId, payload: invoiceId });
    await eventually(
      'the delivery shown as failed',
      async () => (await deliveriesShowing('failed', orderId)).length > 0,
      30_000,
    );
    expect(await ops('refund-order', orderId)).toMatchObject({ code: 0 });
    await eventually('the order refunded', async () => (await ordersOf(stack, userId))[0]?.status === 'refunded');
    tg().unblockBot(userId);
    expect(await ops('replay-delivery', orderId)).toMatchObject({
      code: 1,
      err: `error: order ${orderId} was refunded; there is nothing to deliver`,
    });
    // The delivery workflow itself, told to try again, sends nothing either.
    await stack.runtime.temporal.client.workflow
      .getHandle(`delivery:${orderId}`)
      .signal('replayDelivery', { by: 'test' });
    await eventually('the retried delivery failed again', async () => {
      const view = await stack.runtime.commands.deliveryState(orderId);
      return view !== undefined && view.tries >= 2 && view.stage === 'failed';
    });
    expect(deliveriesTo(stack, userId)).toHaveLength(0);
  });

  it('an unknown order or one not paid: clear refusals', async () => {
    expect(await ops('replay-delivery', 'AAAAAAAAAAAAAAAA')).toMatchObject({
      code: 1,
      err: 'error: unknown order AAAAAAAAAAAAAAAA',
    });
    const { orderId } = await starsOrder();
    expect(await ops('replay-delivery', orderId)).toMatchObject({
      code: 1,
      err: `error: order ${orderId} is not paid; there is nothing to deliver`,
    });
  });

  it('the worker killed between payment and delivery: after restart, exactly one delivery', async () => {
    await stack.stopWorker();
    let child = spawnWorker();
    let restored = false;
    try {
      // A fresh worker process starts slowly on a busy machine (it bundles the workflows first).
      const { userId, orderId, invoiceId } = await starsOrder({}, 120_000);
      // Telegram refuses the delivery's first send (429, retry after 3 s): the kill lands after the
      // payment is recorded and before the delivery has reached the buyer.
      tg().injectFault({
        method: 'sendDocument',
        chatId: userId,
        times: 1,
        fault: { kind: 'rate_limit', retryAfter: 3 },
      });
      await tg().payInvoice({ userId, payload: invoiceId });
      await tg().waitForCall('sendDocument', (c) => c.params.chat_id === userId && !c.ok, 30_000);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const [invoice] = await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId));
      expect(invoice?.status).toBe('paid');
      expect(deliveriesTo(stack, userId)).toHaveLength(0);

      child = spawnWorker();
      await eventually('the delivery after restart', () => deliveriesTo(stack, userId).length > 0, 120_000);
      await eventually('the order delivered', async () => (await ordersOf(stack, userId))[0]?.status === 'delivered');
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await stack.startWorker();
      restored = true;
      await settled([`order:${orderId}`, `delivery:${orderId}`]);
      expect(deliveriesTo(stack, userId)).toHaveLength(1);
    } finally {
      tg().clearFaults();
      if (child.exitCode === null) child.kill('SIGTERM');
      if (!restored) await stack.startWorker();
    }
  }, 240_000);

  it('a file too big to attach comes as buttons only; one reminder when nothing is downloaded', async () => {
    const { product, userId, orderId, invoiceId } = await starsOrder({ sizeBytes: 1024 * 1024 + 1 });
    await tg().payInvoice({ userId, payload: invoiceId });
    const delivery = await tg().waitForMessage(userId, (m) => /is yours!/.test(m.text ?? ''), 20_000);
    expect(delivery.method).toBe('sendMessage');
    expect(delivery.text).toContain(product.fileName);
    const buttons = delivery.message.reply_markup?.inline_keyboard.flat() ?? [];
    expect(buttons.some((b) => 'web_app' in b && b.web_app.url.includes(`/miniapp/download?order=${orderId}`))).toBe(
      true,
    );
    await tg().waitForMessage(userId, (m) => /not downloaded/.test(m.text ?? ''), 20_000);
    await settled([`delivery:${orderId}`]);
    expect(
      tg()
        .messagesTo(userId)
        .filter((m) => /not downloaded/.test(m.text ?? '')),
    ).toHaveLength(1);
  });

  it('a download before the reminder is due: no reminder', async () => {
    const { product, userId, orderId, invoiceId } = await starsOrder();
    await tg().payInvoice({ userId, payload: invoiceId });
    await eventually('the delivery', () => deliveriesTo(stack, userId).length > 0, 20_000);
    const download = await downloadFromDelivery(stack, userId, orderId);
    expect(sha256(download.body)).toBe(sha256(product.bytes));
    await eventually('the delivery done', async () => {
      const state = await stack.runtime.commands.deliveryState(orderId).catch(() => undefined);
      return state === undefined || state.stage === 'downloaded';
    });
    await settled([`delivery:${orderId}`]);
    expect(
      tg()
        .messagesTo(userId)
        .filter((m) => /not downloaded/.test(m.text ?? '')),
    ).toHaveLength(0);
    const [order] = await ordersOf(stack, userId);
    expect(order?.firstDownloadAt).toBeInstanceOf(Date);
  });

  it('an order is refunded through its escrow, not its invoice: refundStarPayment once, the purchase no longer owned', async () => {
    const { userId, orderId, invoiceId } = await starsOrder();
    await tg().payInvoice({ userId, payload: invoiceId });
    await eventually('the delivery', () => deliveriesTo(stack, userId).length > 0, 20_000);
    const refusedInvoice = await ops('refund', invoiceId);
    expect(refusedInvoice.code).toBe(1);
    expect(refusedInvoice.err).toContain(`it pays for order ${orderId}: refund the order instead`);
    await eventually(
      'the escrow holding',
      async () => (await stack.runtime.commands.escrowState(orderId))?.stage === 'held',
    );
    // Asked twice at once: one refunds, the other is told it was refunded already.
    const both = await Promise.all([ops('refund-order', orderId), ops('refund-order', orderId)]);
    expect(both.map((run) => run.code).sort()).toEqual([0, 1]);
    expect(both.find((run) => run.code === 1)?.err).toBe(`error: order ${orderId} was already refunded`);
    await eventually('the order refunded', async () => (await ordersOf(stack, userId))[0]?.status === 'refunded');
    await settled([`escrow:${orderId}`]);
    const refunds = tg()
      .calls('refundStarPayment')
      .filter((c) => c.ok && String(c.params.user_id) === String(userId));
    expect(refunds).toHaveLength(1);
    // No longer owned: no new download link.
    await expect(issueDownloadToken(stack.runtime.db, { buyerId: userId, orderId, ttlMs: 60_000 })).rejects.toThrow(
      DownloadError,
    );
    expect(await ops('refund-order', orderId)).toMatchObject({
      code: 1,
      err: `error: order ${orderId} was already refunded`,
    });
  });
});
