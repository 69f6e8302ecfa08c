/**
 * Catalog writes: plans and the channels they open, changed by admins in the bot
 * (bot/features/plans-admin.ts) and by operators with the ops CLI (ops/cli.ts). Both call these
 * functions so the rules (domain/plan.ts for the values, here for what exists and what a channel
 * must allow the bot) and the audit trail are the same whichever tool is used. It lives in
 * infrastructure/ because it writes the database and asks Telegram; domain/ stays pure.
 *
 * Every change writes its `audit_log` row in the same transaction as the change (actor 'admin' with
 * the admin's id, or 'ops'). A refusal changes nothing (the caller may audit the attempt).
 * Prices and lengths are read when an invoice is opened and when a subscription starts, so a change
 * applies to new invoices only; deactivating a plan stops new invoices (the invoice command refuses
 * inactive plans) and leaves running subscriptions alone.
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Api } from 'grammy';
import { GrammyError } from 'grammy';
import type { ChatMember } from 'grammy/types';
import { checkStarsPrice, type PlanCurrency, type PlanDraft } from '../../domain/plan';
import type { Database } from '../db/client';
import { auditLog, channels, planChannels, plans } from '../db/schema';

export type Plan = typeof plans.$inferSelect;
export type Channel = typeof channels.$inferSelect;
export interface Actor {
  actor: 'admin' | 'ops';
  actorId: number | null;
}
export interface ChannelInfo {
  id: number;
  title: string;
}

/** A catalog change that cannot be made: a Fluent key with variables (bot) and an English message (CLI). */
export class CatalogError extends Error {
  constructor(
    readonly key: string,
    readonly vars: Record<string, string>,
    message: string,
  ) {
    super(message);
    this.name = 'CatalogError';
  }
}

type Tx = Pick<Database, 'insert' | 'select' | 'update' | 'delete'>;

async function audit(tx: Tx, who: Actor, action: string, target: string, details: Record<string, unknown>) {
  await tx.insert(auditLog).values({ actor: who.actor, actorId: who.actorId, action, target, details });
}

export async function auditRefusal(db: Database, who: Actor, action: string, target: string, error: Error) {
  await audit(db, who, action, target.slice(0, 100), {
    refused: 'key' in error ? (error as CatalogError).key : error.name,
    message: error.message,
  });
}

const priceJson = (p: { priceMinor: bigint; currency: string }) => ({
  priceMinor: p.priceMinor.toString(),
  currency: p.currency,
});

function unknownPlan(planId: string): CatalogError {
  return new CatalogError('plan-unknown', { planId: planId.slice(0, 40) }, `unknown plan ${planId.slice(0, 40)}`);
}

async function lockPlan(tx: Tx, planId: string): Promise<Plan> {
  const [plan] = await tx.select().from(plans).where(eq(plans.id, planId)).for('update');
  if (!plan) throw unknownPlan(planId);
  return plan;
}

export async function findPlan(db: Database, planId: string): Promise<Plan | undefined> {
  const [plan] = await db.select().from(plans).where(eq(plans.id, planId));
  return plan;
}

export async function planExists(db: Database, planId: string): Promise<boolean> {
  return (await findPlan(db, planId)) !== undefined;
}

function duplicate(planId: string): CatalogError {
  return new CatalogError('plan-exists', { planId }, `a plan with id ${planId} already exists`);
}

/** A new plan with its channels (already checked with verifyChannel), active at once. */
export async function createPlan(db: Database, who: Actor, draft: PlanDraft, channelList: ChannelInfo[]) {
  if (channelList.length === 0) throw new CatalogError('plan-no-channels', {}, 'a plan needs at least one channel');
  const priceStars = checkStarsPrice(draft.priceStars ?? null);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(plans)
      .values({ ...draft, priceStars, active: true })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) throw duplicate(draft.id);
    for (const channel of channelList) await upsertChannel(tx, channel);
    await tx.insert(planChannels).values(channelList.map((c) => ({ planId: draft.id, channelId: c.id })));
    await audit(tx, who, 'plan.create', draft.id, {
      title: draft.title,
      durationSeconds: draft.durationSeconds,
      trialSeconds: draft.trialSeconds,
      ...priceJson(draft),
      priceStars,
      channels: channelList.map((c) => c.id),
    });
    return inserted[0]!;
  });
}

