/**
 * Typed callback data: `<prefix>:<field>:<field>...`. Values are plain tokens (ids, locale codes);
 * Telegram caps callback data at 64 bytes, so packing refuses anything longer instead of truncating.
 */
const TOKEN = /^[\w-]{1,48}$/;
const MAX_CALLBACK_BYTES = 64;

export interface CallbackData<F extends string> {
  readonly prefix: string;
  /** Matches this button's data (for `composer.callbackQuery`). */
  readonly pattern: RegExp;
  pack(values: Record<F, string>): string;
  /** The fields, or undefined when the data is not this button's (a stale or forged button). */
  unpack(data: string | undefined): Record<F, string> | undefined;
}

export function callbackData<F extends string>(prefix: string, fields: readonly F[]): CallbackData<F> {
  const pattern = new RegExp(`^${prefix}${fields.map(() => ':([\\w-]{1,48})').join('')}$`);
  return {
    prefix,
    pattern,
    pack(values) {
      const parts = fields.map((field) => {
        const value = values[field];
        if (!TOKEN.test(value)) throw new Error(`callback field ${field} "${value}" is not a plain token`);
        return value;
      });
      const data = [prefix, ...parts].join(':');
      if (Buffer.byteLength(data) > MAX_CALLBACK_BYTES)
        throw new Error(`callback data "${data}" is longer than ${MAX_CALLBACK_BYTES} bytes`);
      return data;
    },
    unpack(data) {
      const match = data === undefined ? null : pattern.exec(data);
      if (!match) return undefined;
      return Object.fromEntries(fields.map((field, index) => [field, match[index + 1]!])) as Record<F, string>;
    },
  };
}

/** Every button the bot (and the workflows' messages) use. */
export const termsAcceptData = callbackData('terms_accept', [] as const);
export const plansListData = callbackData('plans', [] as const);
export const planData = callbackData('plan', ['planId'] as const);
/** Pay on CryptoCloud (the first rail; older messages carry this button too). */
export const payData = callbackData('pay', ['planId'] as const);
/** Pay on another rail: `nowpayments` (then a coin) or `stars`. */
export const payRailData = callbackData('payr', ['rail', 'planId'] as const);
export const payCoinData = callbackData('paycoin', ['coin', 'planId'] as const);
/** "Check status" under a pay address: asks the rail now and tells where the invoice stands. */
export const invoiceCheckData = callbackData('inv:check', ['invoiceId'] as const);
export const renewData = callbackData('renew', ['planId'] as const);
export const trialData = callbackData('trial', ['planId'] as const);
export const languageData = callbackData('lang', ['locale'] as const);
/** Admin buttons on payout requests, sent by the payout workflow (workflows/payout.ts `payoutCallbacks`). */
export const payoutApproveData = callbackData('payout:approve', ['payoutId'] as const);
export const payoutRejectData = callbackData('payout:reject', ['payoutId'] as const);
/** Admin buttons on resolution alerts, sent by the resolution workflow (workflows/resolution.ts `resolutionCallbacks`). */
export const resolutionAcceptData = callbackData('res:accept', ['invoiceId'] as const);
export const resolutionCreditData = callbackData('res:credit', ['invoiceId'] as const);
export const resolutionExtendData = callbackData('res:extend', ['days', 'invoiceId'] as const);
export const resolutionBalanceData = callbackData('res:balance', ['invoiceId'] as const);
export const resolutionRefundData = callbackData('res:refund', ['invoiceId'] as const);
export const resolutionWriteoffData = callbackData('res:writeoff', ['invoiceId'] as const);
export const resolutionRefundPaidData = callbackData('res:refundpaid', ['invoiceId'] as const);
export const resolutionMenuData = callbackData('res:menu', ['invoiceId'] as const);
/** A buyer owed a crypto refund gives the wallet to be paid to (a payout of kind `refund`). */
export const refundWalletData = callbackData('rfw', [] as const);
/**
 * Asking for a payout step by step (bot/features/payout-request.ts): `pask` (the Request payout
 * button of /balance) offers the networks; `pnet` is the network chosen, then the wallet is asked.
 * `source` is the payee kind (domain/payout.ts PAYOUT_SOURCES).
 */
