/**
 * Telegram Bot API emulator. It answers `/bot<token>/<method>` with the real wire format
 * (`{ok, result}` / `{ok: false, error_code, description, parameters}` and the matching HTTP status),
 * keeps the state a bot can observe (chats, members, invite links, join requests, messages), turns
 * user actions into real Update objects delivered by webhook or getUpdates, records every call, and
 * injects faults on demand. One sandbox emulates one bot: any well-formed token acts on the same state.
 */
import { EventEmitter } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import type {
  BotCommand,
  CallbackQuery,
  Chat,
  ChatInviteLink,
  ChatJoinRequest,
  ChatMember,
  ChatMemberUpdated,
  ForceReply,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  User,
  UserFromGetMe,
} from 'grammy/types';

// ---------------------------------------------------------------------------------------------
// Public types

export interface TelegramSandboxOptions {
  /** getMe's username (default `sandbox_bot`). */
  botUsername?: string;
  /** getMe's first_name (default `Sandbox Bot`). */
  botFirstName?: string;
  /** How long one webhook POST may take before it counts as failed (default 10 s). */
  webhookDeliveryTimeoutMs?: number;
  /** First retry delay of a failed webhook delivery; doubles up to 2 s (default 100 ms). */
  webhookRetryDelayMs?: number;
  /** Clock for dates and expiries (default `Date.now`). */
  now?: () => number;
  /** Oldest recorded calls are forgotten past this count (default 10 000). */
  maxRecordedCalls?: number;
}

export interface UserInput {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
}

export type MemberStatus = 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';
export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

export interface TelegramCall {
  /** 1, 2, 3... in arrival order; lets a test wait for a call newer than the ones it has seen. */
  seq: number;
  method: string;
  /** Parameters as received, JSON strings of known object fields decoded, uploads described. */
  params: Record<string, unknown>;
  /** Epoch ms when the call arrived. */
  at: number;
  ok: boolean;
  result?: unknown;
  errorCode?: number;
  description?: string;
}

export interface SentFile {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size: number;
  /** How the bot supplied it: a multipart upload, an HTTP URL Telegram fetched, or a known file_id. */
  source: 'upload' | 'url' | 'file_id';
  url?: string;
}

export interface SentMessage {
  message_id: number;
  chat_id: number;
  date: number;
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument';
  /** Text or caption as the bot sent it (markup included); `message.text` holds the parsed plain text. */
  text?: string;
  caption?: string;
  parse_mode?: string;
  /** The markup as sent (any keyboard kind); only inline keyboards appear in `message`. */
  reply_markup?: ReplyMarkup;
  document?: SentFile;
  photo?: SentFile;
  edited: boolean;
  deleted: boolean;
  /** The Message object as the bot would now see it. */
  message: Message;
}

export type UpdateState = 'pending' | 'sent' | 'confirmed' | 'filtered' | 'dropped';

export interface UpdateRecord {
  update: Update;
  type: string;
  createdAt: number;
  /** pending: queued; sent: returned by getUpdates, not yet confirmed by offset; confirmed: webhook 2xx or
   * offset moved past it; filtered: not in allowed_updates; dropped: drop_pending_updates or reset. */
  state: UpdateState;
  via?: 'webhook' | 'getUpdates';
  attempts: number;
}

export interface WebhookDelivery {
  update_id: number;
  url: string;
  at: number;
  durationMs: number;
  status?: number;
  error?: string;
}

export interface InviteLinkInfo extends ChatInviteLink {
  chat_id: number;
  /** Users who joined through the link and are still members (what member_limit counts). */
  members: number[];
  /** Users with a pending join request made through the link. */
  pending: number[];
}

export interface JoinRequestInfo {
  chat_id: number;
  user: User;
  date: number;
  invite_link?: string;
  bio?: string;
}

export type TelegramFault =
  | { kind: 'rate_limit'; retryAfter: number }
  | { kind: 'blocked' }
  | { kind: 'server_error'; status?: number; description?: string }
  | { kind: 'slow'; delayMs: number };

export interface FaultSpec {
  /** Method name (case-insensitive) or `*` for any. */
  method: string;
  /** Only calls whose chat_id equals this (number or `@username`). */
  chatId?: number | string;
  /** How many matching calls it hits (default 1). */
  times?: number;
  fault: TelegramFault;
}

export interface ActiveFault extends Required<Omit<FaultSpec, 'chatId'>> {
  id: number;
  chatId?: number | string;
}

export interface CallbackAnswer {
  callback_query_id: string;
  answered: boolean;
  text?: string;
  show_alert?: boolean;
  url?: string;
  at?: number;
}

/** Error answer of the Bot API: `{ok: false, error_code, description, parameters?}`. */
export class TelegramApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number },
  ) {
    super(description);
    this.name = 'TelegramApiError';
  }
}

/** Misuse of the sandbox's own control API (an impossible user action, an unknown message...). */
export class TelegramSandboxError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'TelegramSandboxError';
  }
}

// ---------------------------------------------------------------------------------------------
// Internal state

type Params = Record<string, unknown>;

interface Upload {
  fieldname: string;
  filename: string;
  mimetype: string;
  content: Buffer;
}

interface CallContext {
  token: string;
  bot: UserFromGetMe;
  p: ParamReader;
  uploads: Map<string, Upload>;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
}

type Handler = (ctx: CallContext) => unknown;

/** A result that Telegram answers with a `description` next to it (setWebhook...). */
class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

interface UserRecord {
  user: User;
  /** The user wrote to the bot (or pressed /start): the bot may message them. */
  startedBot: boolean;
  blocked: boolean;
  /** After a join request the bot may message the user for 5 minutes. */
  joinRequestWindowUntil: number;
}

interface MemberState {
  status: MemberStatus;
  /** Unix seconds; 0 = forever (kicked) / no limit. */
  untilDate: number;
}

interface PendingRequest {
  userId: number;
  date: number;
  link?: string;
  bio?: string;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size: number;
  width?: number;
  height?: number;
  content: Buffer;
  source: 'upload' | 'url';
  url?: string;
}

interface StoredMessage {
  message: Message;
  outgoing: boolean;
  method?: SentMessage['method'];
  rawText?: string;
  rawCaption?: string;
  parseMode?: string;
  replyMarkup?: ReplyMarkup;
  file?: SentFile;
  edited: boolean;
  deleted: boolean;
}

interface ChatRecord {
  id: number;
  type: 'private' | 'channel' | 'supergroup';
  title?: string;
  username?: string;
  userId?: number;
  /** The bot's own status in a channel or group. */
  botStatus: 'administrator' | 'member' | 'left';
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  members: Map<number, MemberState>;
  pending: Map<number, PendingRequest>;
  chatInstance: string;
}

interface InviteLinkRecord {
  link: string;
  chatId: number;
  creator: User;
  name?: string;
  expireDate?: number;
  memberLimit?: number;
  createsJoinRequest: boolean;
  revoked: boolean;
  joined: Set<number>;
}

interface WebhookState {
  url: string;
  token: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

// Telegram's own default: everything except these three unless asked for.
const OPT_IN_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const TOKEN_RE = /^(\d+):[A-Za-z0-9_-]+$/;
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_URL_DOCUMENT_BYTES = 20 * 1024 * 1024;
const MAX_URL_PHOTO_BYTES = 5 * 1024 * 1024;

// Fields that arrive as strings in form/multipart bodies but mean numbers, booleans or JSON.
const INTEGER_FIELDS = new Set([
  'chat_id',
  'user_id',
  'message_id',
  'offset',
  'limit',
  'timeout',
  'until_date',
  'expire_date',
  'member_limit',
  'cache_time',
  'max_connections',
  'reply_to_message_id',
  'message_thread_id',
  'from_chat_id',
]);
const BOOLEAN_FIELDS = new Set([
  'creates_join_request',
  'only_if_banned',
  'revoke_messages',
  'show_alert',
  'drop_pending_updates',
  'disable_notification',
  'protect_content',
  'disable_web_page_preview',
  'allow_sending_without_reply',
  'disable_content_type_detection',
  'has_spoiler',
  'show_caption_above_media',
]);
const JSON_FIELDS = new Set([
  'reply_markup',
  'allowed_updates',
  'commands',
  'scope',
  'entities',
  'caption_entities',
  'link_preview_options',
  'reply_parameters',
]);

const BAD_REQUEST = (what: string) => new TelegramApiError(400, `Bad Request: ${what}`);
const FORBIDDEN = (what: string) => new TelegramApiError(403, `Forbidden: ${what}`);

// ---------------------------------------------------------------------------------------------

export class TelegramSandbox {
  private readonly botUsername: string;
  private readonly botFirstName: string;
  private readonly webhookTimeoutMs: number;
  private readonly webhookRetryDelayMs: number;
  private readonly maxRecordedCalls: number;
  private readonly now: () => number;
  private readonly events = new EventEmitter();
  private readonly handlers: Map<string, { name: string; handle: Handler }>;

  private users = new Map<number, UserRecord>();
  private chats = new Map<number, ChatRecord>();
  private links = new Map<string, InviteLinkRecord>();
  private files = new Map<string, StoredFile>();
  private callbacks = new Map<string, CallbackAnswer>();
  private commandSets = new Map<string, BotCommand[]>();
  private callLog: TelegramCall[] = [];
  private callSeq = 0;
  private updateLog: UpdateRecord[] = [];
  private queue: UpdateRecord[] = [];
  private nextUpdateId = 100_000_001;
  private allowedUpdates: Set<string> | undefined;
  private webhook: WebhookState | undefined;
  private deliveries: WebhookDelivery[] = [];
  private faultList: ActiveFault[] = [];
  private faultSeq = 0;
  private activePoll: { supersede: () => void } | undefined;
  private pumping = false;
  /** Aborted on reset/shutdown: stops webhook retries and long polls. */
  private lifetime = new AbortController();
  private closed = false;

  constructor(options: TelegramSandboxOptions = {}) {
    this.botUsername = options.botUsername ?? 'sandbox_bot';
    this.botFirstName = options.botFirstName ?? 'Sandbox Bot';
    this.webhookTimeoutMs = options.webhookDeliveryTimeoutMs ?? 10_000;
    this.webhookRetryDelayMs = options.webhookRetryDelayMs ?? 100;
    this.maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
    this.now = options.now ?? Date.now;
    this.events.setMaxListeners(0);
    this.handlers = this.buildHandlers();
  }

  // ---- Scenario set-up ------------------------------------------------------------------------

  /** Registers a channel (or supergroup) where the bot is an administrator unless told otherwise. */
  addChannel(input: {
    id: number;
    title: string;
    username?: string;
    type?: 'channel' | 'supergroup';
    botStatus?: 'administrator' | 'member' | 'left';
  }): Chat {
    if (!Number.isSafeInteger(input.id) || input.id >= 0) {
      throw new TelegramSandboxError(`channel id must be a negative integer like -1001234567890, got ${input.id}`);
    }
    const chat: ChatRecord = {
      ...this.emptyChat(input.id, input.type ?? 'channel'),
      title: input.title,
      username: input.username?.replace(/^@/, ''),
      botStatus: input.botStatus ?? 'administrator',
    };
    this.chats.set(chat.id, chat);
    return this.wireChat(chat);
  }

