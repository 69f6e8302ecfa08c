/**
 * The catalog for admins (ADMIN_IDS), as guided flows with buttons:
 *   /newplan: id → title → period → price and currency → Stars price (optional) → trial → channels
 *   (pick known ones, or add one by forwarding a post from it or sending its @username / id) → confirm;
 *   /catalog: every plan with a card to change its title, period, trial, price or Stars price, attach
 *   or detach channels, deactivate or activate it; /cancel leaves a flow.
 * The rules are domain/plan.ts, the writes (each with its audit row) infrastructure/catalog/plans.ts,
 * both shared with the ops CLI. A channel is accepted only when Telegram says the bot is an
 * administrator there with the rights it needs (verifyChannel).
 *
 * Limitation: @grammyjs/conversations is not installed, so a flow is a small state machine kept in
 * memory, keyed by the admin's Telegram id. It is lost when the bot process restarts (the admin
 * starts again with /newplan) and assumes one bot process, which is how the bot runs (one webhook
 * or one polling runner). An unfinished flow is forgotten after FLOW_TTL_MS without input.
 */
import { Composer, type Filter } from 'grammy';
import type { Message } from 'grammy/types';
import { formatMoney } from '../../domain/money';
import {
  parseChannelRef,
  parsePlanDuration,
  parsePlanId,
  parsePrice,
  parseStarsPrice,
  parseTitle,
  parseTrial,
  PlanInputError,
  type PlanDraft,
} from '../../domain/plan';
import {
  attachChannel,
  auditRefusal,
  CatalogError,
  createPlan,
  detachChannel,
  editPlan,
  findPlan,
  knownChannels,
  listPlans,
  planExists,
  setPlanActive,
  setPlanPrice,
  setPlanStarsPrice,
  verifyChannel,
  type Actor,
  type ChannelInfo,
} from '../../infrastructure/catalog/plans';
import type { BotContext } from '../context';
import {
  catalogActionData,
  catalogDetachData,
  catalogPlanData,
  newPlanCancelData,
  newPlanChannelData,
  newPlanCreateData,
  newPlanDoneData,
} from '../keyboards/callback-data';
import { describeDuration } from '../keyboards/plans';
import {
  CARD_ACTIONS,
  catalogKeyboard,
  confirmPlanKeyboard,
  pickChannelsKeyboard,
  planCardKeyboard,
  type CardAction,
} from '../keyboards/plans-admin';
import { isAdmin } from './admin';

export const FLOW_TTL_MS = 30 * 60_000;

type NewPlanStep = 'id' | 'title' | 'duration' | 'price' | 'stars' | 'trial' | 'channels' | 'confirm';
type Flow =
  | {
      kind: 'new';
      step: NewPlanStep;
      draft: Partial<PlanDraft>;
      /** Picked for the plan. */
      channels: ChannelInfo[];
      /** Added during this flow (checked, not stored yet): offered as buttons even when unpicked. */
      added: ChannelInfo[];
      touchedAt: number;
    }
  | { kind: 'edit'; planId: string; field: 'title' | 'duration' | 'trial' | 'price' | 'stars'; touchedAt: number }
  | { kind: 'attach'; planId: string; touchedAt: number };

const flows = new Map<number, Flow>();

function flowOf(adminId: number): Flow | undefined {
  const flow = flows.get(adminId);
  if (flow && Date.now() - flow.touchedAt > FLOW_TTL_MS) {
    flows.delete(adminId);
    return undefined;
  }
  return flow;
}

function setFlow(adminId: number, flow: Flow): void {
  flows.set(adminId, { ...flow, touchedAt: Date.now() });
}

const actorOf = (ctx: BotContext): Actor => ({ actor: 'admin', actorId: ctx.from!.id });

/** A refusal from the rules or the catalog, in the admin's language; anything else is a real failure. */
function refusalText(ctx: BotContext, error: unknown): string | undefined {
  if (error instanceof PlanInputError || error instanceof CatalogError) return ctx.t(error.key, error.vars);
  return undefined;
}

