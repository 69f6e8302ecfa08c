/**
 * Promo redemptions against the real PostgreSQL: the cap holds under concurrency, per-user caps,
 * windows and scope are the domain rule's, a release makes room once, and every step is idempotent
 * by invoice.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../infrastructure/db/client';
import { invoices, plans, promoCodes, promoRedemptions, promoSelections, users } from '../infrastructure/db/schema';
import { listPromos, quotePromo, selectPromo, selectedPromo } from '../infrastructure/catalog/promos';
import { createPromoActivities } from './promos';

let database: ReturnType<typeof createDatabase>;
let acts: ReturnType<typeof createPromoActivities>;
let planId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  // Enough connections that the concurrent redemptions really overlap in the database.
  database = createDatabase(inject('databaseUrl'), { max: 16 });
  acts = createPromoActivities({ db: database.db });
  planId = `p${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  await database.db.insert(plans).values({ id: planId, title: 'Plan', priceMinor: 1000n, durationSeconds: 60 });
});
afterAll(async () => {
  await database?.close();
});

const db = () => database.db;
const newCode = () => `T${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`;

async function promo(fields: Partial<typeof promoCodes.$inferInsert> = {}): Promise<string> {
  const code = fields.code ?? newCode();
  await db()
    .insert(promoCodes)
    .values({ code, kind: 'percent', percentBps: 2000, ...fields });
  return code;
}

async function newUser(): Promise<number> {
  const id = randomInt(100_000_000, 2_000_000_000);
  await db()
    .insert(users)
    .values({ id, firstName: 'U', referralCode: `r${id}` })
    .onConflictDoNothing();
  return id;
}

/** An invoice row as the edge records it before the workflow prices it. */
async function invoiceFor(userId: number, options: { plan?: string; amountMinor?: bigint } = {}): Promise<string> {
  const id = `${userId}-${randomUUID().slice(0, 8)}`;
  await db()
    .insert(invoices)
    .values({
      id,
      userId,
      purpose: 'subscription',
      planId: options.plan ?? null,
      provider: 'cryptocloud',
      amountMinor: options.amountMinor ?? 1000n,
      currency: 'USD',
      status: 'creating',
    });
  return id;
}

const redeem = (
  invoiceId: string,
  userId: number,
  code: string,
  extra: Partial<{ planId: string; amountMinor: string; currency: string }> = {},
) => acts.redeemPromo({ invoiceId, userId, code, amountMinor: '1000', currency: 'USD', ...extra });
const codeRow = async (code: string) => (await db().select().from(promoCodes).where(eq(promoCodes.code, code)))[0]!;
const invoiceRow = async (id: string) => (await db().select().from(invoices).where(eq(invoices.id, id)))[0]!;
const redemptionRow = async (id: string) =>
  (await db().select().from(promoRedemptions).where(eq(promoRedemptions.invoiceId, id)))[0];

