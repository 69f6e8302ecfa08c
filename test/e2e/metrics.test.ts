/**
 * `/metrics` of the api and of the worker move as a subscription is paid, activated and removed,
 * and as Telegram answers with errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics, workerMetrics } from '../../infrastructure/metrics';
import { eventually, startStack, type Stack } from '../harness';

let stack: Stack;
let worker: { url: string; close(): Promise<void> };
beforeAll(async () => {
  stack = await startStack();
  worker = await serveMetrics(workerMetrics().registry, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await worker?.close();
  await stack?.stop();
});

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample (0 when absent), e.g. value(text, 'tgc_invoices', { status: 'paid' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(labels).every(([key, v]) => labelText.includes(`${key}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('metrics', () => {
  it('count webhooks, invoices, workflows, activations, removals and Telegram errors as they happen', async () => {
    const api = () => scrape(stack.apiUrl);
    const beforeApi = await api();
    const beforeWorker = await scrape(worker.url);
    expect(value(beforeApi, 'tgc_metrics_source_up', { source: 'database' })).toBe(1);
    expect(value(beforeApi, 'tgc_metrics_source_up', { source: 'temporal' })).toBe(1);

    const { planId, channelIds } = await stack.createPlan({ durationSeconds: 3 });
    const userId = stack.newUserId();
    await stack.addUser(userId);
    // Telegram rate-limits the first message to this user once; auto-retry waits it out.
    stack.sandbox.telegram.injectFault({
      method: 'sendMessage',
      chatId: userId,
      fault: { kind: 'rate_limit', retryAfter: 1 },
    });
    const { invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId });
    await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
    await stack.sandbox.cryptocloud.pay(invoiceId);
    await stack.sandbox.telegram.waitForMessage(userId, (m) => /subscription is active/.test(m.text ?? ''), 15_000);

    await eventually('api counters moved', async () => {
      const now = await api();
      return (
        value(now, 'tgc_webhooks_total', { provider: 'cryptocloud', outcome: 'accepted' }) >
          value(beforeApi, 'tgc_webhooks_total', { provider: 'cryptocloud', outcome: 'accepted' }) &&
        value(now, 'tgc_invoices', { status: 'paid' }) > value(beforeApi, 'tgc_invoices', { status: 'paid' }) &&
        value(now, 'tgc_workflow_executions', { workflow_type: 'invoiceWorkflow', status: 'Completed' }) >
          value(beforeApi, 'tgc_workflow_executions', { workflow_type: 'invoiceWorkflow', status: 'Completed' }) &&
        value(now, 'tgc_subscriptions', { status: 'active' }) >= 1
      );
    });
    const afterPayment = await scrape(worker.url);
    expect(value(afterPayment, 'tgc_subscription_activations_total')).toBeGreaterThan(
      value(beforeWorker, 'tgc_subscription_activations_total'),
    );
    expect(
      value(afterPayment, 'tgc_telegram_api_errors_total', { method: 'sendMessage', code: '429' }),
    ).toBeGreaterThan(value(beforeWorker, 'tgc_telegram_api_errors_total', { method: 'sendMessage', code: '429' }));

    // 3 s period + 3 s grace: then the member is removed.
    await eventually(
      'removal counted',
      async () =>
        value(await scrape(worker.url), 'tgc_member_removals_total', { dry_run: 'false' }) >
        value(beforeWorker, 'tgc_member_removals_total', { dry_run: 'false' }),
      20_000,
    );
    expect(
      stack.sandbox.telegram
        .calls('banChatMember')
        .some((c) => c.params.chat_id === channelIds[0] && c.params.user_id === userId),
    ).toBe(true);
  });
});
