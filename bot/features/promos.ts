/**
 * Promo codes in the bot.
 *
 * Admins (ADMIN_IDS): `/promo_new`, `/promos`, `/promo_disable`. Each change writes its `audit_log` row
 * (actor 'admin') in the same transaction (infrastructure/catalog/promos.ts); each refused one is
 * audited with the arguments given, like the other admin commands. Anyone else falls through to the
 * unknown-command reply.
 *
 * Users: `/promo CODE`, the deep link `t.me/<bot>?start=promo_CODE` (start.ts) and the "Promo code"
 * button check the code now (exists, enabled, in its window, not used up, within the user's cap;
 * nothing is counted) and remember it in `promo_selections` for the user's next invoice, answering
 * what it takes off each plan on sale. `/promo` alone shows the remembered code with a button to
 * remove it. The invoice workflow redeems the code (activities/promos.ts), counted there.
 *
 * The button asks with a force-reply prompt. The answer is recognised as a reply to that prompt
 * (stateless, so it works whichever bot process gets the update), or as the user's next text in this
 * process within PROMPT_TTL_MS (a client that sent it without the reply).
 */
import { Composer } from 'grammy';
import { formatMoney } from '../../domain/money';
import {
  discountFor,
  normalizePromoCode,
  parsePromoDraft,
  percentText,
  promoStatus,
  PromoInputError,
  type PromoRefusal,
  type PromoRule,
} from '../../domain/promo';
import { CatalogError, type Actor } from '../../infrastructure/catalog/plans';
import {
  auditPromoRefusal,
  checkPromo,
  clearPromoSelection,
  createPromo,
  disablePromo,
  listPromos,
  selectedPromo,
  selectPromo,
} from '../../infrastructure/catalog/promos';
import type { BotContext } from '../context';
import { createI18n, formatMoment, LOCALES } from '../i18n';
import { promoClearData, promoEnterData } from '../keyboards/callback-data';
import { promoEnterKeyboard, promoSelectedKeyboard } from '../keyboards/promos';
import { isAdmin } from './admin';
import { activePlans } from './plans';
import { requireProfile } from './profile';

/** For the plan screen: the user's entered code and the price they will be charged with it. */
export { quotePromo, selectedPromo, type PromoQuoteInput } from '../../infrastructure/catalog/promos';
export { promoEnterKeyboard } from '../keyboards/promos';
export { promoEnterData } from '../keyboards/callback-data';

export const PROMPT_TTL_MS = 10 * 60_000;
/** Telegram deep-link payloads are [A-Za-z0-9_-]{1,64}: `promo_` and the code fit. */
export const PROMO_PAYLOAD = /^promo_([A-Za-z0-9_-]{1,40})$/;
/** Messages are cut into parts below Telegram's 4096 characters. */
const MESSAGE_BUDGET = 3500;

type Translate = BotContext['t'];

// ---- How a code reads ----

export function discountText(t: Translate, promo: PromoRule): string {
  return promo.kind === 'percent'
    ? t('promo-percent', { percent: percentText(promo.percentBps ?? 0) })
    : formatMoney(promo.amountMinor ?? 0n, promo.currency ?? '');
}

function scopeText(t: Translate, promo: PromoRule): string {
  return promo.scope === 'all'
    ? t('promo-scope-all')
    : t(`promo-scope-${promo.scope}`, { ids: promo.scopeIds.join(', ') });
}

function windowText(t: Translate, promo: PromoRule): string {
  const from = promo.startsAt ? formatMoment(promo.startsAt.getTime()) : undefined;
  const until = promo.endsAt ? formatMoment(promo.endsAt.getTime()) : undefined;
  if (from && until) return t('promo-window-between', { from, until });
  if (from) return t('promo-window-from', { from });
  if (until) return t('promo-window-until', { until });
  return t('promo-window-always');
}

/** The user-facing reason a code cannot be used, in their language. */
export function promoRefusalText(t: Translate, reason: PromoRefusal, code: string, promo?: PromoRule): string {
  return t(`promo-refused-${reason}`, {
    code,
    from: promo?.startsAt ? formatMoment(promo.startsAt.getTime()) : '—',
    currency: promo?.currency ?? '—',
  });
}

// ---- Users ----

