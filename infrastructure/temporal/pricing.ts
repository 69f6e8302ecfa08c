/** What a plan or product costs on each rail, the invoice timings, and why a purchase cannot start. */
import { STARS_CURRENCY, type Rail } from '../../domain/rail';
import type { Config } from '../config';

export class UnsupportedCurrencyError extends Error {
  constructor(planId: string, currency: string, supported: string[]) {
    super(
      `Plan "${planId}" is priced in ${currency}, which the gateway is not configured to settle (CRYPTOCLOUD_CURRENCIES=${supported.join(',')})`,
    );
    this.name = 'UnsupportedCurrencyError';
  }
}

/** The rail is off or not configured, or the plan (or product) has no price on it (e.g. no Stars price). */
export class RailUnavailableError extends Error {
  constructor(id: string, rail: string, why: string) {
    super(`"${id}" cannot be paid with ${rail}: ${why}`);
    this.name = 'RailUnavailableError';
  }
}

/** Money already arrived on the open invoice, so it cannot be replaced by one on another rail or coin. */
export class InvoiceInProgressError extends Error {
  constructor(readonly invoiceId: string) {
    super(`Invoice ${invoiceId} already received money; it is finished or resolved before another is opened`);
    this.name = 'InvoiceInProgressError';
  }
}

/** What a plan or product costs on the rail, or why it cannot be paid there. */
export function priceOnRail(
  config: Pick<Config, 'rails' | 'cryptocloud' | 'nowpayments'>,
  item: { id: string; priceMinor: bigint | null; currency: string | null; priceStars: number | null },
  rail: Rail,
  payCurrency: string | undefined,
): { amountMinor: bigint; currency: string } {
  if (!config.rails.includes(rail)) throw new RailUnavailableError(item.id, rail, 'the rail is off');
  if (rail === 'stars') {
    if (item.priceStars === null) throw new RailUnavailableError(item.id, rail, 'there is no price in Stars');
    return { amountMinor: BigInt(item.priceStars), currency: STARS_CURRENCY };
  }
  if (item.priceMinor === null || item.currency === null)
    throw new RailUnavailableError(item.id, rail, 'it is sold for Stars only');
  const currency = item.currency.toUpperCase();
  const supported = rail === 'cryptocloud' ? config.cryptocloud.currencies : config.nowpayments.currencies;
  if (!supported.includes(currency)) {
    if (rail === 'cryptocloud') throw new UnsupportedCurrencyError(item.id, currency, supported);
    throw new RailUnavailableError(item.id, rail, `NOWPAYMENTS_CURRENCIES does not list ${currency}`);
  }
  if (rail === 'nowpayments' && !config.nowpayments.coins.some((coin) => coin.code === payCurrency))
    throw new RailUnavailableError(item.id, rail, `the coin "${payCurrency ?? ''}" is not offered`);
  return { amountMinor: item.priceMinor, currency: item.currency };
}

/** The invoice timings every invoice workflow is started with. */
export function invoiceTimings(config: Pick<Config, 'invoice'>) {
  return {
    ttlMs: config.invoice.ttlMs,
    reconcileAtMs: config.invoice.reconcileAtMs,
    reconcileEveryMs: config.invoice.reconcileEveryMs,
    latePaymentWindowMs: config.invoice.latePaymentWindowMs,
    recheckBackoffMs: config.invoice.recheckBackoffMs,
    gatewayOutageAlertMs: config.invoice.gatewayOutageAlertMs,
  };
}
