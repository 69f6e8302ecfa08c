/**
 * The admins' review queue, for ADMIN_IDS only (anyone else falls through to the unknown-command
 * reply). With PRODUCT_REVIEW on, publishing puts a product in `pending_review` (api/miniapp/products.ts).
 *
 * `/review` shows the queue oldest first (by the moment the product was sent or last changed), one
 * product per message that ◀ ▶ edit in place, with Approve and Reject. Approve makes it `active`;
 * Reject asks for the reason: a reply to the prompt, recognised by the marker at its end (stateless, so
 * any bot process takes it), then `rejected` with the reason. The seller is told either way, in their
 * language; a rejected product is edited and published again from the Mini App.
 *
 * Each decision is one conditional UPDATE: still pending, and still the version the card showed
 * (updated_at), so a second press, another admin, or a seller's edit since the card was drawn change
 * nothing and are answered with why. Decisions are audited with the update (audit_log, actor
 * 'admin', admin.ts `audit`), refusals too.
 */
import { and, asc, count, desc, eq, gte, isNull, lt } from 'drizzle-orm';
import { Composer, GrammyError, InlineKeyboard } from 'grammy';
import { MAX_REJECTION_REASON_LENGTH, parseRejectionReason, PRODUCT_ID, ProductInputError } from '../../domain/product';
import { categories, productFiles, products, sellers, users } from '../../infrastructure/db/schema';
import type { BotContext } from '../context';
import { createI18n, formatMoment, isLocale, pickLocale } from '../i18n';
import { reviewDecideData, reviewPageData } from '../keyboards/callback-data';
import { reviewCardKeyboard } from '../keyboards/review';
import { audit, isAdmin } from './admin';
import { uploadUrl } from './sell';
import { priceText, productLink } from './shop';

const DESCRIPTION_EXCERPT = 300;
/** Ends the reason prompt in every language: `[reject:<productId>:<version>]`. */
const PROMPT_MARKER = /\[reject:([A-Za-z0-9_-]{16}):([0-9a-z]{1,12})\]\s*$/;
const VERSION = /^[0-9a-z]{1,12}$/;

const PENDING = and(eq(products.status, 'pending_review'), isNull(products.deletedAt));

const i18n = createI18n();

type Product = typeof products.$inferSelect;
type Vars = Record<string, string>;

/** A product's version as a card shows it: updated_at in base-36 milliseconds. */
export const versionOf = (updatedAt: Date) => updatedAt.getTime().toString(36);

function shownAt(version: string): Date | undefined {
  const ms = VERSION.test(version) ? parseInt(version, 36) : NaN;
  return Number.isSafeInteger(ms) ? new Date(ms) : undefined;
}

/** Binary units, one decimal: what a moderator needs to judge a file. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// ---- The card ----

interface Card {
  text: string;
  keyboard?: InlineKeyboard;
}

/** The queue at `offset` (the last one when the queue shrank meanwhile), after an optional header line. */
async function queueCard(ctx: BotContext, offset: number, header?: string): Promise<Card> {
  const { db, config } = ctx.deps;
  const withHeader = (text: string) => [header, text].filter(Boolean).join('\n\n');
  const [counted] = await db.select({ total: count() }).from(products).where(PENDING);
  const total = counted?.total ?? 0;
  const at = Math.min(Math.max(offset, 0), total - 1);
  const [row] =
    total > 0
      ? await db
          .select({ product: products, shop: sellers.displayName, categoryNames: categories.names })
          .from(products)
          .innerJoin(sellers, eq(sellers.userId, products.sellerId))
          .innerJoin(categories, eq(categories.id, products.categoryId))
          .where(PENDING)
          .orderBy(asc(products.updatedAt), asc(products.id))
          .limit(1)
          .offset(at)
      : [];
  if (!row) return { text: withHeader(ctx.t('review-queue-empty', { review: config.uploads.review ? 'on' : 'off' })) };
  const { product } = row;
  const [file] = await db
    .select({ name: productFiles.originalName, size: productFiles.sizeBytes })
    .from(productFiles)
    .where(and(eq(productFiles.productId, product.id), eq(productFiles.role, 'file'), eq(productFiles.state, 'stored')))
    .orderBy(desc(productFiles.createdAt))
    .limit(1);
  const locale = await ctx.i18n.getLocale();
  const category =
    (isLocale(locale) ? row.categoryNames[locale] : undefined) ?? row.categoryNames.en ?? product.categoryId;
  const description =
    [...product.description].length > DESCRIPTION_EXCERPT
      ? `${[...product.description].slice(0, DESCRIPTION_EXCERPT).join('')}…`
      : product.description;
  const lines = [
    ctx.t('review-card-head', { position: String(at + 1), total: String(total) }),
    `🛍 ${product.title}`,
    ctx.t('review-card-shop', { shop: row.shop, sellerId: String(product.sellerId) }),
    ctx.t('shop-card-price', { price: priceText(product) }),
    ctx.t('review-card-category', { category }),
    file ? ctx.t('review-card-file', { name: file.name, size: formatBytes(file.size) }) : ctx.t('review-card-no-file'),
    ctx.t('review-card-sent', { at: formatMoment(product.updatedAt.getTime()) }),
    description,
  ];
  return {
    text: withHeader(lines.filter(Boolean).join('\n')),
    keyboard: reviewCardKeyboard(ctx.t, {
      productId: product.id,
      version: versionOf(product.updatedAt),
      offset: at,
      total,
    }),
  };
}

