/** The sandbox's internal records and the one state object every area module works on. */
import { EventEmitter } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import type { BotCommand, Chat, Message, StarTransaction, User, UserFromGetMe } from 'grammy/types';
import { ParamReader } from './params';
import {
  ActiveFault,
  AdminRights,
  BAD_REQUEST,
  BotStatus,
  CallbackAnswer,
  FORBIDDEN,
  MemberStatus,
  PaymentOutcome,
  PaymentSettings,
  ReplyMarkup,
  SentFile,
  SentMessage,
  TelegramCall,
  TelegramSandboxError,
  TelegramSandboxOptions,
  UpdateRecord,
  UserInput,
  WebhookDelivery,
} from './types';

// Internal state

export type Params = Record<string, unknown>;

export interface Upload {
  fieldname: string;
  filename: string;
  mimetype: string;
  content: Buffer;
}

export interface CallContext {
  token: string;
  bot: UserFromGetMe;
  p: ParamReader;
  uploads: Map<string, Upload>;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
}

export type Handler = (ctx: CallContext) => unknown;

/** A result that Telegram answers with a `description` next to it (setWebhook...). */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

export interface UserRecord {
  user: User;
  /** The user wrote to the bot (or pressed /start): the bot may message them. */
  startedBot: boolean;
  blocked: boolean;
  /** After a join request the bot may message the user for 5 minutes. */
  joinRequestWindowUntil: number;
}

export interface MemberState {
  status: MemberStatus;
  /** Unix seconds; 0 = forever (kicked) / no limit. */
  untilDate: number;
}

export interface PendingRequest {
  userId: number;
  date: number;
  link?: string;
  bio?: string;
}

