/**
 * Promo codes in the database, for the bot (admins create, list and disable codes; users enter one)
 * and the ops CLI. The rules are domain/promo.ts; the redemption itself (counted against the caps)
 * is the invoice workflow's activity (activities/promos.ts). Every admin or ops change writes its
 * `audit_log` row in the same transaction as the change; a refusal changes nothing.
 *
 * Quotes and selections count nothing: a code a user entered is checked when it is entered and again,
 * under the code row's lock, when an invoice redeems it.
 */
import { and, count, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  COUNTED_REDEMPTION_STATUSES,
  discountFor,
  normalizePromoCode,
  promoRefusal,
  type PromoDiscount,
  type PromoDraft,
  type PromoRefusal,
} from '../../domain/promo';
import type { Database } from '../db/client';
import { auditLog, plans, promoCodes, promoRedemptions, promoSelections } from '../db/schema';
import { CatalogError, type Actor } from './plans';

export type PromoCode = typeof promoCodes.$inferSelect;
export interface ListedPromo extends PromoCode {
  /** Redemptions whose invoice settled (redeemedCount also counts those still reserved by open invoices). */
  usedCount: number;
}

type Reader = Pick<Database, 'select'>;
type Tx = Pick<Database, 'insert' | 'select' | 'update' | 'delete'>;

async function audit(tx: Tx, who: Actor, action: string, target: string, details: Record<string, unknown>) {
  await tx.insert(auditLog).values({ actor: who.actor, actorId: who.actorId, action, target, details });
}

export async function auditPromoRefusal(
  db: Database,
  who: Actor,
  action: string,
  target: string,
  error: Error & { key?: string },
  details: Record<string, unknown> = {},
) {
  await audit(db, who, action, target.slice(0, 100), {
    refused: error.key ?? error.name,
    message: error.message,
    ...details,
  });
}

export async function findPromo(db: Reader, code: string): Promise<PromoCode | undefined> {
  const normal = normalizePromoCode(code);
  if (!normal) return undefined;
  const [promo] = await db.select().from(promoCodes).where(eq(promoCodes.code, normal));
  return promo;
}

/** A user's redemptions of a code that count against its per-user cap (reserved and used). */
export async function userRedemptions(db: Reader, code: string, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(promoRedemptions)
    .where(
      and(
        eq(promoRedemptions.code, code),
        eq(promoRedemptions.userId, userId),
        inArray(promoRedemptions.status, [...COUNTED_REDEMPTION_STATUSES]),
      ),
    );
  return row?.n ?? 0;
}

const draftJson = (draft: PromoDraft) => ({
  kind: draft.kind,
  percentBps: draft.percentBps,
  amountMinor: draft.amountMinor?.toString() ?? null,
  currency: draft.currency,
  maxRedemptions: draft.maxRedemptions,
  maxPerUser: draft.maxPerUser,
  startsAt: draft.startsAt?.toISOString() ?? null,
  endsAt: draft.endsAt?.toISOString() ?? null,
  scope: draft.scope,
  scopeIds: draft.scopeIds,
});

/** A new code from a checked draft. Refused when the code exists (codes are never reused) or a plan is unknown. */
export async function createPromo(db: Database, who: Actor, draft: PromoDraft): Promise<PromoCode> {
  return db.transaction(async (tx) => {
    if (draft.scope === 'plans') {
      const found = await tx.select({ id: plans.id }).from(plans).where(inArray(plans.id, draft.scopeIds));
      const missing = draft.scopeIds.filter((id) => !found.some((p) => p.id === id));
      if (missing.length > 0) {
        const known = (await tx.select({ id: plans.id }).from(plans).orderBy(plans.sortOrder, plans.id).limit(30))
          .map((p) => p.id)
          .join(', ');
        throw new CatalogError(
          'promo-unknown-plans',
          { plans: missing.join(', '), known: known || '—' },
          `unknown plan(s): ${missing.join(', ')}`,
        );
      }
    }
    const [created] = await tx
      .insert(promoCodes)
      .values({ ...draft, createdBy: who.actorId })
      .onConflictDoNothing()
      .returning();
    if (!created)
      throw new CatalogError('promo-exists', { code: draft.code }, `the promo code ${draft.code} already exists`);
    await audit(tx, who, 'promo.create', draft.code, draftJson(draft));
    return created;
  });
}