export interface PlanEdit {
  title?: string;
  durationSeconds?: number;
  trialSeconds?: number;
  sortOrder?: number;
}

export async function editPlan(db: Database, who: Actor, planId: string, edit: PlanEdit): Promise<Plan> {
  const changes = Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== undefined)) as PlanEdit;
  if (Object.keys(changes).length === 0) throw new CatalogError('plan-nothing-to-edit', {}, 'nothing to change');
  return db.transaction(async (tx) => {
    const before = await lockPlan(tx, planId);
    const [after] = await tx
      .update(plans)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(plans.id, planId))
      .returning();
    const was = Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof PlanEdit]]));
    await audit(tx, who, 'plan.edit', planId, { before: was, after: changes });
    return after!;
  });
}

/** The price of new invoices; open invoices keep the amount they were created with. */
export async function setPlanPrice(
  db: Database,
  who: Actor,
  planId: string,
  price: { priceMinor: bigint; currency: PlanCurrency },
): Promise<Plan> {
  return db.transaction(async (tx) => {
    const before = await lockPlan(tx, planId);
    const [after] = await tx
      .update(plans)
      .set({ ...price, updatedAt: new Date() })
      .where(eq(plans.id, planId))
      .returning();
    await audit(tx, who, 'plan.price', planId, { before: priceJson(before), after: priceJson(price) });
    return after!;
  });
}

/**
 * The Stars price of new Stars invoices (whole Stars, 1-10000), or null to stop selling the plan
 * for Stars; open Stars invoices keep their amount.
 */
export async function setPlanStarsPrice(
  db: Database,
  who: Actor,
  planId: string,
  priceStars: number | null,
): Promise<Plan> {
  checkStarsPrice(priceStars);
  return db.transaction(async (tx) => {
    const before = await lockPlan(tx, planId);
    const [after] = await tx
      .update(plans)
      .set({ priceStars, updatedAt: new Date() })
      .where(eq(plans.id, planId))
      .returning();
    await audit(tx, who, 'plan.price_stars', planId, { before: before.priceStars, after: priceStars });
    return after!;
  });
}

/** Off: no new invoices or trials; running subscriptions go on. On: sold again. */
export async function setPlanActive(
  db: Database,
  who: Actor,
  planId: string,
  active: boolean,
): Promise<{ plan: Plan; changed: boolean }> {
  return db.transaction(async (tx) => {
    const before = await lockPlan(tx, planId);
    if (before.active === active) return { plan: before, changed: false };
    const [after] = await tx
      .update(plans)
      .set({ active, updatedAt: new Date() })
      .where(eq(plans.id, planId))
      .returning();
    await audit(tx, who, active ? 'plan.activate' : 'plan.deactivate', planId, {});
    return { plan: after!, changed: true };
  });
}

async function upsertChannel(tx: Tx, channel: ChannelInfo) {
  await tx
    .insert(channels)
    .values({ id: channel.id, title: channel.title })
    .onConflictDoUpdate({ target: channels.id, set: { title: channel.title } });
}

/** Adds a channel (already checked with verifyChannel) to a plan; new subscribers get a link to it. */
export async function attachChannel(
  db: Database,
  who: Actor,
  planId: string,
  channel: ChannelInfo,
): Promise<{ attached: boolean }> {
  return db.transaction(async (tx) => {
    await lockPlan(tx, planId);
    await upsertChannel(tx, channel);
    const added = await tx
      .insert(planChannels)
      .values({ planId, channelId: channel.id })
      .onConflictDoNothing()
      .returning();
    if (added.length > 0)
      await audit(tx, who, 'plan.channel_attach', planId, { channelId: channel.id, title: channel.title });
    return { attached: added.length > 0 };
  });
}

/**
 * Removes a channel from a plan: new subscribers no longer get it; members already in it stay
 * until their subscription ends (removal at expiry only looks at the plan's channels then).
 * A plan keeps at least one channel.
 */
