/**
 * Editing a product from `/products`: its Edit button turns the list into the product's card, with
 * buttons for the title, the description, the price (decimal text in the product's currency; choosing
 * a currency is the Mini App's), the Stars price, the category (buttons), and the cover and file
 * (web_app buttons opening the upload Mini App for this product). A text field is asked for with a
 * force-reply prompt and taken from the seller's next text message.
 *
 * The values go through the same rules and write as the Mini App API (infrastructure/catalog/products.ts):
 * bad input gets the rule's message and nothing is stored; with PRODUCT_REVIEW on, a change to a product
 * on sale sends it back to review.
 *
 * Limitation (as in plans-admin.ts): the field being asked for is kept in this process's memory for
 * FLOW_TTL_MS; any command that reaches this feature (such as /products, which the prompt suggests)
 * leaves it.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { Composer } from 'grammy';
import {
  MAX_PRODUCT_DESCRIPTION_LENGTH,
  MAX_PRODUCT_TITLE_LENGTH,
  parseProductAmount,
  parseProductStars,
  ProductInputError,
} from '../../domain/product';
import { MAX_PRICE_STARS, MIN_PRICE_STARS } from '../../domain/plan';
import { editProduct, type ProductEdit, type ProductRow } from '../../infrastructure/catalog/products';
import { products } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { productCategoryData, productEditData } from '../keyboards/callback-data';
import {
  PRODUCT_TEXT_FIELDS,
  productCategoryKeyboard,
  productEditKeyboard,
  type ProductTextField,
} from '../keyboards/sell';
import { FLOW_TTL_MS, productsMessage, sellerPriceText, uploadUrl } from './sell';
import { namedCategories } from './shop';

const MAX_DESCRIPTION_IN_CARD = 700;

/** Seller id → the field asked for. */
const pending = new Map<number, { productId: string; field: ProductTextField; at: number }>();

function pendingOf(sellerId: number) {
  const asked = pending.get(sellerId);
  if (asked && Date.now() - asked.at > FLOW_TTL_MS) {
    pending.delete(sellerId);
    return undefined;
  }
  return asked;
}

async function ownProduct(ctx: BotContext, sellerId: number, productId: string): Promise<ProductRow | undefined> {
  const [product] = await ctx.deps.db
    .select()
    .from(products)
    .where(and(eq(products.id, productId), eq(products.sellerId, sellerId), isNull(products.deletedAt)));
  return product;
}

async function card(ctx: BotContext, product: ProductRow) {
  const category = (await namedCategories(ctx)).find((c) => c.id === product.categoryId)?.name ?? product.categoryId;
  const description =
    product.description.length > MAX_DESCRIPTION_IN_CARD
      ? `${product.description.slice(0, MAX_DESCRIPTION_IN_CARD)}…`
      : product.description || ctx.t('product-edit-no-description');
  const lines = [
    ctx.t('product-edit-card', {
      title: product.title,
      status: ctx.t(`sell-status-${product.status}`),
      price: sellerPriceText(ctx, product),
      category,
      description,
    }),
  ];
  if (ctx.deps.config.uploads.review && product.status === 'active') lines.push(ctx.t('product-edit-review-note'));
  return {
    text: lines.join('\n\n'),
    keyboard: productEditKeyboard(ctx.t, uploadUrl(ctx.deps.config.api.publicUrl), product),
  };
}

function prompt(ctx: BotContext, product: ProductRow, field: ProductTextField): string {
  const title = product.title;
  switch (field) {
    case 'title':
      return ctx.t('product-edit-ask-title', { title, max: String(MAX_PRODUCT_TITLE_LENGTH) });
    case 'description':
      return ctx.t('product-edit-ask-description', { title, max: String(MAX_PRODUCT_DESCRIPTION_LENGTH) });
    case 'price':
      return ctx.t('product-edit-ask-price', { title, currency: product.currency ?? '' });
    case 'stars':
      return ctx.t('product-edit-ask-stars', { title, min: String(MIN_PRICE_STARS), max: String(MAX_PRICE_STARS) });
  }
}

/** What the seller's text asks to change; throws a ProductInputError for a malformed price. */
function editFor(product: ProductRow, field: ProductTextField, text: string): ProductEdit {
  switch (field) {
    case 'title':
      return { title: text };
    case 'description':
      return { description: text };
    case 'price':
      // Checked here too: an empty amount means "no fiat price" to the shared rules, never meant here.
      parseProductAmount(text, product.currency ?? 'USD');
      return { price: text };
    case 'stars':
      return { priceStars: parseProductStars(text) };
  }
}

