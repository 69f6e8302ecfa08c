/**
 * `npm run ops -- <command>`: the operator's tool. Finds stuck invoices and failed workflows through
 * Temporal visibility (the custom search attributes), reconciles an invoice with the gateway,
 * replays a failed message exactly once, shows everything about one user, refunds an invoice.
 * Every command is an exported function (tests call them directly); `runOps` maps them to exit
 * codes: 0 done, 1 refused or unknown id (one line on stderr), 2 usage or configuration error.
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { and, desc, eq, isNotNull, like, ne, or } from 'drizzle-orm';
import { Api } from 'grammy';
import { referrerBalances } from '../infrastructure/read-models/balances';
import { INVOICE_ID_PATTERN, OPEN_FOR_PAYMENT_STATES } from '../domain/invoice';
import { formatDuration, parseDuration } from '../domain/duration';
import { formatMoney, fromMinor } from '../domain/money';
import {
  parseChannelRef,
  parseCurrency,
  parsePlanDuration,
  parsePlanId,
  parsePrice,
  parseTitle,
  parseTrial,
  PlanInputError,
} from '../domain/plan';
import {
  attachChannel,
  auditRefusal,
  CatalogError,
  createPlan,
  detachChannel,
  editPlan,
  listPlans,
  setPlanActive,
  setPlanPrice,
  verifyChannel,
  type Actor,
  type CatalogPlan,
  type ChannelInfo,
} from '../infrastructure/catalog/plans';
import { disablePromo, listPromos, type ListedPromo } from '../infrastructure/catalog/promos';
import { ConfigError, loadConfig, loadDotEnv, PROVIDER_CREDENTIALS, type Config } from '../infrastructure/config';
import type { Database } from '../infrastructure/db/client';
import {
  invoices,
  ledgerEntries,
  outboxMessages,
  payoutRequests,
  referralCommissions,
  referrers,
  subscriptions,
  users,
} from '../infrastructure/db/schema';
import { createLogger } from '../infrastructure/logger';
import { DEV_STACK_FILE, loadDevStackSettings } from '../infrastructure/processes/dev-stack-file';
import { createRuntime } from '../infrastructure/processes/runtime';
import { invoiceWorkflowId, type Commands } from '../infrastructure/temporal/commands';
import { PayoutRequestError } from '../domain/payout';
import {
  InvoiceNotRefundableError,
  PayoutActionError,
  UnknownInvoiceError,
  UnknownMessageError,
  UnknownPayoutError,
} from '../infrastructure/temporal/money-commands';
import { ResolutionRefusedError, UnknownResolutionError } from '../infrastructure/temporal/resolution-commands';
import { UnknownOrderError } from '../infrastructure/temporal/order-commands';
import { ORDER_ID } from '../domain/order';
import { parseAction, type ResolutionAction } from '../domain/resolution';
import { percentText, promoStatus } from '../domain/promo';
import type { ResolutionView, ResolveResult } from '../workflows/resolution';
import { InvoiceId, ProcessStatus, TelegramUserId } from '../workflows/search-attributes';

export interface OpsDeps {
  db: Database;
  client: Client;
  commands: Commands;
  /** `telegram` (bot token, API root) lets the plan commands check a channel's bot rights with Telegram. */
  config: Pick<Config, 'temporal'> & Partial<Pick<Config, 'telegram'>>;
}

/** A refusal the operator can act on: printed as one line, exit code 1. */
export class OpsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  type: string;
  executionStatus: string;
  processStatus?: string;
  telegramUserId?: number;
  invoiceId?: string;
  startedAt: Date;
  closedAt?: Date;
  /** Where to look at it in Temporal UI. */
  uiUrl: string;
}

const toRow = (config: OpsDeps['config'], info: WorkflowExecutionInfo): WorkflowRow => ({
  workflowId: info.workflowId,
  runId: info.runId,
  type: info.type,
  executionStatus: info.status.name,
  processStatus: info.typedSearchAttributes.get(ProcessStatus),
  telegramUserId: info.typedSearchAttributes.get(TelegramUserId),
  invoiceId: info.typedSearchAttributes.get(InvoiceId),
  startedAt: info.startTime,
  closedAt: info.closeTime,
  uiUrl: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(info.workflowId)}/${info.runId}/history`,
});

async function listWorkflows(deps: OpsDeps, query: string, limit: number): Promise<WorkflowRow[]> {
  const rows: WorkflowRow[] = [];
  for await (const info of deps.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    rows.push(toRow(deps.config, info));
    if (rows.length >= limit) break;
  }
  return rows;
}

const OPEN_FOR_PAYMENT = OPEN_FOR_PAYMENT_STATES.map((state) => `'${state}'`).join(', ');

/** The Temporal UI / CLI queries behind the commands (also in the README, "Operations"). */
export const queries = {
  stuckInvoices: (before: Date) =>
    `WorkflowType = 'invoiceWorkflow' AND ExecutionStatus = 'Running' AND ProcessStatus IN (${OPEN_FOR_PAYMENT}) AND StartTime < '${before.toISOString()}'`,
  failed: (since?: Date) =>
    `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut')${since ? ` AND CloseTime > '${since.toISOString()}'` : ''}`,
  user: (telegramId: number) => `TelegramUserId = ${telegramId}`,
};