  /** Makes a user known (as if they exist on Telegram); `startedBot` lets the bot message them. */
  addUser(input: UserInput, options: { startedBot?: boolean } = {}): User {
    const record = this.ensureUser(input);
    if (options.startedBot) record.startedBot = true;
    return record.user;
  }

  /** The user blocks the bot: sends to their private chat answer 403 until `unblockBot`. */
  blockBot(userId: number): void {
    this.requireUser(userId).blocked = true;
  }

  unblockBot(userId: number): void {
    this.requireUser(userId).blocked = false;
  }

  /** Sets a membership directly (seeding a scenario); emits no update. */
  setMember(chatId: number, user: number | UserInput, status: MemberStatus, untilDate = 0): void {
    const chat = this.requireChannel(chatId);
    const record = typeof user === 'number' ? this.requireUser(user) : this.ensureUser(user);
    chat.members.set(record.user.id, { status, untilDate });
  }

  // ---- Observation -----------------------------------------------------------------------------

  calls(method?: string): TelegramCall[] {
    if (!method) return [...this.callLog];
    const wanted = method.toLowerCase();
    return this.callLog.filter((call) => call.method.toLowerCase() === wanted);
  }

  /** Messages the bot sent to a chat, oldest first (deleted ones flagged, not removed). */
  messagesTo(chatId: number): SentMessage[] {
    const chat = this.chats.get(chatId);
    if (!chat) return [];
    return [...chat.messages.values()].filter((m) => m.outgoing).map((m) => this.toSentMessage(chat.id, m));
  }

  /** A user's status in a chat (`left` when never a member). */
  member(chatId: number, userId: number): MemberStatus {
    const chat = this.chats.get(chatId);
    if (!chat) throw new TelegramSandboxError(`unknown chat ${chatId}`, 404);
    return this.memberState(chat, userId).status;
  }

  chatList(): Chat[] {
    return [...this.chats.values()].map((chat) => this.wireChat(chat));
  }

  inviteLinks(chatId?: number): InviteLinkInfo[] {
    return [...this.links.values()]
      .filter((link) => chatId === undefined || link.chatId === chatId)
      .map((link) => ({
        ...this.wireLink(link),
        chat_id: link.chatId,
        members: this.linkMembers(link),
        pending: this.linkPending(link),
      }));
  }

  joinRequests(chatId?: number): JoinRequestInfo[] {
    const result: JoinRequestInfo[] = [];
    for (const chat of this.chats.values()) {
      if (chatId !== undefined && chat.id !== chatId) continue;
      for (const request of chat.pending.values()) {
        result.push({
          chat_id: chat.id,
          user: this.requireUser(request.userId).user,
          date: request.date,
          invite_link: request.link,
          bio: request.bio,
        });
      }
    }
    return result;
  }

  /** Every update created so far with its delivery state. */
  updates(): UpdateRecord[] {
    return [...this.updateLog];
  }

  webhookInfo(): { url: string; secretToken?: string; pending: number; lastErrorMessage?: string } {
    return {
      url: this.webhook?.url ?? '',
      secretToken: this.webhook?.secretToken,
      pending: this.queue.length,
      lastErrorMessage: this.webhook?.lastErrorMessage,
    };
  }

  /** True while a getUpdates long poll is waiting (a bot is connected by polling). */
  isPolling(): boolean {
    return this.activePoll !== undefined;
  }

  webhookDeliveries(): WebhookDelivery[] {
    return [...this.deliveries];
  }

  callbackAnswer(callbackQueryId: string): CallbackAnswer | undefined {
    return this.callbacks.get(callbackQueryId);
  }

  /** Commands set with setMyCommands for the default scope and language unless given. */
  commands(scopeType = 'default', languageCode = ''): BotCommand[] {
    return this.commandSets.get(`${scopeType}|${languageCode}`) ?? [];
  }

  /** Bytes of a file the bot uploaded (or the sandbox fetched from a URL). */
  fileContent(fileId: string): Buffer | undefined {
    return this.files.get(fileId)?.content;
  }

  /** Registers a file as if uploaded earlier, so a bot can send it by file_id. */
  uploadFile(input: { content: Buffer; file_name?: string; mime_type?: string; kind?: 'document' | 'photo' }): string {
    const file = this.storeFile(input.kind ?? 'document', input.content, input.file_name, input.mime_type, 'upload');
    return file.file_id;
  }

  onCall(listener: (call: TelegramCall) => void): () => void {
    this.events.on('call', listener);
    return () => this.events.off('call', listener);
  }

  /** Resolves with the first matching call, including calls already recorded. */
  waitForCall(method: string, predicate?: (call: TelegramCall) => boolean, timeoutMs = 5_000): Promise<TelegramCall> {
    const wanted = method.toLowerCase();
    const matches = (call: TelegramCall) => call.method.toLowerCase() === wanted && (!predicate || predicate(call));
    const seen = this.callLog.find(matches);
    if (seen) return Promise.resolve(seen);
    return waitForEvent(this.events, 'call', matches, timeoutMs, () => {
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
    timeoutMs = 5_000,
  ): Promise<SentMessage> {
    const matches = (message: SentMessage) => message.chat_id === chatId && (!predicate || predicate(message));
    const seen = this.messagesTo(chatId).find(matches);
    if (seen) return Promise.resolve(seen);
    return waitForEvent(this.events, 'message', matches, timeoutMs, () => {
      const recent = this.messagesTo(chatId)
        .slice(-5)
        .map((m) => JSON.stringify(m.text ?? m.caption ?? m.document?.file_name ?? ''));
      return `no matching message to chat ${chatId} within ${timeoutMs} ms; last messages: ${recent.length ? recent.join(', ') : 'none'}`;
    });
  }

  // ---- User actions (become real updates) ------------------------------------------------------

  /** The user writes to the bot in their private chat. A leading `/command` gets a bot_command entity. */
  sendText(input: { from: UserInput; text: string }): Update {
    if (typeof input.text !== 'string' || !input.text)
      throw new TelegramSandboxError('text must be a non-empty string');
    const record = this.ensureUser(input.from);
    record.startedBot = true;
    record.blocked = false;
    const chat = this.privateChat(record.user.id);
    const entities = commandEntities(input.text);
    const message = {
      message_id: chat.nextMessageId++,
      from: record.user,
      chat: this.wireChat(chat),
      date: this.unixNow(),
      text: input.text,
      ...(entities.length ? { entities } : {}),
    } as Message;
    chat.messages.set(message.message_id, { message, outgoing: false, edited: false, deleted: false });
    return this.enqueue({ message } as Omit<Update, 'update_id'>);
  }

  /** The user presses an inline button of a bot message; returns the callback query id. */
  pressButton(input: { from: UserInput; message_id: number; data: string; chatId?: number; force?: boolean }): string {
    if (typeof input.data !== 'string') throw new TelegramSandboxError('data must be the callback_data string');
    const record = this.ensureUser(input.from);
    const chatId = input.chatId ?? record.user.id;
    const chat = this.chats.get(chatId);
    const stored = chat?.messages.get(input.message_id);
    if (!chat || !stored || stored.deleted || !stored.outgoing) {
      throw new TelegramSandboxError(`no bot message ${input.message_id} in chat ${chatId}`, 404);
    }
    const buttons = stored.message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!input.force && !buttons.some((button) => 'callback_data' in button && button.callback_data === input.data)) {
      const offered = buttons.flatMap((b) => ('callback_data' in b ? [b.callback_data] : []));
      throw new TelegramSandboxError(
        `message ${input.message_id} has no button with callback_data ${JSON.stringify(input.data)} (has ${JSON.stringify(offered)}); pass force: true to forge one`,
      );
    }
    const id = String(randomInt(1, 2 ** 47)) + String(randomInt(100_000, 999_999));
    const query = {
      id,
      from: record.user,
      message: stored.message,
      chat_instance: chat.chatInstance,
      data: input.data,
    } as CallbackQuery;
    this.callbacks.set(id, { callback_query_id: id, answered: false });
    this.enqueue({ callback_query: query });
    return id;
  }

  /** The user opens a join-request link: a chat_join_request update (only for creates_join_request links). */
  requestJoin(input: { from: UserInput; chatId: number; inviteLink: string; bio?: string }): Update {
    const record = this.ensureUser(input.from);
    const chat = this.requireChannel(input.chatId);
    const link = this.usableLink(input.inviteLink, chat.id);
    if (!link.createsJoinRequest) {
      throw new TelegramSandboxError('this invite link admits directly (no creates_join_request); use joinByLink');
    }
    const userId = record.user.id;
    const state = this.memberState(chat, userId);
    if (state.status === 'kicked') throw new TelegramSandboxError(`user ${userId} is banned from chat ${chat.id}`, 409);
    if (isInside(state.status))
      throw new TelegramSandboxError(`user ${userId} is already a member of chat ${chat.id}`, 409);
    if (chat.pending.has(userId))
      throw new TelegramSandboxError(`user ${userId} already has a pending join request in chat ${chat.id}`, 409);
    const date = this.unixNow();
    chat.pending.set(userId, { userId, date, link: link.link, bio: input.bio });
    record.joinRequestWindowUntil = this.now() + 5 * 60_000;
    const request = {
      chat: this.wireChat(chat),
      from: record.user,
      user_chat_id: userId,
      date,
      ...(input.bio ? { bio: input.bio } : {}),
      invite_link: this.wireLink(link),
    } as ChatJoinRequest;
    return this.enqueue({ chat_join_request: request });
  }

  /** The user joins through a link that admits directly; enforces revoked, expire_date and member_limit. */
  joinByLink(input: { from: UserInput; chatId?: number; inviteLink: string }): Update {
    const record = this.ensureUser(input.from);
    const known = this.links.get(input.inviteLink);
    const chat = this.requireChannel(input.chatId ?? known?.chatId ?? 0);
    const link = this.usableLink(input.inviteLink, chat.id);
    if (link.createsJoinRequest)
      throw new TelegramSandboxError('this invite link needs approval (creates_join_request); use requestJoin');
    const userId = record.user.id;
    const old = this.memberState(chat, userId);
    if (old.status === 'kicked') throw new TelegramSandboxError(`user ${userId} is banned from chat ${chat.id}`, 409);
    if (isInside(old.status))
      throw new TelegramSandboxError(`user ${userId} is already a member of chat ${chat.id}`, 409);
    if (link.memberLimit !== undefined && this.linkMembers(link).length >= link.memberLimit) {
      throw new TelegramSandboxError(`invite link reached its member_limit of ${link.memberLimit}`, 409);
    }
    link.joined.add(userId);
    const next: MemberState = { status: 'member', untilDate: 0 };
    chat.members.set(userId, next);
    return this.chatMemberUpdate(chat, record.user, record.user, old, next, { invite_link: this.wireLink(link) });
  }

  /** The user leaves a channel: a chat_member update. */
  leaveChat(input: { from: UserInput; chatId: number }): Update {
    const record = this.ensureUser(input.from);
    const chat = this.requireChannel(input.chatId);
    const old = this.memberState(chat, record.user.id);
    if (!isInside(old.status))
      throw new TelegramSandboxError(`user ${record.user.id} is not a member of chat ${chat.id}`, 409);
    const next: MemberState = { status: 'left', untilDate: 0 };
    chat.members.set(record.user.id, next);
    return this.chatMemberUpdate(chat, record.user, record.user, old, next);
  }

  /** Queues any update as given; update_id is assigned. Users found in it become known. */
  injectUpdate(raw: Record<string, unknown>): Update {
    const body = Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'update_id'));
    if (Object.keys(body).length !== 1)
      throw new TelegramSandboxError('an update carries exactly one field besides update_id');
    for (const value of Object.values(body)) {
      for (const key of ['from', 'user'] as const) {
        const user = (value as Record<string, unknown> | null)?.[key] as UserInput | undefined;
        if (user && typeof user.id === 'number' && typeof user.first_name === 'string') this.ensureUser(user);
      }
    }
    return this.enqueue(body);
  }

