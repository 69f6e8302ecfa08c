/**
 * Admin commands, for the Telegram ids in ADMIN_IDS only: anyone else falls through to the
 * unknown-command reply, so nothing hints that they exist. Subscription changes are signals to the
 * subscription workflow (never table edits); payout decisions go to the payout workflow; referral
 * partners are configuration rows, changed together with their audit row.
 *
 * Audit (`audit_log`, actor 'admin', actorId = the admin): every successful action and every
 * refused one (malformed arguments, unknown user/plan/payout, a payout decision its state does not
 * allow), with the arguments given. Successful payout decisions are written by the payout workflow
 * itself (activities/payouts.ts `recordPayoutDecision`, with the money movement), not twice here.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { Composer, InlineKeyboard, InputFile } from 'grammy';
import { formatMoney, toMinor } from '../../domain/money';
import { PayoutRequestError, type PayoutStatus } from '../../domain/payout';
import { STATUSES_WITH_ACCESS } from '../../domain/subscription';
import type { Database } from '../../infrastructure/db/client';
import { auditLog, plans, referrers, subscriptions, users } from '../../infrastructure/db/schema';
import { pendingPayouts } from '../../infrastructure/read-models/payouts';
import { PayoutActionError, UnknownPayoutError } from '../../infrastructure/temporal/money-commands';
import type { BotContext } from '../context';
import { payoutApproveData, payoutRejectData } from '../keyboards/callback-data';
import type { CsvFile } from './csv';
import { bpsToPercent, exportReferrers, exportUsers } from './exports';
import { activePlans } from './plans';
import { referralLink } from './referral';

export const MAX_DAYS = 3650;
const USER_ID = /^\d{1,15}$/;
const PERCENT = /^\d{1,3}(?:[.,]\d{1,2})?%?$/;
const PAYOUT_ID = /^[\w-]{1,64}$/;

export function isAdmin(ctx: BotContext): boolean {
  return ctx.from !== undefined && ctx.deps.config.telegram.adminIds.includes(ctx.from.id);
}

type Vars = Record<string, string | number>;

/** Why an admin command did nothing. `usage`: the arguments were malformed, so the usage line follows. */
class Refused extends Error {
  constructor(
    readonly key: string,
    readonly vars: Vars = {},
    readonly usage = true,
  ) {
    super(key);
    this.name = 'Refused';
  }
}

interface Done {
  reply: string;
  /** The audit action when it differs from the command's (the /edit sub-commands). */
  action?: string;
  target?: string;
  details?: Record<string, unknown>;
  /** Already audited elsewhere (payout decisions, by the payout workflow), or nothing to audit (a list). */
  audited?: boolean;
  /** Buttons under the reply. */
  keyboard?: InlineKeyboard;
}

/** One audit_log row of an admin's action (or refusal); other admin features use it too. */
export async function audit(
  db: Pick<Database, 'insert'>,
  adminId: number,
  action: string,
  target: string | undefined,
  details: Record<string, unknown>,
): Promise<void> {
  await db
    .insert(auditLog)
    .values({ actor: 'admin', actorId: adminId, action, target: target?.slice(0, 100) ?? null, details });
}

function parseUserId(text: string | undefined): number {
  if (text === undefined) throw new Refused('usage');
  const id = USER_ID.test(text) ? Number(text) : 0;
  if (id <= 0 || !Number.isSafeInteger(id)) throw new Refused('admin-bad-user-id', { given: text.slice(0, 40) });
  return id;
}

function parseDays(text: string | undefined, min: 0 | 1): number {
  if (text === undefined) throw new Refused('usage');
  const days = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(days >= min && days <= MAX_DAYS))
    throw new Refused('admin-bad-days', { given: text.slice(0, 40), min: String(min), max: String(MAX_DAYS) });
  return days;
}

/** "12.5", "12,5" or "12.5%" → 1250 basis points; above 0 and at most 100 %. */
export function parsePercent(text: string): number | undefined {
  if (!PERCENT.test(text)) return undefined;
  const bps = Number(toMinor(text.replace('%', '').replace(',', '.'), 'USD'));
  return bps > 0 && bps <= 10_000 ? bps : undefined;
}

async function requireUser(db: Database, userId: number) {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user) throw new Refused('admin-unknown-user', { userId: String(userId) }, false);
  return user;
}