const PROMPTS: Record<Exclude<NewPlanStep, 'channels' | 'confirm'>, string> = {
  id: 'plan-admin-ask-id',
  title: 'plan-admin-ask-title',
  duration: 'plan-admin-ask-duration',
  price: 'plan-admin-ask-price',
  stars: 'plan-admin-ask-stars',
  trial: 'plan-admin-ask-trial',
};

function describeTrial(ctx: BotContext, seconds: number): string {
  return seconds === 0 ? ctx.t('plan-admin-no-trial') : describeDuration(ctx.t, seconds);
}

function describeStars(ctx: BotContext, stars: number | null | undefined): string {
  return stars == null ? ctx.t('plan-admin-no-stars') : ctx.t('plan-admin-stars', { stars: String(stars) });
}

/** A Stars price typed by the admin; their language's "no" also means "not sold for Stars". */
function starsPriceOf(ctx: BotContext, text: string): number | null {
  return parseStarsPrice(text, ctx.t('plan-admin-stars-no-words').split(','));
}

async function askChannels(ctx: BotContext, flow: Extract<Flow, { kind: 'new' }>): Promise<void> {
  const known = await knownChannels(ctx.deps.db);
  // Channels added during this flow are shown even before they are stored.
  const extra = flow.added.filter((c) => !known.some((k) => k.id === c.id));
  const all = [...known, ...extra];
  const picked = new Set(flow.channels.map((c) => c.id));
  await ctx.reply(
    ctx.t('plan-admin-ask-channels', {
      picked: flow.channels.map((c) => c.title).join(', ') || '—',
    }),
    { reply_markup: pickChannelsKeyboard(ctx.t, all, picked) },
  );
}

async function askConfirm(ctx: BotContext, flow: Extract<Flow, { kind: 'new' }>): Promise<void> {
  const d = flow.draft as PlanDraft;
  await ctx.reply(
    ctx.t('plan-admin-confirm', {
      id: d.id,
      title: d.title,
      duration: describeDuration(ctx.t, d.durationSeconds),
      price: formatMoney(d.priceMinor, d.currency),
      stars: describeStars(ctx, d.priceStars),
      trial: describeTrial(ctx, d.trialSeconds),
      channels: flow.channels.map((c) => `${c.title} (${c.id})`).join(', '),
    }),
    { reply_markup: confirmPlanKeyboard(ctx.t) },
  );
}

/** A channel the admin pointed at: a post forwarded from it, or its @username or id. */
function channelRefOf(message: Message): number | string | undefined {
  const origin = message.forward_origin;
  if (origin?.type === 'channel') return origin.chat.id;
  if (message.text) return parseChannelRef(message.text);
  return undefined;
}

/** Asks Telegram about the channel; on refusal tells the admin exactly what is missing and audits it. */
async function checkedChannel(ctx: BotContext, ref: number | string, planId: string): Promise<ChannelInfo | undefined> {
  try {
    return await verifyChannel(ctx.api, ctx.me.id, ref);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    await auditRefusal(ctx.deps.db, actorOf(ctx), 'plan.channel_attach', planId, error);
    await ctx.reply(ctx.t(error.key, error.vars));
    return undefined;
  }
}

async function showCard(ctx: BotContext, planId: string): Promise<void> {
  const plan = (await listPlans(ctx.deps.db)).find((p) => p.id === planId);
  if (!plan) {
    await ctx.reply(ctx.t('plan-unknown', { planId }));
    return;
  }
  await ctx.reply(
    ctx.t('plan-admin-card', {
      id: plan.id,
      title: plan.title,
      state: ctx.t(plan.active ? 'plan-admin-state-active' : 'plan-admin-state-inactive'),
      duration: describeDuration(ctx.t, plan.durationSeconds),
      price: formatMoney(plan.priceMinor, plan.currency),
      stars: describeStars(ctx, plan.priceStars),
      trial: describeTrial(ctx, plan.trialSeconds),
      channels: plan.channels.map((c) => `${c.title} (${c.id})`).join(', ') || '—',
    }),
    { reply_markup: planCardKeyboard(ctx.t, plan, plan.channels) },
  );
}