  // ---- Faults ----------------------------------------------------------------------------------

  injectFault(spec: FaultSpec): ActiveFault {
    if (!spec.method) throw new TelegramSandboxError('a fault needs a method (or "*")');
    const kinds = ['rate_limit', 'blocked', 'server_error', 'slow'];
    if (!spec.fault || !kinds.includes(spec.fault.kind))
      throw new TelegramSandboxError(`fault.kind must be one of ${kinds.join(', ')}`);
    const fault: ActiveFault = {
      id: ++this.faultSeq,
      method: spec.method,
      chatId: spec.chatId,
      times: spec.times ?? 1,
      fault: spec.fault,
    };
    this.faultList.push(fault);
    return fault;
  }

  faults(): ActiveFault[] {
    return [...this.faultList];
  }

  clearFaults(): void {
    this.faultList = [];
  }

  // ---- Lifecycle -------------------------------------------------------------------------------

  /** Forgets everything (chats, users, calls, updates, webhook, faults). */
  reset(): void {
    // Stops webhook retries; a waiting long poll simply keeps waiting on the fresh state.
    this.lifetime.abort();
    this.lifetime = new AbortController();
    this.users = new Map();
    this.chats = new Map();
    this.links = new Map();
    this.files = new Map();
    this.callbacks = new Map();
    this.commandSets = new Map();
    this.callLog = [];
    this.callSeq = 0;
    for (const record of this.queue) record.state = 'dropped';
    this.updateLog = [];
    this.queue = [];
    this.allowedUpdates = undefined;
    this.webhook = undefined;
    this.deliveries = [];
    this.faultList = [];
  }