/** The plan named, else the first active plan by sort order (as /plans lists them). */
async function resolvePlan(db: Database, planId: string | undefined): Promise<{ id: string; title: string }> {
  if (planId === undefined) {
    const [first] = await activePlans(db);
    if (!first) throw new Refused('admin-no-plan', {}, false);
    return first;
  }
  const [plan] = await db.select({ id: plans.id, title: plans.title }).from(plans).where(eq(plans.id, planId));
  if (plan) return plan;
  const known = (await activePlans(db)).map((p) => p.id).join(', ') || '—';
  throw new Refused('admin-unknown-plan', { planId: planId.slice(0, 40), plans: known });
}

/** Plans for a trial mark: trials are per user, so any plan's entity will do; the default one first. */
async function anyPlan(db: Database): Promise<{ id: string }> {
  const [first] = await activePlans(db);
  if (first) return first;
  const [any] = await db.select({ id: plans.id }).from(plans).limit(1);
  if (!any) throw new Refused('admin-no-plan', {}, false);
  return any;
}

export const admin = new Composer<BotContext>();
const chat = admin.chatType('private').filter(isAdmin);

function adminCommand(
  command: string,
  action: string,
  usageKey: string,
  run: (ctx: BotContext & { match: string }, args: string[], adminId: number) => Promise<Done>,
): void {
  chat.command(command, async (ctx) => {
    const { db } = ctx.deps;
    const adminId = ctx.from.id;
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    const given = ctx.match.trim().slice(0, 200);
    let done: Done;
    try {
      done = await run(ctx, args, adminId);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      await audit(db, adminId, action, args[0], { refused: error.key, args: given });
      const usage = ctx.t(usageKey);
      await ctx.reply(
        error.key === 'usage'
          ? usage
          : error.usage
            ? `${ctx.t(error.key, error.vars)}\n\n${usage}`
            : ctx.t(error.key, error.vars),
      );
      return;
    }
    if (!done.audited)
      await audit(db, adminId, done.action ?? action, done.target ?? args[0], { args: given, ...done.details });
    ctx.deps.logger.info({ adminId, action: done.action ?? action, target: done.target ?? args[0] }, 'admin action');
    await ctx.reply(done.reply, {
      link_preview_options: { is_disabled: true },
      ...(done.keyboard ? { reply_markup: done.keyboard } : {}),
    });
  });
}

chat.command('admin', (ctx) => ctx.reply(ctx.t('admin-help')));

// ---- Subscriptions: signals to `subscription:<userId>:<planId>` ----

adminCommand('activate', 'subscription.grant', 'admin-usage-activate', async (ctx, args, adminId) => {
  if (args.length < 2 || args.length > 3) throw new Refused('usage');
  const userId = parseUserId(args[0]);
  const days = parseDays(args[1], 1);
  await requireUser(ctx.deps.db, userId);
  const plan = await resolvePlan(ctx.deps.db, args[2]);
  await ctx.deps.commands.grant(userId, plan.id, days, adminId);
  return {
    reply: ctx.t('admin-granted', { userId: String(userId), days: String(days), plan: plan.title }),
    target: String(userId),
    details: { planId: plan.id, days },
  };
});

async function revokeRunning(ctx: BotContext, userId: number, adminId: number, planIds?: string[]): Promise<string[]> {
  const { db, commands } = ctx.deps;
  const running = await db
    .select({ planId: subscriptions.planId })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.userId, userId),
        inArray(subscriptions.status, [...STATUSES_WITH_ACCESS]),
        ...(planIds ? [inArray(subscriptions.planId, planIds)] : []),
      ),
    );
  const revoked: string[] = [];
  for (const { planId } of running) {
    if (await commands.revoke(userId, planId, adminId)) revoked.push(planId);
  }
  return revoked;
}