export interface StuckInvoice extends WorkflowRow {
  ageMs: number;
  amount?: string;
  received?: string;
  currency?: string;
}

/** Invoices still waiting for money (pending or partly paid) for longer than `olderThanMs`. */
export async function stuckInvoices(
  deps: OpsDeps,
  options: { olderThanMs: number; limit?: number; now?: number },
): Promise<StuckInvoice[]> {
  const now = options.now ?? Date.now();
  const rows = await listWorkflows(
    deps,
    queries.stuckInvoices(new Date(now - options.olderThanMs)),
    options.limit ?? 100,
  );
  const result: StuckInvoice[] = [];
  for (const row of rows) {
    const invoiceId = row.invoiceId ?? row.workflowId.replace(/^invoice:/, '');
    const [invoice] = await deps.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    result.push({
      ...row,
      invoiceId,
      ageMs: now - row.startedAt.getTime(),
      amount: invoice ? fromMinor(invoice.amountMinor, invoice.currency) : undefined,
      received: invoice?.amountReceived,
      currency: invoice?.currency,
    });
  }
  return result;
}

/** Workflows that failed or timed out (optionally only those closed since a moment). */
export async function failedWorkflows(
  deps: OpsDeps,
  options: { sinceMs?: number; limit?: number; now?: number } = {},
): Promise<WorkflowRow[]> {
  const since = options.sinceMs === undefined ? undefined : new Date((options.now ?? Date.now()) - options.sinceMs);
  return listWorkflows(deps, queries.failed(since), options.limit ?? 100);
}

/** Asks the invoice workflow to check with the gateway now. */
export async function reconcile(deps: OpsDeps, invoiceId: string): Promise<{ invoiceId: string; state: string }> {
  if (!INVOICE_ID_PATTERN.test(invoiceId))
    throw new OpsError(`"${invoiceId.slice(0, 80)}" is not an invoice id (like 123456-plan-1)`);
  const handle = deps.client.workflow.getHandle(invoiceWorkflowId(invoiceId));
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new OpsError(`unknown invoice ${invoiceId}`);
    throw error;
  }
  if (description.status.name !== 'RUNNING') {
    throw new OpsError(
      `invoice ${invoiceId} is closed (${description.typedSearchAttributes.get(ProcessStatus) ?? description.status.name.toLowerCase()}); nothing to reconcile`,
    );
  }
  await deps.commands.reconcileInvoice(invoiceId);
  const state = await deps.commands.invoiceState(invoiceId);
  return { invoiceId, state: state.state };
}

/**
 * A failed order delivery, by signal to `delivery:<orderId>`: one more try, however often asked
 * (see commands.replayOrderDelivery).
 */
export async function replayOrderDelivery(deps: OpsDeps, orderId: string): Promise<{ orderId: string; stage: string }> {
  let result;
  try {
    result = await deps.commands.replayOrderDelivery(orderId, 'ops');
  } catch (error) {
    if (error instanceof UnknownOrderError) throw new OpsError(`unknown order ${orderId}`);
    throw error;
  }
  if (!result.replayed) {
    const why = {
      'already-delivered': 'was already delivered; nothing to replay',
      'in-progress': 'is being delivered right now; nothing to replay',
      'not-paid': 'is not paid; there is nothing to deliver',
      refunded: 'was refunded; there is nothing to deliver',
    };
    throw new OpsError(`order ${orderId} ${why[result.reason]}`);
  }
  const { stage, failure } = result.delivery;
  if (stage === 'failed') throw new OpsError(`order ${orderId} could not be delivered again (${failure ?? 'failed'})`);
  return { orderId, stage };
}

/**
 * Refunds an order: inside its escrow hold (Stars on the rail, once), or after the release as a
 * clawback from the seller's available balance. A refund someone else made first is an error
 * that names it, so a script sees it did nothing.
 */
export async function refundOrder(
  deps: OpsDeps,
  orderId: string,
): Promise<{ orderId: string; outcome: 'refunded' | 'clawed-back'; amount?: string }> {
  let result;
  try {
    result = await deps.commands.refundOrder(orderId, 'ops');
  } catch (error) {
    if (error instanceof UnknownOrderError) throw new OpsError(`unknown order ${orderId}`);
    throw error;
  }
  switch (result.outcome) {
    case 'refunded':
      return { orderId, outcome: 'refunded' };
    case 'clawed-back':
      return {
        orderId,
        outcome: 'clawed-back',
        ...(result.clawback.amountMinor
          ? {
              amount: `${fromMinor(BigInt(result.clawback.amountMinor), result.clawback.currency)} ${result.clawback.currency}`,
            }
          : {}),
      };
    case 'already-refunded':
      throw new OpsError(`order ${orderId} was already refunded`);
    case 'already-clawed-back':
      throw new OpsError(`order ${orderId} was already clawed back (by ${result.by})`);
    case 'refused': {
      const why = {
        'not-paid': 'is not paid; there is nothing to refund',
        'no-escrow': 'has no escrow to refund from',
        split: "had its dispute settled by a split; the buyer's share was refunded already",
        'not-released': 'cannot be clawed back: its escrow did not release the sale whole',
      };
      throw new OpsError(`order ${orderId} ${why[result.reason]}`);
    }
  }
}

