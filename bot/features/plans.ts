/**
 * The catalog: /plans as an inline keyboard, one plan's price and length with Pay (and Try free while
 * the user's trial is unused), and Pay / Renew opening the invoice. The invoice workflow itself sends
 * the invoice message with the payment link; the bot only acknowledges.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { Composer, InlineKeyboard } from 'grammy';
import { OPEN_INVOICE_STATES } from '../../domain/invoice';
import { formatMoney } from '../../domain/money';
import type { Database } from '../../infrastructure/db/client';
import { invoices, plans } from '../../infrastructure/db/schema';
import {
  InvoiceInProgressError,
  RailUnavailableError,
  UnknownPlanError,
  UnsupportedCurrencyError,
} from '../../infrastructure/temporal/commands';
import type { Config } from '../../infrastructure/config';
import type { Rail } from '../../domain/rail';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import {
  invoiceCheckData,
  payCoinData,
  payData,
  payRailData,
  planData,
  plansListData,
  renewData,
} from '../keyboards/callback-data';
import { coinsKeyboard, describeDuration, planKeyboard, plansKeyboard } from '../keyboards/plans';
import { requireProfile } from './profile';
import { quotePromo, selectedPromo } from './promos';
import { STARS_CURRENCY } from '../../domain/rail';

export type Plan = typeof plans.$inferSelect;

/** Invoice states that can still be paid (a partial one can be topped up). */

export function activePlans(db: Database): Promise<Plan[]> {
  return db
    .select()
    .from(plans)
    .where(eq(plans.active, true))
    .orderBy(asc(plans.sortOrder), asc(plans.priceMinor), asc(plans.id));
}

export async function activePlan(db: Database, planId: string): Promise<Plan | undefined> {
  const [plan] = await db
    .select()
    .from(plans)
    .where(and(eq(plans.id, planId), eq(plans.active, true)));
  return plan;
}

export async function replyWithPlans(ctx: BotContext, intro = 'plans-choose'): Promise<void> {
  const list = await activePlans(ctx.deps.db);
  if (list.length === 0) {
    await ctx.reply(ctx.t('plans-none'));
    return;
  }
  await ctx.reply(ctx.t(intro), { reply_markup: plansKeyboard(list) });
}

/** A stale button or an id that is not (or no longer) sold: say so and show what is. */
export async function planUnavailable(ctx: BotContext): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: ctx.t('plan-unavailable-alert'), show_alert: true });
  await replyWithPlans(ctx, 'plan-unavailable');
}

/**
 * The rails a plan or product can be paid on: enabled, and priced (and settled) on that rail. A
 * product may have no fiat price (Stars only) or no Stars price.
 */
export function railsFor(
  config: Pick<Config, 'rails' | 'cryptocloud' | 'nowpayments'>,
  item: { currency: string | null; priceStars: number | null },
): Rail[] {
  const currency = item.currency?.toUpperCase();
  return config.rails.filter((rail) =>
    rail === 'stars'
      ? item.priceStars !== null
      : currency !== undefined &&
        (rail === 'cryptocloud' ? config.cryptocloud.currencies : config.nowpayments.currencies).includes(currency),
  );
}

async function showPlan(ctx: BotContext, planId: string): Promise<void> {
  const plan = await activePlan(ctx.deps.db, planId);
  if (!plan) return planUnavailable(ctx);
  const user = requireProfile(ctx);
  const offerTrial = plan.trialSeconds > 0 && user.trialUsedAt === null;
  const rails = railsFor(ctx.deps.config, plan);
  const lines = [
    ctx.t('plan-details', {
      title: plan.title,
      price: formatMoney(plan.priceMinor, plan.currency),
      duration: describeDuration(ctx.t, plan.durationSeconds),
    }),
  ];
  if (rails.includes('stars') && plan.priceStars !== null)
    lines.push(ctx.t('plan-price-stars', { stars: plan.priceStars }));
  const charged = await promoPrices(ctx, plan, lines);
  if (offerTrial) lines.push(ctx.t('plan-trial-offer', { duration: describeDuration(ctx.t, plan.trialSeconds) }));
  if (rails.length === 0) lines.push(ctx.t('plan-no-rail'));
  await ctx.answerCallbackQuery();
  await ctx.reply(lines.join('\n\n'), {
    reply_markup: planKeyboard(ctx.t, plan, { offerTrial, rails, ...(charged ? { charged } : {}) }),
  });
}

