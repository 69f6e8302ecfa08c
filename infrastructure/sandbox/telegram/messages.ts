/** Messages: send/edit/delete, callback queries, chat actions, bot commands; and the user writing or pressing buttons. */
import { randomInt } from 'node:crypto';
import type { BotCommand, CallbackQuery, InlineKeyboardMarkup, Message, Update, User } from 'grammy/types';
import {
  commandEntities,
  formatText,
  messageText,
  readInlineMarkupForEdit,
  readReplyMarkup,
  sameMarkup,
} from './formatting';
import { commandKey } from './params';
import { CallContext, ChatRecord, MethodTable, SandboxState, StoredMessage } from './state';
import { BAD_REQUEST, TelegramSandboxError, UserInput } from './types';
import { enqueue } from './webhook';

export const CHAT_ACTIONS = new Set([
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

export function sendMessage(s: SandboxState, ctx: CallContext): Message {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanPost(chat);
  const { text, parseMode, plain } = messageText(ctx);
  const markup = readReplyMarkup(ctx.p);
  return storeOutgoing(
    s,
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

export function editMessageText(s: SandboxState, ctx: CallContext): Message {
  const stored = editableMessage(s, ctx);
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
  return applyEdit(s, stored, { text: plain }, markup);
}

export function editMessageCaption(s: SandboxState, ctx: CallContext): Message {
  const stored = editableMessage(s, ctx);
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
  return applyEdit(s, stored, { caption: plain || undefined }, markup);
}

export function editMessageReplyMarkup(s: SandboxState, ctx: CallContext): Message {
  const stored = editableMessage(s, ctx);
  const markup = readInlineMarkupForEdit(ctx.p);
  if (sameMarkup(stored.message.reply_markup, markup)) {
    throw BAD_REQUEST(
      'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
  }
  return applyEdit(s, stored, {}, markup);
}

export function deleteMessage(s: SandboxState, ctx: CallContext): true {
  const chat = s.resolveChat(ctx.p.chatId());
  const messageId = ctx.p.integer('message_id');
  const stored = messageId === undefined ? undefined : chat.messages.get(messageId);
  if (!stored || stored.deleted) throw BAD_REQUEST('message to delete not found');
  stored.deleted = true;
  s.events.emit('message', s.toSentMessage(chat.id, stored));
  return true;
}

export function answerCallbackQuery(s: SandboxState, ctx: CallContext): true {
  const id = ctx.p.string('callback_query_id');
  const answer = id ? s.callbacks.get(id) : undefined;
  if (!answer || answer.answered)
    throw BAD_REQUEST('query is too old and response timeout expired or query ID is invalid');
  const text = ctx.p.string('text');
  if (text && text.length > 200) throw BAD_REQUEST('MESSAGE_TOO_LONG');
  Object.assign(answer, {
    answered: true,
    text,
    show_alert: ctx.p.boolean('show_alert'),
    url: ctx.p.string('url'),
    at: s.now(),
  });
  return true;
}

export function sendChatAction(s: SandboxState, ctx: CallContext): true {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanPost(chat);
  const action = ctx.p.string('action');
  if (!action || !CHAT_ACTIONS.has(action)) throw BAD_REQUEST('wrong parameter action in request');
  return true;
}

export function setMyCommands(s: SandboxState, ctx: CallContext): true {
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
  s.commandSets.set(commandKey(ctx.p), list);
  return true;
}

export function storeOutgoing(
  s: SandboxState,
  chat: ChatRecord,
  bot: User,
  content: Record<string, unknown>,
  meta: Pick<StoredMessage, 'method' | 'rawText' | 'rawCaption' | 'parseMode' | 'replyMarkup' | 'file' | 'invoice'>,
): Message {
  const inline = meta.replyMarkup && 'inline_keyboard' in meta.replyMarkup ? meta.replyMarkup : undefined;
  const message = {
    message_id: chat.nextMessageId++,
    ...(chat.type === 'channel' ? { sender_chat: s.wireChat(chat) } : { from: s.botAsUser(bot) }),
    chat: s.wireChat(chat),
    date: s.unixNow(),
    ...content,
    ...(inline && inline.inline_keyboard.length ? { reply_markup: inline } : {}),
  } as Message;
  const stored: StoredMessage = { message, outgoing: true, ...meta, edited: false, deleted: false };
  chat.messages.set(message.message_id, stored);
  s.events.emit('message', s.toSentMessage(chat.id, stored));
  return message;
}

export function editableMessage(s: SandboxState, ctx: CallContext): StoredMessage {
  if (ctx.p.string('inline_message_id')) throw BAD_REQUEST('MESSAGE_ID_INVALID');
  const chat = s.resolveChat(ctx.p.chatId());
  const messageId = ctx.p.integer('message_id');
  if (messageId === undefined) throw BAD_REQUEST('message identifier is not specified');
  const stored = chat.messages.get(messageId);
  if (!stored || stored.deleted) throw BAD_REQUEST('message to edit not found');
  if (!stored.outgoing) throw BAD_REQUEST("message can't be edited");
  return stored;
}

export function applyEdit(
  s: SandboxState,
  stored: StoredMessage,
  content: Record<string, unknown>,
  markup: InlineKeyboardMarkup | undefined,
): Message {
  const next: Record<string, unknown> = { ...stored.message, ...content, edit_date: s.unixNow() };
  for (const [key, value] of Object.entries(content)) if (value === undefined) delete next[key];
  if (markup && markup.inline_keyboard.length) next.reply_markup = markup;
  else delete next.reply_markup;
  stored.message = next as unknown as Message;
  stored.replyMarkup = markup;
  stored.edited = true;
  s.events.emit('message', s.toSentMessage(stored.message.chat.id, stored));
  return stored.message;
}

/** The user writes to the bot in their private chat. A leading `/command` gets a bot_command entity. */
export function sendText(s: SandboxState, input: { from: UserInput; text: string }): Update {
  if (typeof input.text !== 'string' || !input.text) throw new TelegramSandboxError('text must be a non-empty string');
  const record = s.ensureUser(input.from);
  record.startedBot = true;
  record.blocked = false;
  const chat = s.privateChat(record.user.id);
  const entities = commandEntities(input.text);
  const message = {
    message_id: chat.nextMessageId++,
    from: record.user,
    chat: s.wireChat(chat),
    date: s.unixNow(),
    text: input.text,
    ...(entities.length ? { entities } : {}),
  } as Message;
  chat.messages.set(message.message_id, { message, outgoing: false, edited: false, deleted: false });
  return enqueue(s, { message } as Omit<Update, 'update_id'>);
}

/** The user presses an inline button of a bot message; returns the callback query id. */
export function pressButton(
  s: SandboxState,
  input: { from: UserInput; message_id: number; data: string; chatId?: number; force?: boolean },
): string {
  if (typeof input.data !== 'string') throw new TelegramSandboxError('data must be the callback_data string');
  const record = s.ensureUser(input.from);
  const chatId = input.chatId ?? record.user.id;
  const chat = s.chats.get(chatId);
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
  s.callbacks.set(id, { callback_query_id: id, answered: false });
  enqueue(s, { callback_query: query });
  return id;
}

/** Bot API methods of this area. */
export function messageMethods(s: SandboxState): MethodTable {
  return {
    getMe: (ctx) => ctx.bot,
    sendMessage: (ctx) => sendMessage(s, ctx),
    editMessageText: (ctx) => editMessageText(s, ctx),
    editMessageCaption: (ctx) => editMessageCaption(s, ctx),
    editMessageReplyMarkup: (ctx) => editMessageReplyMarkup(s, ctx),
    deleteMessage: (ctx) => deleteMessage(s, ctx),
    answerCallbackQuery: (ctx) => answerCallbackQuery(s, ctx),
    sendChatAction: (ctx) => sendChatAction(s, ctx),
    setMyCommands: (ctx) => setMyCommands(s, ctx),
    getMyCommands: (ctx) => s.commandSets.get(commandKey(ctx.p)) ?? [],
    deleteMyCommands: (ctx) => s.commandSets.delete(commandKey(ctx.p)) || true,
  };
}
