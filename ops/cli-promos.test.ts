/**
 * The ops CLI's promo commands against the real PostgreSQL: they need only the database, so this file
 * runs them without the rest of the stack.
 */
import { runOpsCapture } from '../test/ops';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../infrastructure/db/client';
import { auditLog, promoCodes } from '../infrastructure/db/schema';
import { COMMANDS, type OpsDeps } from './cli';

let database: ReturnType<typeof createDatabase>;
let deps: OpsDeps;
beforeAll(() => {
  database = createDatabase(inject('databaseUrl'), { max: 2 });
  // The promo commands never reach Temporal.
  deps = {
    db: database.db,
    client: undefined as never,
    commands: undefined as never,
    config: { temporal: { uiUrl: '', namespace: 'default' } } as OpsDeps['config'],
  };
});
afterAll(async () => {
  await database?.close();
});

const ops = (...argv: string[]) => runOpsCapture(deps, argv);

describe('ops CLI promo commands', () => {
  it('lists codes and disables one, audited as ops; refuses unknown codes and bad arguments', async () => {
    const code = `OPS${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`;
    await database.db.insert(promoCodes).values({
      code,
      kind: 'fixed',
      amountMinor: 250n,
      currency: 'EUR',
      maxRedemptions: 5,
      redeemedCount: 2,
      scope: 'plans',
      scopeIds: ['gold'],
    });
    expect(COMMANDS).toEqual(expect.arrayContaining(['promo-list', 'promo-disable']));

    const listed = await ops('promo-list');
    expect(listed.code).toBe(0);
    const line = listed.out.split('\n').find((l) => l.startsWith(code));
    expect(line).toMatch(/ active {2}2\.50 EUR off {2}redeemed 2\/5 \(0 paid\) {2}1 per user .* plans: gold$/);
    const asJson = JSON.parse((await ops('promo-list', '--json')).out) as Array<{ code: string; amountMinor: string }>;
    expect(asJson.find((p) => p.code === code)).toMatchObject({ amountMinor: '250' });

    expect(await ops('promo-disable', code.toLowerCase())).toMatchObject({
      code: 0,
      out: `promo code ${code} is now disabled`,
    });
    expect((await ops('promo-disable', code)).out).toBe(`promo code ${code} was already disabled`);
    expect((await ops('promo-list')).out.split('\n').find((l) => l.startsWith(code))).toMatch(/ disabled /);
    const audits = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.target, code), eq(auditLog.action, 'promo.disable')));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor: 'ops', actorId: null });

    expect(await ops('promo-disable', 'NO-SUCH-CODE-X')).toMatchObject({
      code: 1,
      err: 'error: there is no promo code NO-SUCH-CODE-X',
    });
    expect((await ops('promo-disable')).code).toBe(2);
    expect((await ops('promo-disable', code, 'extra')).code).toBe(2);
    expect((await ops('promo-list', 'extra')).code).toBe(2);
  });
});