/** Edits the pressed card; the same page again changes nothing, which Telegram refuses: fine. */
async function editTo(ctx: BotContext, card: Card): Promise<void> {
  await ctx.editMessageText(card.text, card.keyboard ? { reply_markup: card.keyboard } : {}).catch((error: unknown) => {
    if (error instanceof GrammyError && /message is not modified/.test(error.description)) return;
    throw error;
  });
}

// ---- Decisions ----

/** Why a decision on the product as the card showed it was refused: gone, decided, or changed since. */
async function whyNot(ctx: BotContext, productId: string): Promise<{ key: string; vars: Vars }> {
  const [product] = await ctx.deps.db.select().from(products).where(eq(products.id, productId));
  if (!product || product.deletedAt !== null) return { key: 'review-gone', vars: {} };
  if (product.status !== 'pending_review')
    return { key: 'review-already', vars: { title: product.title, status: ctx.t(`sell-status-${product.status}`) } };
  return { key: 'review-changed', vars: { title: product.title } };
}

/** The product still pending and unchanged since `at` (a card shows milliseconds; the column keeps microseconds). */
function asShown(productId: string, at: Date) {
  return and(
    eq(products.id, productId),
    PENDING,
    gte(products.updatedAt, at),
    lt(products.updatedAt, new Date(at.getTime() + 1)),
  );
}

type Decision = { approve: true } | { approve: false; reason: string };
type Outcome = { product: Product } | { refused: { key: string; vars: Vars } };

/** Applies the decision if the product is as shown, with its audit row; a refusal is audited too. */
async function decide(
  ctx: BotContext,
  productId: string,
  version: string,
  decision: Decision,
  via: string,
): Promise<Outcome> {
  const { db, logger } = ctx.deps;
  const adminId = ctx.from!.id;
  const action = decision.approve ? 'product.approve' : 'product.reject';
  const at = PRODUCT_ID.test(productId) ? shownAt(version) : undefined;
  const product = at
    ? await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(products)
          .set(
            decision.approve
              ? { status: 'active', rejectionReason: null, updatedAt: new Date() }
              : { status: 'rejected', rejectionReason: decision.reason, updatedAt: new Date() },
          )
          .where(asShown(productId, at))
          .returning();
        if (updated)
          await audit(tx, adminId, action, productId, {
            sellerId: updated.sellerId,
            title: updated.title,
            version,
            via,
            ...(decision.approve ? {} : { reason: decision.reason }),
          });
        return updated;
      })
    : undefined;
  if (product) {
    logger.info({ adminId, action, productId }, 'admin action');
    return { product };
  }
  const refused = await whyNot(ctx, productId);
  await audit(db, adminId, action, productId, { refused: refused.key, version, via });
  return { refused };
}

/** Tells the seller in their language. The decision stands either way: a failed send is logged and reported. */
async function tellSeller(ctx: BotContext, product: Product): Promise<boolean> {
  const { db, config, logger } = ctx.deps;
  const [seller] = await db
    .select({ language: users.language, telegramLanguage: users.telegramLanguage })
    .from(users)
    .where(eq(users.id, product.sellerId));
  const locale = pickLocale(seller?.language, seller?.telegramLanguage ?? undefined);
  const approved = product.status === 'active';
  const text = approved
    ? i18n.t(locale, 'review-approved-seller', { title: product.title, link: productLink(ctx.me.username, product.id) })
    : i18n.t(locale, 'review-rejected-seller', { title: product.title, reason: product.rejectionReason ?? '' });
  const keyboard = approved
    ? undefined
    : new InlineKeyboard().webApp(i18n.t(locale, 'sell-upload-button'), uploadUrl(config.api.publicUrl));
  try {
    await ctx.api.sendMessage(product.sellerId, text, {
      ...(keyboard ? { reply_markup: keyboard } : {}),
      link_preview_options: { is_disabled: true },
    });
    return true;
  } catch (error) {
    logger.warn({ err: error, sellerId: product.sellerId, productId: product.id }, 'seller not told of the review');
    return false;
  }
}

