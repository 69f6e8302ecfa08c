/**
 * Telegram Bot API emulator. It answers `/bot<token>/<method>` with the real wire format
 * (`{ok, result}` / `{ok: false, error_code, description, parameters}` and the matching HTTP status),
 * keeps the state a bot can observe (chats, members, invite links, join requests, messages), turns
 * user actions into real Update objects delivered by webhook or getUpdates, records every call, and
 * injects faults on demand. One sandbox emulates one bot: any well-formed token acts on the same state.
 *
 * Layout: this class is the public face; all state lives in one SandboxState (state.ts) that the area
 * modules act on: api.ts (the /bot<token>/<method> endpoint and dispatch, and /file/bot<token>/<path>
 * downloads), messages.ts, files.ts (uploads, getFile),
 * chats.ts, invite-links.ts, payments.ts (Stars invoices, pre-checkout, refunds, transactions),
 * webhook.ts (update delivery), faults.ts, with params.ts and formatting.ts
 * for reading parameters and checking parse_mode / reply markup, and control.ts for `/_sandbox/telegram`.
 * A new Bot API area exports its `MethodTable` and is added in api.ts buildHandlers.
 */
import { EventEmitter } from 'node:events';
import { openWebApp, type OpenedWebApp } from './web-app';
import type { FastifyInstance } from 'fastify';
import type { BotCommand, Chat, ChatMember, StarTransaction, Update, User } from 'grammy/types';
import { buildHandlers, registerBotApi } from './api';
import { botMember, leaveChat, setBotRights } from './chats';
import { registerControl } from './control';
import { clearFaults, faults, injectFault } from './faults';
import { storeFile } from './files';
import { inviteLinks, joinByLink, joinRequests, requestJoin } from './invite-links';
import { pressButton, sendText } from './messages';
import { payInvoice, setPaymentSettings, starRefunds } from './payments';
import { ChatRecord, SandboxState, fullAdminRights } from './state';
import {
  ActiveFault,
  AdminRights,
  BotRightsChange,
  BotStatus,
  CallbackAnswer,
  FaultSpec,
  InviteLinkInfo,
  JoinRequestInfo,
  MemberStatus,
  PayInvoiceInput,
  PaymentOutcome,
  PaymentSettings,
  SentMessage,
  StarRefund,
  TelegramCall,
  TelegramSandboxError,
  TelegramSandboxOptions,
  UpdateRecord,
  UserInput,
  WebhookDelivery,
} from './types';
import { enqueue } from './webhook';

export class TelegramSandbox {
  /** All state; the per-area modules act on it. */
  private readonly s: SandboxState;

  constructor(options: TelegramSandboxOptions = {}) {
    this.s = new SandboxState(options);
    this.s.handlers = buildHandlers(this.s);
  }

  // ---- Scenario set-up -----------------------------------------------------------------------

  /** Registers a channel (or supergroup) where the bot is an administrator with every right unless told otherwise. */
  addChannel(input: {
    id: number;
    title: string;
    username?: string;
    type?: 'channel' | 'supergroup';
    botStatus?: BotStatus;
    botRights?: Partial<AdminRights>;
  }): Chat {
    if (!Number.isSafeInteger(input.id) || input.id >= 0) {
      throw new TelegramSandboxError(`channel id must be a negative integer like -1001234567890, got ${input.id}`);
    }
    const chat: ChatRecord = {
      ...this.s.emptyChat(input.id, input.type ?? 'channel'),
      title: input.title,
      username: input.username?.replace(/^@/, ''),
      botStatus: input.botStatus ?? 'administrator',
      botRights: { ...fullAdminRights(input.type ?? 'channel'), ...input.botRights },
    };
    this.s.chats.set(chat.id, chat);
    return this.s.wireChat(chat);
  }

  /** Makes a user known (as if they exist on Telegram); `startedBot` lets the bot message them. */
  addUser(input: UserInput, options: { startedBot?: boolean } = {}): User {
    const record = this.s.ensureUser(input);
    if (options.startedBot) record.startedBot = true;
    return record.user;
  }

  /** The user blocks the bot: sends to their private chat answer 403 until `unblockBot`. */
  blockBot(userId: number): void {
    this.s.requireUser(userId).blocked = true;
  }

  unblockBot(userId: number): void {
    this.s.requireUser(userId).blocked = false;
  }

  /** Sets a membership directly (seeding a scenario); emits no update. */
  setMember(chatId: number, user: number | UserInput, status: MemberStatus, untilDate = 0): void {
    const chat = this.s.requireChannel(chatId);
    const record = typeof user === 'number' ? this.s.requireUser(user) : this.s.ensureUser(user);
    chat.members.set(record.user.id, { status, untilDate });
  }

  /**
   * The owner changes the bot's status (`administrator`, `member`, `left`, `kicked`) or some of its
   * administrator rights in a channel. Telegram then sends the bot a `my_chat_member` update (returned;
   * undefined when nothing changed), and the methods that need a right refuse with Telegram's errors.
   */
  setBotRights(chatId: number, change: BotRightsChange): Update | undefined {
    return setBotRights(this.s, chatId, change);
  }