/** Saves the change; the saved toast says whether the product went back to review. */
async function save(ctx: BotContext, product: ProductRow, edit: ProductEdit) {
  const updated = await editProduct(ctx.deps.db, product, edit, { review: ctx.deps.config.uploads.review });
  if (!updated) return undefined;
  const reviewed = updated.status === 'pending_review' && product.status !== 'pending_review';
  return { updated, saved: ctx.t(reviewed ? 'product-edit-saved-review' : 'product-edit-saved') };
}

export const productEdit = new Composer<BotContext>();
const chat = productEdit.chatType('private');

chat.on('message:text', async (ctx, next) => {
  const { text } = ctx.message;
  if (text.startsWith('/')) {
    pending.delete(ctx.from.id);
    return next();
  }
  const asked = pendingOf(ctx.from.id);
  if (!asked) return next();
  const product = await ownProduct(ctx, ctx.from.id, asked.productId);
  if (!product) {
    pending.delete(ctx.from.id);
    return void (await ctx.reply(ctx.t('sell-product-gone')));
  }
  let result: Awaited<ReturnType<typeof save>>;
  try {
    result = await save(ctx, product, editFor(product, asked.field, text));
  } catch (error) {
    if (!(error instanceof ProductInputError)) throw error;
    // The question stays open: the next text is another try.
    pending.set(ctx.from.id, { ...asked, at: Date.now() });
    return void (await ctx.reply(`${ctx.t(error.key, error.vars)}\n${ctx.t('product-edit-not-saved')}`));
  }
  pending.delete(ctx.from.id);
  if (!result) return void (await ctx.reply(ctx.t('sell-product-gone')));
  const shown = await card(ctx, result.updated);
  await ctx.reply(`${result.saved}\n\n${shown.text}`, { reply_markup: shown.keyboard });
});

chat.callbackQuery(productEditData.pattern, async (ctx) => {
  const { field, productId } = productEditData.unpack(ctx.callbackQuery.data)!;
  const product = await ownProduct(ctx, ctx.from.id, productId);
  if (!product) return void (await ctx.answerCallbackQuery({ text: ctx.t('sell-product-gone'), show_alert: true }));
  if (field === 'list') {
    await ctx.answerCallbackQuery();
    const { text, keyboard } = await productsMessage(ctx, ctx.from.id);
    return void (await ctx.editMessageText(text, { reply_markup: keyboard }));
  }
  if (field === 'category') {
    await ctx.answerCallbackQuery();
    const keyboard = productCategoryKeyboard(ctx.t, product, await namedCategories(ctx));
    return void (await ctx.editMessageText(ctx.t('product-edit-ask-category', { title: product.title }), {
      reply_markup: keyboard,
    }));
  }
  const textField = PRODUCT_TEXT_FIELDS.find((name) => name === field);
  // A fiat price is typed in the product's currency; without one there is nothing to type it in.
  if (!textField || (textField === 'price' && product.currency === null)) {
    await ctx.answerCallbackQuery();
    const shown = await card(ctx, product);
    return void (await ctx.editMessageText(shown.text, { reply_markup: shown.keyboard }));
  }
  pending.set(ctx.from.id, { productId, field: textField, at: Date.now() });
  await ctx.answerCallbackQuery();
  await ctx.reply(prompt(ctx, product, textField), { reply_markup: { force_reply: true } });
});

chat.callbackQuery(productCategoryData.pattern, async (ctx) => {
  const { productId, categoryId } = productCategoryData.unpack(ctx.callbackQuery.data)!;
  const product = await ownProduct(ctx, ctx.from.id, productId);
  if (!product) return void (await ctx.answerCallbackQuery({ text: ctx.t('sell-product-gone'), show_alert: true }));
  let result: Awaited<ReturnType<typeof save>>;
  try {
    result = await save(ctx, product, { categoryId });
  } catch (error) {
    if (!(error instanceof ProductInputError)) throw error;
    return void (await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars), show_alert: true }));
  }
  if (!result) return void (await ctx.answerCallbackQuery({ text: ctx.t('sell-product-gone'), show_alert: true }));
  await ctx.answerCallbackQuery({ text: result.saved });
  const shown = await card(ctx, result.updated);
  await ctx.editMessageText(shown.text, { reply_markup: shown.keyboard });
});
