import type { PaymentReport } from '../../domain/invoice';
import type { PayAddress, Rail } from '../../domain/rail';

/** What the invoice workflow asks a rail to create: one charge for (part of) an invoice. */
export interface ChargeRequest {
  /** Our invoice id: the rail's `order_id` (crypto) or the invoice payload (Stars). */
  invoiceId: string;
  /** The buyer: Stars sends the invoice message to this chat. */
  userId: number;
  /** Exact decimal string in `currency` (the price less any balance applied). */
  amount: string;
  /** The price currency (`XTR` for Stars). */
  currency: string;
  expiresAt: number;
  /** Shown on the Stars invoice and as the crypto order description. */
  title: string;
  description: string;
  /** NOWPayments: the coin the user picked (e.g. `btc`, `usdttrc20`). */
  payCurrency?: string;
  /** NOWPayments: top-up of a partly paid charge (its `purchase_id`). */
  topUpOf?: string;
}

export interface Charge {
  /** The rail's id of this charge: CryptoCloud uuid, NOWPayments payment_id, Stars: our invoice id. */
  providerInvoiceId: string;
  /** Hosted payment page (CryptoCloud). */
  payUrl?: string;
  /** Address and amount (NOWPayments). */
  address?: PayAddress;
  /** NOWPayments `purchase_id`: what a top-up of this charge names. */
  purchaseId?: string;
  /** Stars: the invoice message sent to the user. */
  messageId?: number;
}

/**
 * One payment rail. Amounts are exact decimal strings in the price currency; a coin amount is never
 * reported as received money (see ARCHITECTURE.md "Payment rails").
 */
export interface PaymentRail {
  readonly name: Rail;
  createCharge(request: ChargeRequest): Promise<Charge>;
  /**
   * The rail's own word on an invoice: every charge id it holds for it (the first, then top-ups and
   * repeat deposits), summed in the price currency. `invoiceId` lets a rail check the charges are ours.
   */
  getStatus(providerInvoiceIds: string[], invoiceId: string): Promise<PaymentReport>;
  /** Cancels an unpaid charge; a no-op when the rail says it can no longer be cancelled. */
  cancel(charge: { providerInvoiceId: string; messageId?: number; userId: number }): Promise<void>;
  /** Gives a settled payment back where the rail can do so itself (Stars); crypto refunds are paid by hand. */
  refund?(payment: { userId: number; chargeId: string }): Promise<void>;
}

/** The rail refused the request itself (bad input, auth): retrying will not help. */
export class GatewayRequestError extends Error {
  readonly type = 'InvalidRequest';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}
