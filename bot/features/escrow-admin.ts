/**
 * The escrow for admins (ADMIN_IDS only; anyone else falls through to the unknown-command reply):
 *   /escrow: the sales releasing soonest (release time, seller's amount, seller) and the open
 *     disputes with their buttons, from the DB and the ledger (never a Temporal query per sale);
 *   /refund_order <orderId>: inside the hold a refund (Stars on the rail), after it a clawback
 *     from the seller's available balance;
 *   /resolve_dispute <orderId> refund | release | split [share]: a share is an amount in the sale's
 *     currency or a percentage (default: half the price);
 *   the buttons on dispute alerts and /escrow: Refund buyer, Release to seller, Split (50/50, or a
 *     share given by replying to the prompt).
 * Refunds and decisions are the escrow's Updates: of two admins pressing at once one decides, and
 * both are told what was decided and by whom. Every action, and every refusal, is audited.
 */
import { Composer, InlineKeyboard } from 'grammy';
import {
  decidedBy,
  decisionRefusal,
  halfShare,
  parseBuyerShare,
  type DisputeDecision,
  type DisputeDecisionType,
} from '../../domain/dispute';
import { salePrice } from '../../domain/escrow';
import { ORDER_ID } from '../../domain/order';
import { STARS_CURRENCY } from '../../domain/rail';
import { DisputeDecisionError, type OrderRefundOutcome } from '../../infrastructure/temporal/escrow-commands';
import { UnknownOrderError } from '../../infrastructure/temporal/order-commands';
import type { EscrowView } from '../../workflows/escrow';
import type { BotContext } from '../context';
import { formatMoment } from '../i18n';
import { disputeDecideData } from '../keyboards/callback-data';
import { audit, isAdmin } from './admin';

export const ESCROW_LIST_LENGTH = 10;
/** The marker at the end of the split prompt, in every language: `[split:<orderId>]`. */
const SPLIT_MARKER = /\[split:([\w-]{16})\]\s*$/;

export const escrowAdmin = new Composer<BotContext>();
const chat = escrowAdmin.chatType('private').filter(isAdmin);

class Refused extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string> = {},
  ) {
    super(key);
    this.name = 'Refused';
  }
}

function command(
  name: string,
  action: string,
  usageKey: string,
  run: (ctx: BotContext, args: string[], adminId: number) => Promise<{ reply: string; keyboard?: InlineKeyboard }>,
): void {
  chat.command(name, async (ctx) => {
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    let answer: { reply: string; keyboard?: InlineKeyboard };
    try {
      answer = await run(ctx, args, ctx.from.id);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      await audit(ctx.deps.db, ctx.from.id, action, args[0], {
        refused: error.key,
        args: args.join(' ').slice(0, 200),
      });
      const text = error.key === 'usage' ? ctx.t(usageKey) : ctx.t(error.key, error.vars);
      await ctx.reply(text);
      return;
    }
    await ctx.reply(answer.reply, {
      link_preview_options: { is_disabled: true },
      ...(answer.keyboard ? { reply_markup: answer.keyboard } : {}),
    });
  });
}

function orderIdOf(text: string | undefined): string {
  if (text === undefined) throw new Refused('usage');
  if (!ORDER_ID.test(text)) throw new Refused('admin-order-unknown', { orderId: text.slice(0, 40) });
  return text;
}

// ---- Refunds ----

function refundReply(ctx: BotContext, result: OrderRefundOutcome): string {
  const { orderId } = result;
  switch (result.outcome) {
    case 'refunded':
    case 'already-refunded': {
      const escrow = result.escrow;
      const amount = salePrice(BigInt(escrow.priceMinor ?? '0'), escrow.currency);
      return ctx.t(result.outcome === 'refunded' ? 'admin-order-refunded' : 'admin-order-already-refunded', {
        orderId,
        amount,
        by: decidedBy(result.by),
      });
    }
    case 'clawed-back':
    case 'already-clawed-back': {
      const { clawback } = result;
      const amount = salePrice(BigInt(clawback.amountMinor ?? '0'), clawback.currency);
      return ctx.t(result.outcome === 'clawed-back' ? 'admin-order-clawed-back' : 'admin-order-already-clawed-back', {
        orderId,
        amount,
        by: decidedBy(result.by),
      });
    }
    case 'refused':
      return ctx.t(`admin-order-refund-refused-${result.reason}`, { orderId });
  }
}