/** Every code, newest first, with how many of its redemptions were used. */
export async function listPromos(db: Reader, limit = 100): Promise<ListedPromo[]> {
  const rows = await db
    .select({
      promo: promoCodes,
      usedCount: sql<number>`(count(${promoRedemptions.invoiceId}) filter (where ${promoRedemptions.status} = 'used'))::int`,
    })
    .from(promoCodes)
    .leftJoin(promoRedemptions, eq(promoRedemptions.code, promoCodes.code))
    // The primary key: every column of the code may be selected.
    .groupBy(promoCodes.code)
    .orderBy(desc(promoCodes.createdAt), promoCodes.code)
    .limit(limit);
  return rows.map((row) => ({ ...row.promo, usedCount: Number(row.usedCount) }));
}

/**
 * Withdraws a code: it can no longer be entered nor redeemed. Invoices already priced with it keep
 * their discount (their redemption is settled or released as usual). `changed: false` when it was disabled already.
 */
export async function disablePromo(
  db: Database,
  who: Actor,
  codeText: string,
): Promise<{ promo: PromoCode; changed: boolean }> {
  const code = normalizePromoCode(codeText);
  const unknown = () =>
    new CatalogError(
      'promo-unknown',
      { code: codeText.slice(0, 40) },
      `there is no promo code ${codeText.slice(0, 40)}`,
    );
  if (!code) throw unknown();
  return db.transaction(async (tx) => {
    const [promo] = await tx.select().from(promoCodes).where(eq(promoCodes.code, code)).for('update');
    if (!promo) throw unknown();
    if (promo.disabledAt) return { promo, changed: false };
    const [disabled] = await tx
      .update(promoCodes)
      .set({ disabledAt: new Date() })
      .where(eq(promoCodes.code, code))
      .returning();
    await audit(tx, who, 'promo.disable', code, {});
    return { promo: disabled!, changed: true };
  });
}

// ---- For users and the plan screen ----

export interface PromoSelection {
  code: string;
  selectedAt: Date;
}

/** The code the user entered for their next invoice, if any (it may have become unusable since: quote it). */
export async function selectedPromo(db: Reader, userId: number): Promise<PromoSelection | undefined> {
  const [row] = await db
    .select({ code: promoSelections.code, selectedAt: promoSelections.selectedAt })
    .from(promoSelections)
    .where(eq(promoSelections.userId, userId));
  return row;
}

/**
 * Checks a code the user entered, whatever they will buy: it exists, is enabled, within its window,
 * not used up and not over the user's cap. Nothing is counted.
 */
export async function checkPromo(
  db: Reader,
  userId: number,
  codeText: string,
  now = new Date(),
): Promise<{ promo: PromoCode; refused?: undefined } | { promo?: PromoCode; refused: PromoRefusal }> {
  const promo = await findPromo(db, codeText);
  if (!promo) return { refused: 'unknown' };
  const refused = promoRefusal(promo, { now, userRedemptions: await userRedemptions(db, promo.code, userId) });
  return refused ? { promo, refused } : { promo };
}

/** Remembers the code (already checked) for the user's next invoice, replacing an earlier one. */
export async function selectPromo(db: Database, userId: number, code: string): Promise<void> {
  const selectedAt = new Date();
  await db
    .insert(promoSelections)
    .values({ userId, code, selectedAt })
    .onConflictDoUpdate({ target: promoSelections.userId, set: { code, selectedAt } });
}

/** Forgets the user's code; true when there was one. */
export async function clearPromoSelection(db: Database, userId: number): Promise<boolean> {
  const deleted = await db
    .delete(promoSelections)
    .where(eq(promoSelections.userId, userId))
    .returning({ code: promoSelections.code });
  return deleted.length > 0;
}

export interface PromoQuoteInput {
  userId: number;
  code: string;
  planId?: string;
  productId?: string;
  sellerId?: string | number;
  amountMinor: bigint;
  currency: string;
  now?: Date;
}

/**
 * What the user will be charged with this code: the same rule `redeemPromo` applies when the invoice
 * is priced, without counting anything, so the plan screen can show the price. A code the user has
 * reserved for an open invoice counts against their cap here as it does there.
 */
export async function quotePromo(db: Reader, input: PromoQuoteInput): Promise<PromoDiscount> {
  const promo = await findPromo(db, input.code);
  if (!promo) return { refused: 'unknown' };
  return discountFor(promo, {
    amountMinor: input.amountMinor,
    currency: input.currency,
    planId: input.planId,
    productId: input.productId,
    sellerId: input.sellerId,
    now: input.now ?? new Date(),
    userRedemptions: await userRedemptions(db, promo.code, input.userId),
  });
}
