/**
 * Mailjet Send API v3.1 emulator: `POST /v3.1/send` with basic auth (API key : secret key), the real
 * body and answer shapes, validation errors as Mailjet writes them (400, one `Errors` list per message),
 * and every accepted message recorded for tests (`messages()`) and the control API
 * (`GET /_sandbox/mailjet/messages`). Nothing is delivered anywhere.
 *
 * UNCONFIRMED against the live API: the exact error codes and texts (taken from Mailjet's docs as
 * remembered: mj-0003 missing property, mj-0004 type mismatch, mj-0013 invalid address) and the 401 body.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const MAILJET_SANDBOX_DEFAULTS = {
  apiKey: 'dev-sandbox-mailjet-api-key',
  secretKey: 'dev-sandbox-mailjet-secret-key',
} as const;

export interface MailjetSandboxOptions {
  /** Default: MAILJET_SANDBOX_DEFAULTS. */
  apiKey?: string;
  secretKey?: string;
  now?: () => number;
}

interface Address {
  Email: string;
  Name?: string;
}

export interface RecordedEmail {
  messageId: number;
  messageUuid: string;
  at: number;
  from: Address;
  to: Address[];
  subject: string;
  textPart?: string;
  htmlPart?: string;
  customId?: string;
}

interface MailjetError {
  ErrorIdentifier: string;
  ErrorCode: string;
  StatusCode: number;
  ErrorMessage: string;
  ErrorRelatedTo: string[];
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export class MailjetSandbox {
  readonly apiKey: string;
  readonly secretKey: string;
  private readonly now: () => number;
  private recorded: RecordedEmail[] = [];
  /** Real MessageIDs are near 2^60, beyond JSON's exact integers; these stay exact. */
  private nextId = 1_000_000_000_001;

  constructor(options: MailjetSandboxOptions = {}) {
    this.apiKey = options.apiKey ?? MAILJET_SANDBOX_DEFAULTS.apiKey;
    this.secretKey = options.secretKey ?? MAILJET_SANDBOX_DEFAULTS.secretKey;
    this.now = options.now ?? Date.now;
  }

  /** Every accepted message, oldest first. */
  messages(): RecordedEmail[] {
    return this.recorded.map((m) => ({ ...m, to: m.to.map((to) => ({ ...to })) }));
  }

  reset(): void {
    this.recorded = [];
  }

  shutdown(): void {}

  register(app: FastifyInstance): void {
    app.post('/v3.1/send', (request, reply) => this.send(request, reply));
    app.get('/_sandbox/mailjet/messages', async () => ({ messages: this.messages() }));
  }

  private authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+(.+)$/i.exec(header);
    if (!match) return false;
    return Buffer.from(match[1]!, 'base64').toString('utf8') === `${this.apiKey}:${this.secretKey}`;
  }

  private send(request: FastifyRequest, reply: FastifyReply) {
    if (!this.authorized(request))
      return reply.code(401).send({
        ErrorIdentifier: randomUUID(),
        StatusCode: 401,
        ErrorMessage:
          'API key authentication/authorization failure. You may be unauthorized to access the API or your API key may be expired. Visit API keys management section to check your keys.',
      });
    const body = request.body as { Messages?: unknown; SandboxMode?: unknown } | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.Messages) || body.Messages.length === 0)
      return reply.code(400).send({
        ErrorIdentifier: randomUUID(),
        StatusCode: 400,
        ErrorCode: 'mj-0003',
        ErrorMessage: 'Missing mandatory property.',
        ErrorRelatedTo: ['Messages'],
      });
    const checked = body.Messages.map((message) => this.validate(message));
    // Mailjet sends none of a batch with an invalid message, and answers per message.
    if (checked.some((c) => c.errors.length > 0))
      return reply.code(400).send({
        Messages: checked.map((c) =>
          c.errors.length > 0 ? { Status: 'error', Errors: c.errors } : { Status: 'success' },
        ),
      });
    const sandboxMode = body.SandboxMode === true;
    const answers = checked.map(({ message }) => {
      const recorded: RecordedEmail = {
        messageId: this.nextId++,
        messageUuid: randomUUID(),
        at: this.now(),
        from: message.From as Address,
        to: message.To as Address[],
        subject: message.Subject as string,
        ...(typeof message.TextPart === 'string' ? { textPart: message.TextPart } : {}),
        ...(typeof message.HTMLPart === 'string' ? { htmlPart: message.HTMLPart } : {}),
        ...(typeof message.CustomID === 'string' ? { customId: message.CustomID } : {}),
      };
      if (!sandboxMode) this.recorded.push(recorded);
      return {
        Status: 'success',
        CustomID: recorded.customId ?? '',
        To: recorded.to.map((to) => ({
          Email: to.Email,
          MessageUUID: recorded.messageUuid,
          MessageID: recorded.messageId,
          MessageHref: `https://api.mailjet.com/v3/REST/message/${recorded.messageId}`,
        })),
        Cc: [],
        Bcc: [],
      };
    });
    return reply.code(200).send({ Messages: answers });
  }

  private validate(raw: unknown): { message: Record<string, unknown>; errors: MailjetError[] } {
    const errors: MailjetError[] = [];
    const error = (code: string, text: string, related: string) =>
      errors.push({
        ErrorIdentifier: randomUUID(),
        ErrorCode: code,
        StatusCode: 400,
        ErrorMessage: text,
        ErrorRelatedTo: [related],
      });
    const message = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const address = (value: unknown, path: string) => {
      if (!value || typeof value !== 'object') return error('mj-0003', 'Missing mandatory property.', path);
      const email = (value as Address).Email;
      if (typeof email !== 'string') return error('mj-0003', 'Missing mandatory property.', `${path}.Email`);
      if (!EMAIL.test(email)) error('mj-0013', `"${email}" is an invalid email address.`, `${path}.Email`);
    };
    address(message.From, 'From');
    if (!Array.isArray(message.To) || message.To.length === 0) error('mj-0003', 'Missing mandatory property.', 'To');
    else message.To.forEach((to, i) => address(to, `To[${i}]`));
    if (message.Subject === undefined) error('mj-0003', 'Missing mandatory property.', 'Subject');
    else if (typeof message.Subject !== 'string') error('mj-0004', 'Type mismatch. Expected type "string".', 'Subject');
    for (const part of ['TextPart', 'HTMLPart', 'CustomID'])
      if (message[part] !== undefined && typeof message[part] !== 'string')
        error('mj-0004', 'Type mismatch. Expected type "string".', part);
    if (
      typeof message.TextPart !== 'string' &&
      typeof message.HTMLPart !== 'string' &&
      message.TemplateID === undefined
    )
      error(
        'mj-0003',
        'At least "TextPart", "HTMLPart" or "TemplateID" must be provided.',
        'TextPart,HTMLPart,TemplateID',
      );
    return { message, errors };
  }
}