/** Sends a failed message again, exactly once (see commands.replayDelivery). */
export async function replayDelivery(deps: OpsDeps, key: string): Promise<{ key: string; messageId: number }> {
  let result;
  try {
    result = await deps.commands.replayDelivery(key, 'ops');
  } catch (error) {
    if (error instanceof UnknownMessageError) throw new OpsError(`unknown message ${key}`);
    throw error;
  }
  if (result.delivered) return { key, messageId: result.messageId };
  const why: Record<typeof result.reason, string> = {
    'already-sent': 'was already delivered; nothing to replay',
    'not-failed': 'has not failed (its workflow may still be retrying it); nothing to replay',
    'no-payload': 'was recorded before message contents were kept; it cannot be replayed',
    blocked: 'could not be delivered: the user still blocks the bot',
    refused: 'was refused by Telegram again',
    unknown: 'does not exist',
  };
  throw new OpsError(`message ${key} ${why[result.reason]}`);
}

export interface UserReport {
  userId: number;
  user?: typeof users.$inferSelect;
  workflows: WorkflowRow[];
  subscriptions: Array<typeof subscriptions.$inferSelect>;
  invoices: Array<typeof invoices.$inferSelect>;
  payouts: Array<typeof payoutRequests.$inferSelect>;
  referrer?: typeof referrers.$inferSelect;
  commissions: Array<typeof referralCommissions.$inferSelect>;
  balances: Array<{ currency: string; held: string; available: string; reserved: string }>;
  failedMessages: Array<{ key: string; status: string; error: string | null }>;
}

/** Everything about one Telegram user: their workflows (by TelegramUserId) and read-model rows. */
export async function userReport(deps: OpsDeps, telegramIdText: string): Promise<UserReport> {
  if (!/^\d{1,16}$/.test(telegramIdText))
    throw new OpsError(`"${telegramIdText.slice(0, 40)}" is not a Telegram user id`);
  const userId = Number(telegramIdText);
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  const workflows = await listWorkflows(deps, queries.user(userId), 200);
  if (!user && workflows.length === 0) throw new OpsError(`unknown user ${userId}`);
  const [subs, invoiceRows, payouts, referrerRows, commissions, currencies, failedMessages] = await Promise.all([
    deps.db.select().from(subscriptions).where(eq(subscriptions.userId, userId)),
    deps.db.select().from(invoices).where(eq(invoices.userId, userId)).orderBy(desc(invoices.createdAt)).limit(20),
    deps.db
      .select()
      .from(payoutRequests)
      .where(eq(payoutRequests.requesterId, userId))
      .orderBy(desc(payoutRequests.requestedAt))
      .limit(20),
    deps.db.select().from(referrers).where(eq(referrers.userId, userId)),
    deps.db
      .select()
      .from(referralCommissions)
      .where(eq(referralCommissions.referrerId, userId))
      .orderBy(desc(referralCommissions.createdAt))
      .limit(20),
    deps.db
      .selectDistinct({ currency: ledgerEntries.currency })
      .from(ledgerEntries)
      .where(like(ledgerEntries.account, `referrer:${userId}:%`)),
    deps.db
      .select({ key: outboxMessages.key, status: outboxMessages.status, error: outboxMessages.error })
      .from(outboxMessages)
      .where(
        and(
          eq(outboxMessages.chatId, userId),
          or(
            eq(outboxMessages.status, 'failed'),
            eq(outboxMessages.status, 'blocked'),
            and(isNotNull(outboxMessages.error), ne(outboxMessages.status, 'sent')),
          ),
        ),
      )
      .limit(20),
  ]);
  const balances = await Promise.all(
    currencies.map(async ({ currency }) => {
      const b = await referrerBalances(deps.db, userId, currency);
      return {
        currency,
        held: fromMinor(b.held, currency),
        available: fromMinor(b.available, currency),
        reserved: fromMinor(b.reserved, currency),
      };
    }),
  );
  return {
    userId,
    user,
    workflows,
    subscriptions: subs,
    invoices: invoiceRows,
    payouts,
    referrer: referrerRows[0],
    commissions,
    balances,
    failedMessages,
  };
}

/** Marks a paid invoice refunded, takes back the subscription period it bought, reverses its referral commission. */
export async function refund(deps: OpsDeps, invoiceId: string, reason?: string) {
  try {
    return await deps.commands.refundInvoice(invoiceId, 'ops', reason);
  } catch (error) {
    if (error instanceof UnknownInvoiceError) throw new OpsError(`unknown invoice ${invoiceId}`);
    if (error instanceof InvoiceNotRefundableError) throw new OpsError(error.message);
    throw error;
  }
}

export type PayoutDecisionArgs =
  { action: 'approve' } | { action: 'reject'; reason: string } | { action: 'markPaid'; txHash: string };

/**
 * An admin's payout decision from the command line (`by` is the admin's Telegram id, recorded as
 * the decider). Answers with what the payout workflow applied, or why not: the state and who decided it.
 */
