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
  /**
   * How long a pre_checkout_query waits for answerPreCheckoutQuery before the payment fails, as Telegram
   * fails it after 10 s (default 10 000 ms; a payment control call may pass its own `deadlineMs`).
   */
  preCheckoutDeadlineMs?: number;
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
  /** How it was sent; after editMessageMedia, the kind it became (a text message with a photo added: sendPhoto). */
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument' | 'sendInvoice';
  /** Text or caption as the bot sent it (markup included); `message.text` holds the parsed plain text. */
  text?: string;
  caption?: string;
  parse_mode?: string;
  /** The markup as sent (any keyboard kind); only inline keyboards appear in `message`. */
  reply_markup?: ReplyMarkup;
  document?: SentFile;
  photo?: SentFile;
  /** sendInvoice: what the invoice asks for, and the charges paid on it so far. */
  invoice?: SentInvoice;
  edited: boolean;
  deleted: boolean;
  /** The Message object as the bot would now see it. */
  message: Message;
}

export interface SentInvoice {
  title: string;
  description: string;
  payload: string;
  currency: string;
  /** In the currency's smallest unit (whole Stars for XTR). */
  total_amount: number;
  /** telegram_payment_charge_id of every payment made on this invoice message. */
  charge_ids: string[];
}

/** An injected user pays an invoice message (`POST /_sandbox/telegram/payments`). */
export interface PayInvoiceInput {
  userId: number;
  /** The invoice message; or give `payload` and the newest invoice with that payload in the chat is paid. */
  messageId?: number;
  payload?: string;
  /** Chat holding the invoice (default: the user's private chat with the bot). */
  chatId?: number;
  /** How long to wait for answerPreCheckoutQuery (default: the sandbox's preCheckoutDeadlineMs). */
  deadlineMs?: number;
  /**
   * false: the payment goes through (a Star transaction exists) but the successful_payment update is
   * never delivered, like a bot that was down and missed it. Default: the sandbox setting (true).
   */
  deliverSuccessfulPayment?: boolean;
  /** Pay an invoice that was paid already (Telegram allows it on forwarded copies). */
  force?: boolean;
}

export type PaymentOutcomeKind = 'paid' | 'declined' | 'timeout';

export interface PaymentOutcome {
  outcome: PaymentOutcomeKind;
  preCheckoutQueryId: string;
  userId: number;
  chatId: number;
  /** The invoice message paid. */
  messageId: number;
  invoicePayload: string;
  currency: string;
  totalAmount: number;
  /** paid: the new telegram_payment_charge_id (also the Star transaction id). */
  chargeId?: string;
  /** declined: the bot's error_message, which Telegram shows the user. */
  errorMessage?: string;
  /** paid: the user's successful_payment message and whether its update went to the bot. */
  paymentMessageId?: number;
  delivered?: boolean;
  /** Epoch ms (sandbox clock) when the outcome was known. */
  at: number;
}

export interface StarRefund {
  chargeId: string;
  userId: number;
  amount: number;
  invoicePayload: string;
  /** Unix seconds, as the refund transaction's date. */
  date: number;
}

export interface PaymentSettings {
  /** false: paid invoices never reach the bot as successful_payment updates (default true). */
  deliverSuccessfulPayment: boolean;
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
