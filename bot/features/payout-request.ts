/**
 * Asking for a payout, shared by every payee kind (domain/payout.ts PAYOUT_SOURCES): a referral
 * partner's /payout, a seller's /withdraw and the Request payout button of /balance, a buyer's
 * /refund_wallet and the refund notice's button (`rfw`).
 *
 * Two ways in. One line (`/payout <amount> <network> <wallet>`): stateless, a retried update is the
 * same request (the payout id comes from the message). Or step by step from a button: the network
 * as buttons, then the wallet and (except for a refund, paid whole) the amount as text answering a
 * force-reply prompt; the step reached is kept in this process for PROMPT_TTL_MS, like the product
 * edits (a command ends it). Either way the bot checks what it can (amount, network, wallet format,
 * minimum, the balance it reads) and then starts the payout workflow, which has the last word on the
 * balance (it reserves atomically) and confirms the request to the payee itself.
 */
import { LRUCache } from 'lru-cache';
import { Composer, InlineKeyboard } from 'grammy';
import { accounts } from '../../domain/ledger';
import { formatMoney, toMinor } from '../../domain/money';
import {
  isPayoutNetwork,
  parseNetwork,
  PAYOUT_NETWORKS,
  PAYOUT_SOURCES,
  payoutMinimum,
  PayoutRequestError,
  validateWallet,
  type PayoutNetwork,
  type PayoutRefusal,
  type PayoutSource,
} from '../../domain/payout';
import { STARS_CURRENCY } from '../../domain/rail';
import type { Database } from '../../infrastructure/db/client';
import { owedOn, referrerBalances, refundsOwed } from '../../infrastructure/read-models/balances';
import type { BotContext } from '../context';
import { payoutAskData, payoutNetworkData, refundWalletData } from '../keyboards/callback-data';
import { requireProfile } from './profile';

export const PROMPT_TTL_MS = 10 * 60_000;

/** What the payee can withdraw now in one currency: a sum of ledger entries (negative after a clawback). */
export async function availableToPay(
  db: Database,
  source: PayoutSource,
  userId: number,
  currency: string,
): Promise<bigint> {
  switch (source) {
    case 'referrer':
      return (await referrerBalances(db, userId, currency)).available;
    case 'seller':
      return owedOn(db, accounts.sellerAvailable(userId), currency);
    case 'refund':
      return (await refundsOwed(db, userId)).find((owed) => owed.currency === currency)?.amountMinor ?? 0n;
  }
}

export const minimumOf = (ctx: BotContext, source: PayoutSource) => payoutMinimum(ctx.deps.config.payout, source);

/** Why a request was refused, in the payee's language. */
export function refusalText(
  ctx: BotContext,
  refusal: PayoutRefusal,
  currency: string,
  source: PayoutSource,
  network?: string,
): string {
  switch (refusal.code) {
    case 'network':
      return ctx.t('payout-bad-network', { networks: PAYOUT_NETWORKS.join(', ') });
    case 'wallet':
      return ctx.t(network === 'TRC20' ? 'payout-bad-wallet-tron' : 'payout-bad-wallet-evm', {
        network: network ?? '',
      });
    case 'minimum':
      return ctx.t('payout-below-minimum', { minimum: formatMoney(minimumOf(ctx, source), currency) });
    case 'stars':
      return ctx.t('payout-stars-not-paid-out');
    case 'amount':
    case 'tx_hash':
      return ctx.t('payout-bad-amount');
  }
}

/** Not enough to pay: a negative balance (a refund clawed back released money) says so. */
function insufficientText(ctx: BotContext, amountMinor: bigint, availableMinor: bigint, currency: string): string {
  if (availableMinor < 0n)
    return ctx.t('payout-blocked-negative', {
      available: formatMoney(availableMinor, currency),
      amount: formatMoney(amountMinor, currency),
    });
  return ctx.t('payout-insufficient', {
    amount: formatMoney(amountMinor, currency),
    available: formatMoney(availableMinor, currency),
  });
}

/** A positive amount with at most the currency's decimals ("25", "25.50", "25,5"), or undefined. */
export function parseAmount(text: string, currency: string): bigint | undefined {
  try {
    const minor = toMinor(text.trim().replace(',', '.'), currency);
    return minor > 0n ? minor : undefined;
  } catch {
    return undefined;
  }
}

export interface PayoutAsk {
  source: PayoutSource;
  /** From the message that completed the request, so a retried update is the same request. */
  payoutId: string;
  currency: string;
  amountMinor: bigint;
  network: PayoutNetwork;
  wallet: string;
  /** As the bot read it: a request it does not cover is refused before anything starts. */
  availableMinor: bigint;
}

/**
 * Why a request was refused. `malformed`: the request itself was wrong (below the minimum, say), so
 * the one-line form shows its usage and the steps ask again; otherwise the balance or the currency
 * is the reason.
 */
type Refuse = (text: string, malformed: boolean) => Promise<unknown>;

