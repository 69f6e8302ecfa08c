/**
 * Telegram Stars as a payment rail (EXTERNAL-APIS.md "Telegram Stars: policy and flow"). A charge is an
 * invoice message (sendInvoice, currency XTR, no provider token, one price in whole Stars) whose payload is
 * our invoice id; the rail's own word on it is the bot's Star transactions (getStarTransactions), where a
 * payment is an incoming transaction whose source names that payload. Telegram pays exactly the invoice's
 * amount or nothing, so there are no partial payments; a refund is a second, outgoing transaction with the
 * same id and takes nothing back from what was received.
 */
import { Api, GrammyError, HttpError } from 'grammy';
import type { StarTransaction } from 'grammy/types';
import type { PaymentReport } from '../../domain/invoice';
import { STARS_CURRENCY } from '../../domain/rail';
import { GatewayRequestError, type Charge, type ChargeRequest, type PaymentRail } from './payment-rail';
import { withActivitySignal, type ApiSignal } from './telegram';

export interface StarsRailOptions {
  /** getStarTransactions page size, 1–100 (default 100, Telegram's maximum). */
  pageSize?: number;
}

/** Telegram's bounds on an invoice: title 1–32 characters, description 1–255, payload 1–128 bytes. */
export const STARS_TITLE_MAX = 32;
export const STARS_DESCRIPTION_MAX = 255;
export const STARS_PAYLOAD_MAX_BYTES = 128;

/** Deleting the invoice cannot be done (gone already, or too old): it can no longer be cancelled. */
const NOT_DELETABLE = /message to delete not found|message can't be deleted/i;
const ALREADY_REFUNDED = /CHARGE_ALREADY_REFUNDED/;

export class StarsRail implements PaymentRail {
  readonly name = 'stars' as const;
  private readonly pageSize: number;

  constructor(
    private readonly api: Api,
    options: StarsRailOptions = {},
  ) {
    const pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
      throw new RangeError(`Stars pageSize must be an integer 1–100, got ${pageSize}`);
    this.pageSize = pageSize;
  }

  /** Sends the invoice message to the buyer; its payload is our invoice id, so a payment names the invoice. */
  async createCharge(request: ChargeRequest): Promise<Charge> {
    if (request.currency !== STARS_CURRENCY)
      throw new GatewayRequestError(`Stars charges are priced in ${STARS_CURRENCY}, not ${request.currency}`);
    const amount = wholeStars(request.amount);
    if (Buffer.byteLength(request.invoiceId, 'utf8') > STARS_PAYLOAD_MAX_BYTES)
      throw new GatewayRequestError(`invoice id ${request.invoiceId} is longer than a Stars payload may be`);
    const title = fit(request.title, STARS_TITLE_MAX);
    const description = fit(request.description || request.title, STARS_DESCRIPTION_MAX);
    const message = await this.call('sendInvoice', (signal) =>
      this.api.sendInvoice(
        request.userId,
        title,
        description,
        request.invoiceId,
        STARS_CURRENCY,
        [{ label: title, amount }],
        { provider_token: '' },
        signal,
      ),
    );
    return { providerInvoiceId: request.invoiceId, messageId: message.message_id };
  }

  /**
   * The incoming Star transactions paying `invoiceId` (their source's invoice_payload), found by paging
   * through the bot's transactions: none → created; one → paid with its amount and charge id (the
   * telegram_payment_charge_id); more than one (a forwarded invoice paid twice) → overpaid with the sum.
   * Refunds are outgoing transactions and change nothing here.
   */
  async getStatus(_providerInvoiceIds: string[], invoiceId: string): Promise<PaymentReport> {
    const payments: StarTransaction[] = [];
    for (let offset = 0; ;) {
      const { transactions } = await this.call('getStarTransactions', (signal) =>
        this.api.getStarTransactions({ offset, limit: this.pageSize }, signal),
      );
      for (const transaction of transactions) if (pays(transaction, invoiceId)) payments.push(transaction);
      if (transactions.length < this.pageSize) break;
      offset += transactions.length;
    }
    const report = { source: 'reconciliation', currency: STARS_CURRENCY } as const;
    const [first] = payments;
    if (!first) return { ...report, status: 'created', received: '0' };
    const received = payments.reduce((sum, t) => sum + BigInt(t.amount), 0n).toString();
    return { ...report, status: payments.length > 1 ? 'overpaid' : 'paid', received, chargeId: first.id };
  }

  /** Deletes the invoice message so it cannot be paid; one already gone (or too old to delete) is left be. */
  async cancel(charge: { providerInvoiceId: string; messageId?: number; userId: number }): Promise<void> {
    const messageId = charge.messageId;
    if (messageId === undefined) return;
    try {
      await this.call('deleteMessage', (signal) => this.api.deleteMessage(charge.userId, messageId, signal));
    } catch (error) {
      if (error instanceof GatewayRequestError && NOT_DELETABLE.test(error.message)) return;
      throw error;
    }
  }

  /** Gives the Stars back; a charge refunded already counts as done, so a retried refund is harmless. */
  async refund(payment: { userId: number; chargeId: string }): Promise<void> {
    try {
      await this.call('refundStarPayment', (signal) =>
        this.api.refundStarPayment(payment.userId, payment.chargeId, signal),
      );
    } catch (error) {
      if (error instanceof GatewayRequestError && ALREADY_REFUNDED.test(error.message)) return;
      throw error;
    }
  }

  /**
   * Telegram refusals (400, 403, 401...) become GatewayRequestError: retrying will not help. Rate limits,
   * Telegram 5xx and network failures stay plain errors, which the caller (Temporal) retries.
   */
  private async call<T>(method: string, run: (signal: ApiSignal) => Promise<T>): Promise<T> {
    try {
      return await withActivitySignal(run);
    } catch (error) {
      if (error instanceof GrammyError) {
        const what = `Telegram ${method} answered ${error.error_code}: ${error.description}`;
        if (error.error_code === 429 || error.error_code >= 500) throw new Error(what, { cause: error });
        throw new GatewayRequestError(what);
      }
      if (error instanceof HttpError)
        throw new Error(`Telegram ${method} unreachable: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** An amount in XTR as Telegram takes it: a whole, positive number of Stars. */
export function wholeStars(amount: string): number {
  const stars = /^\d+$/.test(amount) ? Number(amount) : NaN;
  if (!Number.isSafeInteger(stars) || stars <= 0)
    throw new GatewayRequestError(`a Stars amount must be a whole number of Stars above 0, got "${amount}"`);
  return stars;
}

/** An incoming invoice payment from a user whose payload is this invoice's id. */
function pays(transaction: StarTransaction, invoiceId: string): boolean {
  const source = transaction.source;
  return (
    source?.type === 'user' && source.transaction_type === 'invoice_payment' && source.invoice_payload === invoiceId
  );
}

/** Texts longer than Telegram allows are shortened (by characters, not bytes) rather than refused. */
function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
