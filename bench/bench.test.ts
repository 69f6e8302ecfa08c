/**
 * The bench's own arithmetic and inputs: nearest-rank percentiles, and postbacks the real route takes
 * as new ones (signed right, parsed, each with its own de-duplication key), so the intake phase
 * measures the path that signals a workflow and not the duplicate shortcut.
 */
import { describe, expect, it } from 'vitest';
import { parsePostback } from '../api/routes/cryptocloud-webhook';
import { verifyPostbackToken } from '../infrastructure/providers/cryptocloud';
import { postbackBodies } from './intake';
import type { StackInfo } from './stack-process';
import { percentile, summarise } from './stats';

describe('percentiles', () => {
  it('are nearest-rank over the sorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarise(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(percentile([7], 99)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('intake postbacks', () => {
  it('verify, parse, and are each new to the de-duplication', async () => {
    const secret = 'bench-test-secret';
    const stack = {
      cryptocloudSecretKey: secret,
      intakeInvoices: [
        { orderId: 'inv_a', gatewayInvoiceId: 'INV-ABCD1234' },
        { orderId: 'inv_b', gatewayInvoiceId: 'EFGH5678' },
      ],
    } as StackInfo;
    const body = await postbackBodies(stack);
    const keys = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const parsed = parsePostback(JSON.parse(body(i).body));
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(await verifyPostbackToken(parsed.token, secret)).toMatchObject({ ok: true, invoiceId: parsed.invoiceId });
      expect(parsed.status).toBe('created');
      // The route's de-duplication key (api/routes/cryptocloud-webhook.ts).
      keys.add(`${parsed.invoiceId}:${parsed.status}:${parsed.received}`);
    }
    expect(keys.size).toBe(500);
  });
});