  /** Ends long polls and webhook delivery so the server can close. */
  shutdown(): void {
    this.closed = true;
    this.lifetime.abort();
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** Registers the Bot API routes and the control routes under `/_sandbox/telegram`. */
  register(app: FastifyInstance): void {
    app.route<{ Params: { token: string; method: string } }>({
      method: ['GET', 'POST'],
      url: '/bot:token/:method',
      // Body parsing errors (bad JSON, oversized uploads) still answer in the Bot API format.
      errorHandler: (error, _request, reply) => {
        const status = (error as { statusCode?: number }).statusCode ?? 500;
        const answer =
          status === 413
            ? { ok: false, error_code: 413, description: 'Request Entity Too Large' }
            : status < 500
              ? {
                  ok: false,
                  error_code: 400,
                  description: `Bad Request: ${error instanceof Error ? error.message : 'invalid request'}`,
                }
              : { ok: false, error_code: 500, description: 'Internal Server Error' };
        void reply.code(answer.error_code).send(answer);
      },
      handler: (request, reply) => this.handleHttp(request, reply),
    });
    this.registerControl(app);
  }

  private async handleHttp(
    request: FastifyRequest<{ Params: { token: string; method: string } }>,
    reply: FastifyReply,
  ): Promise<void> {
    const { token, method } = request.params;
    const closed = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) closed.abort();
    });
    if (!TOKEN_RE.test(token)) {
      await reply.code(401).send({ ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }
    let read: { params: Params; uploads: Map<string, Upload> };
    try {
      read = await readParams(request);
    } catch (error) {
      const tooLarge =
        (error as { statusCode?: number }).statusCode === 413 ||
        (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
      const answer = tooLarge
        ? { ok: false, error_code: 413, description: 'Request Entity Too Large' }
        : {
            ok: false,
            error_code: 400,
            description: `Bad Request: ${error instanceof Error ? error.message : 'invalid request'}`,
          };
      await reply.code(answer.error_code).send(answer);
      return;
    }
    const answer = await this.execute(token, method, read.params, read.uploads, closed.signal);
    await reply.code(answer.ok ? 200 : answer.error_code).send(answer);
  }

  /** Runs one Bot API method: faults first, then the handler; records the call. */
  private async execute(
    token: string,
    method: string,
    params: Params,
    uploads: Map<string, Upload>,
    signal: AbortSignal,
  ): Promise<BotAnswer> {
    const entry = this.handlers.get(method.toLowerCase());
    const call: TelegramCall = {
      seq: ++this.callSeq,
      method: entry?.name ?? method,
      params: describeParams(params, uploads),
      at: this.now(),
      ok: false,
    };
    let answer: BotAnswer;
    try {
      if (!entry) throw new TelegramApiError(404, 'Not Found: method not found');
      await this.applyFault(entry.name, params, signal);
      const ctx: CallContext = { token, bot: this.botUser(token), p: new ParamReader(params), uploads, signal };
      const result = await entry.handle(ctx);
      answer =
        result instanceof Described
          ? { ok: true, result: result.result, description: result.description }
          : { ok: true, result };
    } catch (error) {
      if (error instanceof TelegramApiError) {
        answer = {
          ok: false,
          error_code: error.code,
          description: error.description,
          ...(error.parameters ? { parameters: error.parameters } : {}),
        };
      } else {
        answer = {
          ok: false,
          error_code: 500,
          description: `Internal Server Error: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    }
    call.ok = answer.ok;
    if (answer.ok) call.result = answer.result;
    else {
      call.errorCode = answer.error_code;
      call.description = answer.description;
    }
    this.record(call);
    return answer;
  }

  private record(call: TelegramCall): void {
    this.callLog.push(call);
    if (this.callLog.length > this.maxRecordedCalls)
      this.callLog.splice(0, this.callLog.length - this.maxRecordedCalls);
    this.events.emit('call', call);
  }

  private async applyFault(method: string, params: Params, signal: AbortSignal): Promise<void> {
    const chatId = params.chat_id;
    const index = this.faultList.findIndex(
      (f) =>
        (f.method === '*' || f.method.toLowerCase() === method.toLowerCase()) &&
        (f.chatId === undefined || String(f.chatId) === String(chatId)),
    );
    const active = this.faultList[index];
    if (!active) return;
    active.times -= 1;
    if (active.times <= 0) this.faultList.splice(index, 1);
    const fault = active.fault;
    switch (fault.kind) {
      case 'rate_limit':
        throw new TelegramApiError(429, `Too Many Requests: retry after ${fault.retryAfter}`, {
          retry_after: fault.retryAfter,
        });
      case 'blocked':
        throw FORBIDDEN('bot was blocked by the user');
      case 'server_error': {
        const status = fault.status ?? 500;
        throw new TelegramApiError(
          status,
          fault.description ?? (status === 502 ? 'Bad Gateway' : 'Internal Server Error'),
        );
      }
      case 'slow':
        await sleep(fault.delayMs, AbortSignal.any([signal, this.lifetime.signal]));
    }
  }

  // ---- Bot API methods ---------------------------------------------------------------------------

  private buildHandlers(): Map<string, { name: string; handle: Handler }> {
    const table: Record<string, Handler> = {
      getMe: (ctx) => ctx.bot,
      sendMessage: (ctx) => this.sendMessage(ctx),
      sendPhoto: (ctx) => this.sendMedia(ctx, 'photo'),
      sendDocument: (ctx) => this.sendMedia(ctx, 'document'),
      editMessageText: (ctx) => this.editMessageText(ctx),
      editMessageCaption: (ctx) => this.editMessageCaption(ctx),
      editMessageReplyMarkup: (ctx) => this.editMessageReplyMarkup(ctx),
      deleteMessage: (ctx) => this.deleteMessage(ctx),
      answerCallbackQuery: (ctx) => this.answerCallbackQuery(ctx),
      sendChatAction: (ctx) => this.sendChatAction(ctx),
      createChatInviteLink: (ctx) => this.createChatInviteLink(ctx),
      revokeChatInviteLink: (ctx) => this.revokeChatInviteLink(ctx),
      approveChatJoinRequest: (ctx) => this.answerJoinRequest(ctx, true),
      declineChatJoinRequest: (ctx) => this.answerJoinRequest(ctx, false),
      banChatMember: (ctx) => this.banChatMember(ctx),
      unbanChatMember: (ctx) => this.unbanChatMember(ctx),
      getChatMember: (ctx) => this.getChatMember(ctx),
      setWebhook: (ctx) => this.setWebhook(ctx),
      deleteWebhook: (ctx) => this.deleteWebhook(ctx),
      getWebhookInfo: () => this.getWebhookInfo(),
      getUpdates: (ctx) => this.getUpdates(ctx),
      setMyCommands: (ctx) => this.setMyCommands(ctx),
      getMyCommands: (ctx) => this.commandSets.get(commandKey(ctx.p)) ?? [],
      deleteMyCommands: (ctx) => this.commandSets.delete(commandKey(ctx.p)) || true,
    };
    return new Map(Object.entries(table).map(([name, handle]) => [name.toLowerCase(), { name, handle }]));
  }

  private sendMessage(ctx: CallContext): Message {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanPost(chat);
    const { text, parseMode, plain } = messageText(ctx);
    const markup = readReplyMarkup(ctx.p);
    return this.storeOutgoing(
      chat,
      ctx.bot,
      { text: plain },
      {
        method: 'sendMessage',
        rawText: text,
        parseMode,
        replyMarkup: markup,
      },
    );
  }

  private async sendMedia(ctx: CallContext, kind: 'photo' | 'document'): Promise<Message> {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanPost(chat);
    const caption = ctx.p.string('caption');
    const parseMode = ctx.p.string('parse_mode');
    const plainCaption = caption ? formatText(caption, parseMode) : undefined;
    if (plainCaption && plainCaption.length > 1024) throw BAD_REQUEST('message caption is too long');
    const markup = readReplyMarkup(ctx.p);
    const { file, source } = await this.resolveInputFile(ctx, kind);
    const sent: SentFile = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_name: file.file_name,
      mime_type: file.mime_type,
      file_size: file.file_size,
      source,
      ...(file.url ? { url: file.url } : {}),
    };
    const content: Record<string, unknown> =
      kind === 'document'
        ? {
            document: {
              file_id: file.file_id,
              file_unique_id: file.file_unique_id,
              ...(file.file_name ? { file_name: file.file_name } : {}),
              ...(file.mime_type ? { mime_type: file.mime_type } : {}),
              file_size: file.file_size,
            },
          }
        : { photo: this.photoSizes(file) };
    if (plainCaption) content.caption = plainCaption;
    return this.storeOutgoing(chat, ctx.bot, content, {
      method: kind === 'document' ? 'sendDocument' : 'sendPhoto',
      rawCaption: caption,
      parseMode,
      replyMarkup: markup,
      file: sent,
    });
  }

  private editMessageText(ctx: CallContext): Message {
    const stored = this.editableMessage(ctx);
    const { text, parseMode, plain } = messageText(ctx);
    if (stored.message.text === undefined) throw BAD_REQUEST('there is no text in the message to edit');
    // Like Telegram, an edit without reply_markup removes the inline keyboard.
    const markup = readInlineMarkupForEdit(ctx.p);
    if (stored.rawText === text && stored.parseMode === parseMode && sameMarkup(stored.message.reply_markup, markup)) {
      throw BAD_REQUEST(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    stored.rawText = text;
    stored.parseMode = parseMode;
    return this.applyEdit(stored, { text: plain }, markup);
  }

  private editMessageCaption(ctx: CallContext): Message {
    const stored = this.editableMessage(ctx);
    if (!stored.file) throw BAD_REQUEST('there is no caption in the message to edit');
    const caption = ctx.p.string('caption') ?? '';
    const parseMode = ctx.p.string('parse_mode');
    const plain = caption ? formatText(caption, parseMode) : '';
    if (plain.length > 1024) throw BAD_REQUEST('message caption is too long');
    const markup = readInlineMarkupForEdit(ctx.p);
    if (
      (stored.rawCaption ?? '') === caption &&
      stored.parseMode === parseMode &&
      sameMarkup(stored.message.reply_markup, markup)
    ) {
      throw BAD_REQUEST(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    stored.rawCaption = caption || undefined;
    stored.parseMode = parseMode;
    return this.applyEdit(stored, { caption: plain || undefined }, markup);
  }

  private editMessageReplyMarkup(ctx: CallContext): Message {
    const stored = this.editableMessage(ctx);
    const markup = readInlineMarkupForEdit(ctx.p);
    if (sameMarkup(stored.message.reply_markup, markup)) {
      throw BAD_REQUEST(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    return this.applyEdit(stored, {}, markup);
  }

  private deleteMessage(ctx: CallContext): true {
    const chat = this.resolveChat(ctx.p.chatId());
    const messageId = ctx.p.integer('message_id');
    const stored = messageId === undefined ? undefined : chat.messages.get(messageId);
    if (!stored || stored.deleted) throw BAD_REQUEST('message to delete not found');
    stored.deleted = true;
    this.events.emit('message', this.toSentMessage(chat.id, stored));
    return true;
  }

  private answerCallbackQuery(ctx: CallContext): true {
    const id = ctx.p.string('callback_query_id');
    const answer = id ? this.callbacks.get(id) : undefined;
    if (!answer || answer.answered)
      throw BAD_REQUEST('query is too old and response timeout expired or query ID is invalid');
    const text = ctx.p.string('text');
    if (text && text.length > 200) throw BAD_REQUEST('MESSAGE_TOO_LONG');
    Object.assign(answer, {
      answered: true,
      text,
      show_alert: ctx.p.boolean('show_alert'),
      url: ctx.p.string('url'),
      at: this.now(),
    });
    return true;
  }

  private sendChatAction(ctx: CallContext): true {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanPost(chat);
    const action = ctx.p.string('action');
    if (!action || !CHAT_ACTIONS.has(action)) throw BAD_REQUEST('wrong parameter action in request');
    return true;
  }

  private createChatInviteLink(ctx: CallContext): ChatInviteLink {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanManage(chat, 'not enough rights to manage chat invite link');
    const name = ctx.p.string('name');
    if (name !== undefined && [...name].length > 32) throw BAD_REQUEST('invite link name is too long');
    const expireDate = ctx.p.integer('expire_date');
    if (expireDate !== undefined && expireDate !== 0 && expireDate <= this.unixNow())
      throw BAD_REQUEST('EXPIRE_DATE_INVALID');
    const memberLimit = ctx.p.integer('member_limit');
    const createsJoinRequest = ctx.p.boolean('creates_join_request') ?? false;
    if (memberLimit !== undefined && (memberLimit < 1 || memberLimit > 99_999))
      throw BAD_REQUEST('USAGE_LIMIT_INVALID');
    if (memberLimit !== undefined && createsJoinRequest) {
      throw BAD_REQUEST("member_limit can't be specified for invite links that create join requests");
    }
    const link: InviteLinkRecord = {
      link: `https://t.me/+${randomToken(16)}`,
      chatId: chat.id,
      creator: this.botAsUser(ctx.bot),
      name,
      expireDate: expireDate || undefined,
      memberLimit,
      createsJoinRequest,
      revoked: false,
      joined: new Set(),
    };
    this.links.set(link.link, link);
    return this.wireLink(link);
  }

  private revokeChatInviteLink(ctx: CallContext): ChatInviteLink {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanManage(chat, 'not enough rights to manage chat invite link');
    const url = ctx.p.string('invite_link');
    const link = url ? this.links.get(url) : undefined;
    if (!link || link.chatId !== chat.id) throw BAD_REQUEST('INVITE_HASH_EXPIRED');
    link.revoked = true;
    return this.wireLink(link);
  }

  private answerJoinRequest(ctx: CallContext, approve: boolean): true {
    const chat = this.resolveChat(ctx.p.chatId());
    this.assertCanManage(chat, 'not enough rights to manage join requests');
    const userId = ctx.p.userId();
    const state = this.memberState(chat, userId);
    if (approve && isInside(state.status)) throw BAD_REQUEST('USER_ALREADY_PARTICIPANT');
    const request = chat.pending.get(userId);
    if (!request) throw BAD_REQUEST('HIDE_REQUESTER_MISSING');
    chat.pending.delete(userId);
    if (approve) {
      const link = request.link ? this.links.get(request.link) : undefined;
      link?.joined.add(userId);
      const next: MemberState = { status: 'member', untilDate: 0 };
      chat.members.set(userId, next);
      this.chatMemberUpdate(chat, this.botAsUser(ctx.bot), this.requireUser(userId).user, state, next, {
        ...(link ? { invite_link: this.wireLink(link) } : {}),
        via_join_request: true,
      });
    }
    return true;
  }

  /** What ban and unban both check first: a group the bot manages, a known user who is no admin. */
  private removableMember(ctx: CallContext) {
    const chat = this.resolveChat(ctx.p.chatId());
    if (chat.type === 'private') throw BAD_REQUEST("can't remove members from private chats");
    this.assertCanManage(chat, 'not enough rights to restrict/ban chat member');
    const userId = ctx.p.userId();
    const user = this.users.get(userId);
    if (!user) throw BAD_REQUEST('PARTICIPANT_ID_INVALID');
    const old = this.memberState(chat, userId);
    if (old.status === 'creator') throw BAD_REQUEST("can't remove chat owner");
    if (old.status === 'administrator') throw BAD_REQUEST('user is an administrator of the chat');
    return { chat, userId, user, old };
  }

  private banChatMember(ctx: CallContext): true {
    const { chat, userId, user, old } = this.removableMember(ctx);
    // Telegram treats bans shorter than 30 s or longer than 366 days as permanent.
    let until = ctx.p.integer('until_date') ?? 0;
    const nowSec = this.unixNow();
    if (until !== 0 && (until < nowSec + 30 || until > nowSec + 366 * 86_400)) until = 0;
    const next: MemberState = { status: 'kicked', untilDate: until };
    chat.members.set(userId, next);
    chat.pending.delete(userId);
    if (old.status !== 'kicked' || old.untilDate !== until)
      this.chatMemberUpdate(chat, this.botAsUser(ctx.bot), user.user, old, next);
    return true;
  }

  private unbanChatMember(ctx: CallContext): true {
    const { chat, userId, user, old } = this.removableMember(ctx);
    const onlyIfBanned = ctx.p.boolean('only_if_banned') ?? false;
    // Without only_if_banned Telegram guarantees the user is not a member afterwards: a member is removed.
    if (old.status === 'kicked' || (!onlyIfBanned && isInside(old.status))) {
      const next: MemberState = { status: 'left', untilDate: 0 };
      chat.members.set(userId, next);
      this.chatMemberUpdate(chat, this.botAsUser(ctx.bot), user.user, old, next);
    }
    return true;
  }

  private getChatMember(ctx: CallContext): ChatMember {
    const chat = this.resolveChat(ctx.p.chatId());
    const userId = ctx.p.userId();
    if (userId === ctx.bot.id)
      return this.wireMember(chat, this.botAsUser(ctx.bot), {
        status: chat.type === 'private' ? 'member' : chat.botStatus,
        untilDate: 0,
      });
    const user = this.users.get(userId);
    if (!user) throw BAD_REQUEST('user not found');
    if (chat.type === 'private') {
      if (chat.id !== userId) throw BAD_REQUEST('user not found');
      return this.wireMember(chat, user.user, { status: 'member', untilDate: 0 });
    }
    return this.wireMember(chat, user.user, this.memberState(chat, userId));
  }

  private setWebhook(ctx: CallContext): Described {
    const url = ctx.p.string('url') ?? '';
    if (!url) return this.removeWebhook(ctx.p.boolean('drop_pending_updates') ?? false);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw BAD_REQUEST('bad webhook: invalid URL');
    }
    // Real Telegram demands HTTPS on ports 443/80/88/8443; the sandbox accepts local http URLs too.
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw BAD_REQUEST('bad webhook: An HTTPS URL must be provided for webhook');
    const secretToken = ctx.p.string('secret_token');
    if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken))
      throw BAD_REQUEST('secret token contains unallowed characters');
    const maxConnections = ctx.p.integer('max_connections') ?? 40;
    if (maxConnections < 1 || maxConnections > 100) throw BAD_REQUEST('bad webhook: invalid max_connections');
    this.setAllowedUpdates(ctx.p);
    if (ctx.p.boolean('drop_pending_updates')) this.dropPending();
    const same = this.webhook?.url === url && this.webhook.secretToken === secretToken;
    this.webhook = {
      url,
      token: ctx.token,
      secretToken,
      maxConnections,
      lastErrorDate: this.webhook?.lastErrorDate,
      lastErrorMessage: this.webhook?.lastErrorMessage,
    };
    // A long poll in progress loses to the webhook, as on Telegram.
    this.activePoll?.supersede();
    this.kickWebhook();
    return new Described(true, same ? 'Webhook is already set' : 'Webhook was set');
  }

  private deleteWebhook(ctx: CallContext): Described {
    return this.removeWebhook(ctx.p.boolean('drop_pending_updates') ?? false);
  }

  private removeWebhook(dropPending: boolean): Described {
    const had = this.webhook !== undefined;
    this.webhook = undefined;
    if (dropPending) this.dropPending();
    return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
  }

  private getWebhookInfo(): Record<string, unknown> {
    const hook = this.webhook;
    return {
      url: hook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
      ...(hook ? { max_connections: hook.maxConnections, ip_address: '127.0.0.1' } : {}),
      ...(hook?.lastErrorDate
        ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage }
        : {}),
      ...(this.allowedUpdates ? { allowed_updates: [...this.allowedUpdates] } : {}),
    };
  }

  private async getUpdates(ctx: CallContext): Promise<Update[]> {
    if (this.webhook) {
      throw new TelegramApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = ctx.p.integer('offset');
    const limit = Math.min(100, Math.max(1, ctx.p.integer('limit') ?? 100));
    const timeoutMs = Math.max(0, ctx.p.integer('timeout') ?? 0) * 1000;
    this.setAllowedUpdates(ctx.p);
    if (offset !== undefined) this.confirmUpTo(offset);
    // Only one getUpdates may wait: a newer one terminates the older one with 409, as on Telegram.
    this.activePoll?.supersede();
    let superseded = false;
    const poll = {
      supersede: () => {
        superseded = true;
        this.events.emit('poll-wake');
      },
    };
    this.activePoll = poll;
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const batch = this.takeForPolling(limit);
        const remaining = deadline - Date.now();
        if (batch.length > 0 || remaining <= 0 || ctx.signal.aborted || this.lifetime.signal.aborted) return batch;
        await waitForWake(this.events, remaining, AbortSignal.any([ctx.signal, this.lifetime.signal]));
        if (superseded) {
          throw new TelegramApiError(
            409,
            'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
          );
        }
      }
    } finally {
      if (this.activePoll === poll) this.activePoll = undefined;
    }
  }

  private setMyCommands(ctx: CallContext): true {
    const commands = ctx.p.json<unknown>('commands', 'commands');
    if (!Array.isArray(commands)) throw BAD_REQUEST('parameter "commands" is required');
    if (commands.length > 100) throw BAD_REQUEST('too many commands specified');
    const list: BotCommand[] = commands.map((item: unknown) => {
      const command = (item as { command?: unknown } | null)?.command;
      const description = (item as { description?: unknown } | null)?.description;
      if (typeof command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command)) throw BAD_REQUEST('BOT_COMMAND_INVALID');
      if (typeof description !== 'string' || description.length < 1 || description.length > 256)
        throw BAD_REQUEST('command description must be 1-256 characters');
      return { command, description };
    });
    this.commandSets.set(commandKey(ctx.p), list);
    return true;
  }

  // ---- Updates and delivery ----------------------------------------------------------------------

  private enqueue(body: Omit<Update, 'update_id'>): Update {
    const update: Update = { update_id: this.nextUpdateId++, ...body };
    const type = Object.keys(body)[0] ?? 'unknown';
    const record: UpdateRecord = { update, type, createdAt: this.now(), state: 'pending', attempts: 0 };
    this.updateLog.push(record);
    this.queue.push(record);
    this.events.emit('poll-wake');
    this.kickWebhook();
    return update;
  }

  private isAllowed(type: string): boolean {
    return this.allowedUpdates ? this.allowedUpdates.has(type) : !OPT_IN_UPDATES.has(type);
  }

  private setAllowedUpdates(p: ParamReader): void {
    const allowed = p.json<unknown>('allowed_updates', 'allowed_updates');
    if (allowed === undefined) return;
    if (!Array.isArray(allowed) || !allowed.every((t) => typeof t === 'string'))
      throw BAD_REQUEST("can't parse allowed_updates JSON array");
    // An empty list means the default set again.
    this.allowedUpdates = allowed.length ? new Set(allowed) : undefined;
  }

  /** Updates not in allowed_updates are discarded when their turn comes, as Telegram does. */
  private dropFiltered(): void {
    this.queue = this.queue.filter((record) => {
      if (this.isAllowed(record.type)) return true;
      record.state = 'filtered';
      return false;
    });
  }

  private takeForPolling(limit: number): Update[] {
    this.dropFiltered();
    const batch = this.queue.slice(0, limit);
    for (const record of batch) {
      record.state = 'sent';
      record.via = 'getUpdates';
      record.attempts += 1;
    }
    return batch.map((record) => record.update);
  }

  private confirmUpTo(offset: number): void {
    if (offset < 0) {
      // A negative offset keeps only the last |offset| updates.
      const keep = this.queue.slice(offset);
      for (const record of this.queue) if (!keep.includes(record)) record.state = 'confirmed';
      this.queue = keep;
      return;
    }
    this.queue = this.queue.filter((record) => {
      if (record.update.update_id >= offset) return true;
      record.state = 'confirmed';
      return false;
    });
  }

  private dropPending(): void {
    for (const record of this.queue) record.state = 'dropped';
    this.queue = [];
  }

  private kickWebhook(): void {
    if (this.pumping || !this.webhook || this.closed) return;
    this.pumping = true;
    void this.pumpWebhook().finally(() => {
      this.pumping = false;
      if (this.webhook && this.queue.length > 0 && !this.closed) this.kickWebhook();
    });
  }

  /** Delivers queued updates one at a time, in order, retrying failures with a doubling delay. */
  private async pumpWebhook(): Promise<void> {
    let failures = 0;
    const lifetime = this.lifetime.signal;
    while (!lifetime.aborted && this.webhook) {
      this.dropFiltered();
      const record = this.queue[0];
      if (!record) return;
      const hook = this.webhook;
      const delivered = await this.deliver(hook, record, lifetime);
      if (lifetime.aborted) return;
      if (delivered) {
        failures = 0;
        this.queue = this.queue.filter((r) => r !== record);
        record.state = 'confirmed';
        continue;
      }
      failures += 1;
      try {
        await sleep(Math.min(this.webhookRetryDelayMs * 2 ** (failures - 1), 2_000), lifetime);
      } catch {
        return;
      }
    }
  }

  private async deliver(hook: WebhookState, record: UpdateRecord, lifetime: AbortSignal): Promise<boolean> {
    const started = Date.now();
    const delivery: WebhookDelivery = {
      update_id: record.update.update_id,
      url: hook.url,
      at: this.now(),
      durationMs: 0,
    };
    record.attempts += 1;
    record.via = 'webhook';
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(hook.secretToken ? { 'x-telegram-bot-api-secret-token': hook.secretToken } : {}),
        },
        body: JSON.stringify(record.update),
        signal: AbortSignal.any([AbortSignal.timeout(this.webhookTimeoutMs), lifetime]),
      });
      const text = await response.text();
      delivery.status = response.status;
      if (!response.ok) {
        delivery.error = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
        return false;
      }
      await this.runWebhookReply(hook, response.headers.get('content-type'), text);
      return true;
    } catch (error) {
      delivery.error = describeFetchError(error);
      return false;
    } finally {
      delivery.durationMs = Date.now() - started;
      if (delivery.error) {
        hook.lastErrorDate = this.unixNow();
        hook.lastErrorMessage = delivery.error;
      }
      this.deliveries.push(delivery);
      this.events.emit('delivery', delivery);
    }
  }

  /** A webhook may answer with a method call in its body; Telegram runs it (no result returned). */
  private async runWebhookReply(hook: WebhookState, contentType: string | null, text: string): Promise<void> {
    if (!contentType?.includes('application/json') || !text.trim()) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    if (!body || typeof body !== 'object' || typeof (body as { method?: unknown }).method !== 'string') return;
    const { method, ...params } = body as { method: string } & Params;
    await this.execute(hook.token, method, normalizeParams(params), new Map(), this.lifetime.signal);
  }

  private chatMemberUpdate(
    chat: ChatRecord,
    actor: User,
    user: User,
    old: MemberState,
    next: MemberState,
    extra: Partial<Pick<ChatMemberUpdated, 'invite_link' | 'via_join_request'>> = {},
  ): Update {
    const payload = {
      chat: this.wireChat(chat),
      from: actor,
      date: this.unixNow(),
      old_chat_member: this.wireMember(chat, user, old),
      new_chat_member: this.wireMember(chat, user, next),
      ...extra,
    } as ChatMemberUpdated;
    return this.enqueue({ chat_member: payload });
  }

  // ---- Helpers: users, chats, messages, files -----------------------------------------------

  private botUser(token: string): UserFromGetMe {
    const id = Number(TOKEN_RE.exec(token)?.[1] ?? 0);
    return {
      id,
      is_bot: true,
      first_name: this.botFirstName,
      username: this.botUsername,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  /** The bot as it appears in messages and links: a plain User, without getMe's extra fields. */
  private botAsUser(bot: User): User {
    return {
      id: bot.id,
      is_bot: true,
      first_name: bot.first_name,
      ...(bot.username ? { username: bot.username } : {}),
    };
  }

  private ensureUser(input: UserInput): UserRecord {
    if (!input || typeof input !== 'object')
      throw new TelegramSandboxError('a user object {id, first_name} is required (from)');
    if (!Number.isSafeInteger(input.id) || input.id <= 0)
      throw new TelegramSandboxError(`user id must be a positive integer, got ${input.id}`);
    if (typeof input.first_name !== 'string' || !input.first_name)
      throw new TelegramSandboxError('a user needs a first_name');
    const user: User = {
      id: input.id,
      is_bot: false,
      first_name: input.first_name,
      ...(input.last_name ? { last_name: input.last_name } : {}),
      ...(input.username ? { username: input.username } : {}),
      ...(input.language_code ? { language_code: input.language_code } : {}),
      ...(input.is_premium ? { is_premium: true as const } : {}),
    };
    const existing = this.users.get(input.id);
    if (existing) {
      existing.user = user;
      return existing;
    }
    const record: UserRecord = { user, startedBot: false, blocked: false, joinRequestWindowUntil: 0 };
    this.users.set(user.id, record);
    this.chats.set(user.id, { ...this.emptyChat(user.id, 'private'), userId: user.id });
    return record;
  }

  private requireUser(userId: number): UserRecord {
    const record = this.users.get(userId);
    if (!record) throw new TelegramSandboxError(`unknown user ${userId}`, 404);
    return record;
  }

  private emptyChat(id: number, type: ChatRecord['type']): ChatRecord {
    return {
      id,
      type,
      botStatus: 'administrator',
      nextMessageId: 1,
      messages: new Map(),
      members: new Map(),
      pending: new Map(),
      chatInstance: String(randomInt(1, 2 ** 47)) + String(randomInt(1000, 9999)),
    };
  }

  private privateChat(userId: number): ChatRecord {
    const chat = this.chats.get(userId);
    if (!chat) throw new TelegramSandboxError(`unknown user ${userId}`, 404);
    return chat;
  }

  private requireChannel(chatId: number): ChatRecord {
    const chat = this.chats.get(chatId);
    if (!chat || chat.type === 'private')
      throw new TelegramSandboxError(`unknown channel ${chatId}; register it with addChannel`, 404);
    return chat;
  }

  private resolveChat(ref: number | string): ChatRecord {
    if (typeof ref === 'string') {
      const username = ref.replace(/^@/, '').toLowerCase();
      const chat = [...this.chats.values()].find((c) => c.username?.toLowerCase() === username);
      if (!chat) throw BAD_REQUEST('chat not found');
      return chat;
    }
    const chat = this.chats.get(ref);
    if (!chat) throw BAD_REQUEST('chat not found');
    return chat;
  }

  private assertCanPost(chat: ChatRecord): void {
    if (chat.type === 'private') {
      const user = this.requireUser(chat.id);
      if (user.blocked) throw FORBIDDEN('bot was blocked by the user');
      if (!user.startedBot && this.now() >= user.joinRequestWindowUntil)
        throw FORBIDDEN("bot can't initiate conversation with a user");
      return;
    }
    if (chat.botStatus === 'left') throw FORBIDDEN(`bot is not a member of the ${chat.type} chat`);
    if (chat.type === 'channel' && chat.botStatus !== 'administrator')
      throw BAD_REQUEST('need administrator rights in the channel chat');
  }

  private assertCanManage(chat: ChatRecord, missingRights: string): void {
    if (chat.type === 'private') throw BAD_REQUEST('method is available for supergroup and channel chats only');
    if (chat.botStatus === 'left') throw FORBIDDEN(`bot is not a member of the ${chat.type} chat`);
    if (chat.botStatus !== 'administrator') throw BAD_REQUEST(missingRights);
  }

  private memberState(chat: ChatRecord, userId: number): MemberState {
    const state = chat.members.get(userId);
    if (!state) return { status: 'left', untilDate: 0 };
    // A temporary ban ends by itself.
    if (state.status === 'kicked' && state.untilDate !== 0 && state.untilDate <= this.unixNow()) {
      const left: MemberState = { status: 'left', untilDate: 0 };
      chat.members.set(userId, left);
      return left;
    }
    return state;
  }

  private usableLink(url: string, chatId: number): InviteLinkRecord {
    if (typeof url !== 'string') throw new TelegramSandboxError('inviteLink must be the invite_link URL');
    const link = this.links.get(url);
    if (!link || link.chatId !== chatId)
      throw new TelegramSandboxError(`unknown invite link ${url} for chat ${chatId}`, 404);
    if (link.revoked) throw new TelegramSandboxError('invite link was revoked', 409);
    if (link.expireDate !== undefined && link.expireDate <= this.unixNow())
      throw new TelegramSandboxError('invite link expired', 409);
    return link;
  }

  private linkMembers(link: InviteLinkRecord): number[] {
    const chat = this.chats.get(link.chatId);
    if (!chat) return [];
    return [...link.joined].filter((userId) => isInside(this.memberState(chat, userId).status));
  }

  private linkPending(link: InviteLinkRecord): number[] {
    const chat = this.chats.get(link.chatId);
    if (!chat) return [];
    return [...chat.pending.values()].filter((r) => r.link === link.link).map((r) => r.userId);
  }

  private wireLink(link: InviteLinkRecord): ChatInviteLink {
    return {
      invite_link: link.link,
      creator: link.creator,
      creates_join_request: link.createsJoinRequest,
      is_primary: false,
      is_revoked: link.revoked,
      ...(link.name !== undefined ? { name: link.name } : {}),
      ...(link.expireDate !== undefined ? { expire_date: link.expireDate } : {}),
      ...(link.memberLimit !== undefined ? { member_limit: link.memberLimit } : {}),
      ...(link.createsJoinRequest ? { pending_join_request_count: this.linkPending(link).length } : {}),
    };
  }

  private wireChat(chat: ChatRecord): Chat {
    if (chat.type === 'private') {
      const user = this.requireUser(chat.id).user;
      return {
        id: chat.id,
        type: 'private',
        first_name: user.first_name,
        ...(user.last_name ? { last_name: user.last_name } : {}),
        ...(user.username ? { username: user.username } : {}),
      };
    }
    return {
      id: chat.id,
      type: chat.type,
      title: chat.title ?? '',
      ...(chat.username ? { username: chat.username } : {}),
    };
  }

  private wireMember(chat: ChatRecord, user: User, state: MemberState): ChatMember {
    switch (state.status) {
      case 'creator':
        return { status: 'creator', user, is_anonymous: false };
      case 'administrator':
        return {
          status: 'administrator',
          user,
          can_be_edited: false,
          is_anonymous: false,
          can_manage_chat: true,
          can_delete_messages: true,
          can_manage_video_chats: true,
          can_restrict_members: true,
          can_promote_members: false,
          can_change_info: true,
          can_invite_users: true,
          can_post_stories: true,
          can_edit_stories: true,
          can_delete_stories: true,
          can_send_welcome_messages: false,
          ...(chat.type === 'channel'
            ? { can_post_messages: true, can_edit_messages: true }
            : { can_pin_messages: true }),
        };
      case 'kicked':
        return { status: 'kicked', user, until_date: state.untilDate };
      case 'member':
        return { status: 'member', user, ...(state.untilDate ? { until_date: state.untilDate } : {}) };
      case 'left':
        return { status: 'left', user };
      case 'restricted':
        return { status: 'restricted', user, until_date: state.untilDate } as ChatMember;
    }
  }

  private storeOutgoing(
    chat: ChatRecord,
    bot: User,
    content: Record<string, unknown>,
    meta: Pick<StoredMessage, 'method' | 'rawText' | 'rawCaption' | 'parseMode' | 'replyMarkup' | 'file'>,
  ): Message {
    const inline = meta.replyMarkup && 'inline_keyboard' in meta.replyMarkup ? meta.replyMarkup : undefined;
    const message = {
      message_id: chat.nextMessageId++,
      ...(chat.type === 'channel' ? { sender_chat: this.wireChat(chat) } : { from: this.botAsUser(bot) }),
      chat: this.wireChat(chat),
      date: this.unixNow(),
      ...content,
      ...(inline && inline.inline_keyboard.length ? { reply_markup: inline } : {}),
    } as Message;
    const stored: StoredMessage = { message, outgoing: true, ...meta, edited: false, deleted: false };
    chat.messages.set(message.message_id, stored);
    this.events.emit('message', this.toSentMessage(chat.id, stored));
    return message;
  }

  private editableMessage(ctx: CallContext): StoredMessage {
    if (ctx.p.string('inline_message_id')) throw BAD_REQUEST('MESSAGE_ID_INVALID');
    const chat = this.resolveChat(ctx.p.chatId());
    const messageId = ctx.p.integer('message_id');
    if (messageId === undefined) throw BAD_REQUEST('message identifier is not specified');
    const stored = chat.messages.get(messageId);
    if (!stored || stored.deleted) throw BAD_REQUEST('message to edit not found');
    if (!stored.outgoing) throw BAD_REQUEST("message can't be edited");
    return stored;
  }

  private applyEdit(
    stored: StoredMessage,
    content: Record<string, unknown>,
    markup: InlineKeyboardMarkup | undefined,
  ): Message {
    const next: Record<string, unknown> = { ...stored.message, ...content, edit_date: this.unixNow() };
    for (const [key, value] of Object.entries(content)) if (value === undefined) delete next[key];
    if (markup && markup.inline_keyboard.length) next.reply_markup = markup;
    else delete next.reply_markup;
    stored.message = next as unknown as Message;
    stored.replyMarkup = markup;
    stored.edited = true;
    this.events.emit('message', this.toSentMessage(stored.message.chat.id, stored));
    return stored.message;
  }

  private toSentMessage(chatId: number, stored: StoredMessage): SentMessage {
    return {
      message_id: stored.message.message_id,
      chat_id: chatId,
      date: stored.message.date,
      method: stored.method ?? 'sendMessage',
      ...(stored.rawText !== undefined ? { text: stored.rawText } : {}),
      ...(stored.rawCaption !== undefined ? { caption: stored.rawCaption } : {}),
      ...(stored.parseMode ? { parse_mode: stored.parseMode } : {}),
      ...(stored.replyMarkup ? { reply_markup: stored.replyMarkup } : {}),
      ...(stored.file && stored.method === 'sendDocument' ? { document: stored.file } : {}),
      ...(stored.file && stored.method === 'sendPhoto' ? { photo: stored.file } : {}),
      edited: stored.edited,
      deleted: stored.deleted,
      message: stored.message,
    };
  }

  private async resolveInputFile(
    ctx: CallContext,
    kind: 'photo' | 'document',
  ): Promise<{ file: StoredFile; source: SentFile['source'] }> {
    const value = ctx.p.raw[kind];
    // A file may come as attach://<field>, directly under the parameter's own name, an HTTP URL or a file_id.
    const attached =
      typeof value === 'string' && value.startsWith('attach://')
        ? ctx.uploads.get(value.slice('attach://'.length))
        : ctx.uploads.get(kind);
    if (attached) {
      if (attached.content.length === 0) throw BAD_REQUEST('file must be non-empty');
      if (kind === 'photo') {
        if (attached.content.length > MAX_PHOTO_BYTES) throw BAD_REQUEST('PHOTO_INVALID_DIMENSIONS');
        if (!imageInfo(attached.content)) throw BAD_REQUEST('IMAGE_PROCESS_FAILED');
      }
      return {
        file: this.storeFile(
          kind,
          attached.content,
          attached.filename,
          mimeFor(attached.filename, attached.mimetype),
          'upload',
        ),
        source: 'upload',
      };
    }
    if (typeof value !== 'string' || !value) throw BAD_REQUEST(`there is no ${kind} in the request`);
    if (value.startsWith('attach://')) throw BAD_REQUEST(`wrong HTTP URL specified`);
    if (/^https?:\/\//i.test(value)) return { file: await this.fetchFile(kind, value, ctx.signal), source: 'url' };
    const known = this.files.get(value);
    if (!known) throw BAD_REQUEST('wrong file identifier/HTTP URL specified');
    return { file: known, source: 'file_id' };
  }

  /** Telegram downloads URL files itself: ≤20 MB documents (only PDF, ZIP or GIF), ≤5 MB photos. */
  private async fetchFile(kind: 'photo' | 'document', url: string, signal: AbortSignal): Promise<StoredFile> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(10_000), signal]) });
    } catch {
      throw BAD_REQUEST('failed to get HTTP URL content');
    }
    if (!response.ok) throw BAD_REQUEST('failed to get HTTP URL content');
    const content = Buffer.from(await response.arrayBuffer());
    const limit = kind === 'photo' ? MAX_URL_PHOTO_BYTES : MAX_URL_DOCUMENT_BYTES;
    if (content.length > limit) throw BAD_REQUEST('failed to get HTTP URL content');
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || `${kind}.dat`);
    const headerType = response.headers.get('content-type')?.split(';')[0]?.trim();
    const mime =
      headerType && headerType !== 'application/octet-stream' ? headerType : mimeFor(name, 'application/octet-stream');
    if (kind === 'photo' && !imageInfo(content)) throw BAD_REQUEST('wrong type of the web page content');
    if (
      kind === 'document' &&
      !['application/pdf', 'application/zip', 'application/x-zip-compressed', 'image/gif'].includes(mime ?? '')
    ) {
      throw BAD_REQUEST('wrong type of the web page content');
    }
    const file = this.storeFile(kind, content, name, mime, 'url');
    file.url = url;
    return file;
  }

  private storeFile(
    kind: 'photo' | 'document',
    content: Buffer,
    fileName: string | undefined,
    mime: string | undefined,
    source: 'upload' | 'url',
  ): StoredFile {
    if (kind === 'document' && content.length > MAX_DOCUMENT_BYTES)
      throw new TelegramApiError(413, 'Request Entity Too Large');
    const image = kind === 'photo' ? imageInfo(content) : undefined;
    const file: StoredFile = {
      file_id: `${kind === 'photo' ? 'AgACAgIAAxkDAAI' : 'BQACAgIAAxkDAAI'}${randomToken(48)}`,
      file_unique_id: `AgAD${randomToken(12)}`,
      ...(kind === 'document' && fileName ? { file_name: fileName } : {}),
      ...(kind === 'document' && mime ? { mime_type: mime } : {}),
      file_size: content.length,
      ...(image ? { width: image.width, height: image.height } : {}),
      content,
      source,
    };
    this.files.set(file.file_id, file);
    return file;
  }

  private photoSizes(file: StoredFile): Array<Record<string, unknown>> {
    const width = file.width ?? 512;
    const height = file.height ?? 512;
    const scale = Math.min(1, 90 / Math.max(width, height));
    const thumbId = `${file.file_id.slice(0, -4)}AAAA`;
    if (!this.files.has(thumbId)) this.files.set(thumbId, { ...file, file_id: thumbId });
    return [
      {
        file_id: thumbId,
        file_unique_id: `${file.file_unique_id}s`,
        file_size: Math.ceil(file.file_size * scale * scale),
        width: Math.round(width * scale),
        height: Math.round(height * scale),
      },
      { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, width, height },
    ];
  }

  private unixNow(): number {
    return Math.floor(this.now() / 1000);
  }

  // ---- Control API -------------------------------------------------------------------------------

  private registerControl(app: FastifyInstance): void {
    const base = '/_sandbox/telegram';
    // Misuse answers {error} with the status the error names (400 by default, 404 unknown, 409 conflict).
    const guard = <T>(reply: FastifyReply, run: () => T) => controlCall(reply, run);

    app.get<{ Querystring: { method?: string; since?: string } }>(`${base}/calls`, async (request) => {
      const since = Number(request.query.since ?? 0);
      return { calls: this.calls(request.query.method).filter((call) => call.seq > since) };
    });
    app.get(`${base}/chats`, async () => ({ chats: this.chatList() }));
    app.post<{ Body: Parameters<TelegramSandbox['addChannel']>[0] }>(`${base}/channels`, async (request, reply) =>
      guard(reply, () => {
        void reply.code(201);
        return { chat: this.addChannel(bodyOf(request)) };
      }),
    );
    app.post<{ Body: UserInput & { startedBot?: boolean } }>(`${base}/users`, async (request, reply) =>
      guard(reply, () => {
        const { startedBot, ...user } = bodyOf(request);
        void reply.code(201);
        return { user: this.addUser(user, { startedBot }) };
      }),
    );
    app.post<{ Params: { userId: string } }>(`${base}/users/:userId/block`, async (request, reply) =>
      guard(reply, () => {
        this.blockBot(toId(request.params.userId));
        return { blocked: true };
      }),
    );
    app.delete<{ Params: { userId: string } }>(`${base}/users/:userId/block`, async (request, reply) =>
      guard(reply, () => {
        this.unblockBot(toId(request.params.userId));
        return { blocked: false };
      }),
    );
    app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/messages`, async (request, reply) =>
      guard(reply, () => ({ messages: this.messagesTo(toId(request.params.chatId)) })),
    );
    app.get<{ Params: { chatId: string; userId: string } }>(
      `${base}/chats/:chatId/members/:userId`,
      async (request, reply) =>
        guard(reply, () => ({ status: this.member(toId(request.params.chatId), toId(request.params.userId)) })),
    );
    app.put<{
      Params: { chatId: string; userId: string };
      Body: { status: MemberStatus; until_date?: number; user?: UserInput };
    }>(`${base}/chats/:chatId/members/:userId`, async (request, reply) =>
      guard(reply, () => {
        const body = bodyOf(request);
        const userId = toId(request.params.userId);
        this.setMember(
          toId(request.params.chatId),
          body.user ? { ...body.user, id: userId } : userId,
          body.status,
          body.until_date ?? 0,
        );
        return { status: this.member(toId(request.params.chatId), userId) };
      }),
    );
    app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/invite-links`, async (request, reply) =>
      guard(reply, () => ({ links: this.inviteLinks(toId(request.params.chatId)) })),
    );
    app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/join-requests`, async (request, reply) =>
      guard(reply, () => ({ requests: this.joinRequests(toId(request.params.chatId)) })),
    );
    app.get(`${base}/updates`, async () => ({ updates: this.updates() }));
    app.post<{ Body: Record<string, unknown> }>(`${base}/updates`, async (request, reply) =>
      guard(reply, () => ({ update: this.injectUpdate(bodyOf(request)) })),
    );
    app.post<{ Body: { from: UserInput; text: string } }>(`${base}/messages`, async (request, reply) =>
      guard(reply, () => ({ update: this.sendText(bodyOf(request)) })),
    );
    app.post<{ Body: Parameters<TelegramSandbox['pressButton']>[0] }>(`${base}/callbacks`, async (request, reply) =>
      guard(reply, () => ({ callback_query_id: this.pressButton(bodyOf(request)) })),
    );
    app.get<{ Params: { id: string } }>(`${base}/callbacks/:id`, async (request, reply) =>
      guard(reply, () => {
        const answer = this.callbackAnswer(request.params.id);
        if (!answer) throw new TelegramSandboxError(`unknown callback query ${request.params.id}`, 404);
        return answer;
      }),
    );
    app.post<{ Body: Parameters<TelegramSandbox['requestJoin']>[0] }>(`${base}/join-requests`, async (request, reply) =>
      guard(reply, () => ({ update: this.requestJoin(bodyOf(request)) })),
    );
    app.post<{ Body: Parameters<TelegramSandbox['joinByLink']>[0] }>(`${base}/joins`, async (request, reply) =>
      guard(reply, () => ({ update: this.joinByLink(bodyOf(request)) })),
    );
    app.post<{ Body: Parameters<TelegramSandbox['leaveChat']>[0] }>(`${base}/leaves`, async (request, reply) =>
      guard(reply, () => ({ update: this.leaveChat(bodyOf(request)) })),
    );
    app.get(`${base}/faults`, async () => ({ faults: this.faults() }));
    app.post<{ Body: FaultSpec }>(`${base}/faults`, async (request, reply) =>
      guard(reply, () => {
        void reply.code(201);
        return { fault: this.injectFault(bodyOf(request)) };
      }),
    );
    app.delete(`${base}/faults`, async () => {
      this.clearFaults();
      return { faults: [] };
    });
    app.get(`${base}/webhook`, async () => ({ webhook: this.getWebhookInfo(), deliveries: this.webhookDeliveries() }));
    app.get(`${base}/commands`, async () => ({ commands: this.commands() }));
  }
}

// ---------------------------------------------------------------------------------------------
// Control helpers

export type BotAnswer =
  | { ok: true; result: unknown; description?: string }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

function bodyOf<T>(request: FastifyRequest<{ Body: T }>): T {
  if (!request.body || typeof request.body !== 'object')
    throw new TelegramSandboxError('a JSON object body is required');
  return request.body as T;
}

function toId(raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new TelegramSandboxError(`"${raw}" is not a numeric id`);
  return Number(raw);
}

/** Runs a control action; a TelegramSandboxError becomes `{error}` with its status. */
function controlCall<T>(reply: FastifyReply, run: () => T): T | FastifyReply {
  try {
    return run();
  } catch (error) {
    if (error instanceof TelegramSandboxError) return reply.code(error.statusCode).send({ error: error.message });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Parameters

async function readParams(request: FastifyRequest): Promise<{ params: Params; uploads: Map<string, Upload> }> {
  const params: Params = { ...(request.query as Params | undefined) };
  const uploads = new Map<string, Upload>();
  if (request.isMultipart()) {
    for await (const part of request.parts({ limits: { fileSize: MAX_DOCUMENT_BYTES } })) {
      if (part.type === 'file') {
        const content = await part.toBuffer();
        uploads.set(part.fieldname, {
          fieldname: part.fieldname,
          filename: part.filename,
          mimetype: part.mimetype,
          content,
        });
      } else {
        params[part.fieldname] = part.value;
      }
    }
  } else if (request.body && typeof request.body === 'object') {
    Object.assign(params, request.body);
  }
  return { params: normalizeParams(params), uploads };
}

/** Form, query and multipart values are strings; give known fields the types a JSON body would carry. */
function normalizeParams(params: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      out[key] = value;
    } else if (INTEGER_FIELDS.has(key) && /^-?\d+$/.test(value.trim())) {
      out[key] = Number(value.trim());
    } else if (BOOLEAN_FIELDS.has(key) && /^(true|false|1|0)$/i.test(value.trim())) {
      out[key] = /^(true|1)$/i.test(value.trim());
    } else if (JSON_FIELDS.has(key) && /^[[{]/.test(value.trim())) {
      try {
        out[key] = JSON.parse(value);
      } catch {
        out[key] = value;
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

function describeParams(params: Params, uploads: Map<string, Upload>): Params {
  const out: Params = { ...params };
  for (const [key, value] of Object.entries(params)) {
    const upload = typeof value === 'string' && value.startsWith('attach://') ? uploads.get(value.slice(9)) : undefined;
    if (upload) out[key] = { upload: upload.filename, size: upload.content.length };
  }
  for (const upload of uploads.values()) {
    if (!(upload.fieldname in out)) out[upload.fieldname] = { upload: upload.filename, size: upload.content.length };
  }
  return out;
}

class ParamReader {
  constructor(readonly raw: Params) {}

  string(name: string): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw BAD_REQUEST(`field "${name}" must be of type String`);
  }

  integer(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    throw BAD_REQUEST(`field "${name}" must be of type Integer`);
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === '1' || value === 'true' || value === 'True') return true;
    if (value === 0 || value === '0' || value === 'false' || value === 'False') return false;
    throw BAD_REQUEST(`field "${name}" must be of type Boolean`);
  }

  json<T>(name: string, what: string): T | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return value as T;
    try {
      return JSON.parse(value) as T;
    } catch {
      throw BAD_REQUEST(`can't parse ${what} JSON object`);
    }
  }

  chatId(): number | string {
    const value = this.raw.chat_id;
    if (value === undefined || value === null || value === '') throw BAD_REQUEST('chat_id is empty');
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    if (typeof value === 'string' && value.startsWith('@')) return value;
    throw BAD_REQUEST('chat not found');
  }

  userId(): number {
    const value = this.integer('user_id');
    if (value === undefined) throw BAD_REQUEST('user_id is empty');
    if (value <= 0) throw BAD_REQUEST('invalid user_id specified');
    return value;
  }
}

