/** Public types and errors of the Telegram sandbox (what tests and the control API see). */
import type {
  ChatInviteLink,
  ForceReply,
  InlineKeyboardMarkup,
  Message,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  User,
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

/** The bot's own status in a channel or group (a bot is never its creator). */
export type BotStatus = 'administrator' | 'member' | 'left' | 'kicked';

/** An administrator's rights, as ChatMemberAdministrator carries them (channel-only and group-only ones optional). */
export interface AdminRights {
  can_manage_chat: boolean;
  can_delete_messages: boolean;
  can_manage_video_chats: boolean;
  can_restrict_members: boolean;
  can_promote_members: boolean;
  can_change_info: boolean;
  can_invite_users: boolean;
  can_post_stories: boolean;
  can_edit_stories: boolean;
  can_delete_stories: boolean;
  can_post_messages?: boolean;
  can_edit_messages?: boolean;
  can_pin_messages?: boolean;
}

/** What `setBotRights` changes: the bot's status, some of its rights, and who changed them. */
export interface BotRightsChange {
  status?: BotStatus;
  rights?: Partial<AdminRights>;
  /** The admin who made the change (the my_chat_member update's `from`); a channel owner by default. */
  by?: UserInput;
}
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

export const BAD_REQUEST = (what: string) => new TelegramApiError(400, `Bad Request: ${what}`);
export const FORBIDDEN = (what: string) => new TelegramApiError(403, `Forbidden: ${what}`);

export type BotAnswer =
  | { ok: true; result: unknown; description?: string }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };
