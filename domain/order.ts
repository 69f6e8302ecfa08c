import { base64url } from './product';

/**
 * A marketplace order: one buyer buying one product, at the price it had when they pressed Buy.
 * `awaiting_payment` while its invoice is open; `paid` once the invoice settled (the buyer owns the
 * product from then on); `delivered` once the delivery message reached them. An order whose invoice
 * expired or was cancelled never owned anything; a refunded one no longer does.
 */
export const ORDER_STATUSES = ['awaiting_payment', 'paid', 'delivered', 'refunded', 'expired', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A dispute (the `disputes` read model): open until an admin refunds, releases or splits. */
export const DISPUTE_STATUSES = ['open', 'refunded', 'released', 'split'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export const MAX_DISPUTE_REASON_LENGTH = 500;

/** The statuses in which the buyer owns the product: it is in their library, they may download it. */
export const OWNED_ORDER_STATUSES = ['paid', 'delivered'] as const satisfies readonly OrderStatus[];

/** Random and URL-safe, 16 characters: in workflow ids (`order:<id>`, `delivery:<id>`) and buttons. */
export const ORDER_ID = /^[A-Za-z0-9_-]{16}$/;

export function newOrderId(): string {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(12)));
}

/** Delivery stages as `ProcessStatus` shows them in Temporal UI. */
export type DeliveryStage = 'delivering' | 'failed' | 'delivered' | 'downloaded' | 'reminded';

/** The outbox key of an order's delivery message: one message per order, however often it is tried. */
export const deliveryMessageKey = (orderId: string) => `${orderId}:delivery`;
