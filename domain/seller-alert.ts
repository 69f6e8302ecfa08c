/**
 * A seller's email alerts (besides the Telegram message, which always goes): each kind can be
 * turned off in the bot (/alerts), and each send is keyed so a retry never emails twice.
 */
export const SELLER_ALERTS = ['sale', 'release', 'dispute', 'payout'] as const;
export type SellerAlert = (typeof SELLER_ALERTS)[number];

export const isSellerAlert = (value: string): value is SellerAlert =>
  (SELLER_ALERTS as readonly string[]).includes(value);
