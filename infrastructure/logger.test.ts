import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', 'test', destination), lines };
}

describe('logger', () => {
  it('adds the workflow id and activity to lines logged inside an activity, nothing outside', async () => {
    const { logger, lines } = capture();
    logger.info('outside');
    const env = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'invoice:42-gold-1', runId: 'r' },
      activityType: 'recordInvoiceState',
    });
    await env.run(async () => {
      logger.info({ userId: 42 }, 'inside');
    });
    expect(lines[0]).not.toHaveProperty('workflowId');
    expect(lines[1]).toMatchObject({
      workflowId: 'invoice:42-gold-1',
      activity: 'recordInvoiceState',
      userId: 42,
      msg: 'inside',
    });
  });

  it('redacts secrets by path', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        token: 'jwt-value',
        config: { cryptocloud: { secretKey: 'x' } },
        req: { headers: { authorization: 'Token abc' } },
      },
      'sensitive',
    );
    expect(JSON.stringify(lines[0])).not.toMatch(/jwt-value|Token abc|secretKey":"x/);
  });
});