export interface StoredFile {
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

export interface StoredMessage {
  message: Message;
  outgoing: boolean;
  method?: SentMessage['method'];
  rawText?: string;
  rawCaption?: string;
  parseMode?: string;
  replyMarkup?: ReplyMarkup;
  file?: SentFile;
  /** sendInvoice messages: what a payment of this message pays (payments.ts). */
  invoice?: InvoiceRecord;
  edited: boolean;
  deleted: boolean;
}

export interface InvoiceRecord {
  title: string;
  description: string;
  payload: string;
  currency: string;
  totalAmount: number;
  /** telegram_payment_charge_id of each payment made on the message. */
  chargeIds: string[];
}

/** A pre_checkout_query sent to the bot, waiting for (or past) its answer. */
export interface PreCheckoutRecord {
  id: string;
  userId: number;
  /** Set once answered (in time); a second answer is refused like Telegram does. */
  answer?: { ok: boolean; errorMessage?: string };
  /** Past its deadline: a late answer gets QUERY_ID_INVALID. */
  expired: boolean;
  /** Wakes the waiting payment when the bot answers. */
  settle?: () => void;
}

export interface ChatRecord {
  id: number;
  type: 'private' | 'channel' | 'supergroup';
  title?: string;
  username?: string;
  userId?: number;
  /** The bot's own status in a channel or group. */
  botStatus: BotStatus;
  /** The bot's administrator rights there (what getChatMember and my_chat_member show while it is an admin). */
  botRights: AdminRights;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  members: Map<number, MemberState>;
  pending: Map<number, PendingRequest>;
  chatInstance: string;
}

export interface InviteLinkRecord {
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

export interface WebhookState {
  url: string;
  token: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/** Every right a bot administrator can hold in this kind of chat (the default for a registered channel). */
export function fullAdminRights(type: ChatRecord['type']): AdminRights {
  return {
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
    ...(type === 'channel' ? { can_post_messages: true, can_edit_messages: true } : { can_pin_messages: true }),
  };
}

export const TOKEN_RE = /^(\d+):[A-Za-z0-9_-]+$/;

export function randomToken(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

export type MethodTable = Record<string, Handler>;

/** Everything one sandboxed bot can observe, shared by the per-area modules. */
export class SandboxState {
  readonly botUsername: string;
  readonly botFirstName: string;
  readonly webhookTimeoutMs: number;
  readonly webhookRetryDelayMs: number;
  readonly maxRecordedCalls: number;
  readonly preCheckoutDeadlineMs: number;
  readonly now: () => number;
  readonly events = new EventEmitter();
  /** Bot API methods by lower-case name; filled by TelegramSandbox from the per-area tables. */
  handlers = new Map<string, { name: string; handle: Handler }>();

  users = new Map<number, UserRecord>();
  chats = new Map<number, ChatRecord>();
  links = new Map<string, InviteLinkRecord>();
  files = new Map<string, StoredFile>();
  callbacks = new Map<string, CallbackAnswer>();
  commandSets = new Map<string, BotCommand[]>();
  preCheckouts = new Map<string, PreCheckoutRecord>();
  /** The bot's Star transactions in wire form, oldest first (getStarTransactions). */
  starTransactions: StarTransaction[] = [];
  payments: PaymentOutcome[] = [];
  paymentSettings: PaymentSettings = { deliverSuccessfulPayment: true };
  callLog: TelegramCall[] = [];
  callSeq = 0;
  updateLog: UpdateRecord[] = [];
  queue: UpdateRecord[] = [];
  nextUpdateId = 100_000_001;
  allowedUpdates: Set<string> | undefined;
  webhook: WebhookState | undefined;
  deliveries: WebhookDelivery[] = [];
  faultList: ActiveFault[] = [];
  faultSeq = 0;
  activePoll: { supersede: () => void } | undefined;
  /** The token of the latest Bot API call. */
  lastToken: string | undefined;
  pumping = false;
  /** Aborted on reset/shutdown: stops webhook retries and long polls. */
  lifetime = new AbortController();
  closed = false;

  constructor(options: TelegramSandboxOptions) {
    this.botUsername = options.botUsername ?? 'sandbox_bot';
    this.botFirstName = options.botFirstName ?? 'Sandbox Bot';
    this.webhookTimeoutMs = options.webhookDeliveryTimeoutMs ?? 10_000;
    this.webhookRetryDelayMs = options.webhookRetryDelayMs ?? 100;
    this.maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
    this.preCheckoutDeadlineMs = options.preCheckoutDeadlineMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.events.setMaxListeners(0);
  }

  /** The bot that called the Bot API last (updates about the bot itself name it). */
  currentBot(): UserFromGetMe {
    if (!this.lastToken) throw new TelegramSandboxError('no bot has called the Bot API yet', 409);
    return this.botUser(this.lastToken);
  }

  botUser(token: string): UserFromGetMe {
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
  botAsUser(bot: User): User {
    return {
      id: bot.id,
      is_bot: true,
      first_name: bot.first_name,
      ...(bot.username ? { username: bot.username } : {}),
    };
  }

  ensureUser(input: UserInput): UserRecord {
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

  requireUser(userId: number): UserRecord {
    const record = this.users.get(userId);
    if (!record) throw new TelegramSandboxError(`unknown user ${userId}`, 404);
    return record;
  }

  emptyChat(id: number, type: ChatRecord['type']): ChatRecord {
    return {
      id,
      type,
      botStatus: 'administrator',
      botRights: fullAdminRights(type),
      nextMessageId: 1,
      messages: new Map(),
      members: new Map(),
      pending: new Map(),
      chatInstance: String(randomInt(1, 2 ** 47)) + String(randomInt(1000, 9999)),
    };
  }

  privateChat(userId: number): ChatRecord {
    const chat = this.chats.get(userId);
    if (!chat) throw new TelegramSandboxError(`unknown user ${userId}`, 404);
    return chat;
  }

  requireChannel(chatId: number): ChatRecord {
    const chat = this.chats.get(chatId);
    if (!chat || chat.type === 'private')
      throw new TelegramSandboxError(`unknown channel ${chatId}; register it with addChannel`, 404);
    return chat;
  }

  resolveChat(ref: number | string): ChatRecord {
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

  assertCanPost(chat: ChatRecord): void {
    if (chat.type === 'private') {
      const user = this.requireUser(chat.id);
      if (user.blocked) throw FORBIDDEN('bot was blocked by the user');
      if (!user.startedBot && this.now() >= user.joinRequestWindowUntil)
        throw FORBIDDEN("bot can't initiate conversation with a user");
      return;
    }
    this.assertInside(chat);
    if (chat.type === 'channel' && (chat.botStatus !== 'administrator' || chat.botRights.can_post_messages === false))
      throw BAD_REQUEST('need administrator rights in the channel chat');
  }

  /** A bot removed from a chat gets Telegram's 403 for it. */
  assertInside(chat: ChatRecord): void {
    if (chat.botStatus === 'kicked') throw FORBIDDEN(`bot was kicked from the ${chat.type} chat`);
    if (chat.botStatus === 'left') throw FORBIDDEN(`bot is not a member of the ${chat.type} chat`);
  }

  /** Admin-only methods: the bot must be an administrator holding `right` there, else `missingRights`. */
  assertCanManage(chat: ChatRecord, missingRights: string, right: keyof AdminRights): void {
    if (chat.type === 'private') throw BAD_REQUEST('method is available for supergroup and channel chats only');
    this.assertInside(chat);
    if (chat.botStatus !== 'administrator' || !chat.botRights[right]) throw BAD_REQUEST(missingRights);
  }

  memberState(chat: ChatRecord, userId: number): MemberState {
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

  wireChat(chat: ChatRecord): Chat {
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

  toSentMessage(chatId: number, stored: StoredMessage): SentMessage {
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
      ...(stored.invoice
        ? {
            invoice: {
              title: stored.invoice.title,
              description: stored.invoice.description,
              payload: stored.invoice.payload,
              currency: stored.invoice.currency,
              total_amount: stored.invoice.totalAmount,
              charge_ids: [...stored.invoice.chargeIds],
            },
          }
        : {}),
      edited: stored.edited,
      deleted: stored.deleted,
      message: stored.message,
    };
  }

  unixNow(): number {
    return Math.floor(this.now() / 1000);
  }

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
    this.preCheckouts = new Map();
    this.starTransactions = [];
    this.payments = [];
    this.paymentSettings = { deliverSuccessfulPayment: true };
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
}