command('refund_order', 'order.refund', 'admin-usage-refund-order', async (ctx, args, adminId) => {
  if (args.length !== 1) throw new Refused('usage');
  const orderId = orderIdOf(args[0]);
  let result: OrderRefundOutcome;
  try {
    result = await ctx.deps.commands.refundOrder(orderId, String(adminId));
  } catch (error) {
    if (error instanceof UnknownOrderError) throw new Refused('admin-order-unknown', { orderId });
    throw error;
  }
  await audit(ctx.deps.db, adminId, 'order.refund', orderId, {
    outcome: result.outcome,
    ...(result.outcome === 'refused' ? { refused: result.reason } : { by: result.by }),
  });
  ctx.deps.logger.info({ adminId, action: 'order.refund', orderId, outcome: result.outcome }, 'admin action');
  return { reply: refundReply(ctx, result) };
});

// ---- Disputes ----

/** How a decided escrow ended, for the message: from the dispute's outcome, else from the stage. */
function decidedVars(escrow: EscrowView): Record<string, string> {
  const outcome = escrow.dispute?.outcome;
  const type: DisputeDecisionType | 'none' =
    outcome?.type ??
    (escrow.stage === 'refunded'
      ? 'refund'
      : escrow.stage === 'released'
        ? 'release'
        : escrow.stage === 'split'
          ? 'split'
          : 'none');
  return {
    orderId: escrow.orderId,
    outcome: type,
    by: decidedBy(outcome?.by ?? escrow.refundedBy),
    price: salePrice(BigInt(escrow.priceMinor ?? '0'), escrow.currency),
    share: outcome?.buyerShareMinor ? salePrice(BigInt(outcome.buyerShareMinor), escrow.currency) : '',
    released: outcome?.releasedMinor ? salePrice(BigInt(outcome.releasedMinor), escrow.currency) : '',
  };
}

/** Sends the decision and says what came of it: this admin's decision, or the one made before. */
async function decide(
  ctx: BotContext,
  orderId: string,
  decision: DisputeDecision,
  via: string,
): Promise<{ applied: boolean; text: string }> {
  const adminId = ctx.from!.id;
  const action = `dispute.${decision.type}`;
  try {
    const answer = await ctx.deps.commands.resolveDispute(orderId, decision, String(adminId));
    const vars = decidedVars(answer.escrow);
    await audit(ctx.deps.db, adminId, action, orderId, {
      via,
      ...(decision.type === 'split' ? { buyerShareMinor: decision.buyerShareMinor } : {}),
      ...(answer.applied ? {} : { refused: 'already-decided', decided: vars.outcome, decidedBy: vars.by }),
    });
    if (answer.applied) ctx.deps.logger.info({ adminId, action, orderId }, 'admin action');
    return {
      applied: answer.applied,
      text: ctx.t(answer.applied ? 'admin-dispute-resolved' : 'admin-dispute-already', vars),
    };
  } catch (error) {
    if (!(error instanceof DisputeDecisionError)) throw error;
    await audit(ctx.deps.db, adminId, action, orderId, { via, refused: error.reason });
    const key = error.reason === 'no-dispute' ? 'admin-dispute-none' : 'admin-dispute-refused';
    throw new Refused(key, { orderId, reason: error.reason });
  }
}

/** The sale's price and currency, for a split's share (one query of one workflow). */
async function disputedSale(ctx: BotContext, orderId: string): Promise<EscrowView> {
  const escrow = await ctx.deps.commands.escrowState(orderId);
  if (!escrow?.dispute) throw new Refused('admin-dispute-none', { orderId });
  return escrow;
}

function splitOf(escrow: EscrowView, shareText: string | undefined): DisputeDecision {
  const sale = { priceMinor: BigInt(escrow.priceMinor ?? '0'), currency: escrow.currency };
  const share = shareText === undefined ? halfShare(sale.priceMinor) : parseBuyerShare(shareText, sale);
  if (share === undefined) throw new Refused('admin-dispute-bad-share', { given: shareText!.slice(0, 40) });
  const decision: DisputeDecision = { type: 'split', buyerShareMinor: share.toString() };
  const refusal = decisionRefusal(decision, sale);
  if (refusal) throw new Refused('admin-dispute-refused', { orderId: escrow.orderId, reason: refusal });
  return decision;
}

command('resolve_dispute', 'dispute.resolve', 'admin-usage-resolve-dispute', async (ctx, args) => {
  if (args.length < 2 || args.length > 3) throw new Refused('usage');
  const orderId = orderIdOf(args[0]);
  const type = args[1]!.toLowerCase();
  let decision: DisputeDecision;
  if (type === 'refund' || type === 'release') {
    if (args.length !== 2) throw new Refused('usage');
    decision = { type };
  } else if (type === 'split') decision = splitOf(await disputedSale(ctx, orderId), args[2]);
  else throw new Refused('usage');
  return { reply: (await decide(ctx, orderId, decision, 'command')).text };
});

