/** The SMTP adapter (nodemailer): any SMTP server, Mailpit in tests and local runs. */
import nodemailer from 'nodemailer';
import { EmailError, type EmailMessage, type EmailSender } from './types';

export interface SmtpSenderOptions {
  /** `smtp://[user:password@]host:port` (STARTTLS when offered) or `smtps://` (TLS from the start). */
  url: string;
  /** `Name <address>` or an address. */
  from: string;
  /** Per-connection timeouts; default 15 s. */
  timeoutMs?: number;
}

export function createSmtpSender(options: SmtpSenderOptions): EmailSender & { close(): void } {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const server = (() => {
    const parsed = new URL(options.url);
    return `${parsed.protocol}//${parsed.host}`; // never the credentials
  })();
  return {
    async send(message: EmailMessage) {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'X-Idempotency-Key': message.idempotencyKey },
        });
        return { id: info.messageId };
      } catch (error) {
        const err = error as { responseCode?: number; code?: string; message?: string };
        // 5xx replies refuse this message (or our login) for good; connection errors and 4xx are temporary.
        const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
        const detail = err.responseCode ? `${err.responseCode} ${err.message}` : (err.code ?? err.message);
        throw new EmailError(`SMTP server ${server} did not accept the email: ${detail}`, permanent, {
          cause: error,
        });
      }
    },
    close: () => transport.close(),
  };
}