/**
 * Checks the minimum and the balance read, then starts the payout workflow. Accepted: the workflow
 * confirms to the payee (and tells the admins). Refused: the reason is passed to `refuse`.
 */
export async function startPayout(ctx: BotContext, ask: PayoutAsk, refuse: Refuse): Promise<boolean> {
  const { commands, logger } = ctx.deps;
  const user = requireProfile(ctx);
  if (ask.currency === STARS_CURRENCY) {
    await refuse(ctx.t('payout-stars-not-paid-out'), false);
    return false;
  }
  if (ask.amountMinor < minimumOf(ctx, ask.source)) {
    await refuse(refusalText(ctx, { code: 'minimum', message: '' }, ask.currency, ask.source), true);
    return false;
  }
  if (ask.amountMinor > ask.availableMinor) {
    await refuse(insufficientText(ctx, ask.amountMinor, ask.availableMinor, ask.currency), false);
    return false;
  }
  try {
    const outcome = await commands.requestPayout({
      payoutId: ask.payoutId,
      source: ask.source,
      requesterId: user.id,
      amountMinor: ask.amountMinor,
      currency: ask.currency,
      network: ask.network,
      wallet: ask.wallet,
    });
    logger.info(
      { userId: user.id, payoutId: ask.payoutId, source: ask.source, accepted: outcome.accepted },
      'payout requested',
    );
    if (outcome.accepted) return true;
    await refuse(insufficientText(ctx, ask.amountMinor, BigInt(outcome.availableMinor), ask.currency), false);
    return false;
  } catch (error) {
    if (!(error instanceof PayoutRequestError)) throw error;
    await refuse(refusalText(ctx, error.refusal, ask.currency, ask.source, ask.network), true);
    return false;
  }
}

/** The payout id of a request completed by this message. */
export const payoutIdOf = (ctx: BotContext) => `tg${ctx.from!.id}m${ctx.message?.message_id ?? 0}`;

/**
 * `/<command> <amount> <network> <wallet>`: the one-line request, checked in the order the usage
 * line reads; every refusal of a malformed part is followed by the usage.
 */
export async function commandPayout(
  ctx: BotContext & { match: string },
  request: { source: PayoutSource; currency: string; availableMinor: bigint; usage: () => string },
): Promise<void> {
  const { source, currency, availableMinor, usage } = request;
  const args = ctx.match.trim().split(/\s+/).filter(Boolean);
  if (args.length !== 3) return void (await ctx.reply(usage()));
  const [amountText, networkText, walletText] = args as [string, string, string];
  const refuse = (text: string, malformed = true) => ctx.reply(malformed ? `${text}\n\n${usage()}` : text);

  const amountMinor = parseAmount(amountText, currency);
  if (amountMinor === undefined) return void (await refuse(ctx.t('payout-bad-amount')));
  const network = parseNetwork(networkText);
  if (typeof network !== 'string') return void (await refuse(refusalText(ctx, network, currency, source)));
  const wallet = validateWallet(network, walletText);
  if (typeof wallet !== 'string') return void (await refuse(refusalText(ctx, wallet, currency, source, network)));
  await startPayout(
    ctx,
    { source, payoutId: payoutIdOf(ctx), currency, amountMinor, network, wallet, availableMinor },
    refuse,
  );
}

// ---- Step by step, from a button ----

/** The network buttons for payouts in these currencies (one row per currency when there are several). */
export function networkKeyboard(source: PayoutSource, currencies: string[]): InlineKeyboard {
  return InlineKeyboard.from(
    currencies.map((currency) =>
      PAYOUT_NETWORKS.map((network) =>
        InlineKeyboard.text(
          currencies.length > 1 ? `${network} · ${currency}` : network,
          payoutNetworkData.pack({ source, currency, network }),
        ),
      ),
    ),
  );
}

/** The button that starts the steps (on /balance). */
export const askPayoutButton = (ctx: BotContext, source: PayoutSource, currency: string) =>
  InlineKeyboard.text(ctx.t('payout-ask-button', { currency }), payoutAskData.pack({ source, currency }));

type Step =
  | { step: 'wallet'; source: PayoutSource; currency: string; network: PayoutNetwork }
  | { step: 'amount'; source: PayoutSource; currency: string; network: PayoutNetwork; wallet: string };

/** Payee id → the step they are asked for, forgotten PROMPT_TTL_MS after it was asked. */
const pending = new LRUCache<number, Step>({ max: 10_000, ttl: PROMPT_TTL_MS });
const pendingOf = (userId: number) => pending.get(userId);

