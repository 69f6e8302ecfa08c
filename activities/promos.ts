/**
 * Promo redemptions, for the workflow that prices an invoice: reserve the code for the invoice when it
 * is priced, mark it used when the invoice settles, release it when the invoice closes unpaid.
 *
 * Counting is exact under any concurrency: `redeemPromo` locks the code row (SELECT … FOR UPDATE), so
 * the checks (window, caps, the user's own redemptions) and the increment of `redeemed_count` happen
 * one invoice at a time per code; a cap of 10 is never exceeded by 50 buyers at once (the database's
 * check `redeemed_count <= max_redemptions` backs this up). Each step is keyed by the invoice id, so a
 * retried activity returns what the first attempt did and never counts twice.
 *
 * Lock order everywhere: the invoice (or its redemption row), then the code row, so the steps never deadlock.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { discountFor, normalizePromoCode, type PromoRefusal, type RedemptionStatus } from '../domain/promo';
import { invoices, promoCodes, promoRedemptions, promoSelections } from '../infrastructure/db/schema';
import { userRedemptions } from '../infrastructure/catalog/promos';
import type { ActivityDeps } from './deps';

export interface RedeemPromoInput {
  invoiceId: string;
  userId: number;
  code: string;
  planId?: string;
  productId?: string;
  sellerId?: string;
  /** The price the code applies to, minor units as a decimal string (workflow input is JSON). */
  amountMinor: string;
  currency: string;
}

/** `discountMinor` is "0" when the code was refused (then `refused` says why and nothing was counted). */
export interface RedeemPromoResult {
  discountMinor: string;
  code?: string;
  refused?: PromoRefusal;
}

export function createPromoActivities(deps: Pick<ActivityDeps, 'db'>) {
  return {
    /**
     * Reserves the code for this invoice and prices it: one transaction that locks the invoice row and
     * the code row, checks the code against the domain rule, counts the redemption, records it and sets
     * `invoices.promo_code` / `discount_minor`. Call it before `reserveCredit`, which then gets the
     * price less the discount. Idempotent by invoice: a retry returns the first result.
     */
    async redeemPromo(input: RedeemPromoInput): Promise<RedeemPromoResult> {
      const code = normalizePromoCode(input.code);
      return deps.db.transaction(async (tx) => {
        const [invoice] = await tx
          .select({ amountMinor: invoices.amountMinor, creditMinor: invoices.creditMinor })
          .from(invoices)
          .where(eq(invoices.id, input.invoiceId))
          .for('no key update');
        if (!invoice)
          throw ApplicationFailure.nonRetryable(
            `redeemPromo: no invoice row ${input.invoiceId} (the invoice is recorded before it is priced)`,
            'InvalidRequest',
          );
        const [done] = await tx.select().from(promoRedemptions).where(eq(promoRedemptions.invoiceId, input.invoiceId));
        if (done) return { discountMinor: done.discountMinor.toString(), code: done.code };
        if (!code) return { discountMinor: '0', refused: 'unknown' };

        const [promo] = await tx.select().from(promoCodes).where(eq(promoCodes.code, code)).for('update');
        const result = discountFor(promo, {
          amountMinor: BigInt(input.amountMinor),
          currency: input.currency,
          planId: input.planId,
          productId: input.productId,
          sellerId: input.sellerId,
          now: new Date(),
          userRedemptions: promo ? await userRedemptions(tx, promo.code, input.userId) : 0,
        });
        if ('refused' in result) return { discountMinor: '0', code, refused: result.refused };
        if (result.discountMinor + invoice.creditMinor > invoice.amountMinor)
          throw ApplicationFailure.nonRetryable(
            `redeemPromo: invoice ${input.invoiceId} already has ${invoice.creditMinor} of balance applied; redeem the code before reserveCredit`,
            'InvalidRequest',
          );

        // Under the row lock this always matches; the condition keeps the cap even if a caller skipped the lock.
        const counted = await tx
          .update(promoCodes)
          .set({ redeemedCount: sql`${promoCodes.redeemedCount} + 1` })
          .where(
            and(
              eq(promoCodes.code, code),
              or(isNull(promoCodes.maxRedemptions), lt(promoCodes.redeemedCount, promoCodes.maxRedemptions)),
            ),
          )
          .returning({ code: promoCodes.code });
        if (counted.length === 0) return { discountMinor: '0', code, refused: 'exhausted' };
        await tx.insert(promoRedemptions).values({
          invoiceId: input.invoiceId,
          code,
          userId: input.userId,
          discountMinor: result.discountMinor,
          currency: input.currency,
          status: 'reserved',
        });
        await tx
          .update(invoices)
          .set({ promoCode: code, discountMinor: result.discountMinor, updatedAt: new Date() })
          .where(eq(invoices.id, input.invoiceId));
        return { discountMinor: result.discountMinor.toString(), code };
      });
    },

    /**
     * The invoice settled: its redemption is final (it keeps counting) and the user's entered code is
     * forgotten, so their next invoice is at the full price unless they enter one again. A released
     * redemption stays released (the invoice closed unpaid before; its place may be taken already).
     */
    async markPromoUsed({ invoiceId }: { invoiceId: string }): Promise<{ status: RedemptionStatus | 'none' }> {
      return deps.db.transaction(async (tx) => {
        const now = new Date();
        const [used] = await tx
          .update(promoRedemptions)
          .set({ status: 'used', usedAt: now, updatedAt: now })
          .where(and(eq(promoRedemptions.invoiceId, invoiceId), eq(promoRedemptions.status, 'reserved')))
          .returning();
        if (used) {
          await tx
            .delete(promoSelections)
            .where(and(eq(promoSelections.userId, used.userId), eq(promoSelections.code, used.code)));
          return { status: 'used' };
        }
        const [row] = await tx
          .select({ status: promoRedemptions.status })
          .from(promoRedemptions)
          .where(eq(promoRedemptions.invoiceId, invoiceId));
        return { status: row?.status ?? 'none' };
      });
    },

    /**
     * The invoice closed unpaid (cancelled, expired, needs_review): its redemption no longer counts,
     * once (only a reserved one moves, so a retry or a second call does nothing). A used one is never released.
     */
    async releasePromo({ invoiceId }: { invoiceId: string }): Promise<{ released: boolean }> {
      return deps.db.transaction(async (tx) => {
        const now = new Date();
        const [released] = await tx
          .update(promoRedemptions)
          .set({ status: 'released', releasedAt: now, updatedAt: now })
          .where(and(eq(promoRedemptions.invoiceId, invoiceId), eq(promoRedemptions.status, 'reserved')))
          .returning({ code: promoRedemptions.code });
        if (!released) return { released: false };
        await tx
          .update(promoCodes)
          .set({ redeemedCount: sql`${promoCodes.redeemedCount} - 1` })
          .where(eq(promoCodes.code, released.code));
        return { released: true };
      });
    },
  };
}
