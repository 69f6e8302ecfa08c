/**
 * Side effects of disputes (workflows/escrow.ts): the `disputes` row the admin views read, the
 * texts of the notices, and the admins' alerts edited once a dispute is decided. The money of a
 * decision moves through the escrow activities (activities/escrow.ts), keyed by the order.
 */
import { and, eq } from 'drizzle-orm';
import { disputeDecideData, refundWalletData } from '../bot/keyboards/callback-data';
import { disputeStatusOf, type DisputeDecisionType } from '../domain/dispute';
import { salePrice } from '../domain/escrow';
import { STARS_CURRENCY } from '../domain/rail';
import type { SellerAlert } from '../domain/seller-alert';
import { disputes, orders, products, sellers } from '../infrastructure/db/schema';
import { appendToAdminAlerts } from './admin-alerts';
import type { ActivityDeps } from './deps';
import { createNotificationActivities, type Button, type Delivery } from './notifications';
import { createSellerAlertActivities } from './seller-alerts';

/** The outbox keys of a dispute's admin alert and reminders: `dispute:<orderId>:alert|reminder:<n>`. */
export const disputeAlertPrefix = (orderId: string) => `dispute:${orderId}:`;

/** The admins' buttons on a dispute's alert and reminders (bot/features/escrow-admin.ts answers them). */
export const disputeButtons = (orderId: string): Button[] => [
  { message: 'dispute-refund-button', callback: disputeDecideData.pack({ action: 'refund', orderId }) },
  { message: 'dispute-release-button', callback: disputeDecideData.pack({ action: 'release', orderId }) },
  { message: 'dispute-split-button', callback: disputeDecideData.pack({ action: 'split', orderId }) },
];

export function createDisputeActivities(deps: ActivityDeps) {
  const { db } = deps;
  const notifications = createNotificationActivities(deps);
  const sellerAlerts = createSellerAlertActivities(deps);

  return {
    /** A dispute's alert or reminder to every admin, with the Refund / Release / Split buttons. */
    async alertAdminsOfDispute(input: {
      orderId: string;
      key: string;
      message: string;
      vars: Record<string, string>;
    }): Promise<number> {
      return notifications.notifyAdmins({
        key: input.key,
        message: input.message,
        vars: input.vars,
        buttons: disputeButtons(input.orderId),
      });
    },

    /**
     * A message to the seller in Telegram and, for the alert kinds they get by email (/alerts),
     * the same news by email; both once per key.
     */
    async notifySeller(input: {
      sellerId: number;
      key: string;
      message: string;
      vars: Record<string, string>;
      email?: { alert: SellerAlert; subject: string; text: string };
    }): Promise<Delivery> {
      const told = await notifications.notifyUser({
        key: input.key,
        userId: input.sellerId,
        message: input.message,
        vars: input.vars,
      });
      if (input.email)
        await sellerAlerts.emailSellerAlert({
          sellerId: input.sellerId,
          alert: input.email.alert,
          key: input.key,
          subject: input.email.subject,
          text: input.email.text,
          vars: input.vars,
        });
      return told;
    },

    /**
     * Tells the buyer money is coming back: Stars are back on their Telegram balance already;
     * anything else is a refund payable, so the message asks for the wallet to pay it to (the
     * refundWalletData button).
     */
    async tellBuyerOfRefund(input: {
      key: string;
      buyerId: number;
      onRail: boolean;
      /** `refund` (the whole sale; the product is theirs no more) or `split` (a part; they keep it). */
      kind: 'refund' | 'split';
      vars: Record<string, string>;
    }): Promise<Delivery> {
      const message = input.onRail
        ? 'escrow-refunded-buyer-stars'
        : input.kind === 'split'
          ? 'escrow-split-buyer-wallet'
          : 'escrow-refunded-buyer-wallet';
      return notifications.notifyUser({
        key: input.key,
        userId: input.buyerId,
        message,
        vars: input.vars,
        ...(input.onRail
          ? {}
          : { button: { message: 'escrow-refund-wallet-button', callback: refundWalletData.pack({}) } }),
      });
    },

    /** The dispute's row (one per order: a repeat keeps the first). */
    async recordDispute(input: {
      orderId: string;
      buyerId: number;
      sellerId: number;
      reason: string;
      currency: string;
    }): Promise<void> {
      await db
        .insert(disputes)
        .values({
          orderId: input.orderId,
          buyerId: input.buyerId,
          sellerId: input.sellerId,
          reason: input.reason,
          currency: input.currency,
        })
        .onConflictDoNothing();
    },

    /** The decision on the row, once: a repeat (or a second decision) changes nothing. */
    async closeDispute(input: {
      orderId: string;
      decision: DisputeDecisionType;
      /** The admin who decided; none when a refund outside the dispute ended it (ops). */
      by?: number;
      buyerShareMinor?: string;
    }): Promise<{ closed: boolean }> {
      const closed = await db
        .update(disputes)
        .set({
          status: disputeStatusOf(input.decision),
          resolvedAt: new Date(),
          resolvedBy: input.by ?? null,
          ...(input.buyerShareMinor !== undefined ? { buyerShareMinor: BigInt(input.buyerShareMinor) } : {}),
        })
        .where(and(eq(disputes.orderId, input.orderId), eq(disputes.status, 'open')))
        .returning({ orderId: disputes.orderId });
      return { closed: closed.length > 0 };
    },

    /** For the dispute's notices: the product, shop, price, buyer and reason as text. */
    async disputeNoticeVars(input: { orderId: string }): Promise<Record<string, string>> {
      const [row] = await db
        .select({
          title: products.title,
          shop: sellers.displayName,
          sellerId: orders.sellerId,
          buyerId: orders.buyerId,
          rail: orders.rail,
          priceStars: orders.priceStars,
          priceMinor: orders.priceMinor,
          currency: orders.currency,
          reason: disputes.reason,
        })
        .from(orders)
        .innerJoin(products, eq(products.id, orders.productId))
        .innerJoin(sellers, eq(sellers.userId, orders.sellerId))
        .leftJoin(disputes, eq(disputes.orderId, orders.id))
        .where(eq(orders.id, input.orderId));
      if (!row) return { orderId: input.orderId, title: input.orderId, shop: '—', price: '—', reason: '' };
      const price =
        row.rail === 'stars'
          ? salePrice(BigInt(row.priceStars ?? 0), STARS_CURRENCY)
          : salePrice(row.priceMinor ?? 0n, row.currency ?? '');
      return {
        orderId: input.orderId,
        title: row.title,
        shop: row.shop,
        sellerId: String(row.sellerId),
        buyerId: String(row.buyerId),
        price,
        reason: row.reason ?? '',
      };
    },

    /**
     * Every admin's copy of the dispute's alert and reminders: the decision appended, the buttons
     * gone, so an admin who looks later sees it was decided. A copy that cannot be edited is logged.
     */
    markDisputeAlerts(input: { orderId: string; message: string; vars: Record<string, string> }) {
      return appendToAdminAlerts(deps, {
        keyPrefix: disputeAlertPrefix(input.orderId),
        alertKey: /:(alert|reminder:\d+):admin:/,
        message: input.message,
        vars: input.vars,
      });
    },
  };
}
