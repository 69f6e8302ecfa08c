/**
 * Admin resolutions of money an invoice could not settle (`resolution:<invoiceId>`), for ADMIN_IDS
 * only: the buttons on the workflow's alert (Accept as paid, Credit → extend days / keep as balance,
 * Refund, Write off → asks for the reason, Refund paid → asks for the transaction hash) and the
 * commands `/resolve <invoiceId> accept | credit <days> | balance | refund | writeoff <reason>`,
 * `/refundpaid <invoiceId> <txhash>`, `/unresolved`.
 *
 * Every decision is the workflow's `resolve` Update: of two admins acting at once one decides, the
 * other is told what was decided; every admin's alert is edited to show the decision. Successful
 * decisions are audited by the workflow (with the money movement); refusals here.
 */
import { Composer, InlineKeyboard } from 'grammy';
import { fromMinor } from '../../domain/money';
import { actionsFor, parseAction, type ResolutionAction, type ResolutionActor } from '../../domain/resolution';
import { auditLog } from '../../infrastructure/db/schema';
import { ResolutionRefusedError, UnknownResolutionError } from '../../infrastructure/temporal/resolution-commands';
import { resolutionCallbacks, type ResolutionOutcome, type ResolutionView } from '../../workflows/resolution';
import type { BotContext } from '../context';
import {
  resolutionAcceptData,
  resolutionBalanceData,
  resolutionCreditData,
  resolutionExtendData,
  resolutionMenuData,
  resolutionRefundData,
  resolutionRefundPaidData,
  resolutionWriteoffData,
} from '../keyboards/callback-data';
import { isAdmin } from './admin';

const INVOICE_ID = /^[\w-]{1,48}$/;
/** The marker at the end of a reason / hash prompt, in every language: `[writeoff:<invoiceId>]`. */
const PROMPT_MARKER = /\[(writeoff|refundpaid):([\w-]{1,48})\]\s*$/;

export const resolutions = new Composer<BotContext>();
const chat = resolutions.chatType('private').filter(isAdmin);

const actor = (ctx: BotContext): ResolutionActor => ({ actor: 'admin', id: ctx.from!.id });
const actionName = (action: ResolutionAction) =>
  action.type === 'credit' ? `credit-${action.mode}` : action.type === 'refundPaid' ? 'refund-paid' : action.type;

function outcomeVars(view: ResolutionView, outcome: ResolutionOutcome) {
  return {
    invoiceId: view.invoiceId,
    amount: fromMinor(BigInt(outcome.amountMinor), view.currency),
    currency: view.currency,
    action: actionName(outcome.action),
    days: outcome.action.type === 'credit' && outcome.action.mode === 'extend' ? String(outcome.action.days) : '',
    reason: outcome.action.type === 'writeoff' ? outcome.action.reason : '',
    txHash: outcome.refundPaid?.txHash ?? 'none',
    by: outcome.by.actor === 'admin' ? `admin ${outcome.by.id ?? '?'}` : 'ops',
  };
}

class Refused extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string> = {},
  ) {
    super(key);
    this.name = 'Refused';
  }
}

/** What a decision came to, for the admin who asked. */
interface Answer {
  text: string;
  applied: boolean;
}

async function audit(ctx: BotContext, action: string, invoiceId: string, details: Record<string, unknown>) {
  await ctx.deps.db
    .insert(auditLog)
    .values({ actor: 'admin', actorId: ctx.from!.id, action, target: invoiceId.slice(0, 100), details });
}

