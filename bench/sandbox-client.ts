/**
 * A small typed client of the sandbox's HTTP control API (infrastructure/sandbox/*: the routes listed
 * at GET /_sandbox): what a person does in Telegram (write to the bot, press a button, pay a Stars
 * invoice), what a customer does at a gateway (pay a CryptoCloud invoice or a NOWPayments address),
 * and the sandbox's records with its own timestamps (the Bot API call log, postbacks, IPNs). The bench
 * reaches the product only through this and the api: nothing is read from the stack's memory.
 */
import type { PaymentOutcome as CryptoCloudPayment } from '../infrastructure/sandbox/cryptocloud/types';
import type { IpnDelivery } from '../infrastructure/sandbox/nowpayments/types';
import type {
  PaymentOutcome as StarsPayment,
  SentMessage,
  TelegramCall,
  UserInput,
} from '../infrastructure/sandbox/telegram';
import { sleep } from './stats';

export type { SentMessage, TelegramCall, UserInput };

export class SandboxError extends Error {}

export class SandboxClient {
  constructor(readonly url: string) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new SandboxError(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  // ---- Telegram: the person ----

  async addUser(user: UserInput): Promise<void> {
    await this.call('POST', '/_sandbox/telegram/users', { ...user, startedBot: true });
  }

  async sendText(from: UserInput, text: string): Promise<void> {
    await this.call('POST', '/_sandbox/telegram/messages', { from, text });
  }

  async pressButton(from: UserInput, messageId: number, data: string): Promise<void> {
    await this.call('POST', '/_sandbox/telegram/callbacks', { from, message_id: messageId, data });
  }

  /** Stars: the user pays an invoice message; answers once the bot answered the pre-checkout query. */
  payStarsInvoice(userId: number, messageId: number): Promise<StarsPayment> {
    return this.call('POST', '/_sandbox/telegram/payments', { userId, messageId });
  }

  // ---- Telegram: what the bot did ----

  /** What the bot sent to a chat (edits applied), oldest first. */
  async messages(chatId: number): Promise<SentMessage[]> {
    return (await this.call<{ messages: SentMessage[] }>('GET', `/_sandbox/telegram/chats/${chatId}/messages`))
      .messages;
  }

  /** Bot API calls after `since` (their `seq`), each with `at`, the sandbox's clock when it arrived. */
  async calls(since = 0, method?: string): Promise<TelegramCall[]> {
    const query = new URLSearchParams({ since: String(since), ...(method ? { method } : {}) });
    return (await this.call<{ calls: TelegramCall[] }>('GET', `/_sandbox/telegram/calls?${query.toString()}`)).calls;
  }

  private lastSeq = 0;

  /** The newest call's seq (0 before any): later calls are the ones after it. */
  async lastCallSeq(): Promise<number> {
    // Only the calls since the last look are fetched: the log holds up to 10 000 with their results.
    this.lastSeq = (await this.calls(this.lastSeq)).at(-1)?.seq ?? this.lastSeq;
    return this.lastSeq;
  }

  /**
   * Polls the chat every `pollMs` until a message matches (old ones included, so an edit counts).
   * Polling is the sandbox's only way to watch; its cost lands on the stack, so keep `pollMs` modest
   * except where the moment matters (the "hot" payment).
   */
  async waitForMessage(
    chatId: number,
    matches: (message: SentMessage) => boolean,
    options: { pollMs?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<SentMessage> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const messages = await this.messages(chatId);
      const found = messages.find(matches);
      if (found) return found;
      if (Date.now() > deadline) {
        const last = messages
          .slice(-3)
          .map((m) => JSON.stringify((m.text ?? m.caption ?? m.method).slice(0, 60)))
          .join(', ');
        throw new SandboxError(
          `no ${options.what ?? 'matching message'} to ${chatId} in time; last: ${last || 'none'}`,
        );
      }
      await sleep(options.pollMs ?? 20);
    }
  }

  // ---- CryptoCloud ----

  /** The customer pays the invoice in full; answers after the postback was delivered (with its `at`). */
  payCryptoCloud(invoiceId: string): Promise<CryptoCloudPayment> {
    return this.call('POST', `/_sandbox/cryptocloud/invoices/${encodeURIComponent(invoiceId)}/pay`, {});
  }

  // ---- NOWPayments ----

  async nowpaymentsPayments(): Promise<Array<{ paymentId: number; payment: Record<string, unknown> | null }>> {
    return (
      await this.call<{ payments: Array<{ paymentId: number; payment: Record<string, unknown> | null }> }>(
        'GET',
        '/_sandbox/nowpayments/payments',
      )
    ).payments;
  }

  /** The customer sends exactly the asked amount; with `wait`, answers once every status and its IPN went out. */
  async payNowPayments(paymentId: number, wait = true): Promise<void> {
    await this.call('POST', `/_sandbox/nowpayments/payments/${paymentId}/pay`, { wait });
  }

  /** The payment's IPNs as sent, each with `at` and the status it carried. */
  async nowpaymentsIpns(paymentId: number): Promise<IpnDelivery[]> {
    return (await this.call<{ ipns: IpnDelivery[] }>('GET', `/_sandbox/nowpayments/payments/${paymentId}`)).ipns;
  }
}

/** The message's text or caption, as the bot sent it. */
export const textOf = (message: SentMessage) => message.text ?? message.caption ?? '';

/** The callback data of the message's first inline button matching `data`. */
export function buttonData(message: SentMessage, data: RegExp): string | undefined {
  for (const button of message.message.reply_markup?.inline_keyboard.flat() ?? [])
    if ('callback_data' in button && data.test(button.callback_data)) return button.callback_data;
  return undefined;
}

/** The URL of the message's first inline button whose URL matches `pattern`. */
export function buttonUrl(message: SentMessage, pattern: RegExp): string | undefined {
  for (const button of message.message.reply_markup?.inline_keyboard.flat() ?? [])
    if ('url' in button && pattern.test(button.url)) return button.url;
  return undefined;
}