adminCommand('edit', 'subscription.edit', 'admin-usage-edit', async (ctx, args, adminId) => {
  const { db, commands } = ctx.deps;
  const sub = args[1]?.toLowerCase();
  const arity: Record<string, [number, number]> = {
    remove: [2, 2],
    setdays: [3, 4],
    marktrial: [2, 2],
    resettrial: [2, 2],
  };
  const [min, max] = (sub && arity[sub]) || [0, -1];
  if (args.length < min || args.length > max) throw new Refused('usage');
  const userId = parseUserId(args[0]);
  const target = String(userId);
  switch (sub) {
    case 'setdays': {
      const days = parseDays(args[2], 0);
      await requireUser(db, userId);
      const plan = await resolvePlan(db, args[3]);
      if (days === 0) {
        const revoked = await revokeRunning(ctx, userId, adminId, [plan.id]);
        return {
          action: 'subscription.revoke',
          target,
          details: { planId: plan.id, days, revoked },
          reply:
            revoked.length > 0
              ? ctx.t('admin-removed', { userId: target, plans: plan.title })
              : ctx.t('admin-nothing-to-remove', { userId: target }),
        };
      }
      await commands.setDays(userId, plan.id, days, adminId);
      return {
        action: 'subscription.set_days',
        target,
        details: { planId: plan.id, days },
        reply: ctx.t('admin-days-set', { userId: target, days: String(days), plan: plan.title }),
      };
    }
    case 'remove': {
      await requireUser(db, userId);
      const revoked = await revokeRunning(ctx, userId, adminId);
      return {
        action: 'subscription.revoke',
        target,
        details: { revoked },
        reply:
          revoked.length > 0
            ? ctx.t('admin-removed', { userId: target, plans: revoked.join(', ') })
            : ctx.t('admin-nothing-to-remove', { userId: target }),
      };
    }
    case 'marktrial':
    case 'resettrial': {
      await requireUser(db, userId);
      const plan = await anyPlan(db);
      if (sub === 'marktrial') await commands.markTrial(userId, plan.id, adminId);
      else await commands.resetTrial(userId, plan.id, adminId);
      return {
        action: sub === 'marktrial' ? 'trial.mark_used' : 'trial.reset',
        target,
        details: { planId: plan.id },
        reply: ctx.t(sub === 'marktrial' ? 'admin-trial-marked' : 'admin-trial-reset', { userId: target }),
      };
    }
    default:
      throw new Refused('usage');
  }
});

// ---- Exports: streamed CSV documents ----

async function sendExport(
  ctx: BotContext,
  make: () => Promise<CsvFile>,
  fileName: string,
  captionKey: string,
): Promise<number> {
  await ctx.replyWithChatAction('upload_document');
  const file = await make();
  try {
    await ctx.replyWithDocument(new InputFile(file.path, fileName), {
      caption: ctx.t(captionKey, { rows: String(file.rows) }),
    });
  } finally {
    await file.remove();
  }
  return file.rows;
}

adminCommand('export', 'export.users', 'admin-usage-export', async (ctx, args) => {
  if (args.length > 0) throw new Refused('usage');
  const rows = await sendExport(ctx, () => exportUsers(ctx.deps.sql), 'users.csv', 'admin-export-users');
  return { reply: ctx.t('admin-export-done', { rows: String(rows) }), target: 'users', details: { rows } };
});

adminCommand('export_refree', 'export.referrers', 'admin-usage-export-refree', async (ctx, args) => {
  if (args.length > 0) throw new Refused('usage');
  const rows = await sendExport(ctx, () => exportReferrers(ctx.deps.sql), 'referrers.csv', 'admin-export-referrers');
  return { reply: ctx.t('admin-export-done', { rows: String(rows) }), target: 'referrers', details: { rows } };
});

// ---- Referral partners ----

adminCommand('refree_add', 'referrer.add', 'admin-usage-refree-add', async (ctx, args, adminId) => {
  if (args.length !== 2) throw new Refused('usage');
  const userId = parseUserId(args[0]);
  const bps = parsePercent(args[1]!);
  if (bps === undefined) throw new Refused('admin-bad-percent', { given: args[1]!.slice(0, 40) });
  const { db } = ctx.deps;
  const user = await requireUser(db, userId);
  const now = new Date();
  await db.transaction(async (tx) => {
    await tx
      .insert(referrers)
      .values({ userId, commissionBps: bps, active: true })
      .onConflictDoUpdate({ target: referrers.userId, set: { commissionBps: bps, active: true, updatedAt: now } });
    await audit(tx, adminId, 'referrer.add', String(userId), { args: args.join(' '), commissionBps: bps });
  });
  return {
    audited: true,
    reply: ctx.t('admin-referrer-added', {
      userId: String(userId),
      percent: bpsToPercent(bps),
      link: referralLink(ctx.me.username, user.referralCode),
    }),
  };
});