export async function detachChannel(
  db: Database,
  who: Actor,
  planId: string,
  channelId: number,
): Promise<{ detached: boolean }> {
  return db.transaction(async (tx) => {
    await lockPlan(tx, planId);
    const attached = await tx.select().from(planChannels).where(eq(planChannels.planId, planId));
    if (!attached.some((row) => row.channelId === channelId)) return { detached: false };
    if (attached.length === 1)
      throw new CatalogError(
        'plan-last-channel',
        { planId },
        `channel ${channelId} is the only channel of plan ${planId}: attach another one first`,
      );
    await tx.delete(planChannels).where(and(eq(planChannels.planId, planId), eq(planChannels.channelId, channelId)));
    await audit(tx, who, 'plan.channel_detach', planId, { channelId });
    return { detached: true };
  });
}

export interface CatalogPlan extends Plan {
  channels: Channel[];
}

/** Every plan (active first, in /plans order) with its channels. */
export async function listPlans(db: Database): Promise<CatalogPlan[]> {
  const list = await db.select().from(plans).orderBy(asc(plans.sortOrder), asc(plans.priceMinor), asc(plans.id));
  const ids = list.map((p) => p.id);
  const links =
    ids.length === 0
      ? []
      : await db
          .select({ planId: planChannels.planId, channel: channels })
          .from(planChannels)
          .innerJoin(channels, eq(channels.id, planChannels.channelId))
          .where(inArray(planChannels.planId, ids))
          .orderBy(asc(channels.title));
  return list
    .map((plan) => ({ ...plan, channels: links.filter((l) => l.planId === plan.id).map((l) => l.channel) }))
    .sort((a, b) => Number(b.active) - Number(a.active));
}

/** The channels to offer as buttons: the most recently added ones (others can still be named by id or @username). */
export async function knownChannels(db: Database, limit = 20): Promise<Channel[]> {
  return db.select().from(channels).orderBy(desc(channels.createdAt), asc(channels.title)).limit(limit);
}

/** The rights the bot needs in a plan's channel: invite links with join requests, and removing members. */
export const REQUIRED_RIGHTS = ['can_invite_users', 'can_restrict_members'] as const;

/**
 * Asks Telegram whether the bot can run `ref` (an id or @username) as a plan channel: it must be a
 * channel or supergroup where the bot is an administrator with REQUIRED_RIGHTS. Returns its id and
 * title; otherwise a CatalogError saying what is missing.
 */
export async function verifyChannel(api: Api, botId: number, ref: number | string): Promise<ChannelInfo> {
  const shown = String(ref).slice(0, 40);
  let chat;
  try {
    chat = await api.getChat(ref);
  } catch (error) {
    if (error instanceof GrammyError && (error.error_code === 400 || error.error_code === 403))
      throw new CatalogError(
        'channel-not-found',
        { channel: shown },
        `Telegram does not know channel ${shown} or the bot is not in it: add the bot to the channel as an administrator first`,
      );
    throw error;
  }
  if (chat.type !== 'channel' && chat.type !== 'supergroup')
    throw new CatalogError('channel-not-a-channel', { channel: shown }, `${shown} is not a channel or supergroup`);
  const title = chat.title ?? shown;
  let member: ChatMember;
  try {
    member = await api.getChatMember(chat.id, botId);
  } catch (error) {
    if (error instanceof GrammyError && (error.error_code === 400 || error.error_code === 403))
      member = { status: 'left', user: { id: botId, is_bot: true, first_name: 'bot' } };
    else throw error;
  }
  if (member.status !== 'administrator')
    throw new CatalogError(
      'channel-bot-not-admin',
      { channel: title, status: member.status, rights: REQUIRED_RIGHTS.join(', ') },
      `the bot is ${member.status === 'left' || member.status === 'kicked' ? 'not in' : `only a ${member.status} of`} "${title}" (${chat.id}): make it an administrator with ${REQUIRED_RIGHTS.join(' and ')}`,
    );
  const missing = REQUIRED_RIGHTS.filter((right) => !member[right as keyof typeof member]);
  if (missing.length > 0)
    throw new CatalogError(
      'channel-missing-rights',
      { channel: title, rights: missing.join(', ') },
      `the bot is an administrator of "${title}" (${chat.id}) but lacks ${missing.join(' and ')}: grant it in the channel's administrator settings`,
    );
  return { id: chat.id, title };
}