/** Sends the decision; refusals and "already decided" are audited here, decisions by the workflow. */
async function decide(ctx: BotContext, invoiceId: string, action: ResolutionAction, via: string): Promise<Answer> {
  const auditAction = `resolution.${actionName(action)}`;
  try {
    if (!INVOICE_ID.test(invoiceId)) throw new UnknownResolutionError(invoiceId);
    const result = await ctx.deps.commands.resolve(invoiceId, action, actor(ctx));
    const { view } = result;
    const outcome = view.outcome;
    if (!outcome) {
      await audit(ctx, auditAction, invoiceId, { refused: 'nothing-held', via });
      return { applied: false, text: ctx.t('admin-resolution-nothing', { invoiceId }) };
    }
    if (result.applied) {
      ctx.deps.logger.info({ adminId: ctx.from!.id, action: auditAction, invoiceId }, 'admin action');
      const vars = outcomeVars(view, outcome);
      return {
        applied: true,
        text: ctx.t('admin-resolution-done', { ...vars, action: actionName(action) }),
      };
    }
    await audit(ctx, auditAction, invoiceId, { refused: 'already-decided', via, decided: actionName(outcome.action) });
    return { applied: false, text: ctx.t('admin-resolution-already', outcomeVars(view, outcome)) };
  } catch (error) {
    if (error instanceof UnknownResolutionError) {
      await audit(ctx, auditAction, invoiceId, { refused: 'unknown', via });
      throw new Refused('admin-resolution-unknown', { invoiceId: invoiceId.slice(0, 48) });
    }
    if (error instanceof ResolutionRefusedError) {
      await audit(ctx, auditAction, invoiceId, { refused: error.reason, via });
      throw new Refused('admin-resolution-refused', { invoiceId, reason: error.reason });
    }
    throw error;
  }
}

// ---- Commands ----

function command(name: string, usageKey: string, run: (ctx: BotContext, args: string[]) => Promise<string>): void {
  chat.command(name, async (ctx) => {
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    let reply: string;
    try {
      reply = await run(ctx, args);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      reply = error.key === 'usage' ? ctx.t(usageKey) : ctx.t(error.key, error.vars);
    }
    await ctx.reply(reply, { link_preview_options: { is_disabled: true } });
  });
}

command('resolve', 'admin-usage-resolve', async (ctx, args) => {
  const [invoiceId, ...words] = args;
  if (!invoiceId || words.length === 0) throw new Refused('usage');
  const action = parseAction(words);
  if (typeof action === 'string') {
    await audit(ctx, 'resolution.resolve', invoiceId, { refused: action, args: args.join(' ').slice(0, 200) });
    return `${ctx.t('admin-resolution-refused', { invoiceId: invoiceId.slice(0, 48), reason: action })}\n\n${ctx.t('admin-usage-resolve')}`;
  }
  return (await decide(ctx, invoiceId, action, 'command')).text;
});

command('refundpaid', 'admin-usage-refundpaid', async (ctx, args) => {
  if (args.length !== 2) throw new Refused('usage');
  return (await decide(ctx, args[0]!, { type: 'refundPaid', txHash: args[1]! }, 'command')).text;
});

command('unresolved', 'admin-usage-unresolved', async (ctx, args) => {
  if (args.length > 0) throw new Refused('usage');
  const open = await ctx.deps.commands.unresolved(50);
  if (open.length === 0) return ctx.t('admin-resolution-list-empty');
  const lines = open.map(
    (v) =>
      `${v.invoiceId}: ${fromMinor(BigInt(v.heldMinor), v.currency)} ${v.currency} ${v.kinds.join('+')}, user ${v.userId}, ${v.status}`,
  );
  return ctx.t('admin-resolution-list', { count: String(open.length), lines: lines.join('\n') });
});

// ---- Buttons on the alert ----

/** The alert's buttons for a case still open (the workflow sends the same). */
function mainKeyboard(ctx: BotContext, view: ResolutionView): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const type of actionsFor(view.kinds))
    keyboard.text(ctx.t(`resolution-${type}-button`), resolutionCallbacks[type](view.invoiceId)).row();
  return keyboard;
}

/**
 * Answers the press. The alert itself (every admin's copy) is edited by the workflow when a decision
 * is made, before the Update answers, so the loser of a race finds it already showing the decision.
 */
async function showOnAlert(ctx: BotContext, answer: Answer): Promise<void> {
  await ctx.answerCallbackQuery({ text: answer.text.slice(0, 200), show_alert: !answer.applied });
}

async function pressed(ctx: BotContext, invoiceId: string, action: ResolutionAction): Promise<void> {
  let answer: Answer;
  try {
    answer = await decide(ctx, invoiceId, action, 'button');
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars).slice(0, 200), show_alert: true });
    return;
  }
  await showOnAlert(ctx, answer);
}

