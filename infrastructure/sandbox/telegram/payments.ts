/**
 * Payments in Telegram Stars: sendInvoice, answerPreCheckoutQuery, refundStarPayment, getStarTransactions,
 * and an injected user paying an invoice message the way Telegram runs it: a pre_checkout_query to the bot,
 * its answer within the deadline (10 s on Telegram), then a Star transaction and the user's
 * successful_payment message (see EXTERNAL-APIS.md "Telegram Stars: policy and flow").
 *
 * Descriptions: missing parameters, labeled-price parsing and the rewording of QUERY_ID_INVALID follow the
 * Bot API server's source (tdlib/telegram-bot-api Client.cpp); the Stars rules answer with Telegram's own
 * error names (STARS_INVOICE_INVALID, CURRENCY_TOTAL_AMOUNT_INVALID, INVOICE_PAYLOAD_INVALID,
 * CHARGE_ALREADY_REFUNDED). A Star transaction is shaped as that server prints it: an incoming payment has
 * `source`, a refund is a second transaction with the same id and a `receiver`.
 */
import { randomBytes } from 'node:crypto';
import type {
  InlineKeyboardMarkup,
  LabeledPrice,
  Message,
  PreCheckoutQuery,
  StarTransactions,
  TransactionPartnerUser,
  Update,
} from 'grammy/types';
import { readReplyMarkup } from './formatting';
import { storeOutgoing } from './messages';
import { ParamReader } from './params';
import {
  CallContext,
  ChatRecord,
  MethodTable,
  PreCheckoutRecord,
  SandboxState,
  StoredMessage,
  randomToken,
} from './state';
import {
  BAD_REQUEST,
  PayInvoiceInput,
  PaymentOutcome,
  PaymentSettings,
  StarRefund,
  TelegramSandboxError,
  UpdateRecord,
} from './types';
import { enqueue } from './webhook';

export const STARS_CURRENCY = 'XTR';
/** The most Stars one invoice may ask for. */
export const MAX_STARS_PER_INVOICE = 10_000;
/** TDLib's bound on any price part and on the total (9999'9999'9999). */
const MAX_AMOUNT = 999_999_999_999;
/** How the Bot API server words QUERY_ID_INVALID. */
const QUERY_ID_INVALID = 'query is too old and response timeout expired or query ID is invalid';

// ---- Bot API methods -------------------------------------------------------------------------

export function sendInvoice(s: SandboxState, ctx: CallContext): Message {
  const p = ctx.p;
  const title = requiredString(p, 'title');
  const description = requiredString(p, 'description');
  const payload = requiredString(p, 'payload');
  const providerToken = p.string('provider_token') ?? '';
  const currency = requiredString(p, 'currency');
  const prices = readPrices(p);
  const maxTip = p.integer('max_tip_amount') ?? 0;
  const tips = p.json<unknown>('suggested_tip_amounts', 'suggested_tip_amounts');
  const startParameter = p.string('start_parameter') ?? '';
  const markup = readInvoiceMarkup(p);
  const chat = s.resolveChat(p.chatId());
  s.assertCanPost(chat);

  if ([...title].length > 32) throw BAD_REQUEST('TITLE_INVALID');
  if ([...description].length > 255) throw BAD_REQUEST('DESCRIPTION_INVALID');
  if (Buffer.byteLength(payload, 'utf8') > 128) throw BAD_REQUEST('INVOICE_PAYLOAD_INVALID');
  if (prices.some((price) => Math.abs(price.amount) > MAX_AMOUNT))
    throw BAD_REQUEST('too big amount of currency specified');
  const total = prices.reduce((sum, price) => sum + price.amount, 0);
  if (total <= 0) throw BAD_REQUEST('total price must be positive');
  if (total > MAX_AMOUNT) throw BAD_REQUEST('total price is too big');
  if (currency === STARS_CURRENCY) {
    // Stars: no payment provider, one price, no tips.
    const hasTips = maxTip > 0 || (Array.isArray(tips) && tips.length > 0);
    if (providerToken !== '' || prices.length !== 1 || hasTips) throw BAD_REQUEST('STARS_INVOICE_INVALID');
    if (total > MAX_STARS_PER_INVOICE) throw BAD_REQUEST('CURRENCY_TOTAL_AMOUNT_INVALID');
  } else if (providerToken === '') {
    throw BAD_REQUEST('PAYMENT_PROVIDER_INVALID');
  }

  return storeOutgoing(
    s,
    chat,
    ctx.bot,
    { invoice: { title, description, start_parameter: startParameter, currency, total_amount: total } },
    {
      method: 'sendInvoice',
      replyMarkup: markup,
      invoice: { title, description, payload, currency, totalAmount: total, chargeIds: [] },
    },
  );
}

