/**
 * Custom search attributes carried by every workflow of the product, so an admin finds a user's
 * invoices and subscription in Temporal UI by Telegram id, order/invoice id, provider or status.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TelegramUserId = defineSearchAttributeKey('TelegramUserId', SearchAttributeType.INT);
export const InvoiceId = defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD);
export const OrderId = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const PaymentProvider = defineSearchAttributeKey('PaymentProvider', SearchAttributeType.KEYWORD);
export const ProcessStatus = defineSearchAttributeKey('ProcessStatus', SearchAttributeType.KEYWORD);
export const SellerId = defineSearchAttributeKey('SellerId', SearchAttributeType.INT);
/** When an escrow hold ends (escrow workflows): "releasing within the hour" is a range query. */
export const ReleaseAt = defineSearchAttributeKey('ReleaseAt', SearchAttributeType.DATETIME);
/** Whose balance a payout pays from (payout workflows): referrer, seller or refund. */
export const PayeeKind = defineSearchAttributeKey('PayeeKind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  TelegramUserId,
  InvoiceId,
  OrderId,
  PaymentProvider,
  ProcessStatus,
  SellerId,
  ReleaseAt,
  PayeeKind,
];

/** As the dev server's `--search-attribute` flag and the operator API name the types. */
export function searchAttributeFlags(): string[] {
  const cliType = { INT: 'Int', KEYWORD: 'Keyword', DATETIME: 'Datetime' } as Record<string, string>;
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliType[key.type]}`]);
}