describe('redeemPromo', () => {
  it('50 concurrent buyers on a cap of 10: exactly 10 get the discount', async () => {
    const code = await promo({ maxRedemptions: 10 });
    const buyers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const userId = await newUser();
        return { userId, invoiceId: await invoiceFor(userId) };
      }),
    );
    const results = await Promise.all(buyers.map((b) => redeem(b.invoiceId, b.userId, code)));
    const won = results.filter((r) => r.refused === undefined);
    expect(won).toHaveLength(10);
    expect(won.every((r) => r.discountMinor === '200' && r.code === code)).toBe(true);
    expect(results.filter((r) => r.refused === 'exhausted')).toHaveLength(40);
    expect(results.filter((r) => r.refused === 'exhausted').every((r) => r.discountMinor === '0')).toBe(true);
    expect((await codeRow(code)).redeemedCount).toBe(10);
    const rows = await db().select().from(promoRedemptions).where(eq(promoRedemptions.code, code));
    expect(rows).toHaveLength(10);
    // The invoices priced with it say so; the others are untouched.
    for (const [index, buyer] of buyers.entries()) {
      const row = await invoiceRow(buyer.invoiceId);
      if (results[index]!.refused) expect(row).toMatchObject({ promoCode: null, discountMinor: 0n });
      else expect(row).toMatchObject({ promoCode: code, discountMinor: 200n });
    }
  });

  it('a retry returns the first result and counts once, even after the code has changed', async () => {
    const code = await promo({ maxRedemptions: 1 });
    const userId = await newUser();
    const invoiceId = await invoiceFor(userId);
    const first = await redeem(invoiceId, userId, code.toLowerCase());
    expect(first).toEqual({ discountMinor: '200', code });
    await db().update(promoCodes).set({ disabledAt: new Date() }).where(eq(promoCodes.code, code));
    const [again, concurrent] = await Promise.all([redeem(invoiceId, userId, code), redeem(invoiceId, userId, code)]);
    expect(again).toEqual(first);
    expect(concurrent).toEqual(first);
    expect((await codeRow(code)).redeemedCount).toBe(1);
    expect(await redemptionRow(invoiceId)).toMatchObject({ status: 'reserved', discountMinor: 200n, userId });
  });

  it('per-user cap: reserved and used redemptions count, released ones do not', async () => {
    const code = await promo({ maxPerUser: 2 });
    const userId = await newUser();
    const [a, b, c] = [await invoiceFor(userId), await invoiceFor(userId), await invoiceFor(userId)];
    expect((await redeem(a, userId, code)).refused).toBeUndefined();
    expect((await redeem(b, userId, code)).refused).toBeUndefined();
    expect(await redeem(c, userId, code)).toEqual({ discountMinor: '0', code, refused: 'user-limit' });
    // Someone else is not limited by this user's redemptions.
    const other = await newUser();
    expect((await redeem(await invoiceFor(other), other, code)).refused).toBeUndefined();
    await acts.markPromoUsed({ invoiceId: a });
    await acts.releasePromo({ invoiceId: b });
    expect(await redeem(c, userId, code)).toEqual({ discountMinor: '200', code });
    expect((await codeRow(code)).redeemedCount).toBe(3);
  });

  it('date windows: not started, ended, open', async () => {
    const userId = await newUser();
    const now = Date.now();
    const later = await promo({ startsAt: new Date(now + DAY) });
    const over = await promo({ startsAt: new Date(now - 2 * DAY), endsAt: new Date(now - DAY) });
    const open = await promo({ startsAt: new Date(now - DAY), endsAt: new Date(now + DAY) });
    expect((await redeem(await invoiceFor(userId), userId, later)).refused).toBe('not-started');
    expect((await redeem(await invoiceFor(userId), userId, over)).refused).toBe('ended');
    expect((await redeem(await invoiceFor(userId), userId, open)).discountMinor).toBe('200');
    expect((await codeRow(later)).redeemedCount).toBe(0);
    expect((await codeRow(over)).redeemedCount).toBe(0);
  });

  it('scope, currency, unknown and disabled codes are refused and count nothing', async () => {
    const userId = await newUser();
    const scoped = await promo({ scope: 'plans', scopeIds: [planId] });
    const fixed = await promo({ kind: 'fixed', percentBps: null, amountMinor: 300n, currency: 'EUR' });
    const disabled = await promo({ disabledAt: new Date() });
    expect((await redeem(await invoiceFor(userId), userId, scoped, { planId: 'other' })).refused).toBe('out-of-scope');
    expect((await redeem(await invoiceFor(userId), userId, scoped)).refused).toBe('out-of-scope');
    expect((await redeem(await invoiceFor(userId), userId, fixed)).refused).toBe('currency');
    expect((await redeem(await invoiceFor(userId), userId, disabled)).refused).toBe('disabled');
    expect((await redeem(await invoiceFor(userId), userId, 'NOSUCHCODE')).refused).toBe('unknown');
    expect((await redeem(await invoiceFor(userId), userId, 'no such code')).refused).toBe('unknown');
    const invoiceId = await invoiceFor(userId, { plan: planId });
    expect(await redeem(invoiceId, userId, scoped, { planId })).toEqual({ discountMinor: '200', code: scoped });
    expect(await redemptionRow(invoiceId)).toBeDefined();
    expect((await codeRow(scoped)).redeemedCount).toBe(1);
    expect((await codeRow(fixed)).redeemedCount).toBe(0);
  });

  it('a 100 % code makes the invoice free; a fixed one never goes below zero', async () => {
    const userId = await newUser();
    const full = await promo({ percentBps: 10_000 });
    const big = await promo({ kind: 'fixed', percentBps: null, amountMinor: 5000n, currency: 'USD' });
    const a = await invoiceFor(userId);
    expect(await redeem(a, userId, full)).toEqual({ discountMinor: '1000', code: full });
    expect(await invoiceRow(a)).toMatchObject({ discountMinor: 1000n, promoCode: full });
    const b = await invoiceFor(userId);
    expect(await redeem(b, userId, big)).toEqual({ discountMinor: '1000', code: big });
  });

  it('refuses to stack beyond the price when balance was applied first', async () => {
    const userId = await newUser();
    const code = await promo({ percentBps: 5000 });
    const invoiceId = await invoiceFor(userId);
    await db().update(invoices).set({ creditMinor: 800n }).where(eq(invoices.id, invoiceId));
    await expect(redeem(invoiceId, userId, code)).rejects.toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect((await codeRow(code)).redeemedCount).toBe(0);
  });
});