/**
 * With a promo code saved, the prices the user will be charged (the same rule the invoice workflow
 * redeems with), and a line saying so; a code that does not apply here is said too.
 */
async function promoPrices(ctx: BotContext, plan: Plan, lines: string[]) {
  const user = requireProfile(ctx);
  const promo = await selectedPromo(ctx.deps.db, user.id);
  if (!promo) return undefined;
  const quote = (amountMinor: bigint, currency: string) =>
    quotePromo(ctx.deps.db, { userId: user.id, code: promo.code, planId: plan.id, amountMinor, currency });
  const fiat = await quote(plan.priceMinor, plan.currency);
  const stars = plan.priceStars !== null ? await quote(BigInt(plan.priceStars), STARS_CURRENCY) : undefined;
  if ('refused' in fiat && (!stars || 'refused' in stars)) {
    lines.push(ctx.t('plan-promo-not-applied', { code: promo.code }));
    return undefined;
  }
  const priceMinor = 'refused' in fiat ? plan.priceMinor : fiat.chargedMinor;
  const priceStars = stars && !('refused' in stars) ? Number(stars.chargedMinor) : plan.priceStars;
  lines.push(
    ctx.t('plan-promo-applied', {
      code: promo.code,
      price: formatMoney(priceMinor, plan.currency),
      stars: priceStars ?? '—',
    }),
  );
  return { priceMinor, priceStars };
}

/** NOWPayments: the user picks the coin before the address is made. */
async function chooseCoin(ctx: BotContext, planId: string): Promise<void> {
  const plan = await activePlan(ctx.deps.db, planId);
  if (!plan) return planUnavailable(ctx);
  if (!railsFor(ctx.deps.config, plan).includes('nowpayments')) return railUnavailable(ctx);
  await ctx.answerCallbackQuery();
  await ctx.reply(
    ctx.t('plan-choose-coin', { title: plan.title, price: formatMoney(plan.priceMinor, plan.currency) }),
    {
      reply_markup: coinsKeyboard(ctx.t, plan.id, ctx.deps.config.nowpayments.coins),
    },
  );
}

async function railUnavailable(ctx: BotContext): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: ctx.t('rail-unavailable'), show_alert: true });
  else await ctx.reply(ctx.t('rail-unavailable'));
}

/**
 * An invoice that was already open when the user asked again: the workflow sends its invoice message
 * only once, so the alert points at it (Stars) or the address or link is shown again. False when it
 * has nothing to show yet (still being created): the caller says "creating".
 */
export async function showOpenInvoice(
  ctx: BotContext,
  invoice: typeof invoices.$inferSelect,
  subject: 'plan' | 'order',
): Promise<boolean> {
  if (invoice.provider === 'stars') {
    // The invoice message the rail sent is still in the chat, with its Pay button.
    await ctx.answerCallbackQuery({
      text: ctx.t(subject === 'plan' ? 'invoice-stars-still-open' : 'buy-stars-still-open'),
      show_alert: true,
    });
    return true;
  }
  if (invoice.payAddress) {
    const address = invoice.payAddress;
    await ctx.answerCallbackQuery({
      text: ctx.t(subject === 'plan' ? 'invoice-already-open' : 'buy-invoice-already-open'),
    });
    await ctx.reply(
      ctx.t('invoice-address-still-open', {
        coinAmount: address.amount,
        coin: address.coin.toUpperCase(),
        address: address.address,
        memo: address.memo ?? '',
        hasMemo: address.memo ? 'yes' : 'no',
        expiresAt: invoice.expiresAt ? formatMoment(invoice.expiresAt.getTime()) : '—',
      }),
      {
        reply_markup: new InlineKeyboard().text(
          ctx.t('invoice-check-button'),
          invoiceCheckData.pack({ invoiceId: invoice.id }),
        ),
      },
    );
    return true;
  }
  if (invoice.payUrl) {
    await ctx.answerCallbackQuery({
      text: ctx.t(subject === 'plan' ? 'invoice-already-open' : 'buy-invoice-already-open'),
    });
    await ctx.reply(
      ctx.t('invoice-still-open', {
        amount: formatMoney(invoice.amountMinor, invoice.currency),
        expiresAt: invoice.expiresAt ? formatMoment(invoice.expiresAt.getTime()) : '—',
      }),
      { reply_markup: new InlineKeyboard().url(ctx.t('invoice-pay-button'), invoice.payUrl) },
    );
    return true;
  }
  return false;
}

