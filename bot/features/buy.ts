/**
 * Buying a product from its card (the carousel or a deep link), all in the card's own message: Buy
 * turns its keyboard into the rails the product can be paid on (each with its price there) and Back;
 * NOWPayments then asks for the coin. Picking one opens the order (order-commands.ts `openOrder`),
 * whose invoice workflow sends the pay message (link, address and QR, or Stars invoice) as it does for
 * plans; the card gets its keyboard back. Paid, the delivery workflow DMs the product.
 *
 * Refusals are alerts: not for sale, the buyer's own product, a rail that cannot take it, an open
 * invoice that already received money. A product the buyer owns is said so, and the library is sent
 * instead. Pressing again while the order is open shows its link or address again (the workflow sends
 * it only once).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { Composer } from 'grammy';
import { OPEN_INVOICE_STATES } from '../../domain/invoice';
import { OWNED_ORDER_STATUSES } from '../../domain/order';
import { isVisibleInCatalog } from '../../domain/product';
import type { Rail } from '../../domain/rail';
import { invoices, orders, products } from '../../infrastructure/db/schema';
import {
  OwnProductError,
  ProductOwnedError,
  ProductUnavailableError,
} from '../../infrastructure/temporal/order-commands';
import {
  InvoiceInProgressError,
  RailUnavailableError,
  UnsupportedCurrencyError,
} from '../../infrastructure/temporal/pricing';
import type { BotContext } from '../context';
import { buyBackData, buyCoinData, buyData, buyRailData } from '../keyboards/callback-data';
import { cardKeyboard, productCoinsKeyboard, productRailsKeyboard, railOfCode } from '../keyboards/shop';
import { libraryPage } from './library';
import { railsFor, showOpenInvoice } from './plans';
import { requireProfile } from './profile';
import { unlessUnchanged } from './shop';

type Product = typeof products.$inferSelect;

export const buy = new Composer<BotContext>();
const chat = buy.chatType('private');

const alert = (ctx: BotContext, key: string) => ctx.answerCallbackQuery({ text: ctx.t(key), show_alert: true });

/** The pressed card's keyboard, as it was before Buy. */
const restoreCard = (ctx: BotContext, productId: string, from: string) =>
  ctx.editMessageReplyMarkup({ reply_markup: cardKeyboard(ctx.t, productId, from) }).catch(unlessUnchanged);

async function forSale(ctx: BotContext, productId: string): Promise<Product | undefined> {
  const [product] = await ctx.deps.db.select().from(products).where(eq(products.id, productId));
  return product && isVisibleInCatalog(product) ? product : undefined;
}

/** Already bought: said so, and the library (where it can be downloaded) is sent. */
async function showOwned(ctx: BotContext): Promise<void> {
  const buyerId = requireProfile(ctx).id;
  await alert(ctx, 'buy-owned');
  const { text, keyboard } = await libraryPage(ctx, buyerId, 0);
  await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
}

/**
 * Why this buyer cannot buy this product now, said (and true); false when they may. The order
 * command checks the same again when the order is opened.
 */
async function refused(ctx: BotContext, product: Product | undefined): Promise<boolean> {
  if (!product) {
    await alert(ctx, 'buy-unavailable');
    return true;
  }
  const buyerId = requireProfile(ctx).id;
  if (product.sellerId === buyerId) {
    await alert(ctx, 'buy-own-product');
    return true;
  }
  const [owned] = await ctx.deps.db
    .select({ id: orders.id })
    .from(orders)
    .where(
      and(
        eq(orders.buyerId, buyerId),
        eq(orders.productId, product.id),
        inArray(orders.status, [...OWNED_ORDER_STATUSES]),
      ),
    );
  if (!owned) return false;
  await showOwned(ctx);
  return true;
}