export const plansAdmin = new Composer<BotContext>();
const chat = plansAdmin.chatType('private').filter(isAdmin);

chat.command('newplan', async (ctx) => {
  setFlow(ctx.from.id, { kind: 'new', step: 'id', draft: {}, channels: [], added: [], touchedAt: 0 });
  await ctx.reply(ctx.t(PROMPTS.id));
});

chat.command('catalog', async (ctx) => {
  flows.delete(ctx.from.id);
  const list = await listPlans(ctx.deps.db);
  if (list.length === 0) return void (await ctx.reply(ctx.t('plan-admin-catalog-empty')));
  await ctx.reply(ctx.t('plan-admin-catalog'), { reply_markup: catalogKeyboard(list) });
});

chat.command('cancel', async (ctx) => {
  const had = flows.delete(ctx.from.id);
  await ctx.reply(ctx.t(had ? 'plan-admin-cancelled' : 'plan-admin-no-flow'));
});

/** One step of /newplan from a text (or forwarded) message; refusals keep the step. */
async function newPlanInput(ctx: BotContext, flow: Extract<Flow, { kind: 'new' }>, message: Message): Promise<void> {
  const text = message.text ?? '';
  const next = (step: NewPlanStep) => setFlow(ctx.from!.id, { ...flow, step });
  switch (flow.step) {
    case 'id': {
      const id = parsePlanId(text);
      if (await planExists(ctx.deps.db, id)) throw new CatalogError('plan-exists', { planId: id }, 'exists');
      flow.draft.id = id;
      next('title');
      return void (await ctx.reply(ctx.t(PROMPTS.title)));
    }
    case 'title':
      flow.draft.title = parseTitle(text);
      next('duration');
      return void (await ctx.reply(ctx.t(PROMPTS.duration)));
    case 'duration':
      flow.draft.durationSeconds = parsePlanDuration(text);
      next('price');
      return void (await ctx.reply(ctx.t(PROMPTS.price)));
    case 'price':
      Object.assign(flow.draft, parsePrice(text));
      next('stars');
      return void (await ctx.reply(ctx.t(PROMPTS.stars)));
    case 'stars':
      flow.draft.priceStars = starsPriceOf(ctx, text);
      next('trial');
      return void (await ctx.reply(ctx.t(PROMPTS.trial)));
    case 'trial':
      flow.draft.trialSeconds = parseTrial(text);
      next('channels');
      return askChannels(ctx, flow);
    case 'channels': {
      const ref = channelRefOf(message);
      if (ref === undefined) return void (await ctx.reply(ctx.t('plan-admin-bad-channel-ref')));
      const channel = await checkedChannel(ctx, ref, flow.draft.id!);
      if (!channel) return;
      if (!flow.channels.some((c) => c.id === channel.id)) flow.channels.push(channel);
      if (!flow.added.some((c) => c.id === channel.id)) flow.added.push(channel);
      next('channels');
      return askChannels(ctx, flow);
    }
    case 'confirm':
      return void (await ctx.reply(ctx.t('plan-admin-press-create')));
  }
}

/** The text an edit button asked for. */
async function editInput(ctx: BotContext, flow: Extract<Flow, { kind: 'edit' }>, text: string): Promise<void> {
  const { db } = ctx.deps;
  const who = actorOf(ctx);
  switch (flow.field) {
    case 'title':
      await editPlan(db, who, flow.planId, { title: parseTitle(text) });
      break;
    case 'duration':
      await editPlan(db, who, flow.planId, { durationSeconds: parsePlanDuration(text) });
      break;
    case 'trial':
      await editPlan(db, who, flow.planId, { trialSeconds: parseTrial(text) });
      break;
    case 'price':
      await setPlanPrice(db, who, flow.planId, parsePrice(text));
      break;
    case 'stars': {
      const { priceStars } = await setPlanStarsPrice(db, who, flow.planId, starsPriceOf(ctx, text));
      flows.delete(ctx.from!.id);
      await ctx.reply(ctx.t(priceStars === null ? 'plan-admin-stars-removed' : 'plan-admin-stars-saved'));
      return showCard(ctx, flow.planId);
    }
  }
  flows.delete(ctx.from!.id);
  await ctx.reply(ctx.t(flow.field === 'price' ? 'plan-admin-price-saved' : 'plan-admin-saved'));
  await showCard(ctx, flow.planId);
}