export function answerPreCheckoutQuery(s: SandboxState, ctx: CallContext): true {
  const id = ctx.p.string('pre_checkout_query_id') ?? '';
  const ok = ctx.p.boolean('ok') ?? false;
  const errorMessage = ctx.p.string('error_message');
  if (!ok && !errorMessage) throw BAD_REQUEST('parameter "error_message" is required');
  const query = s.preCheckouts.get(id);
  // Unknown, answered already, or past its deadline: Telegram no longer waits for it.
  if (!query || query.answer || query.expired) throw BAD_REQUEST(QUERY_ID_INVALID);
  query.answer = ok ? { ok: true } : { ok: false, errorMessage };
  query.settle?.();
  return true;
}

export function refundStarPayment(s: SandboxState, ctx: CallContext): true {
  const userId = ctx.p.userId();
  const chargeId = requiredString(ctx.p, 'telegram_payment_charge_id');
  const payment = s.starTransactions.find(
    (t) => t.id === chargeId && t.source?.type === 'user' && t.source.user.id === userId,
  );
  if (!payment?.source) throw BAD_REQUEST('CHARGE_NOT_FOUND');
  if (s.starTransactions.some((t) => t.id === chargeId && t.receiver)) throw BAD_REQUEST('CHARGE_ALREADY_REFUNDED');
  // A refund is an outgoing transaction carrying the payment's id, to the same user.
  s.starTransactions.push({ id: chargeId, date: s.unixNow(), receiver: { ...payment.source }, amount: payment.amount });
  s.events.emit('refund', chargeId);
  return true;
}

export function getStarTransactions(s: SandboxState, ctx: CallContext): StarTransactions {
  // Out-of-range values are clamped, not refused, as the Bot API server does.
  const offset = Math.max(0, ctx.p.integer('offset') ?? 0);
  const limit = Math.min(100, Math.max(1, ctx.p.integer('limit') ?? 100));
  return { transactions: s.starTransactions.slice(offset, offset + limit).map((t) => structuredClone(t)) };
}

/** Bot API methods of this area. */
export function paymentMethods(s: SandboxState): MethodTable {
  return {
    sendInvoice: (ctx) => sendInvoice(s, ctx),
    answerPreCheckoutQuery: (ctx) => answerPreCheckoutQuery(s, ctx),
    refundStarPayment: (ctx) => refundStarPayment(s, ctx),
    getStarTransactions: (ctx) => getStarTransactions(s, ctx),
  };
}

// ---- The user pays -------------------------------------------------------------------------

/**
 * An injected user pays an invoice message: a pre_checkout_query goes to the bot through the usual update
 * delivery, the sandbox waits for answerPreCheckoutQuery up to the deadline, and then the payment is made
 * (a Star transaction and a successful_payment message from the user), declined with the bot's
 * error_message, or fails on the timeout. Resolves with the outcome.
 */