/** The code and what it takes off each plan on sale now. */
async function offerText(ctx: BotContext, intro: string, promo: PromoRule): Promise<string> {
  const t = ctx.t;
  const lines = [t(intro, { code: promo.code, discount: discountText(t, promo), scope: scopeText(t, promo) })];
  if (promo.endsAt) lines.push(t('promo-ends', { until: formatMoment(promo.endsAt.getTime()) }));
  const now = new Date();
  const prices: string[] = [];
  for (const plan of await activePlans(ctx.deps.db)) {
    const quote = discountFor(promo, { amountMinor: plan.priceMinor, currency: plan.currency, planId: plan.id, now });
    if ('refused' in quote) continue;
    prices.push(
      t('promo-plan-price', {
        plan: plan.title,
        price: formatMoney(plan.priceMinor, plan.currency),
        charged: formatMoney(quote.chargedMinor, plan.currency),
      }),
    );
  }
  lines.push(prices.length > 0 ? [t('promo-prices'), ...prices].join('\n') : t('promo-no-plan-applies'));
  return lines.join('\n\n');
}

/** Checks a code the user typed and remembers it for their next invoice; true when it was saved. */
async function enterCode(ctx: BotContext, text: string, via: 'command' | 'link' | 'button'): Promise<boolean> {
  const { db, logger } = ctx.deps;
  const user = requireProfile(ctx);
  const checked = await checkPromo(db, user.id, text);
  if (checked.refused !== undefined) {
    logger.info({ userId: user.id, via, refused: checked.refused }, 'promo code refused');
    const code = checked.promo?.code ?? normalizePromoCode(text) ?? text.trim().slice(0, 40);
    await ctx.reply(promoRefusalText(ctx.t, checked.refused, code, checked.promo), {
      reply_markup: promoEnterKeyboard(ctx.t),
    });
    return false;
  }
  await selectPromo(db, user.id, checked.promo.code);
  logger.info({ userId: user.id, via, code: checked.promo.code }, 'promo code entered');
  await ctx.reply(await offerText(ctx, 'promo-saved', checked.promo), {
    reply_markup: promoSelectedKeyboard(ctx.t),
  });
  return true;
}

/**
 * `/start promo_CODE`: checks and remembers the code (before the terms, like a referral link).
 * False when the payload is not a promo link.
 */
export async function enterPromoFromLink(ctx: BotContext, payload: string): Promise<boolean> {
  const code = PROMO_PAYLOAD.exec(payload)?.[1];
  if (code === undefined) return false;
  await enterCode(ctx, code, 'link');
  return true;
}

async function showEntered(ctx: BotContext): Promise<void> {
  const { db } = ctx.deps;
  const user = requireProfile(ctx);
  const selection = await selectedPromo(db, user.id);
  if (!selection) {
    await ctx.reply(ctx.t('promo-none'), { reply_markup: promoEnterKeyboard(ctx.t) });
    return;
  }
  const checked = await checkPromo(db, user.id, selection.code);
  const text =
    checked.refused === undefined
      ? await offerText(ctx, 'promo-current', checked.promo)
      : `${ctx.t('promo-current-unusable', { code: selection.code })}\n${promoRefusalText(ctx.t, checked.refused, selection.code, checked.promo)}`;
  await ctx.reply(text, { reply_markup: promoSelectedKeyboard(ctx.t) });
}

/** Users who pressed the button in this process, and when. */
const prompted = new Map<number, number>();
let promptTexts: Set<string> | undefined;

function wasPrompted(userId: number): boolean {
  const at = prompted.get(userId);
  if (at === undefined) return false;
  prompted.delete(userId);
  return Date.now() - at <= PROMPT_TTL_MS;
}

/** The prompt in every language, to recognise a reply to it from any process. */
function isPromptText(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (!promptTexts) {
    const i18n = createI18n();
    promptTexts = new Set(LOCALES.map((locale) => i18n.t(locale, 'promo-ask')));
  }
  return promptTexts.has(text);
}

export const promos = new Composer<BotContext>();
const chat = promos.chatType('private');

chat.command('promo', async (ctx) => {
  const text = ctx.match.trim();
  if (!text) return showEntered(ctx);
  await enterCode(ctx, text, 'command');
});

chat.callbackQuery(promoEnterData.pattern, async (ctx) => {
  prompted.set(ctx.from.id, Date.now());
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t('promo-ask'), { reply_markup: { force_reply: true, input_field_placeholder: 'PROMO2026' } });
});

chat.callbackQuery(promoClearData.pattern, async (ctx) => {
  const had = await clearPromoSelection(ctx.deps.db, ctx.from.id);
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t(had ? 'promo-cleared' : 'promo-nothing-to-clear'));
});

