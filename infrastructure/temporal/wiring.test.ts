import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { eventually } from '../../test/eventually';
import { finishSignal } from '../../test/fixtures/probe-workflow';
import { loadConfig } from '../config';
import { InvoiceId, ProcessStatus, TelegramUserId } from '../../workflows/search-attributes';
import { connectTemporal, registerSearchAttributes } from './client';
import { createWorker } from './worker';
import type { createActivities } from '../../activities';

describe('Temporal wiring on the real dev server', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    TELEGRAM_BOT_TOKEN: '1:abcdefghijklmnop',
    TELEGRAM_WEBHOOK_SECRET: 's',
    CRYPTOCLOUD_API_KEY: 'k',
    CRYPTOCLOUD_SECRET_KEY: 's',
    CRYPTOCLOUD_SHOP_ID: 'x',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `wiring-${randomUUID()}`,
  });
  let temporal: Awaited<ReturnType<typeof connectTemporal>>;

  beforeAll(async () => {
    temporal = await connectTemporal(config);
  });
  afterAll(async () => {
    await temporal.connection.close();
  });

  it('registers the custom search attributes idempotently', async () => {
    await registerSearchAttributes(temporal.connection, config.temporal.namespace);
    await registerSearchAttributes(temporal.connection, config.temporal.namespace);
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: config.temporal.namespace,
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining([
        'TelegramUserId',
        'InvoiceId',
        'OrderId',
        'PaymentProvider',
        'ProcessStatus',
        'SellerId',
        'ReleaseAt',
        'PayeeKind',
      ]),
    );
  });

  it('runs a durable workflow through the project worker and finds it by search attributes', async () => {
    const { worker, connection } = await createWorker({
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: {} as ReturnType<typeof createActivities>,
      workflowsPath: fileURLToPath(new URL('../../test/fixtures/probe-workflow.ts', import.meta.url)),
    });
    const userId = randomInt(1, 2 ** 40);
    const invoiceId = `probe-${randomUUID()}`;
    await worker.runUntil(async () => {
      const handle = await temporal.client.workflow.start('probeWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `probe:${invoiceId}`,
        args: ['hello'],
        typedSearchAttributes: [
          { key: TelegramUserId, value: userId },
          { key: InvoiceId, value: invoiceId },
        ],
      });
      const query = `TelegramUserId = ${userId} AND InvoiceId = '${invoiceId}' AND ProcessStatus = 'waiting'`;
      const found = await eventually('the waiting workflow in visibility', async () => {
        for await (const execution of temporal.client.workflow.list({ query })) return execution;
        return undefined;
      });
      expect(found.workflowId).toBe(`probe:${invoiceId}`);
      expect(found.typedSearchAttributes.get(ProcessStatus)).toBe('waiting');
      await handle.signal(finishSignal, 'Temporal');
      expect(await handle.result()).toBe('hello, Temporal');
    });
    await connection.close();
  });
});
