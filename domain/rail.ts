/**
 * Payment rails: the ways a price can be paid. Each rail is an adapter in infrastructure/providers/
 * behind one interface (payment-rail.ts); the invoice workflow is written once for all of them.
 */
export const RAILS = ['cryptocloud', 'nowpayments', 'stars'] as const;
export type Rail = (typeof RAILS)[number];

export const isRail = (value: unknown): value is Rail => (RAILS as readonly unknown[]).includes(value);

/** Telegram Stars: whole Stars, no minor unit (money.ts knows XTR has 0 digits). */
export const STARS_CURRENCY = 'XTR';

/**
 * Where a payment stands on the rail before it is final (NOWPayments `confirming`/`confirmed`/
 * `sending`): the user is told their coins were seen; nothing is activated on it.
 */
export type PaymentStage = 'waiting' | 'confirming';

/** A crypto address to pay to (NOWPayments): shown in the bot with a QR code. */
export interface PayAddress {
  address: string;
  /** Exact decimal string in the coin. */
  amount: string;
  /** The rail's coin code, e.g. `btc`, `usdttrc20`. */
  coin: string;
  network?: string;
  /** Memo / destination tag / extra id, for coins that need one. */
  memo?: string;
  /** Moment (ms) the rail stops accepting this amount at this rate. */
  validUntil?: number;
  /** NOWPayments `purchase_id` of the payment: what a top-up names. */
  purchaseId?: string;
}