export async function decidePayout(deps: OpsDeps, payoutId: string, byText: string, args: PayoutDecisionArgs) {
  if (!/^\d{1,16}$/.test(byText))
    throw new OpsError(`--by expects the admin's Telegram id, not "${byText.slice(0, 40)}"`);
  const by = Number(byText);
  try {
    switch (args.action) {
      case 'approve':
        return await deps.commands.approvePayout(payoutId, by);
      case 'reject':
        return await deps.commands.rejectPayout(payoutId, by, args.reason);
      case 'markPaid':
        return await deps.commands.markPayoutPaid(payoutId, by, args.txHash);
    }
  } catch (error) {
    if (error instanceof UnknownPayoutError) throw new OpsError(`unknown payout ${payoutId.slice(0, 64)}`);
    if (error instanceof PayoutActionError || error instanceof PayoutRequestError) throw new OpsError(error.message);
    throw error;
  }
}

// ---- The catalog: plans and their channels (rules and writes shared with the bot, see infrastructure/catalog) ----

const OPS: Actor = { actor: 'ops', actorId: null };

/** Runs a catalog change; a refusal (bad value, unknown plan, channel without bot rights) is audited and becomes an OpsError. */
async function catalogChange<T>(deps: OpsDeps, action: string, target: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof PlanInputError || error instanceof CatalogError)) throw error;
    await auditRefusal(deps.db, OPS, action, target, error);
    throw new OpsError(error.message);
  }
}

/** Asks Telegram whether the bot may run each channel (administrator with invite and ban rights). */
async function verifiedChannels(deps: OpsDeps, refs: string[]): Promise<ChannelInfo[]> {
  const telegram = deps.config.telegram;
  if (!telegram?.botToken)
    throw new OpsError('checking a channel needs the Telegram configuration (TELEGRAM_BOT_TOKEN)');
  const api = new Api(telegram.botToken, { apiRoot: telegram.apiRoot });
  const me = await api.getMe();
  const found: ChannelInfo[] = [];
  for (const text of refs) {
    const ref = parseChannelRef(text);
    if (ref === undefined)
      throw new CatalogError(
        'channel-not-found',
        { channel: text.slice(0, 40) },
        `"${text.slice(0, 40)}" is not a channel: give its id (-100...) or @username`,
      );
    const channel = await verifyChannel(api, me.id, ref);
    if (!found.some((c) => c.id === channel.id)) found.push(channel);
  }
  return found;
}

export interface PlanCreateInput {
  id: string;
  title: string;
  duration: string;
  price: string;
  currency: string;
  trial?: string;
  channels: string[];
}

/** A new plan with its channels, every value checked by domain/plan.ts and every channel with Telegram. */
export async function planCreate(deps: OpsDeps, input: PlanCreateInput) {
  return catalogChange(deps, 'plan.create', input.id, async () => {
    const draft = {
      id: parsePlanId(input.id),
      title: parseTitle(input.title),
      durationSeconds: parsePlanDuration(input.duration),
      trialSeconds: parseTrial(input.trial ?? '0'),
      ...parsePrice(input.price, input.currency),
    };
    if (input.channels.length === 0)
      throw new CatalogError('plan-no-channels', {}, 'a plan needs at least one --channel');
    return createPlan(deps.db, OPS, draft, await verifiedChannels(deps, input.channels));
  });
}

export async function planEdit(
  deps: OpsDeps,
  planId: string,
  edit: { title?: string; duration?: string; trial?: string; sortOrder?: string },
) {
  return catalogChange(deps, 'plan.edit', planId, () => {
    if (edit.sortOrder !== undefined && !/^-?\d{1,9}$/.test(edit.sortOrder))
      throw new CatalogError(
        'plan-bad-sort',
        {},
        `--sort expects a whole number, got "${edit.sortOrder.slice(0, 20)}"`,
      );
    return editPlan(deps.db, OPS, planId, {
      title: edit.title === undefined ? undefined : parseTitle(edit.title),
      durationSeconds: edit.duration === undefined ? undefined : parsePlanDuration(edit.duration),
      trialSeconds: edit.trial === undefined ? undefined : parseTrial(edit.trial),
      sortOrder: edit.sortOrder === undefined ? undefined : Number(edit.sortOrder),
    });
  });
}

/** The price of new invoices only. */
export async function planPrice(deps: OpsDeps, planId: string, amount: string, currency: string) {
  return catalogChange(deps, 'plan.price', planId, () =>
    setPlanPrice(deps.db, OPS, planId, parsePrice(amount, parseCurrency(currency))),
  );
}

export async function planActive(deps: OpsDeps, planId: string, active: boolean) {
  return catalogChange(deps, active ? 'plan.activate' : 'plan.deactivate', planId, () =>
    setPlanActive(deps.db, OPS, planId, active),
  );
}

export async function planAttach(deps: OpsDeps, planId: string, ref: string) {
  return catalogChange(deps, 'plan.channel_attach', planId, async () => {
    const [channel] = await verifiedChannels(deps, [ref]);
    return { channel: channel!, ...(await attachChannel(deps.db, OPS, planId, channel!)) };
  });
}

export async function planDetach(deps: OpsDeps, planId: string, channelIdText: string) {
  return catalogChange(deps, 'plan.channel_detach', planId, () => {
    const channelId = parseChannelRef(channelIdText);
    if (typeof channelId !== 'number')
      throw new CatalogError('channel-not-found', {}, `"${channelIdText.slice(0, 40)}" is not a channel id (-100...)`);
    return detachChannel(deps.db, OPS, planId, channelId);
  });
}