export async function payInvoice(s: SandboxState, input: PayInvoiceInput): Promise<PaymentOutcome> {
  if (!input || typeof input !== 'object') throw new TelegramSandboxError('a JSON object body is required');
  if (!Number.isSafeInteger(input.userId)) throw new TelegramSandboxError('userId must be the paying user id');
  const deadlineMs = input.deadlineMs ?? s.preCheckoutDeadlineMs;
  if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 0)
    throw new TelegramSandboxError('deadlineMs must be a number of milliseconds ≥ 0');
  const payer = s.requireUser(input.userId);
  const chatId = input.chatId ?? payer.user.id;
  const chat = s.chats.get(chatId);
  if (!chat) throw new TelegramSandboxError(`unknown chat ${chatId}`, 404);
  const stored = findInvoiceMessage(chat, input);
  const invoice = stored.invoice;
  const messageId = stored.message.message_id;
  if (!invoice) throw new TelegramSandboxError(`message ${messageId} in chat ${chatId} is not an invoice`, 404);
  if (stored.deleted)
    throw new TelegramSandboxError(
      `invoice message ${messageId} in chat ${chatId} was deleted and cannot be paid`,
      409,
    );
  if (invoice.currency !== STARS_CURRENCY)
    throw new TelegramSandboxError(`the sandbox pays Stars invoices only (this one is in ${invoice.currency})`, 409);
  if (invoice.chargeIds.length > 0 && !input.force)
    throw new TelegramSandboxError(
      `invoice message ${messageId} in chat ${chatId} is paid already; pass force: true to pay it again`,
      409,
    );
  const deliver = input.deliverSuccessfulPayment ?? s.paymentSettings.deliverSuccessfulPayment;

  const query: PreCheckoutRecord = { id: newPreCheckoutQueryId(), userId: payer.user.id, expired: false };
  s.preCheckouts.set(query.id, query);
  const preCheckout: PreCheckoutQuery = {
    id: query.id,
    from: payer.user,
    currency: invoice.currency,
    total_amount: invoice.totalAmount,
    invoice_payload: invoice.payload,
  };
  enqueue(s, { pre_checkout_query: preCheckout });
  await waitForAnswer(query, deadlineMs, s.lifetime.signal);

  const base = {
    preCheckoutQueryId: query.id,
    userId: payer.user.id,
    chatId: chat.id,
    messageId,
    invoicePayload: invoice.payload,
    currency: invoice.currency,
    totalAmount: invoice.totalAmount,
  };
  let outcome: PaymentOutcome;
  if (!query.answer) {
    outcome = { ...base, outcome: 'timeout', at: s.now() };
  } else if (!query.answer.ok) {
    outcome = { ...base, outcome: 'declined', errorMessage: query.answer.errorMessage, at: s.now() };
  } else {
    const chargeId = `stx${randomToken(56)}`;
    const partner: TransactionPartnerUser = {
      type: 'user',
      transaction_type: 'invoice_payment',
      user: payer.user,
      invoice_payload: invoice.payload,
    };
    s.starTransactions.push({ id: chargeId, date: s.unixNow(), source: partner, amount: invoice.totalAmount });
    invoice.chargeIds.push(chargeId);
    const message = {
      message_id: chat.nextMessageId++,
      from: payer.user,
      chat: s.wireChat(chat),
      date: s.unixNow(),
      successful_payment: {
        currency: invoice.currency,
        total_amount: invoice.totalAmount,
        invoice_payload: invoice.payload,
        telegram_payment_charge_id: chargeId,
        provider_payment_charge_id: `${payer.user.id}_${s.starTransactions.filter((t) => t.source).length}`,
      },
    } as Message;
    chat.messages.set(message.message_id, { message, outgoing: false, edited: false, deleted: false });
    if (deliver) enqueue(s, { message } as Omit<Update, 'update_id'>);
    else missUpdate(s, message);
    outcome = {
      ...base,
      outcome: 'paid',
      chargeId,
      paymentMessageId: message.message_id,
      delivered: deliver,
      at: s.now(),
    };
  }
  s.payments.push(outcome);
  s.events.emit('payment', outcome);
  return outcome;
}

export function starRefunds(s: SandboxState): StarRefund[] {
  return s.starTransactions.flatMap((t) =>
    t.receiver?.type === 'user'
      ? [
          {
            chargeId: t.id,
            userId: t.receiver.user.id,
            amount: t.amount,
            invoicePayload: t.receiver.invoice_payload ?? '',
            date: t.date,
          },
        ]
      : [],
  );
}

export function setPaymentSettings(s: SandboxState, change: Partial<PaymentSettings>): PaymentSettings {
  if (!change || typeof change !== 'object') throw new TelegramSandboxError('a JSON object body is required');
  if (change.deliverSuccessfulPayment !== undefined) {
    if (typeof change.deliverSuccessfulPayment !== 'boolean')
      throw new TelegramSandboxError('deliverSuccessfulPayment must be true or false');
    s.paymentSettings.deliverSuccessfulPayment = change.deliverSuccessfulPayment;
  }
  return { ...s.paymentSettings };
}

// ---- Helpers -------------------------------------------------------------------------------

function requiredString(p: ParamReader, name: string): string {
  const value = p.string(name);
  if (!value) throw BAD_REQUEST(`parameter "${name}" is required`);
  return value;
}