/** Buy (and Back from the coins): the card's keyboard becomes the rails, each with its price. */
async function showRails(ctx: BotContext, productId: string, from: string): Promise<void> {
  const product = await forSale(ctx, productId);
  if (await refused(ctx, product)) return;
  const rails = railsFor(ctx.deps.config, product!);
  if (rails.length === 0) return void (await alert(ctx, 'buy-no-rail'));
  await ctx.answerCallbackQuery();
  await ctx
    .editMessageReplyMarkup({ reply_markup: productRailsKeyboard(ctx.t, product!, rails, from) })
    .catch(unlessUnchanged);
}

/** NOWPayments: the coin first (the address is made in it). */
async function showCoins(ctx: BotContext, productId: string, from: string): Promise<void> {
  const product = await forSale(ctx, productId);
  if (await refused(ctx, product)) return;
  if (!railsFor(ctx.deps.config, product!).includes('nowpayments'))
    return void (await alert(ctx, 'buy-rail-unavailable'));
  await ctx.answerCallbackQuery();
  await ctx
    .editMessageReplyMarkup({
      reply_markup: productCoinsKeyboard(ctx.t, productId, ctx.deps.config.nowpayments.coins, from),
    })
    .catch(unlessUnchanged);
}

/**
 * Opens the order on the rail (and coin). openOrder is idempotent per buyer and product (one open
 * order), so pressing twice never makes two; an order already open on this rail and coin comes back
 * `reused`, and its invoice's link or address is shown again.
 */
async function purchase(ctx: BotContext, productId: string, from: string, rail: Rail, payCurrency?: string) {
  const { db, commands, logger } = ctx.deps;
  const buyerId = requireProfile(ctx).id;
  let opened: { orderId: string; invoiceId: string; reused: boolean };
  try {
    opened = await commands.openOrder({ buyerId, productId, rail, ...(payCurrency ? { payCurrency } : {}) });
  } catch (error) {
    if (error instanceof ProductOwnedError) await showOwned(ctx);
    else if (error instanceof ProductUnavailableError) await alert(ctx, 'buy-unavailable');
    else if (error instanceof OwnProductError) await alert(ctx, 'buy-own-product');
    else if (error instanceof InvoiceInProgressError) await alert(ctx, 'buy-invoice-in-progress');
    else if (error instanceof RailUnavailableError || error instanceof UnsupportedCurrencyError) {
      logger.warn({ productId, rail, err: error.message }, 'product cannot be paid on this rail');
      await alert(ctx, 'buy-rail-unavailable');
    } else throw error;
    await restoreCard(ctx, productId, from);
    return;
  }
  logger.info({ buyerId, productId, rail, ...opened }, 'order requested');
  let shown = false;
  if (opened.reused) {
    const [invoice] = await db.select().from(invoices).where(eq(invoices.id, opened.invoiceId));
    if (invoice && (OPEN_INVOICE_STATES as readonly string[]).includes(invoice.status))
      shown = await showOpenInvoice(ctx, invoice, 'order');
  }
  if (!shown) await ctx.answerCallbackQuery({ text: ctx.t('invoice-creating') });
  await restoreCard(ctx, productId, from);
}

chat.callbackQuery(buyData.pattern, (ctx) => {
  const { productId, from } = buyData.unpack(ctx.callbackQuery.data)!;
  return showRails(ctx, productId, from);
});

chat.callbackQuery(buyBackData.pattern, async (ctx) => {
  const { productId, from } = buyBackData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  await restoreCard(ctx, productId, from);
});

chat.callbackQuery(buyRailData.pattern, (ctx) => {
  const { rail: code, productId, from } = buyRailData.unpack(ctx.callbackQuery.data)!;
  const rail = railOfCode(code);
  if (rail === 'nowpayments') return showCoins(ctx, productId, from);
  if (!rail) return alert(ctx, 'buy-rail-unavailable');
  return purchase(ctx, productId, from, rail);
});

chat.callbackQuery(buyCoinData.pattern, (ctx) => {
  const { coin, productId, from } = buyCoinData.unpack(ctx.callbackQuery.data)!;
  return purchase(ctx, productId, from, 'nowpayments', coin);
});