/** A button's decision: answered on the button, and in the chat, so the admin has it in writing. */
async function pressed(ctx: BotContext, orderId: string, decision: () => Promise<DisputeDecision>): Promise<void> {
  let answer: { applied: boolean; text: string };
  try {
    answer = await decide(ctx, orderId, await decision(), 'button');
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars).slice(0, 200), show_alert: true });
    return;
  }
  await ctx.answerCallbackQuery({ text: answer.text.slice(0, 200), show_alert: !answer.applied });
  await ctx.reply(answer.text);
}

chat.callbackQuery(disputeDecideData.pattern, async (ctx) => {
  const { action, orderId } = disputeDecideData.unpack(ctx.callbackQuery.data)!;
  switch (action) {
    case 'refund':
    case 'release':
      return pressed(ctx, orderId, async () => ({ type: action }));
    case 'half':
      return pressed(ctx, orderId, async () => splitOf(await disputedSale(ctx, orderId), undefined));
    case 'split': {
      // The share is asked for; 50/50 is one press away.
      let escrow: EscrowView;
      try {
        escrow = await disputedSale(ctx, orderId);
        if (escrow.currency === STARS_CURRENCY) throw new Refused('admin-dispute-split-stars', { orderId });
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars).slice(0, 200), show_alert: true });
        return;
      }
      const priceMinor = BigInt(escrow.priceMinor ?? '0');
      const half = salePrice(halfShare(priceMinor), escrow.currency);
      await ctx.answerCallbackQuery();
      await ctx.reply(
        `${ctx.t('admin-dispute-split-prompt', { orderId, price: salePrice(priceMinor, escrow.currency), half })}\n[split:${orderId}]`,
        {
          reply_markup: new InlineKeyboard().text(
            ctx.t('admin-dispute-half-button', { half }),
            disputeDecideData.pack({ action: 'half', orderId }),
          ),
        },
      );
      return;
    }
    default:
      await ctx.answerCallbackQuery({ text: ctx.t('button-stale'), show_alert: true });
  }
});

/** The share, as a reply to the split prompt. */
chat.on('message:text', async (ctx, next) => {
  const replied = ctx.message.reply_to_message;
  const match = replied?.from?.id === ctx.me.id ? SPLIT_MARKER.exec(replied.text ?? '') : null;
  if (!match || ctx.message.text.startsWith('/')) return next();
  const orderId = match[1]!;
  let reply: string;
  try {
    reply = (await decide(ctx, orderId, splitOf(await disputedSale(ctx, orderId), ctx.message.text), 'reply')).text;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    reply = ctx.t(error.key, error.vars);
  }
  await ctx.reply(reply);
});

// ---- /escrow ----

command('escrow', 'escrow.view', 'admin-usage-escrow', async (ctx, args) => {
  if (args.length > 0) throw new Refused('usage');
  const { releasing, overdue, disputed } = await ctx.deps.commands.escrowOverview(ESCROW_LIST_LENGTH);
  const lines = [ctx.t('admin-escrow-releasing', { count: String(releasing.length) })];
  if (releasing.length === 0) lines.push(ctx.t('admin-escrow-none-releasing'));
  for (const [index, sale] of releasing.entries())
    lines.push(
      ctx.t('admin-escrow-sale', {
        n: String(index + 1),
        orderId: sale.orderId,
        title: sale.title,
        amount: salePrice(sale.heldMinor, sale.currency),
        shop: sale.shop,
        sellerId: String(sale.sellerId),
        releaseAt: formatMoment(sale.releaseAt.getTime()),
      }),
    );
  if (overdue > 0) lines.push(ctx.t('admin-escrow-overdue', { count: String(overdue) }));
  lines.push('', ctx.t('admin-escrow-disputed', { count: String(disputed.length) }));
  if (disputed.length === 0) lines.push(ctx.t('admin-escrow-none-disputed'));
  const keyboard = new InlineKeyboard();
  for (const [index, dispute] of disputed.entries()) {
    const n = String(index + 1);
    lines.push(
      ctx.t('admin-escrow-dispute', {
        n,
        orderId: dispute.orderId,
        title: dispute.title,
        amount: salePrice(dispute.heldMinor, dispute.currency),
        shop: dispute.shop,
        sellerId: String(dispute.sellerId),
        buyerId: String(dispute.buyerId),
        openedAt: formatMoment(dispute.openedAt.getTime()),
        reason: dispute.reason.slice(0, 200),
      }),
    );
    for (const action of ['refund', 'release', 'split'] as const)
      keyboard.text(
        ctx.t(`admin-escrow-${action}-button`, { n }),
        disputeDecideData.pack({ action, orderId: dispute.orderId }),
      );
    keyboard.row();
  }
  return { reply: lines.join('\n'), ...(disputed.length > 0 ? { keyboard } : {}) };
});