describe('releasePromo and markPromoUsed', () => {
  it('a release makes room again, once; a used redemption is never released', async () => {
    const code = await promo({ maxRedemptions: 1 });
    const [u1, u2, u3] = [await newUser(), await newUser(), await newUser()];
    const first = await invoiceFor(u1);
    expect((await redeem(first, u1, code)).refused).toBeUndefined();
    const second = await invoiceFor(u2);
    expect((await redeem(second, u2, code)).refused).toBe('exhausted');

    const releases = await Promise.all([
      acts.releasePromo({ invoiceId: first }),
      acts.releasePromo({ invoiceId: first }),
    ]);
    expect(releases.filter((r) => r.released)).toHaveLength(1);
    expect(await acts.releasePromo({ invoiceId: first })).toEqual({ released: false });
    expect((await codeRow(code)).redeemedCount).toBe(0);
    expect(await redemptionRow(first)).toMatchObject({ status: 'released' });
    expect((await redemptionRow(first))?.releasedAt).toBeInstanceOf(Date);
    // A released redemption is not used afterwards either.
    expect(await acts.markPromoUsed({ invoiceId: first })).toEqual({ status: 'released' });

    expect((await redeem(second, u2, code)).refused).toBeUndefined();
    expect(await acts.markPromoUsed({ invoiceId: second })).toEqual({ status: 'used' });
    expect(await acts.markPromoUsed({ invoiceId: second })).toEqual({ status: 'used' });
    expect(await acts.releasePromo({ invoiceId: second })).toEqual({ released: false });
    expect(await redemptionRow(second)).toMatchObject({ status: 'used' });
    expect((await redemptionRow(second))?.usedAt).toBeInstanceOf(Date);
    expect((await codeRow(code)).redeemedCount).toBe(1);
    expect((await redeem(await invoiceFor(u3), u3, code)).refused).toBe('exhausted');
    // The admin list counts this code's paid redemptions only.
    const fresh = await promo();
    const listed = await listPromos(db(), 1000);
    expect(listed.find((p) => p.code === code)).toMatchObject({ redeemedCount: 1, usedCount: 1 });
    expect(listed.find((p) => p.code === fresh)).toMatchObject({ redeemedCount: 0, usedCount: 0 });
    // An invoice without a redemption: nothing to do.
    expect(await acts.releasePromo({ invoiceId: await invoiceFor(u3) })).toEqual({ released: false });
    expect(await acts.markPromoUsed({ invoiceId: 'no-such-invoice' })).toEqual({ status: 'none' });
  });

  it('a used redemption clears the user’s entered code, not a different one entered since', async () => {
    const code = await promo({ maxPerUser: 5 });
    const otherCode = await promo();
    const userId = await newUser();
    await selectPromo(db(), userId, code);
    const a = await invoiceFor(userId);
    await redeem(a, userId, code);
    expect(await selectedPromo(db(), userId)).toMatchObject({ code });
    await acts.markPromoUsed({ invoiceId: a });
    expect(await selectedPromo(db(), userId)).toBeUndefined();

    await selectPromo(db(), userId, code);
    const b = await invoiceFor(userId);
    await redeem(b, userId, code);
    await selectPromo(db(), userId, otherCode);
    await acts.markPromoUsed({ invoiceId: b });
    expect((await db().select().from(promoSelections).where(eq(promoSelections.userId, userId)))[0]?.code).toBe(
      otherCode,
    );
  });
});

describe('quotePromo', () => {
  it('applies the same rule as redeemPromo, counting nothing', async () => {
    const code = await promo({ maxRedemptions: 1, scope: 'plans', scopeIds: [planId] });
    const userId = await newUser();
    const quote = (extra: Partial<Parameters<typeof quotePromo>[1]> = {}) =>
      quotePromo(db(), { userId, code: code.toLowerCase(), planId, amountMinor: 999n, currency: 'USD', ...extra });
    expect(await quote()).toEqual({ discountMinor: 199n, chargedMinor: 800n });
    expect(await quote()).toEqual({ discountMinor: 199n, chargedMinor: 800n });
    expect(await quote({ planId: 'other' })).toEqual({ refused: 'out-of-scope' });
    expect(await quote({ now: new Date(Date.now()), code: 'NOPE-NOPE' })).toEqual({ refused: 'unknown' });
    expect((await codeRow(code)).redeemedCount).toBe(0);
    // Once the user holds the only redemption, their quote says they used it; someone else's says it is gone.
    await redeem(await invoiceFor(userId, { plan: planId }), userId, code, { planId });
    expect(await quote()).toEqual({ refused: 'exhausted' });
    const multi = await promo({ maxPerUser: 1 });
    await redeem(await invoiceFor(userId), userId, multi);
    expect(await quote({ code: multi })).toEqual({ refused: 'user-limit' });
  });
});
