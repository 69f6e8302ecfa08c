/** The email port: what the rest of the code sends through, whatever the transport. */

export interface EmailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  html: string;
  /** The plain-text part, for clients that do not show HTML. */
  text: string;
  /** Unique per business event (e.g. `<orderId>:seller-paid`): the same key is sent once (sendEmailOnce). */
  idempotencyKey: string;
}

export interface EmailSender {
  /** Resolves with the provider's id of the accepted message (SMTP Message-ID, Mailjet MessageID). */
  send(message: EmailMessage): Promise<{ id: string }>;
}

/**
 * A send that failed. `permanent`: the provider refused this message or our credentials, so trying
 * again will not help (a Temporal activity should not retry it); otherwise it may succeed later.
 */
export class EmailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmailError';
  }
}