/** Wallets and refunds: what this payee may ask for in a currency, or the reason they may not. */
async function nothingToPay(ctx: BotContext, source: PayoutSource, currency: string): Promise<string | undefined> {
  if (currency === STARS_CURRENCY) return ctx.t('payout-stars-not-paid-out');
  const available = await availableToPay(ctx.deps.db, source, ctx.from!.id, currency);
  if (available < 0n) return ctx.t('payout-blocked', { available: formatMoney(available, currency) });
  if (available === 0n || available < minimumOf(ctx, source))
    return ctx.t(source === 'refund' ? 'refund-wallet-nothing-owed' : 'payout-nothing-available', {
      available: formatMoney(available, currency),
      minimum: formatMoney(minimumOf(ctx, source), currency),
    });
  return undefined;
}

const isSource = (value: string): value is PayoutSource => (PAYOUT_SOURCES as readonly string[]).includes(value);

export const payoutRequest = new Composer<BotContext>();
const chat = payoutRequest.chatType('private');

chat.callbackQuery(payoutAskData.pattern, async (ctx) => {
  const { source, currency } = payoutAskData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  if (!isSource(source)) return;
  const refused = await nothingToPay(ctx, source, currency);
  if (refused) return void (await ctx.reply(refused));
  await ctx.reply(ctx.t('payout-choose-network', { currency }), { reply_markup: networkKeyboard(source, [currency]) });
});

chat.callbackQuery(payoutNetworkData.pattern, async (ctx) => {
  const { source, currency, network } = payoutNetworkData.unpack(ctx.callbackQuery.data)!;
  await ctx.answerCallbackQuery();
  if (!isSource(source) || !isPayoutNetwork(network)) return;
  const refused = await nothingToPay(ctx, source, currency);
  if (refused) return void (await ctx.reply(refused));
  pending.set(ctx.from.id, { step: 'wallet', source, currency, network });
  await ctx.reply(ctx.t('payout-ask-wallet', { network }), {
    reply_markup: { force_reply: true, input_field_placeholder: network === 'TRC20' ? 'T…' : '0x…' },
  });
});

chat.on('message:text', async (ctx, next) => {
  const { text } = ctx.message;
  if (text.startsWith('/')) {
    pending.delete(ctx.from.id);
    return next();
  }
  const asked = pendingOf(ctx.from.id);
  if (!asked) return next();
  const { source, currency, network } = asked;
  // A refusal keeps the question open: the next text is another try.
  const again = (reply: string) => {
    pending.set(ctx.from.id, asked);
    return ctx.reply(reply);
  };
  if (asked.step === 'wallet') {
    const wallet = validateWallet(network, text);
    if (typeof wallet !== 'string') return void (await again(refusalText(ctx, wallet, currency, source, network)));
    const available = await availableToPay(ctx.deps.db, source, ctx.from.id, currency);
    if (source === 'refund') {
      // A refund is paid whole: no amount to ask.
      pending.delete(ctx.from.id);
      if (available <= 0n) return void (await ctx.reply(ctx.t('refund-wallet-nothing-owed')));
      const ask = { source, payoutId: payoutIdOf(ctx), currency, network, wallet };
      await startPayout(ctx, { ...ask, amountMinor: available, availableMinor: available }, (reply) =>
        ctx.reply(reply),
      );
      return;
    }
    pending.set(ctx.from.id, { step: 'amount', source, currency, network, wallet });
    await ctx.reply(
      ctx.t('payout-ask-amount', {
        available: formatMoney(available, currency),
        minimum: formatMoney(minimumOf(ctx, source), currency),
      }),
      { reply_markup: { force_reply: true, input_field_placeholder: '25.00' } },
    );
    return;
  }
  const amountMinor = parseAmount(text, currency);
  if (amountMinor === undefined) return void (await again(ctx.t('payout-bad-amount')));
  const available = await availableToPay(ctx.deps.db, source, ctx.from.id, currency);
  pending.delete(ctx.from.id);
  await startPayout(
    ctx,
    {
      source,
      payoutId: payoutIdOf(ctx),
      currency,
      amountMinor,
      network,
      wallet: asked.wallet,
      availableMinor: available,
    },
    (reply, malformed) => (malformed ? again(reply) : ctx.reply(reply)),
  );
});

// ---- Refunds owed on crypto rails: the buyer gives the wallet ----

/** The refund notice's button and /refund_wallet: the networks for each currency owed. */
async function askRefundWallet(ctx: BotContext): Promise<void> {
  const owed = (await refundsOwed(ctx.deps.db, ctx.from!.id)).filter((o) => o.currency !== STARS_CURRENCY);
  if (owed.length === 0) return void (await ctx.reply(ctx.t('refund-wallet-nothing-owed')));
  await ctx.reply(
    ctx.t('refund-wallet-choose-network', { owed: owed.map((o) => formatMoney(o.amountMinor, o.currency)).join(', ') }),
    {
      reply_markup: networkKeyboard(
        'refund',
        owed.map((o) => o.currency),
      ),
    },
  );
}

chat.callbackQuery(refundWalletData.pattern, async (ctx) => {
  await ctx.answerCallbackQuery();
  await askRefundWallet(ctx);
});
chat.command('refund_wallet', (ctx) => askRefundWallet(ctx));