adminCommand('refree_remove', 'referrer.remove', 'admin-usage-refree-remove', async (ctx, args, adminId) => {
  if (args.length !== 1) throw new Refused('usage');
  const userId = parseUserId(args[0]);
  const { db } = ctx.deps;
  const found = await db.transaction(async (tx) => {
    const updated = await tx
      .update(referrers)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(referrers.userId, userId))
      .returning({ userId: referrers.userId });
    if (updated.length > 0) await audit(tx, adminId, 'referrer.remove', String(userId), { args: args.join(' ') });
    return updated.length > 0;
  });
  if (!found) throw new Refused('admin-not-a-referrer', { userId: String(userId) }, false);
  return { audited: true, reply: ctx.t('admin-referrer-removed', { userId: String(userId) }) };
});

// ---- Payouts: decisions go to `payout:<payoutId>` ----

type PayoutAction = 'approve' | 'reject' | 'markPaid';

/** Sends the decision and waits until the payout workflow has applied it; a refusal says why in the admin's language. */
async function decidePayout(
  ctx: BotContext,
  action: PayoutAction,
  payoutId: string,
  adminId: number,
  extra: { reason?: string; txHash?: string; expectedStatus?: PayoutStatus } = {},
): Promise<string> {
  const { commands } = ctx.deps;
  if (!PAYOUT_ID.test(payoutId)) throw new Refused('admin-payout-unknown', { payoutId: payoutId.slice(0, 64) }, false);
  try {
    switch (action) {
      case 'approve':
        await commands.approvePayout(payoutId, adminId, extra.expectedStatus);
        return ctx.t('admin-payout-approved', { payoutId });
      case 'reject': {
        const reason = extra.reason?.trim() || ctx.t('admin-payout-default-reason');
        const outcome = await commands.rejectPayout(payoutId, adminId, reason, extra.expectedStatus);
        // Old runs do not say whose balance it was: they were all referrers'.
        const source = outcome.source ?? 'referrer';
        return ctx.t(source === 'referrer' ? 'admin-payout-rejected' : `admin-payout-rejected-${source}`, {
          payoutId,
          reason: outcome.reason ?? reason,
        });
      }
      case 'markPaid': {
        const outcome = await commands.markPayoutPaid(payoutId, adminId, extra.txHash ?? '');
        return ctx.t('admin-payout-paid', { payoutId, txHash: outcome.txHash ?? '' });
      }
    }
  } catch (error) {
    if (error instanceof UnknownPayoutError) throw new Refused('admin-payout-unknown', { payoutId }, false);
    // The workflow's own answer: the state another decision left and which admin made it.
    if (error instanceof PayoutActionError)
      throw new Refused(
        `admin-payout-cannot-${action}`,
        {
          payoutId,
          status: error.status,
          decidedBy: error.decidedBy !== undefined ? String(error.decidedBy) : 'none',
        },
        false,
      );
    if (error instanceof PayoutRequestError) throw new Refused('admin-payout-bad-hash', { payoutId });
    throw error;
  }
}

const auditAction = (action: PayoutAction) => `payout.${action}`;

adminCommand('approve', 'payout.approve', 'admin-usage-approve', async (ctx, args, adminId) => {
  if (args.length !== 1) throw new Refused('usage');
  return { audited: true, reply: await decidePayout(ctx, 'approve', args[0]!, adminId) };
});

adminCommand('reject', 'payout.reject', 'admin-usage-reject', async (ctx, args, adminId) => {
  if (args.length < 1) throw new Refused('usage');
  return {
    audited: true,
    reply: await decidePayout(ctx, 'reject', args[0]!, adminId, {
      reason: ctx.match
        .trim()
        .replace(/^\S+\s*/, '')
        .slice(0, 500),
    }),
  };
});

adminCommand('paid', 'payout.markPaid', 'admin-usage-paid', async (ctx, args, adminId) => {
  if (args.length !== 2) throw new Refused('usage');
  return { audited: true, reply: await decidePayout(ctx, 'markPaid', args[0]!, adminId, { txHash: args[1] }) };
});