  /** The bot's own membership in a chat, as getChatMember answers it (status and rights). */
  botMember(chatId: number): ChatMember {
    const chat = this.s.requireChannel(chatId);
    return botMember(this.s, chat, this.s.botAsUser(this.s.currentBot()));
  }

  // ---- Observation ---------------------------------------------------------------------------

  calls(method?: string): TelegramCall[] {
    if (!method) return [...this.s.callLog];
    const wanted = method.toLowerCase();
    return this.s.callLog.filter((call) => call.method.toLowerCase() === wanted);
  }

  /** Messages the bot sent to a chat, oldest first (deleted ones flagged, not removed). */
  messagesTo(chatId: number): SentMessage[] {
    const chat = this.s.chats.get(chatId);
    if (!chat) return [];
    return [...chat.messages.values()].filter((m) => m.outgoing).map((m) => this.s.toSentMessage(chat.id, m));
  }

  /** A user's status in a chat (`left` when never a member). */
  member(chatId: number, userId: number): MemberStatus {
    const chat = this.s.chats.get(chatId);
    if (!chat) throw new TelegramSandboxError(`unknown chat ${chatId}`, 404);
    return this.s.memberState(chat, userId).status;
  }

  chatList(): Chat[] {
    return [...this.s.chats.values()].map((chat) => this.s.wireChat(chat));
  }

  inviteLinks(chatId?: number): InviteLinkInfo[] {
    return inviteLinks(this.s, chatId);
  }

  joinRequests(chatId?: number): JoinRequestInfo[] {
    return joinRequests(this.s, chatId);
  }

  /** Every update created so far with its delivery state. */
  updates(): UpdateRecord[] {
    return [...this.s.updateLog];
  }

  webhookInfo(): { url: string; secretToken?: string; pending: number; lastErrorMessage?: string } {
    return {
      url: this.s.webhook?.url ?? '',
      secretToken: this.s.webhook?.secretToken,
      pending: this.s.queue.length,
      lastErrorMessage: this.s.webhook?.lastErrorMessage,
    };
  }

  /** True while a getUpdates long poll is waiting (a bot is connected by polling). */
  isPolling(): boolean {
    return this.s.activePoll !== undefined;
  }

  webhookDeliveries(): WebhookDelivery[] {
    return [...this.s.deliveries];
  }

  callbackAnswer(callbackQueryId: string): CallbackAnswer | undefined {
    return this.s.callbacks.get(callbackQueryId);
  }

  /** Commands set with setMyCommands for the default scope and language unless given. */
  commands(scopeType = 'default', languageCode = ''): BotCommand[] {
    return this.s.commandSets.get(`${scopeType}|${languageCode}`) ?? [];
  }

  /** Bytes of a file the bot uploaded (or the sandbox fetched from a URL). */
  fileContent(fileId: string): Buffer | undefined {
    return this.s.files.get(fileId)?.content;
  }

  /** Registers a file as if uploaded earlier, so a bot can send it by file_id. */
  uploadFile(input: { content: Buffer; file_name?: string; mime_type?: string; kind?: 'document' | 'photo' }): string {
    const file = storeFile(this.s, input.kind ?? 'document', input.content, input.file_name, input.mime_type, 'upload');
    return file.file_id;
  }

  /** The bot's Star transactions, oldest first, as getStarTransactions lists them. */
  starTransactions(): StarTransaction[] {
    return this.s.starTransactions.map((t) => structuredClone(t));
  }

  /** Refunds made with refundStarPayment, oldest first. */
  refunds(): StarRefund[] {
    return starRefunds(this.s);
  }

  /** Every payment attempt made with payInvoice and how it ended, oldest first. */
  payments(): PaymentOutcome[] {
    return [...this.s.payments];
  }

  paymentSettings(): PaymentSettings {
    return { ...this.s.paymentSettings };
  }

  /** `deliverSuccessfulPayment: false` makes paid invoices miss their successful_payment update (a bot that was down). */
  setPaymentSettings(change: Partial<PaymentSettings>): PaymentSettings {
    return setPaymentSettings(this.s, change);
  }

  onCall(listener: (call: TelegramCall) => void): () => void {
    this.s.events.on('call', listener);
    return () => this.s.events.off('call', listener);
  }

  /** Resolves with the first matching call, including calls already recorded. */
  waitForCall(method: string, predicate?: (call: TelegramCall) => boolean, timeoutMs = 15_000): Promise<TelegramCall> {
    const wanted = method.toLowerCase();
    const matches = (call: TelegramCall) => call.method.toLowerCase() === wanted && (!predicate || predicate(call));
    const seen = this.s.callLog.find(matches);
    if (seen) return Promise.resolve(seen);
    return waitForEvent(this.s.events, 'call', matches, timeoutMs, () => {
      const recent = this.calls(method)
        .slice(-5)
        .map((c) => `${c.method}(${JSON.stringify(c.params)}) → ${c.ok ? 'ok' : `${c.errorCode}`}`);
      return `no matching ${method} call within ${timeoutMs} ms; recent ${method} calls: ${recent.length ? recent.join('; ') : 'none'}`;
    });
  }