/**
 * Pay and Renew. The command is idempotent (one open invoice per user and plan), so pressing twice
 * never makes two. When an invoice was already open, its link is shown again, since the workflow
 * sends its invoice message only once.
 */
async function openInvoice(
  ctx: BotContext,
  planId: string,
  rail: Rail = 'cryptocloud',
  payCurrency?: string,
): Promise<void> {
  const { db, commands, logger } = ctx.deps;
  const user = requireProfile(ctx);
  const plan = await activePlan(db, planId);
  if (!plan) return planUnavailable(ctx);
  const [alreadyOpen] = await db
    .select()
    .from(invoices)
    .where(
      and(
        eq(invoices.userId, user.id),
        eq(invoices.planId, planId),
        inArray(invoices.status, [...OPEN_INVOICE_STATES]),
      ),
    );
  let invoiceId: string;
  try {
    ({ invoiceId } = await commands.openInvoice({ userId: user.id, planId, rail, payCurrency }));
  } catch (error) {
    if (error instanceof UnknownPlanError) return planUnavailable(ctx);
    if (error instanceof RailUnavailableError) return railUnavailable(ctx);
    if (error instanceof InvoiceInProgressError) {
      await ctx.answerCallbackQuery({ text: ctx.t('invoice-in-progress'), show_alert: true });
      return;
    }
    if (error instanceof UnsupportedCurrencyError) {
      logger.warn({ planId, err: error.message }, 'plan priced in a currency the gateway does not settle');
      return planUnavailable(ctx);
    }
    throw error;
  }
  logger.info({ userId: user.id, planId, invoiceId, reused: alreadyOpen?.id === invoiceId }, 'invoice requested');
  if (alreadyOpen?.id === invoiceId && (await showOpenInvoice(ctx, alreadyOpen, 'plan'))) return;
  await ctx.answerCallbackQuery({ text: ctx.t('invoice-creating') });
}

export const plansFeature = new Composer<BotContext>();
const chat = plansFeature.chatType('private');

chat.command('plans', (ctx) => replyWithPlans(ctx));
chat.callbackQuery(plansListData.pattern, async (ctx) => {
  await ctx.answerCallbackQuery();
  await replyWithPlans(ctx);
});
chat.callbackQuery(planData.pattern, (ctx) => showPlan(ctx, planData.unpack(ctx.callbackQuery.data)!.planId));
chat.callbackQuery(payData.pattern, (ctx) => openInvoice(ctx, payData.unpack(ctx.callbackQuery.data)!.planId));
chat.callbackQuery(payRailData.pattern, (ctx) => {
  const { rail, planId } = payRailData.unpack(ctx.callbackQuery.data)!;
  if (rail === 'nowpayments') return chooseCoin(ctx, planId);
  if (rail === 'stars') return openInvoice(ctx, planId, 'stars');
  return railUnavailable(ctx);
});
chat.callbackQuery(payCoinData.pattern, (ctx) => {
  const { coin, planId } = payCoinData.unpack(ctx.callbackQuery.data)!;
  return openInvoice(ctx, planId, 'nowpayments', coin);
});
chat.callbackQuery(renewData.pattern, (ctx) => openInvoice(ctx, renewData.unpack(ctx.callbackQuery.data)!.planId));
