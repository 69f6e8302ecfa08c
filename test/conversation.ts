/**
 * Talking to the bot through the Telegram sandbox in tests: send, press, and wait for the bot's
 * next matching message. Shared by the bot and admin test files.
 */
import type { InlineKeyboardButton } from 'grammy/types';
import type { SentMessage, TelegramSandbox, UserInput } from '../infrastructure/sandbox/telegram';

export const WAIT_MS = 20_000;

export const buttonsOf = (message: SentMessage): InlineKeyboardButton[] =>
  message.reply_markup && 'inline_keyboard' in message.reply_markup ? message.reply_markup.inline_keyboard.flat() : [];
export const callbackDataOf = (message: SentMessage) =>
  buttonsOf(message).flatMap((b) => ('callback_data' in b ? [b.callback_data] : []));
export const hasButton = (data: string) => (message: SentMessage) => callbackDataOf(message).includes(data);
export const textMatches = (pattern: RegExp) => (message: SentMessage) =>
  pattern.test(message.text ?? message.caption ?? '');

export function conversation(tg: () => TelegramSandbox) {
  const lastMessageId = (chatId: number) =>
    Math.max(
      0,
      ...tg()
        .messagesTo(chatId)
        .map((m) => m.message_id),
    );

  /** The first bot message to `chatId` sent after this call that matches. */
  function nextMessage(chatId: number, predicate: (message: SentMessage) => boolean, timeoutMs = WAIT_MS) {
    const after = lastMessageId(chatId);
    return (act: () => unknown) => {
      const waiting = tg().waitForMessage(chatId, (m) => m.message_id > after && predicate(m), timeoutMs);
      act();
      return waiting;
    };
  }
  const say = (from: UserInput, text: string, predicate: (message: SentMessage) => boolean) =>
    nextMessage(from.id, predicate)(() => tg().sendText({ from, text }));
  const press = (from: UserInput, message: SentMessage, data: string, predicate: (message: SentMessage) => boolean) =>
    nextMessage(from.id, predicate)(() => tg().pressButton({ from, message_id: message.message_id, data }));
  /** Presses a button and waits for the bot to edit that same message's text; returns it as edited. */
  async function pressAndEdit(from: UserInput, message: SentMessage, data: string, force = false) {
    const since = Math.max(
      0,
      ...tg()
        .calls()
        .map((call) => call.seq),
    );
    tg().pressButton({ from, message_id: message.message_id, data, force });
    const call = await tg().waitForCall(
      'editMessageText',
      (c) => c.seq > since && Number(c.params.chat_id) === from.id && c.ok,
      WAIT_MS,
    );
    if (Number(call.params.message_id) !== message.message_id)
      throw new Error(`the bot edited message ${String(call.params.message_id)}, not ${message.message_id}`);
    return tg()
      .messagesTo(from.id)
      .find((m) => m.message_id === message.message_id)!;
  }
  return { lastMessageId, nextMessage, say, press, pressAndEdit };
}