async function askReason(ctx: BotContext, product: { id: string; title: string }, version: string): Promise<void> {
  const prompt = ctx.t('review-reason-prompt', { title: product.title, max: String(MAX_REJECTION_REASON_LENGTH) });
  await ctx.reply(`${prompt}\n[reject:${product.id}:${version}]`, {
    reply_markup: { force_reply: true, input_field_placeholder: ctx.t('review-reason-placeholder') },
  });
}

// ---- Handlers ----

export const review = new Composer<BotContext>();
const chat = review.chatType('private').filter(isAdmin);

chat.command('review', async (ctx) => {
  const card = await queueCard(ctx, 0);
  await ctx.reply(card.text, { reply_markup: card.keyboard, link_preview_options: { is_disabled: true } });
});

chat.callbackQuery(reviewPageData.pattern, async (ctx) => {
  const offset = Number(reviewPageData.unpack(ctx.callbackQuery.data)!.offset);
  await ctx.answerCallbackQuery();
  await editTo(ctx, await queueCard(ctx, Number.isSafeInteger(offset) ? offset : 0));
});

chat.callbackQuery(reviewDecideData.pattern, async (ctx) => {
  const { action, productId, version } = reviewDecideData.unpack(ctx.callbackQuery.data)!;
  if (action === 'ok') {
    const outcome = await decide(ctx, productId, version, { approve: true }, 'button');
    if ('refused' in outcome) {
      await ctx.answerCallbackQuery({ text: ctx.t(outcome.refused.key, outcome.refused.vars), show_alert: true });
      return editTo(ctx, await queueCard(ctx, 0));
    }
    await ctx.answerCallbackQuery({ text: ctx.t('review-approved-short') });
    const told = await tellSeller(ctx, outcome.product);
    const header = ctx.t('review-approved', { title: outcome.product.title, told: told ? 'yes' : 'no' });
    return editTo(ctx, await queueCard(ctx, 0, header));
  }
  // Reject: nothing changes until the reason comes; a product already decided or changed is said so now.
  const at = PRODUCT_ID.test(productId) ? shownAt(version) : undefined;
  const [product] = at ? await ctx.deps.db.select().from(products).where(asShown(productId, at)) : [];
  if (!product) {
    const refused = await whyNot(ctx, productId);
    await audit(ctx.deps.db, ctx.from.id, 'product.reject', productId, {
      refused: refused.key,
      version,
      via: 'button',
    });
    await ctx.answerCallbackQuery({ text: ctx.t(refused.key, refused.vars), show_alert: true });
    return editTo(ctx, await queueCard(ctx, 0));
  }
  await ctx.answerCallbackQuery();
  await askReason(ctx, product, version);
});

/** The reason, as a reply to the prompt. A bad one is refused and asked for again. */
chat.on('message:text', async (ctx, next) => {
  const replied = ctx.message.reply_to_message;
  const match = replied?.from?.id === ctx.me.id ? PROMPT_MARKER.exec(replied.text ?? '') : null;
  if (!match || ctx.message.text.startsWith('/')) return next();
  const [, productId, version] = match as unknown as [string, string, string];
  let reason: string;
  try {
    reason = parseRejectionReason(ctx.message.text);
  } catch (error) {
    if (!(error instanceof ProductInputError)) throw error;
    await audit(ctx.deps.db, ctx.from.id, 'product.reject', productId, { refused: error.key, version, via: 'reply' });
    await ctx.reply(ctx.t(error.key, error.vars));
    const [product] = await ctx.deps.db.select().from(products).where(eq(products.id, productId));
    if (product) await askReason(ctx, product, version);
    return;
  }
  const outcome = await decide(ctx, productId, version, { approve: false, reason }, 'reply');
  if ('refused' in outcome) return void (await ctx.reply(ctx.t(outcome.refused.key, outcome.refused.vars)));
  const told = await tellSeller(ctx, outcome.product);
  const header = ctx.t('review-rejected', { title: outcome.product.title, reason, told: told ? 'yes' : 'no' });
  const card = await queueCard(ctx, 0, header);
  await ctx.reply(card.text, { reply_markup: card.keyboard, link_preview_options: { is_disabled: true } });
});
