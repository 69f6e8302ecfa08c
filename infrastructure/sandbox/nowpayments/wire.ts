/**
 * What the emulator puts on the wire: API bodies with amounts written as exact JSON numbers, and IPN
 * bodies (plain JS values, since they are signed as JSON.stringify of the sorted body).
 */
import { formatAmount } from './amounts';
import type { PaymentRecord } from './types';

/** A JSON number written as this exact decimal text (never through a float). */
export class ExactNumber {
  constructor(readonly text: string) {}
}

const exact = (units: bigint) => new ExactNumber(formatAmount(units));

/** JSON.stringify for plain values with ExactNumber leaves. */
export function exactJson(value: unknown): string {
  if (value instanceof ExactNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map((item) => exactJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${JSON.stringify(key)}:${exactJson(item)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Settlement after NOWPayments' 0.5% fee, in the paid coin (no conversion in the sandbox). */
export function outcomeAmount(record: PaymentRecord): bigint {
  const base = record.actuallyPaid > 0n ? record.actuallyPaid : record.payAmount;
  return (base * 995n) / 1000n;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /v1/payment/:id`: payment_id is a number there (as in the docs' list and IPN examples). */
export function paymentView(record: PaymentRecord): Record<string, unknown> {
  return {
    payment_id: record.id,
    invoice_id: null,
    payment_status: record.status,
    pay_address: record.payAddress,
    payin_extra_id: record.payinExtraId,
    price_amount: exact(record.priceAmount),
    price_currency: record.priceCurrency,
    pay_amount: exact(record.payAmount),
    actually_paid: exact(record.actuallyPaid),
    pay_currency: record.payCurrency,
    order_id: record.orderId,
    order_description: record.orderDescription,
    purchase_id: record.purchaseId,
    ...(record.parentId !== null ? { parent_payment_id: record.parentId } : {}),
    outcome_amount: exact(outcomeAmount(record)),
    outcome_currency: record.payCurrency,
    network: record.network,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    valid_until: iso(record.validUntil),
    expiration_estimate_date: iso(record.validUntil),
    type: 'crypto2crypto',
  };
}

/** `POST /v1/payment` (201): payment_id comes as a string there (UNCONFIRMED; clients take both). */
export function createdView(record: PaymentRecord): Record<string, unknown> {
  return {
    payment_id: String(record.id),
    payment_status: record.status,
    pay_address: record.payAddress,
    price_amount: exact(record.priceAmount),
    price_currency: record.priceCurrency,
    pay_amount: exact(record.payAmount),
    amount_received: exact(outcomeAmount(record)),
    pay_currency: record.payCurrency,
    order_id: record.orderId,
    order_description: record.orderDescription,
    ipn_callback_url: record.ipnCallbackUrl,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    purchase_id: record.purchaseId,
    smart_contract: null,
    network: record.network,
    network_precision: 8,
    time_limit: null,
    burning_percent: null,
    expiration_estimate_date: iso(record.validUntil),
    is_fixed_rate: false,
    is_fee_paid_by_user: false,
    valid_until: iso(record.validUntil),
    type: 'crypto2crypto',
    payin_extra_id: record.payinExtraId,
  };
}

/**
 * An IPN body: the payment status body plus `fee` (a nested object: the reason signatures must sort
 * keys recursively), parent_payment_id and updated_at in ms. Keys deliberately not sorted.
 */
export function ipnBody(record: PaymentRecord): Record<string, unknown> {
  const num = (units: bigint) => Number(formatAmount(units));
  return {
    payment_id: record.id,
    parent_payment_id: record.parentId,
    invoice_id: null,
    payment_status: record.status,
    pay_address: record.payAddress,
    payin_extra_id: record.payinExtraId,
    price_amount: num(record.priceAmount),
    price_currency: record.priceCurrency,
    pay_amount: num(record.payAmount),
    actually_paid: num(record.actuallyPaid),
    actually_paid_at_fiat: 0,
    pay_currency: record.payCurrency,
    order_id: record.orderId,
    order_description: record.orderDescription,
    purchase_id: record.purchaseId,
    outcome_amount: num(outcomeAmount(record)),
    outcome_currency: record.payCurrency,
    payment_extra_ids: null,
    fee: {
      currency: record.payCurrency,
      depositFee: 0,
      withdrawalFee: 0,
      serviceFee: num(
        record.actuallyPaid - outcomeAmount(record) > 0n ? record.actuallyPaid - outcomeAmount(record) : 0n,
      ),
    },
    updated_at: record.updatedAt,
  };
}

/** The API's error body, `{status: false, statusCode, code, message}`. */
export const errorBody = (statusCode: number, code: string, message: string) => ({
  status: false,
  statusCode,
  code,
  message,
});