chat.on('message', async (ctx: Filter<BotContext, 'message'>, next) => {
  const flow = flowOf(ctx.from.id);
  const message = ctx.message;
  if (!flow || message.text?.startsWith('/')) return next();
  try {
    if (flow.kind === 'new') return await newPlanInput(ctx, flow, message);
    if (flow.kind === 'edit') {
      if (!message.text) return void (await ctx.reply(ctx.t('plan-admin-send-text')));
      return await editInput(ctx, flow, message.text);
    }
    const ref = channelRefOf(message);
    if (ref === undefined) return void (await ctx.reply(ctx.t('plan-admin-bad-channel-ref')));
    const channel = await checkedChannel(ctx, ref, flow.planId);
    if (!channel) return;
    const { attached } = await attachChannel(ctx.deps.db, actorOf(ctx), flow.planId, channel);
    flows.delete(ctx.from.id);
    await ctx.reply(
      ctx.t(attached ? 'plan-admin-attached' : 'plan-admin-already-attached', { channel: channel.title }),
    );
    await showCard(ctx, flow.planId);
  } catch (error) {
    const text = refusalText(ctx, error);
    if (text === undefined) throw error;
    if (flow.kind !== 'new')
      await auditRefusal(
        ctx.deps.db,
        actorOf(ctx),
        flow.kind === 'attach' ? 'plan.channel_attach' : EDIT_AUDIT_ACTIONS[flow.field],
        flow.planId,
        error as Error,
      );
    await ctx.reply(text);
  }
});

/** The audit action of each card edit, for its refusals too. */
const EDIT_AUDIT_ACTIONS = {
  title: 'plan.edit',
  duration: 'plan.edit',
  trial: 'plan.edit',
  price: 'plan.price',
  stars: 'plan.price_stars',
} as const;

/** A /newplan button while that flow is at the given step, else a "start again" alert. */
function newPlanFlow(ctx: BotContext, steps: NewPlanStep[]): Extract<Flow, { kind: 'new' }> | undefined {
  const flow = flowOf(ctx.from!.id);
  return flow?.kind === 'new' && steps.includes(flow.step) ? flow : undefined;
}

async function staleButton(ctx: BotContext): Promise<void> {
  await ctx.answerCallbackQuery({ text: ctx.t('plan-admin-stale'), show_alert: true });
}

chat.callbackQuery(newPlanChannelData.pattern, async (ctx) => {
  const flow = newPlanFlow(ctx, ['channels']);
  if (!flow) return staleButton(ctx);
  const channelId = Number(newPlanChannelData.unpack(ctx.callbackQuery.data)!.channelId);
  const index = flow.channels.findIndex((c) => c.id === channelId);
  if (index >= 0) {
    flow.channels.splice(index, 1);
  } else {
    await ctx.answerCallbackQuery({ text: ctx.t('plan-admin-checking') });
    const channel = await checkedChannel(ctx, channelId, flow.draft.id!);
    if (!channel) return;
    flow.channels.push(channel);
  }
  setFlow(ctx.from.id, flow);
  await ctx.answerCallbackQuery().catch(() => undefined);
  await askChannels(ctx, flow);
});

chat.callbackQuery(newPlanDoneData.pattern, async (ctx) => {
  const flow = newPlanFlow(ctx, ['channels']);
  if (!flow) return staleButton(ctx);
  if (flow.channels.length === 0)
    return void (await ctx.answerCallbackQuery({ text: ctx.t('plan-no-channels'), show_alert: true }));
  setFlow(ctx.from.id, { ...flow, step: 'confirm' });
  await ctx.answerCallbackQuery();
  await askConfirm(ctx, flow);
});