/** `prices`: a JSON array of LabeledPrice, parsed as the Bot API server does (amounts may be numeric strings). */
function readPrices(p: ParamReader): LabeledPrice[] {
  const raw = p.raw.prices;
  if (raw === undefined || raw === null || raw === '') throw BAD_REQUEST('parameter "prices" is required');
  const prices = p.json<unknown>('prices', 'prices');
  if (!Array.isArray(prices)) throw BAD_REQUEST('expected an Array of labeled prices');
  const parsed = prices.map((item: unknown): LabeledPrice => {
    const refuse = (why: string) => BAD_REQUEST(`can't parse labeled price: ${why}`);
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw refuse('LabeledPrice must be an Object');
    const { label, amount } = item as Record<string, unknown>;
    if (label === undefined) throw refuse(`Can't find field "label"`);
    if (typeof label !== 'string' && typeof label !== 'number') throw refuse('Field "label" must be of type String');
    if (String(label) === '') throw refuse('LabeledPrice label must be non-empty');
    if (amount === undefined) throw refuse(`Can't find field "amount"`);
    if (typeof amount !== 'number' && typeof amount !== 'string') throw refuse('Field "amount" must be a Number');
    const text = String(amount).trim();
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw refuse('Field "amount" must be a valid Number');
    return { label: String(label), amount: Number(text) };
  });
  if (parsed.length === 0) throw BAD_REQUEST('there must be at least one price');
  return parsed;
}

/** An invoice's keyboard is inline, and its first button must be the Pay button. */
function readInvoiceMarkup(p: ParamReader): InlineKeyboardMarkup | undefined {
  const markup = readReplyMarkup(p);
  if (markup === undefined) return undefined;
  if (!('inline_keyboard' in markup)) throw BAD_REQUEST('REPLY_MARKUP_INVALID');
  if (markup.inline_keyboard.length === 0) return undefined;
  const first = markup.inline_keyboard[0]?.[0] as { pay?: unknown } | undefined;
  if (first?.pay !== true) throw BAD_REQUEST('REPLY_MARKUP_BUY_EMPTY');
  return markup;
}

function findInvoiceMessage(chat: ChatRecord, input: PayInvoiceInput): StoredMessage {
  if (input.messageId !== undefined) {
    const stored = chat.messages.get(input.messageId);
    if (!stored || !stored.outgoing || !stored.invoice)
      throw new TelegramSandboxError(`no invoice message ${input.messageId} in chat ${chat.id}`, 404);
    return stored;
  }
  if (typeof input.payload !== 'string')
    throw new TelegramSandboxError('name the invoice: messageId, or payload (the newest invoice with it)');
  const matching = [...chat.messages.values()].filter((m) => m.outgoing && m.invoice?.payload === input.payload);
  // The newest one still there; a deleted one only when nothing else matches (so paying it fails as it should).
  const found = matching.filter((m) => !m.deleted).at(-1) ?? matching.at(-1);
  if (!found)
    throw new TelegramSandboxError(`no invoice with payload ${JSON.stringify(input.payload)} in chat ${chat.id}`, 404);
  return found;
}

function waitForAnswer(query: PreCheckoutRecord, deadlineMs: number, lifetime: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      lifetime.removeEventListener('abort', onAbort);
      query.settle = undefined;
    };
    const onAbort = () => {
      finish();
      query.expired = true;
      reject(new TelegramSandboxError('the sandbox was reset or shut down while the payment waited', 409));
    };
    const timer = setTimeout(() => {
      finish();
      query.expired = true;
      resolve();
    }, deadlineMs);
    query.settle = () => {
      finish();
      resolve();
    };
    if (lifetime.aborted) onAbort();
    else lifetime.addEventListener('abort', onAbort, { once: true });
  });
}

/** The update exists (it takes an update_id, so the bot sees a gap) but is never delivered. */
function missUpdate(s: SandboxState, message: Message): void {
  const record: UpdateRecord = {
    update: { update_id: s.nextUpdateId++, message } as Update,
    type: 'message',
    createdAt: s.now(),
    state: 'dropped',
    attempts: 0,
  };
  s.updateLog.push(record);
}

/** Telegram's pre-checkout query ids are 64-bit integers, sent as strings. */
function newPreCheckoutQueryId(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn).toString();
}