function commandKey(p: ParamReader): string {
  const scope = p.json<{ type?: string }>('scope', 'scope');
  return `${scope?.type ?? 'default'}|${p.string('language_code') ?? ''}`;
}

// ---------------------------------------------------------------------------------------------
// Formatting (parse_mode) and reply markup

function parseError(what: string): TelegramApiError {
  return BAD_REQUEST(`can't parse entities: ${what}`);
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

/** Checks markup the way Telegram rejects it and returns the plain text the message will show. */
/** The `text` and `parse_mode` of sendMessage / editMessageText, checked as Telegram checks them. */
function messageText(ctx: CallContext): { text: string; parseMode: string | undefined; plain: string } {
  const text = ctx.p.string('text');
  if (!text) throw BAD_REQUEST('message text is empty');
  const parseMode = ctx.p.string('parse_mode');
  const plain = formatText(text, parseMode);
  if (!plain.trim()) throw BAD_REQUEST('message text is empty');
  if (plain.length > 4096) throw BAD_REQUEST('message is too long');
  return { text, parseMode, plain };
}

export function formatText(text: string, parseMode: string | undefined): string {
  if (!parseMode) return text;
  switch (parseMode.toLowerCase()) {
    case 'html':
      return parseHtml(text);
    case 'markdownv2':
      return parseMarkdownV2(text);
    case 'markdown':
      // Legacy Markdown is lenient; only strip its markers.
      return text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_`]/g, '');
    default:
      throw BAD_REQUEST('unsupported parse_mode');
  }
}

const HTML_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
  'tg-time',
]);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

function parseHtml(text: string): string {
  let plain = '';
  const open: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '<') {
      const match = /^<(\/?)([^\s>/]*)([^>]*)>/.exec(text.slice(i));
      const at = byteOffset(text, i);
      if (!match) throw parseError(`Unclosed start tag at byte offset ${at}`);
      const [whole, slash, rawName = '', attributes = ''] = match;
      const name = rawName.toLowerCase();
      if (slash) {
        const top = open.pop();
        if (top === undefined) throw parseError(`Unexpected end tag at byte offset ${at}`);
        if (name && name !== top)
          throw parseError(`Unmatched end tag at byte offset ${at}, expected "</${top}>", found "</${name}>"`);
      } else {
        if (!HTML_TAGS.has(name)) throw parseError(`Unsupported start tag "${name}" at byte offset ${at}`);
        if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attributes))
          throw parseError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
        open.push(name);
      }
      i += whole.length;
      continue;
    }
    if (ch === '&') {
      const match = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.exec(text.slice(i, i + 12));
      const decoded =
        match?.[1] === undefined
          ? undefined
          : match[1].startsWith('#x')
            ? String.fromCodePoint(parseInt(match[1].slice(2), 16))
            : match[1].startsWith('#')
              ? String.fromCodePoint(Number(match[1].slice(1)))
              : NAMED_ENTITIES[match[1]];
      if (match && decoded !== undefined) {
        plain += decoded;
        i += match[0].length;
        continue;
      }
    }
    plain += ch;
    i += 1;
  }
  const last = open.at(-1);
  if (last) throw parseError(`Can't find end tag corresponding to start tag "${last}"`);
  return plain;
}

const MARKDOWN_ENTITY_NAMES: Record<string, string> = {
  '*': 'Bold',
  _: 'Italic',
  __: 'Underline',
  '~': 'Strikethrough',
  '||': 'Spoiler',
  '[': 'TextUrl',
};

/** MarkdownV2: reserved characters outside code must be escaped; entities must be closed. */
function parseMarkdownV2(text: string): string {
  let plain = '';
  const open: Array<{ token: string; at: number }> = [];
  let i = 0;
  let lineStart = true;
  const reserved = (ch: string) =>
    parseError(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
  const toggle = (token: string) => {
    if (open.at(-1)?.token === token) open.pop();
    else open.push({ token, at: i });
    i += token.length;
  };
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw reserved('\\');
      plain += next;
      i += 2;
      lineStart = false;
      continue;
    }
    if (ch === '`') {
      const token = text.startsWith('```', i) ? '```' : '`';
      let j = i + token.length;
      let body = '';
      while (j < text.length && !text.startsWith(token, j)) {
        if (text[j] === '\\' && j + 1 < text.length) {
          body += text[j + 1];
          j += 2;
        } else {
          body += text[j];
          j += 1;
        }
      }
      if (j >= text.length)
        throw parseError(
          `Can't find end of ${token === '```' ? 'Pre' : 'Code'} entity at byte offset ${byteOffset(text, i)}`,
        );
      if (token === '```') body = body.replace(/^[^\s`]*\n/, '');
      plain += body;
      i = j + token.length;
      lineStart = false;
      continue;
    }
    if (ch === '[' || (ch === '!' && text[i + 1] === '[')) {
      open.push({ token: '[', at: i });
      i += ch === '!' ? 2 : 1;
      continue;
    }
    if (ch === ']') {
      if (open.at(-1)?.token !== '[') throw reserved(']');
      open.pop();
      if (text[i + 1] !== '(') throw reserved(']');
      let j = i + 2;
      while (j < text.length && text[j] !== ')') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw parseError(`Can't find end of a URL at byte offset ${byteOffset(text, i + 1)}`);
      i = j + 1;
      continue;
    }
    if (ch === '*' || ch === '~') {
      toggle(ch);
      continue;
    }
    if (ch === '_') {
      toggle(text.startsWith('__', i) ? '__' : '_');
      continue;
    }
    if (ch === '|' && text[i + 1] === '|') {
      toggle('||');
      continue;
    }
    if (ch === '>' && lineStart) {
      i += 1;
      continue;
    }
    if ('#+-={}.!()|>'.includes(ch)) throw reserved(ch);
    plain += ch;
    lineStart = ch === '\n';
    i += 1;
  }
  const unclosed = open.at(-1);
  if (unclosed)
    throw parseError(
      `Can't find end of ${MARKDOWN_ENTITY_NAMES[unclosed.token] ?? 'an'} entity at byte offset ${byteOffset(text, unclosed.at)}`,
    );
  return plain;
}

const BUTTON_ACTIONS = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

function readReplyMarkup(p: ParamReader): ReplyMarkup | undefined {
  const markup = p.json<unknown>('reply_markup', 'reply keyboard markup');
  if (markup === undefined) return undefined;
  if (!markup || typeof markup !== 'object' || Array.isArray(markup))
    throw BAD_REQUEST("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in markup) {
    validateInlineKeyboard(markup.inline_keyboard);
  } else if (!('keyboard' in markup || 'remove_keyboard' in markup || 'force_reply' in markup)) {
    throw BAD_REQUEST("can't parse reply keyboard markup JSON object");
  }
  return markup as ReplyMarkup;
}

/** Edits accept only inline keyboards; none given means the keyboard is removed. */
function readInlineMarkupForEdit(p: ParamReader): InlineKeyboardMarkup | undefined {
  const markup = readReplyMarkup(p);
  if (markup === undefined) return undefined;
  if (!('inline_keyboard' in markup)) throw BAD_REQUEST('inline keyboard expected');
  return markup;
}

function validateInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows)) throw BAD_REQUEST('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  for (const row of rows) {
    if (!Array.isArray(row))
      throw BAD_REQUEST('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    for (const button of row as unknown[]) {
      if (!button || typeof button !== 'object')
        throw BAD_REQUEST("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
      const fields = button as Record<string, unknown>;
      if (typeof fields.text !== 'string')
        throw BAD_REQUEST(`can't parse inline keyboard button: Field "text" must be of type String`);
      if (!fields.text) throw BAD_REQUEST('text must be non-empty');
      if (!BUTTON_ACTIONS.some((action) => action in fields))
        throw BAD_REQUEST('text buttons are unallowed in the inline keyboard');
      if ('callback_data' in fields) {
        const data = fields.callback_data;
        // The 64-byte limit counts UTF-8 bytes, not characters.
        if (typeof data !== 'string' || Buffer.byteLength(data, 'utf8') < 1 || Buffer.byteLength(data, 'utf8') > 64)
          throw BAD_REQUEST('BUTTON_DATA_INVALID');
      }
      if ('url' in fields) {
        const url = fields.url;
        let ok = false;
        try {
          ok = typeof url === 'string' && ['http:', 'https:', 'tg:'].includes(new URL(url).protocol);
        } catch {
          ok = false;
        }
        if (!ok) throw BAD_REQUEST(`inline keyboard button URL '${String(url)}' is invalid: Wrong HTTP URL`);
      }
    }
  }
}

function sameMarkup(current: InlineKeyboardMarkup | undefined, next: InlineKeyboardMarkup | undefined): boolean {
  const normalize = (markup: InlineKeyboardMarkup | undefined) =>
    markup && markup.inline_keyboard.length ? JSON.stringify(markup.inline_keyboard) : '';
  return normalize(current) === normalize(next);
}

function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const pattern = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=\s|$)/g;
  for (const match of text.matchAll(pattern)) {
    const command = match[2] ?? '';
    entities.push({
      type: 'bot_command',
      offset: (match.index ?? 0) + (match[1]?.length ?? 0),
      length: command.length,
    });
  }
  return entities;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