/** This message's buttons without those deciding `payoutId` (a /payouts list keeps the others). */
async function dropPayoutButtons(ctx: BotContext, payoutId: string): Promise<void> {
  const mine = new Set([payoutApproveData.pack({ payoutId }), payoutRejectData.pack({ payoutId })]);
  const rows = (ctx.callbackQuery?.message?.reply_markup?.inline_keyboard ?? [])
    .map((row) => row.filter((button) => !('callback_data' in button && mine.has(button.callback_data))))
    .filter((row) => row.length > 0);
  await ctx
    .editMessageReplyMarkup(rows.length > 0 ? { reply_markup: InlineKeyboard.from(rows) } : undefined)
    .catch((error: unknown) => ctx.deps.logger.debug({ err: error }, 'payout buttons left in place'));
}

/**
 * The Approve / Reject buttons (on the payout workflow's admin message and on /payouts). A button
 * is pressed on a request, so it decides only a payout still `requested`: of two admins pressing at
 * once, one decides and the other is told what the first did (the workflow's own answer). Reject
 * uses the default reason; /reject gives one (and may also cancel an approved payout).
 */
async function payoutButton(ctx: BotContext, action: 'approve' | 'reject', payoutId: string): Promise<void> {
  const adminId = ctx.from!.id;
  let reply: string;
  try {
    reply = await decidePayout(ctx, action, payoutId, adminId, { expectedStatus: 'requested' });
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    await audit(ctx.deps.db, adminId, auditAction(action), payoutId, { refused: error.key, via: 'button' });
    await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars), show_alert: true });
    // Someone else decided it: these buttons can no longer do anything, and the alert said why.
    if (error.key.startsWith('admin-payout-cannot-')) {
      await dropPayoutButtons(ctx, payoutId);
      await ctx.reply(ctx.t(error.key, error.vars));
    }
    return;
  }
  ctx.deps.logger.info({ adminId, action: auditAction(action), payoutId }, 'admin action');
  await ctx.answerCallbackQuery();
  // Decided: this payout's buttons have done their job (other admins' copies answer with the state).
  await dropPayoutButtons(ctx, payoutId);
  await ctx.reply(reply);
}

/** How long a request has waited, coarsely: "2d 3h", "3h 5m", "4m", "<1m". */
export function waitedFor(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return minutes > 0 ? `${m}m` : '<1m';
}

const PAYOUTS_SHOWN = 20;

/** /payouts: what waits for an admin (payout_requests), oldest first, with buttons for the requests. */
adminCommand('payouts', 'payout.list', 'admin-usage-payouts', async (ctx, args) => {
  if (args.length > 0) throw new Refused('usage');
  const { total, shown } = await pendingPayouts(ctx.deps.db, PAYOUTS_SHOWN);
  if (total === 0) return { reply: ctx.t('admin-payouts-empty'), audited: true };
  const now = Date.now();
  const lines = shown.map((p) =>
    ctx.t(p.status === 'requested' ? 'admin-payouts-line' : 'admin-payouts-line-approved', {
      payoutId: p.id,
      kind: ctx.t(`payout-kind-${p.source}`),
      amount: formatMoney(p.amountMinor, p.currency),
      network: p.network,
      wallet: p.wallet,
      userId: String(p.requesterId),
      waited: waitedFor(now - p.requestedAt.getTime()),
    }),
  );
  const more = total - shown.length;
  const buttons = shown
    .filter((p) => p.status === 'requested')
    .map((p) => [
      InlineKeyboard.text(`${ctx.t('payout-approve-button')} ${p.id}`, payoutApproveData.pack({ payoutId: p.id })),
      InlineKeyboard.text(`${ctx.t('payout-reject-button')} ${p.id}`, payoutRejectData.pack({ payoutId: p.id })),
    ]);
  const reply = [
    ctx.t('admin-payouts-header', { count: String(total) }),
    ...lines,
    ...(more > 0 ? [ctx.t('admin-payouts-more', { more: String(more) })] : []),
  ].join('\n\n');
  // Read only: nothing to audit.
  return { reply, audited: true, keyboard: buttons.length > 0 ? InlineKeyboard.from(buttons) : undefined };
});

chat.callbackQuery(payoutApproveData.pattern, (ctx) =>
  payoutButton(ctx, 'approve', payoutApproveData.unpack(ctx.callbackQuery.data)!.payoutId),
);
chat.callbackQuery(payoutRejectData.pattern, (ctx) =>
  payoutButton(ctx, 'reject', payoutRejectData.unpack(ctx.callbackQuery.data)!.payoutId),
);
