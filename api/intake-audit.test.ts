/** The claim and the audit row in one statement: first, repeats, concurrent deliveries, undo. Real PostgreSQL. */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../infrastructure/db/client';
import { webhookClaims, webhookEvents } from '../infrastructure/db/schema';
import { claimAndAudit } from './intake-audit';

let database: ReturnType<typeof createDatabase>;
beforeAll(() => {
  database = createDatabase(inject('databaseUrl'), { max: 8 });
});
afterAll(async () => {
  await database?.close();
});

const request = (body: string) =>
  ({ headers: { 'content-type': 'application/json' }, ip: '203.0.113.9', body: Buffer.from(body) }) as FastifyRequest;
const rowsOf = (orderId: string) =>
  database.db.select().from(webhookEvents).where(eq(webhookEvents.orderId, orderId)).orderBy(webhookEvents.id);
const claimsOf = (provider: string, dedupKey: string) =>
  database.db
    .select()
    .from(webhookClaims)
    .where(and(eq(webhookClaims.provider, provider), eq(webhookClaims.dedupKey, dedupKey)));

describe('claimAndAudit', () => {
  it('the first delivery claims and is audited accepted; ten at once: one claim, nine duplicates', async () => {
    const event = { provider: 'test', dedupKey: `k-${randomUUID()}`, orderId: `o-${randomUUID()}` };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => claimAndAudit(database.db, request(`{"n":${i}}`), event)),
    );
    expect(results.filter((r) => r.first)).toHaveLength(1);
    const rows = await rowsOf(event.orderId);
    expect(rows.map((r) => r.outcome).sort()).toEqual(['accepted', ...Array<string>(9).fill('duplicate')]);
    expect(rows[0]).toMatchObject({
      provider: 'test',
      verified: true,
      dedupKey: event.dedupKey,
      remoteAddress: '203.0.113.9',
      contentType: 'application/json',
    });
    expect(rows.map((r) => r.payload).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `{"n":${i}}`).sort());
    expect(await claimsOf('test', event.dedupKey)).toHaveLength(1);
  });

  it('undo gives the key back and records what happened on the same row; the retry claims again', async () => {
    const event = { provider: 'test', dedupKey: `k-${randomUUID()}`, orderId: `o-${randomUUID()}` };
    const first = await claimAndAudit(database.db, request('{}'), event);
    expect(first.first).toBe(true);
    await first.undo({ outcome: 'failed', reason: 'signal failed: unavailable' });
    expect(await claimsOf('test', event.dedupKey)).toEqual([]);
    expect(await rowsOf(event.orderId)).toMatchObject([{ outcome: 'failed', reason: 'signal failed: unavailable' }]);
    const retry = await claimAndAudit(database.db, request('{}'), event);
    expect(retry.first).toBe(true);
    expect((await rowsOf(event.orderId)).map((r) => r.outcome)).toEqual(['failed', 'accepted']);
  });

  it('text a column cannot hold (NUL) is stored escaped', async () => {
    const event = { provider: 'test', dedupKey: `k-${randomUUID()}\u0000`, orderId: `o-${randomUUID()}` };
    await claimAndAudit(database.db, request('{"a":"\u0000"}'), event);
    const [row] = await rowsOf(event.orderId);
    expect(row?.dedupKey).toBe(`${event.dedupKey.slice(0, -1)}\\u0000`);
    expect(row?.payload).toBe('{"a":"\\u0000"}');
  });
});