function isInside(status: MemberStatus): boolean {
  return status === 'member' || status === 'administrator' || status === 'creator' || status === 'restricted';
}

function randomToken(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  zip: 'application/zip',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  epub: 'application/epub+zip',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  html: 'text/html',
};

/** Telegram derives a document's MIME type from the file name; clients often send octet-stream. */
function mimeFor(fileName: string, declared: string): string | undefined {
  const extension = fileName.split('.').pop()?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[extension] ?? (declared && declared !== 'application/octet-stream' ? declared : undefined);
}

/** Recognises JPEG, PNG, GIF and WebP by their magic bytes; PNG and GIF also give dimensions. */
function imageInfo(content: Buffer): { width?: number; height?: number } | undefined {
  if (
    content.length >= 24 &&
    content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { width: content.readUInt32BE(16), height: content.readUInt32BE(20) };
  }
  if (content.length >= 10 && content.subarray(0, 3).toString('latin1') === 'GIF') {
    return { width: content.readUInt16LE(6), height: content.readUInt16LE(8) };
  }
  if (content.length >= 3 && content[0] === 0xff && content[1] === 0xd8 && content[2] === 0xff) return {};
  if (
    content.length >= 12 &&
    content.subarray(0, 4).toString('latin1') === 'RIFF' &&
    content.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return {};
  return undefined;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'Read timeout expired';
  if (cause?.code === 'ECONNREFUSED') return 'Connection refused';
  if (cause?.code === 'ENOTFOUND') return 'Failed to resolve host: Name or service not known';
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for a new update (or supersession), the time limit, or an abort — whichever comes first. */
function waitForWake(events: EventEmitter, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      events.off('poll-wake', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    events.on('poll-wake', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function waitForEvent<T>(
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