const seconds = (s: number) => formatDuration(s * 1000);
const planLine = (p: CatalogPlan) =>
  `${p.id}  ${p.active ? 'active' : 'inactive'}  ${p.title}  ${formatMoney(p.priceMinor, p.currency)} / ${seconds(p.durationSeconds)}  trial ${p.trialSeconds ? seconds(p.trialSeconds) : 'none'}  channels: ${p.channels.map((c) => `${c.id} (${c.title})`).join(', ') || '-'}`;

// ---- Promo codes (created by admins in the bot; the same writes and audit, see infrastructure/catalog/promos.ts) ----

/** Every promo code, newest first, with its redemptions (reserved + used, and used alone). */
export async function promoList(deps: OpsDeps): Promise<ListedPromo[]> {
  return listPromos(deps.db, 1000);
}

/** Withdraws a code (audited as ops); `changed: false` when it was disabled already. */
export async function promoDisable(deps: OpsDeps, code: string) {
  return catalogChange(deps, 'promo.disable', code, () => disablePromo(deps.db, OPS, code));
}

const promoLine = (p: ListedPromo, now: Date) =>
  `${p.code}  ${promoStatus(p, now)}  ${p.kind === 'percent' ? `${percentText(p.percentBps ?? 0)}%` : formatMoney(p.amountMinor ?? 0n, p.currency ?? '')} off  redeemed ${p.redeemedCount}/${p.maxRedemptions ?? 'unlimited'} (${p.usedCount} paid)  ${p.maxPerUser} per user  ${p.startsAt ? when(p.startsAt) : '-'} .. ${p.endsAt ? when(p.endsAt) : '-'}  ${p.scope === 'all' ? 'all' : `${p.scope}: ${p.scopeIds.join(',')}`}`;

/** Decides a resolution case as ops (audited with actor "ops"); `applied: false` when it was decided already. */
export async function resolveCase(deps: OpsDeps, invoiceId: string, words: string[]): Promise<ResolveResult> {
  const action = parseAction(words);
  if (typeof action === 'string') throw new OpsError(`invoice ${invoiceId}: ${action}`);
  return decideCase(deps, invoiceId, action);
}

/** Records that a decided refund was paid out in this transaction. */
export async function refundPaid(deps: OpsDeps, invoiceId: string, txHash: string): Promise<ResolveResult> {
  return decideCase(deps, invoiceId, { type: 'refundPaid', txHash });
}

async function decideCase(deps: OpsDeps, invoiceId: string, action: ResolutionAction): Promise<ResolveResult> {
  try {
    return await deps.commands.resolve(invoiceId, action, { actor: 'ops' });
  } catch (error) {
    if (error instanceof UnknownResolutionError) throw new OpsError(`no resolution case for invoice ${invoiceId}`);
    if (error instanceof ResolutionRefusedError) throw new OpsError(error.message);
    throw error;
  }
}

/** One line about a case and its latest decision. */
export function describeCase(view: ResolutionView): string {
  const money = (minor: string) => `${fromMinor(BigInt(minor), view.currency)} ${view.currency}`;
  const o = view.outcome;
  const decided = o
    ? `  decided: ${o.action.type === 'credit' ? `credit ${o.action.mode === 'extend' ? `${o.action.days} days` : 'balance'}` : o.action.type}${o.action.type === 'writeoff' ? ` (${o.action.reason})` : ''} of ${money(o.amountMinor)} by ${o.by.actor}${o.by.id ? ` ${o.by.id}` : ''}${o.refundPaid ? `, paid out in ${o.refundPaid.txHash}` : ''}`
    : '';
  return `${view.invoiceId}  ${view.status}  ${view.kinds.join('+') || '-'}  held ${money(view.heldMinor)}  user ${view.userId}  plan ${view.planId}${decided}`;
}

const USAGE = `usage: npm run ops -- <command> [arguments] [--json]
  stuck-invoices [--older-than 30m]   running invoices still pending or partly paid
  failed [--since 24h]                workflows that failed or timed out
  reconcile <invoiceId>               check an open invoice with the gateway now
  replay-delivery <orderId|outboxKey> send a failed order delivery (or any failed message) again, once
  user <telegramId>                   a user's workflows and records
  refund <invoiceId> [reason...]      mark a paid invoice refunded, end its period, reverse its commission
  refund-order <orderId>              refund a marketplace order (Stars: on the rail); after its release a clawback
  plans                               every plan with its price, length and channels
  plan-create <id> --title <title> --duration <30d> --price <9.99> --currency <USD> [--trial <3d>] --channel <id|@name>...
                                      a new plan on sale (the bot must be an admin of each channel)
  plan-edit <id> [--title <t>] [--duration <d>] [--trial <d|0>] [--sort <n>]
  plan-price <id> <amount> <currency> the price of new invoices (open ones keep theirs)
  plan-deactivate <id>                stop selling a plan (running subscriptions go on)
  plan-activate <id>                  sell it again
  plan-channels <id> [attach <id|@name> | detach <channelId>]
                                      list, attach or detach a plan's channels
  payout-approve <payoutId> --by <adminId>           approve a payout request
  payout-reject <payoutId> --by <adminId> [reason]   reject it (the amount goes back to the balance)
  payout-paid <payoutId> <txHash> --by <adminId>     record that it was sent
  unresolved                          partial / late / overpaid money waiting for a decision or a refund payout
  resolve <invoiceId> accept | credit <days> | balance | refund | writeoff <reason...>
                                      decide such a case (accept: partial only)
  refund-paid <invoiceId> <txHash>    record that a decided refund was paid out
  promo-list                          every promo code: discount, status, redemptions of the cap, window, scope
  promo-disable <CODE>                withdraw a promo code (invoices already priced with it keep their discount)`;

/** The command names, read from USAGE (so a command added there is known to the start-up checks). */
export const COMMANDS = [...USAGE.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1]!);

/** `--help`: the commands and where the CLI gets its settings. Needs no configuration. */
export const HELP = `${USAGE}
  help, --help                        this text

Settings: the environment or a .env file in the working directory (DATABASE_URL, TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_UI_URL; TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT for
the channel checks of plan commands; see .env.example). Without DATABASE_URL, the
settings a running \`npm run dev\` left in .data/dev-stack.env are used. Exit codes: 0 done, 1 refused or
unknown id, 2 usage or configuration error.`;

class UsageError extends Error {}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(index, 2);
  return value;
}

function duration(text: string | undefined, name: string, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`${name} expects a duration like 30m, 2h or 1d`);
  }
}

const when = (date?: Date) => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-');
const age = (ms: number) =>
  ms >= 3_600_000
    ? `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`
    : `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
const json = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

/** Runs one command; prints with `out` (results) and `err` (refusals); returns the exit code. */
export async function runOps(
  argv: string[],
  deps: OpsDeps,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const args = [...argv];
  const asJson = args.includes('--json');
  if (asJson) args.splice(args.indexOf('--json'), 1);
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'stuck-invoices': {
        const olderThanMs = duration(option(rest, '--older-than'), '--older-than', 30 * 60_000)!;
        const rows = await stuckInvoices(deps, { olderThanMs });
        if (asJson) {
          out(json(rows));
          return 0;
        }
        if (rows.length === 0) out('no stuck invoices');
        for (const r of rows)
          out(
            `${r.invoiceId}  ${r.processStatus ?? '?'}  received ${r.received ?? '?'} of ${r.amount ?? '?'} ${r.currency ?? ''}  user ${r.telegramUserId ?? '?'}  open ${age(r.ageMs)}  ${r.uiUrl}`,
          );
        return 0;
      }
      case 'failed': {
        const rows = await failedWorkflows(deps, { sinceMs: duration(option(rest, '--since'), '--since') });
        if (asJson) {
          out(json(rows));
          return 0;
        }
        if (rows.length === 0) out('no failed workflows');
        for (const r of rows)
          out(`${r.workflowId}  ${r.type}  ${r.executionStatus}  closed ${when(r.closedAt)}  ${r.uiUrl}`);
        return 0;
      }
      case 'reconcile': {
        const invoiceId = rest[0];
        if (!invoiceId) throw new UsageError('reconcile needs an invoice id');
        const result = await reconcile(deps, invoiceId);
        out(asJson ? json(result) : `invoice ${result.invoiceId}: asked the gateway (state now ${result.state})`);
        return 0;
      }
      case 'replay-delivery': {
        const key = rest[0];
        if (!key) throw new UsageError('replay-delivery needs an order id or an outbox message key');
        if (ORDER_ID.test(key)) {
          const replayed = await replayOrderDelivery(deps, key);
          out(asJson ? json(replayed) : `order ${replayed.orderId}: delivered again (${replayed.stage})`);
          return 0;
        }
        const result = await replayDelivery(deps, key);
        out(asJson ? json(result) : `message ${result.key} delivered (Telegram message ${result.messageId})`);
        return 0;
      }
      case 'user': {
        const id = rest[0];
        if (!id) throw new UsageError('user needs a Telegram user id');
        const report = await userReport(deps, id);
        if (asJson) {
          out(json(report));
          return 0;
        }
        out(
          `user ${report.userId}${report.user ? ` ${[report.user.firstName, report.user.lastName].filter(Boolean).join(' ')}${report.user.username ? ` @${report.user.username}` : ''}` : ' (no user record)'}${report.user?.referredBy ? `, referred by ${report.user.referredBy}` : ''}${report.user?.blockedAt ? ', has blocked the bot' : ''}`,
        );
        out(`workflows (${report.workflows.length}):`);
        for (const w of report.workflows)
          out(`  ${w.workflowId}  ${w.executionStatus}  ${w.processStatus ?? ''}  started ${when(w.startedAt)}`);
        for (const s of report.subscriptions)
          out(`subscription ${s.planId}: ${s.status} until ${when(s.expiresAt)} (access until ${when(s.accessUntil)})`);
        for (const i of report.invoices)
          out(
            `invoice ${i.id}: ${i.status}, ${fromMinor(i.amountMinor, i.currency)} ${i.currency}, received ${i.amountReceived}`,
          );
        if (report.referrer)
          out(
            `referrer: ${report.referrer.active ? 'active' : 'inactive'}, ${report.referrer.commissionBps / 100}% commission`,
          );
        for (const b of report.balances)
          out(`balance ${b.currency}: available ${b.available}, held ${b.held}, reserved ${b.reserved}`);
        for (const c of report.commissions)
          out(`commission on ${c.invoiceId}: ${fromMinor(c.amountMinor, c.currency)} ${c.currency} ${c.status}`);
        for (const p of report.payouts)
          out(
            `payout ${p.id}: ${fromMinor(p.amountMinor, p.currency)} ${p.currency} to ${p.wallet} (${p.network}) ${p.status}`,
          );
        for (const m of report.failedMessages) out(`failed message ${m.key}: ${m.status} ${m.error ?? ''}`);
        return 0;
      }
      case 'refund-order': {
        const orderId = rest[0];
        if (!orderId) throw new UsageError('refund-order needs an order id');
        const refunded = await refundOrder(deps, orderId);
        out(
          asJson
            ? json(refunded)
            : refunded.outcome === 'refunded'
              ? `order ${orderId} refunded from its escrow hold`
              : `order ${orderId} clawed back from the seller's available balance${refunded.amount ? `: ${refunded.amount} to the buyer` : ''}`,
        );
        return 0;
      }
      case 'refund': {
        const [invoiceId, ...reason] = rest;
        if (!invoiceId) throw new UsageError('refund needs an invoice id');
        const result = await refund(deps, invoiceId, reason.join(' ') || undefined);
        out(
          asJson
            ? json(result)
            : result.alreadyRefunded
              ? `invoice ${invoiceId} was already refunded${result.refundedBy ? ` (by ${result.refundedBy})` : ''}`
              : `invoice ${invoiceId} refunded${result.subscriptionShortened ? '; the subscription period it paid for taken back' : ''}${result.commissionReversed ? '; referral commission reversed' : ''}`,
        );
        return 0;
      }
      case 'payout-approve':
      case 'payout-reject':
      case 'payout-paid': {
        const by = option(rest, '--by');
        const [payoutId, ...more] = rest;
        if (!payoutId || by === undefined) throw new UsageError(`${command} needs a payout id and --by <adminId>`);
        if (command === 'payout-paid' && more.length !== 1)
          throw new UsageError('payout-paid needs a transaction hash');
        const outcome = await decidePayout(
          deps,
          payoutId,
          by,
          command === 'payout-approve'
            ? { action: 'approve' }
            : command === 'payout-reject'
              ? { action: 'reject', reason: more.join(' ') }
              : { action: 'markPaid', txHash: more[0]! },
        );
        out(
          asJson
            ? json(outcome)
            : `payout ${outcome.payoutId} ${outcome.status} by ${outcome.decidedBy}${outcome.txHash ? ` (${outcome.txHash})` : ''}${outcome.status === 'rejected' && outcome.reason ? `: ${outcome.reason}` : ''}`,
        );
        return 0;
      }
      case 'plans': {
        const list = await listPlans(deps.db);
        if (asJson) {
          out(json(list));
          return 0;
        }
        if (list.length === 0) out('no plans');
        for (const p of list) out(planLine(p));
        return 0;
      }
      case 'plan-create': {
        const channelRefs: string[] = [];
        for (let ref = option(rest, '--channel'); ref !== undefined; ref = option(rest, '--channel'))
          channelRefs.push(ref);
        const input = {
          title: option(rest, '--title'),
          duration: option(rest, '--duration'),
          price: option(rest, '--price'),
          currency: option(rest, '--currency'),
          trial: option(rest, '--trial'),
        };
        const [id, ...extra] = rest;
        if (!id || extra.length > 0) throw new UsageError('plan-create needs one plan id and options');
        for (const name of ['title', 'duration', 'price', 'currency'] as const)
          if (input[name] === undefined) throw new UsageError(`plan-create needs --${name}`);
        const plan = await planCreate(deps, { id, ...input, channels: channelRefs } as PlanCreateInput);
        out(
          asJson
            ? json(plan)
            : `plan ${plan.id} created and on sale: ${formatMoney(plan.priceMinor, plan.currency)} / ${seconds(plan.durationSeconds)}`,
        );
        return 0;
      }
      case 'plan-edit': {
        const edit = {
          title: option(rest, '--title'),
          duration: option(rest, '--duration'),
          trial: option(rest, '--trial'),
          sortOrder: option(rest, '--sort'),
        };
        const [id, ...extra] = rest;
        if (!id || extra.length > 0) throw new UsageError('plan-edit needs one plan id and options');
        const plan = await planEdit(deps, id, edit);
        out(asJson ? json(plan) : `plan ${plan.id} changed`);
        return 0;
      }
      case 'plan-price': {
        const [id, amount, currency, ...extra] = rest;
        if (!id || !amount || !currency || extra.length > 0)
          throw new UsageError('plan-price needs a plan id, an amount and a currency');
        const plan = await planPrice(deps, id, amount, currency);
        out(
          asJson
            ? json(plan)
            : `plan ${plan.id} now costs ${formatMoney(plan.priceMinor, plan.currency)} for new invoices`,
        );
        return 0;
      }
      case 'plan-deactivate':
      case 'plan-activate': {
        const [id, ...extra] = rest;
        if (!id || extra.length > 0) throw new UsageError(`${command} needs one plan id`);
        const active = command === 'plan-activate';
        const { plan, changed } = await planActive(deps, id, active);
        out(
          asJson
            ? json({ plan, changed })
            : `plan ${plan.id} ${changed ? 'is now' : 'was already'} ${active ? 'on sale' : 'off sale (running subscriptions go on)'}`,
        );
        return 0;
      }
      case 'plan-channels': {
        const [id, action, ref, ...extra] = rest;
        if (
          !id ||
          extra.length > 0 ||
          (action !== undefined && (ref === undefined || !['attach', 'detach'].includes(action)))
        )
          throw new UsageError(
            'plan-channels needs a plan id, then optionally attach <id|@name> or detach <channelId>',
          );
        if (action === 'attach') {
          const result = await planAttach(deps, id, ref!);
          out(
            asJson
              ? json(result)
              : `channel ${result.channel.id} (${result.channel.title}) ${result.attached ? 'attached to' : 'was already on'} plan ${id}`,
          );
          return 0;
        }
        if (action === 'detach') {
          const result = await planDetach(deps, id, ref!);
          out(asJson ? json(result) : `channel ${ref} ${result.detached ? 'detached from' : 'was not on'} plan ${id}`);
          return 0;
        }
        const plan = (await listPlans(deps.db)).find((p) => p.id === id);
        if (!plan) throw new OpsError(`unknown plan ${id.slice(0, 40)}`);
        if (asJson) {
          out(json(plan.channels));
          return 0;
        }
        for (const c of plan.channels) out(`${c.id}  ${c.title}`);
        return 0;
      }
      case 'unresolved': {
        const views = await deps.commands.unresolved();
        if (asJson) {
          out(json(views));
          return 0;
        }
        if (views.length === 0) out('no unresolved cases');
        for (const v of views) out(describeCase(v));
        return 0;
      }
      case 'resolve': {
        const [invoiceId, ...words] = rest;
        if (!invoiceId || words.length === 0) throw new UsageError('resolve needs an invoice id and an action');
        const result = await resolveCase(deps, invoiceId, words);
        if (asJson) out(json(result));
        else if (!result.view.outcome) out(`invoice ${invoiceId}: nothing is held for it; nothing to decide`);
        else out(`${result.applied ? 'decided' : 'already decided'}: ${describeCase(result.view)}`);
        return result.applied ? 0 : 1;
      }
      case 'refund-paid': {
        const [invoiceId, txHash] = rest;
        if (!invoiceId || !txHash || rest.length !== 2)
          throw new UsageError('refund-paid needs an invoice id and a transaction hash');
        const result = await refundPaid(deps, invoiceId, txHash);
        if (asJson) out(json(result));
        else out(`${result.applied ? 'recorded' : 'already decided'}: ${describeCase(result.view)}`);
        return result.applied ? 0 : 1;
      }
      case 'promo-list': {
        if (rest.length > 0) throw new UsageError('promo-list takes no arguments');
        const list = await promoList(deps);
        if (asJson) {
          out(json(list));
          return 0;
        }
        if (list.length === 0) out('no promo codes');
        const now = new Date();
        for (const p of list) out(promoLine(p, now));
        return 0;
      }
      case 'promo-disable': {
        const [code, ...extra] = rest;
        if (!code || extra.length > 0) throw new UsageError('promo-disable needs one promo code');
        const result = await promoDisable(deps, code);
        out(
          asJson
            ? json(result)
            : `promo code ${result.promo.code} ${result.changed ? 'is now disabled' : 'was already disabled'}`,
        );
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } catch (error) {
    if (error instanceof OpsError) {
      err(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

/**
 * What the CLI does before it needs any configuration: `--help`, and refusing a command it does not
 * know. Returns the exit code when that is all there is to do.
 */
export function preflight(
  argv: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): number | undefined {
  const args = argv.filter((arg) => arg !== '--json');
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') {
    out(HELP);
    return 0;
  }
  const command = args[0];
  if (!command || !COMMANDS.includes(command)) {
    err(`error: ${command ? `unknown command "${command}"` : 'no command given'}\n${USAGE}`);
    return 2;
  }
  return undefined;
}

/**
 * The configuration of a CLI run: the environment (and .env), else the settings of a dev stack
 * running in this checkout. Telegram and CryptoCloud credentials are not needed: every command acts
 * through Temporal and the database.
 */
export function loadOpsConfig(
  env: Record<string, string | undefined> = process.env,
  note: (line: string) => void = console.error,
  file = DEV_STACK_FILE,
): Config {
  const { loaded, stale } = loadDevStackSettings(env, file);
  if (loaded) note(`(using the settings of the dev stack running as pid ${loaded.pid}, from ${file})`);
  try {
    return loadConfig(env, { notNeeded: PROVIDER_CREDENTIALS });
  } catch (error) {
    if (error instanceof ConfigError && !env.DATABASE_URL) {
      const hint = stale
        ? `${file} is stale: the dev stack that wrote it (pid ${stale.pid}) is no longer running.`
        : 'No dev stack is running in this checkout either.';
      throw new ConfigError([
        ...error.problems,
        `${hint} Start one with \`npm run dev\`, or set DATABASE_URL (and TEMPORAL_ADDRESS, ...) for your deployment.`,
      ]);
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  let code = preflight(argv);
  if (code !== undefined) process.exit(code);
  loadDotEnv();
  code = 1;
  try {
    const config = loadOpsConfig();
    const runtime = await createRuntime(config, 'ops', createLogger('warn', 'ops'));
    try {
      code = await runOps(argv, {
        db: runtime.db,
        client: runtime.temporal.client,
        commands: runtime.commands,
        config,
      });
    } finally {
      await runtime.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      code = 2;
    } else {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    }
  }
  process.exit(code);
}