chat.callbackQuery(newPlanCreateData.pattern, async (ctx) => {
  const flow = newPlanFlow(ctx, ['confirm']);
  if (!flow) return staleButton(ctx);
  const draft = flow.draft as PlanDraft;
  try {
    await createPlan(ctx.deps.db, actorOf(ctx), draft, flow.channels);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    await auditRefusal(ctx.deps.db, actorOf(ctx), 'plan.create', draft.id, error);
    flows.delete(ctx.from.id);
    await ctx.answerCallbackQuery();
    return void (await ctx.reply(ctx.t(error.key, error.vars)));
  }
  flows.delete(ctx.from.id);
  ctx.deps.logger.info({ adminId: ctx.from.id, action: 'plan.create', planId: draft.id }, 'admin action');
  await ctx.answerCallbackQuery();
  await ctx
    .editMessageReplyMarkup()
    .catch((error: unknown) => ctx.deps.logger.debug({ err: error }, 'confirm buttons left in place'));
  await ctx.reply(ctx.t('plan-admin-created', { id: draft.id, title: draft.title }));
});

chat.callbackQuery(newPlanCancelData.pattern, async (ctx) => {
  flows.delete(ctx.from.id);
  await ctx.answerCallbackQuery();
  await ctx.reply(ctx.t('plan-admin-cancelled'));
});

chat.callbackQuery(catalogPlanData.pattern, async (ctx) => {
  await ctx.answerCallbackQuery();
  await showCard(ctx, catalogPlanData.unpack(ctx.callbackQuery.data)!.planId);
});

const EDIT_PROMPTS = {
  title: 'plan-admin-ask-title',
  duration: 'plan-admin-ask-duration',
  trial: 'plan-admin-ask-trial',
  price: 'plan-admin-ask-price',
  stars: 'plan-admin-ask-stars-edit',
} as const;

chat.callbackQuery(catalogActionData.pattern, async (ctx) => {
  const { action, planId } = catalogActionData.unpack(ctx.callbackQuery.data)!;
  if (!(CARD_ACTIONS as readonly string[]).includes(action)) return staleButton(ctx);
  const plan = await findPlan(ctx.deps.db, planId);
  if (!plan) return void (await ctx.answerCallbackQuery({ text: ctx.t('plan-unknown', { planId }), show_alert: true }));
  await ctx.answerCallbackQuery();
  switch (action as CardAction) {
    case 'title':
    case 'duration':
    case 'trial':
    case 'price':
    case 'stars': {
      const field = action as keyof typeof EDIT_PROMPTS;
      setFlow(ctx.from.id, { kind: 'edit', planId, field, touchedAt: 0 });
      return void (await ctx.reply(ctx.t(EDIT_PROMPTS[field])));
    }
    case 'attach':
      setFlow(ctx.from.id, { kind: 'attach', planId, touchedAt: 0 });
      return void (await ctx.reply(ctx.t('plan-admin-ask-attach')));
    case 'off':
    case 'on': {
      const active = action === 'on';
      await setPlanActive(ctx.deps.db, actorOf(ctx), planId, active);
      await ctx.reply(ctx.t(active ? 'plan-admin-activated' : 'plan-admin-deactivated', { title: plan.title }));
      return showCard(ctx, planId);
    }
  }
});

chat.callbackQuery(catalogDetachData.pattern, async (ctx) => {
  const { planId, channelId } = catalogDetachData.unpack(ctx.callbackQuery.data)!;
  try {
    const { detached } = await detachChannel(ctx.deps.db, actorOf(ctx), planId, Number(channelId));
    await ctx.answerCallbackQuery({ text: ctx.t(detached ? 'plan-admin-detached' : 'plan-admin-stale') });
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    await auditRefusal(ctx.deps.db, actorOf(ctx), 'plan.channel_detach', planId, error);
    return void (await ctx.answerCallbackQuery({ text: ctx.t(error.key, error.vars), show_alert: true }));
  }
  await showCard(ctx, planId);
});
