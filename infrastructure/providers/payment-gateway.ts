import type { PaymentReport } from '../../domain/invoice';

/** What the invoice workflow needs of any crypto gateway. Amounts are exact decimal strings. */
export interface PaymentGateway {
  readonly name: string;
  createInvoice(request: {
    orderId: string;
    amount: string;
    currency: string;
    expiresAt: number;
  }): Promise<{ providerInvoiceId: string; payUrl: string }>;
  getStatus(providerInvoiceId: string): Promise<PaymentReport>;
  /** Cancels an unpaid invoice; a no-op when the gateway says it can no longer be cancelled. */
  cancel(providerInvoiceId: string): Promise<void>;
}

/** The gateway refused the request itself (bad input, auth): retrying will not help. */
export class GatewayRequestError extends Error {
  readonly type = 'InvalidRequest';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}