chat.on('message:text', async (ctx, next) => {
  const { text, reply_to_message: repliedTo } = ctx.message;
  if (text.startsWith('/')) return next();
  const answersPrompt = repliedTo?.from?.id === ctx.me.id && isPromptText(repliedTo.text);
  // Either way the prompt is used up: one answer per press.
  if (!wasPrompted(ctx.from.id) && !answersPrompt) return next();
  await enterCode(ctx, text, 'button');
});

// ---- Admins ----

interface Done {
  reply: string[];
  target?: string;
}

export const promosAdmin = new Composer<BotContext>();
const admin = promosAdmin.chatType('private').filter(isAdmin);

/**
 * An admin command: a refusal (malformed arguments, an existing code, an unknown plan or code) is
 * audited and answered with its reason (and the usage for malformed arguments); successful changes
 * are audited by the catalog functions in their own transaction.
 */
function promoCommand(
  command: string,
  action: string,
  usageKey: string,
  run: (ctx: BotContext, args: string[], who: Actor) => Promise<Done>,
): void {
  admin.command(command, async (ctx) => {
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    const who: Actor = { actor: 'admin', actorId: ctx.from.id };
    let done: Done;
    try {
      done = await run(ctx, args, who);
    } catch (error) {
      if (!(error instanceof PromoInputError || error instanceof CatalogError)) throw error;
      await auditPromoRefusal(ctx.deps.db, who, action, args[0] ?? '', error, { args: ctx.match.trim().slice(0, 200) });
      const usage = ctx.t(usageKey);
      const reason = error.key === 'usage' ? undefined : ctx.t(error.key, error.vars);
      await ctx.reply(
        reason === undefined ? usage : error instanceof PromoInputError ? `${reason}\n\n${usage}` : reason,
      );
      return;
    }
    if (done.target) ctx.deps.logger.info({ adminId: ctx.from.id, action, target: done.target }, 'admin action');
    for (const part of done.reply) await ctx.reply(part, { link_preview_options: { is_disabled: true } });
  });
}

const usage = () => new PromoInputError('usage', {}, 'usage');

function capText(t: Translate, max: number | null): string {
  return max === null ? t('promo-admin-unlimited') : String(max);
}

/** Lines joined into as few messages as fit. */
function parts(header: string, lines: string[]): string[] {
  const out: string[] = [];
  let current = header;
  for (const line of lines) {
    if (current.length + line.length + 2 > MESSAGE_BUDGET) {
      out.push(current);
      current = line;
    } else {
      current = `${current}\n\n${line}`;
    }
  }
  out.push(current);
  return out;
}

promoCommand('promo_new', 'promo.create', 'admin-usage-promo-new', async (ctx, args, who) => {
  const draft = parsePromoDraft(args, new Date());
  const promo = await createPromo(ctx.deps.db, who, draft);
  const t = ctx.t;
  return {
    target: promo.code,
    reply: [
      t('promo-admin-created', {
        code: promo.code,
        discount: discountText(t, promo),
        scope: scopeText(t, promo),
        max: capText(t, promo.maxRedemptions),
        perUser: String(promo.maxPerUser),
        window: windowText(t, promo),
        link: `https://t.me/${ctx.me.username}?start=promo_${promo.code}`,
      }),
    ],
  };
});

promoCommand('promos', 'promo.list', 'admin-usage-promos', async (ctx, args) => {
  if (args.length > 0) throw usage();
  const list = await listPromos(ctx.deps.db);
  const t = ctx.t;
  if (list.length === 0) return { reply: [t('promo-admin-list-empty')] };
  const now = new Date();
  const lines = list.map((promo) =>
    t('promo-admin-line', {
      code: promo.code,
      discount: discountText(t, promo),
      status: t(`promo-status-${promoStatus(promo, now)}`),
      redeemed: String(promo.redeemedCount),
      max: capText(t, promo.maxRedemptions),
      used: String(promo.usedCount),
      perUser: String(promo.maxPerUser),
      window: windowText(t, promo),
      scope: scopeText(t, promo),
    }),
  );
  return { reply: parts(t('promo-admin-list'), lines) };
});

promoCommand('promo_disable', 'promo.disable', 'admin-usage-promo-disable', async (ctx, args, who) => {
  if (args.length !== 1) throw usage();
  const { promo, changed } = await disablePromo(ctx.deps.db, who, args[0]!);
  return {
    target: changed ? promo.code : undefined,
    reply: [ctx.t(changed ? 'promo-admin-disabled' : 'promo-admin-already-disabled', { code: promo.code })],
  };
});