export const payoutAskData = callbackData('pask', ['source', 'currency'] as const);
export const payoutNetworkData = callbackData('pnet', ['source', 'currency', 'network'] as const);
/** The admin catalog flow (bot/features/plans-admin.ts). */
export const newPlanChannelData = callbackData('np:ch', ['channelId'] as const);
export const newPlanDoneData = callbackData('np:done', [] as const);
export const newPlanCreateData = callbackData('np:create', [] as const);
export const newPlanCancelData = callbackData('np:cancel', [] as const);
export const catalogPlanData = callbackData('cat:plan', ['planId'] as const);
export const catalogActionData = callbackData('cat:act', ['action', 'planId'] as const);
export const catalogDetachData = callbackData('cat:detach', ['planId', 'channelId'] as const);
/** Promo codes (bot/features/promos.ts): ask for a code, forget the entered one. */
export const promoEnterData = callbackData('promo:enter', [] as const);
export const promoClearData = callbackData('promo:clear', [] as const);
/** A seller's product in /products: hide, show, delete (asks), delete confirmed. */
export const productActionData = callbackData('prod', ['action', 'productId'] as const);
/**
 * The admins' review queue (bot/features/review.ts): approve (`ok`) or reject (`no`) the product as
 * shown (`version`: its updated_at in base-36 ms), and page through the queue.
 */
export const reviewDecideData = callbackData('rv', ['action', 'productId', 'version'] as const);
export const reviewPageData = callbackData('rv:p', ['offset'] as const);
/** /alerts: turn one kind of seller email alert (domain/seller-alert.ts) off or back on. */
export const alertToggleData = callbackData('alrt', ['alert'] as const);
/** A page of the buyer's library (bot/features/library.ts), by its first item's 0-based position. */
export const libraryPageData = callbackData('lib', ['offset'] as const);
/** Download a product the buyer owns: a fresh single-use link for that order. */
export const libraryDownloadData = callbackData('lib:dl', ['orderId'] as const);
/** Editing a seller's product (bot/features/product-edit.ts): open its card, ask for a field, or back to the list. */
export const productEditData = callbackData('pedit', ['field', 'productId'] as const);
export const productCategoryData = callbackData('pcat', ['productId', 'categoryId'] as const);
/**
 * The buyers' shop (bot/features/shop.ts). Menu: the categories with the chosen sort and price band.
 * Category: open the carousel at its first product. Page: `kind` c (a category, `key` its id or
 * `all`), s (a search, `key` its catalog_searches id) or h (a shop, `key` the seller id), the sort,
 * the price band (bot/keyboards/shop.ts PRICE_BANDS) and the product's 0-based position.
 */
export const shopMenuData = callbackData('shop:m', ['sort', 'price'] as const);
export const shopCategoryData = callbackData('shop:c', ['categoryId', 'sort', 'price'] as const);
export const shopPageData = callbackData('shop:p', ['kind', 'key', 'sort', 'price', 'offset'] as const);
/**
 * Buying a product (bot/features/buy.ts) from its card. `from` says where the card is shown
 * (bot/keyboards/shop.ts `cardOrigin`: a carousel position, or `d` for a deep-link card), so every step
 * can give the card its own keyboard back. Buy shows the rails, Back restores the card's keyboard,
 * a rail (`s`tars, `c`ryptocloud, `n`owpayments: then a coin) opens the order.
 */
export const buyData = callbackData('buy', ['productId', 'from'] as const);
export const buyBackData = callbackData('buy:b', ['productId', 'from'] as const);
export const buyRailData = callbackData('buy:r', ['rail', 'productId', 'from'] as const);
export const buyCoinData = callbackData('buy:c', ['coin', 'productId', 'from'] as const);

// ---- Escrow disputes (bot/features/disputes.ts, bot/features/escrow-admin.ts) ----
/** The buyer opens a dispute on a purchase in /library (asks for the reason). */
export const disputeOpenData = callbackData('dsp:o', ['orderId'] as const);
/**
 * An admin's decision on a dispute (the escrow's `resolveDispute` update): `refund`, `release`,
 * `split` (asks for the buyer's share) or `half` (a split with half the price to the buyer).
 */
export const disputeDecideData = callbackData('dsp:d', ['action', 'orderId'] as const);