  /** Resolves with the first message to the chat that matches, including ones already sent or edited. */
  waitForMessage(
    chatId: number,
    predicate?: (message: SentMessage) => boolean,
    timeoutMs = 15_000,
  ): Promise<SentMessage> {
    const matches = (message: SentMessage) => message.chat_id === chatId && (!predicate || predicate(message));
    const seen = this.messagesTo(chatId).find(matches);
    if (seen) return Promise.resolve(seen);
    return waitForEvent(this.s.events, 'message', matches, timeoutMs, () => {
      const recent = this.messagesTo(chatId)
        .slice(-5)
        .map((m) => JSON.stringify(m.text ?? m.caption ?? m.document?.file_name ?? ''));
      return `no matching message to chat ${chatId} within ${timeoutMs} ms; last messages: ${recent.length ? recent.join(', ') : 'none'}`;
    });
  }

  // ---- User actions (become real updates) ----------------------------------------------------

  /** The user writes to the bot in their private chat. A leading `/command` gets a bot_command entity. */
  sendText(input: { from: UserInput; text: string }): Update {
    return sendText(this.s, input);
  }

  /**
   * The user taps a `web_app` button of a bot message: the page URL with genuinely signed launch
   * parameters in its fragment, as a Telegram client opens it.
   */
  openWebApp(input: { from: UserInput; message_id: number; text?: string }): OpenedWebApp {
    return openWebApp(this.s, input);
  }

  /** The user presses an inline button of a bot message; returns the callback query id. */
  pressButton(input: { from: UserInput; message_id: number; data: string; chatId?: number; force?: boolean }): string {
    return pressButton(this.s, input);
  }

  /**
   * The user pays an invoice message (Stars): a pre_checkout_query goes to the bot, the sandbox waits for
   * answerPreCheckoutQuery up to the deadline, then the payment is made (Star transaction, successful_payment
   * message from the user), declined with the bot's error_message, or fails on the timeout.
   */
  payInvoice(input: PayInvoiceInput): Promise<PaymentOutcome> {
    return payInvoice(this.s, input);
  }

  /** The user opens a join-request link: a chat_join_request update (only for creates_join_request links). */
  requestJoin(input: { from: UserInput; chatId: number; inviteLink: string; bio?: string }): Update {
    return requestJoin(this.s, input);
  }

  /** The user joins through a link that admits directly; enforces revoked, expire_date and member_limit. */
  joinByLink(input: { from: UserInput; chatId?: number; inviteLink: string }): Update {
    return joinByLink(this.s, input);
  }

  /** The user leaves a channel: a chat_member update. */
  leaveChat(input: { from: UserInput; chatId: number }): Update {
    return leaveChat(this.s, input);
  }

  /** Queues any update as given; update_id is assigned. Users found in it become known. */
  injectUpdate(raw: Record<string, unknown>): Update {
    const body = Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'update_id'));
    if (Object.keys(body).length !== 1)
      throw new TelegramSandboxError('an update carries exactly one field besides update_id');
    for (const value of Object.values(body)) {
      for (const key of ['from', 'user'] as const) {
        const user = (value as Record<string, unknown> | null)?.[key] as UserInput | undefined;
        if (user && typeof user.id === 'number' && typeof user.first_name === 'string') this.s.ensureUser(user);
      }
    }
    return enqueue(this.s, body);
  }

  // ---- Faults --------------------------------------------------------------------------------

  injectFault(spec: FaultSpec): ActiveFault {
    return injectFault(this.s, spec);
  }

  faults(): ActiveFault[] {
    return faults(this.s);
  }

  clearFaults(): void {
    clearFaults(this.s);
  }

  // ---- Lifecycle -----------------------------------------------------------------------------

  /** Forgets everything (chats, users, calls, updates, webhook, faults). */
  reset(): void {
    this.s.reset();
  }

  /** Ends long polls and webhook delivery so the server can close. */
  shutdown(): void {
    this.s.closed = true;
    this.s.lifetime.abort();
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** Registers the Bot API routes and the control routes under `/_sandbox/telegram`. */
  register(app: FastifyInstance): void {
    registerBotApi(this.s, app);
    registerControl(app, this, this.s);
  }
}

export function waitForEvent<T>(
  events: EventEmitter,
  name: string,
  matches: (value: T) => boolean,
  timeoutMs: number,
  explain: () => string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (value: T) => {
      if (!matches(value)) return;
      clearTimeout(timer);
      events.off(name, listener);
      resolve(value);
    };
    const timer = setTimeout(() => {
      events.off(name, listener);
      reject(new Error(explain()));
    }, timeoutMs);
    events.on(name, listener);
  });
}
