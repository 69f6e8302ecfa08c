/** The buttons of the bot's messages in the sandbox, as the demo journeys press them. */
import type { SentMessage } from '../sandbox/telegram';

export function buttonsOf(message: SentMessage) {
  return message.message.reply_markup?.inline_keyboard.flat() ?? [];
}

export function findCallback(message: SentMessage, data: RegExp): string | undefined {
  for (const button of buttonsOf(message))
    if ('callback_data' in button && data.test(button.callback_data)) return button.callback_data;
  return undefined;
}

export function callbackOf(message: SentMessage, data: RegExp): string {
  const found = findCallback(message, data);
  if (!found) throw new Error(`no button matching ${data} on message ${message.message_id}`);
  return found;
}

export function urlOf(message: SentMessage, pattern: RegExp): string {
  for (const button of buttonsOf(message)) if ('url' in button && pattern.test(button.url)) return button.url;
  throw new Error(`no link matching ${pattern} on message ${message.message_id}`);
}

/** `check` until it gives a value; `what` names what did not happen in time. */
export async function waitFor<T>(timeoutMs: number, what: string, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