chat.callbackQuery(resolutionAcceptData.pattern, (ctx) =>
  pressed(ctx, resolutionAcceptData.unpack(ctx.callbackQuery.data)!.invoiceId, { type: 'accept' }),
);
chat.callbackQuery(resolutionRefundData.pattern, (ctx) =>
  pressed(ctx, resolutionRefundData.unpack(ctx.callbackQuery.data)!.invoiceId, { type: 'refund' }),
);
chat.callbackQuery(resolutionBalanceData.pattern, (ctx) =>
  pressed(ctx, resolutionBalanceData.unpack(ctx.callbackQuery.data)!.invoiceId, { type: 'credit', mode: 'balance' }),
);
chat.callbackQuery(resolutionExtendData.pattern, (ctx) => {
  const { days, invoiceId } = resolutionExtendData.unpack(ctx.callbackQuery.data)!;
  return pressed(ctx, invoiceId, { type: 'credit', mode: 'extend', days: Number(days) });
});

/** Credit: the choice of how, on the same message (the plan's worth in days, 30 days, or a balance). */
chat.callbackQuery(resolutionCreditData.pattern, async (ctx) => {
  const { invoiceId } = resolutionCreditData.unpack(ctx.callbackQuery.data)!;
  const view = await ctx.deps.commands.resolutionState(invoiceId);
  if (!view) {
    await ctx.answerCallbackQuery({ text: ctx.t('admin-resolution-unknown', { invoiceId }), show_alert: true });
    return;
  }
  if (view.status !== 'open') {
    const text = view.outcome
      ? ctx.t('admin-resolution-already', outcomeVars(view, view.outcome))
      : ctx.t('admin-resolution-nothing', { invoiceId });
    await showOnAlert(ctx, { applied: false, text });
    return;
  }
  const keyboard = new InlineKeyboard();
  for (const days of [...new Set([view.suggestedDays, 30])])
    keyboard
      .text(
        ctx.t('resolution-extend-button', { days: String(days) }),
        resolutionExtendData.pack({ days: String(days), invoiceId }),
      )
      .row();
  keyboard.text(ctx.t('resolution-balance-button'), resolutionBalanceData.pack({ invoiceId })).row();
  keyboard.text(ctx.t('resolution-back-button'), resolutionMenuData.pack({ invoiceId }));
  await ctx.answerCallbackQuery();
  await ctx.editMessageReplyMarkup({ reply_markup: keyboard });
});

chat.callbackQuery(resolutionMenuData.pattern, async (ctx) => {
  const { invoiceId } = resolutionMenuData.unpack(ctx.callbackQuery.data)!;
  const view = await ctx.deps.commands.resolutionState(invoiceId);
  await ctx.answerCallbackQuery();
  if (view?.status === 'open') await ctx.editMessageReplyMarkup({ reply_markup: mainKeyboard(ctx, view) });
});

/** Write off and Refund paid need text: a prompt the admin answers by replying to it. */
async function prompt(ctx: BotContext, key: string, invoiceId: string): Promise<void> {
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t(key, { invoiceId }), {
    reply_markup: { force_reply: true, input_field_placeholder: invoiceId },
  });
}
chat.callbackQuery(resolutionWriteoffData.pattern, (ctx) =>
  prompt(ctx, 'admin-resolution-writeoff-prompt', resolutionWriteoffData.unpack(ctx.callbackQuery.data)!.invoiceId),
);
chat.callbackQuery(resolutionRefundPaidData.pattern, (ctx) =>
  prompt(ctx, 'admin-resolution-txhash-prompt', resolutionRefundPaidData.unpack(ctx.callbackQuery.data)!.invoiceId),
);

chat.on('message:text', async (ctx, next) => {
  const replied = ctx.message.reply_to_message;
  const match = replied?.from?.id === ctx.me.id ? PROMPT_MARKER.exec(replied.text ?? '') : null;
  if (!match || ctx.message.text.startsWith('/')) return next();
  const [, kind, invoiceId] = match as unknown as [string, 'writeoff' | 'refundpaid', string];
  const text = ctx.message.text.trim();
  const action: ResolutionAction =
    kind === 'writeoff' ? { type: 'writeoff', reason: text.slice(0, 500) } : { type: 'refundPaid', txHash: text };
  let reply: string;
  try {
    reply = (await decide(ctx, invoiceId, action, 'reply')).text;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    reply = ctx.t(error.key, error.vars);
  }
  await ctx.reply(reply, { link_preview_options: { is_disabled: true } });
});
