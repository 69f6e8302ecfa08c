/** The Mailjet adapter: Send API v3.1 (`POST /v3.1/send`, basic auth with the API key and secret key). */
import { EmailError, type EmailMessage, type EmailSender } from './types';

export interface MailjetSenderOptions {
  /** `https://api.mailjet.com`, or the sandbox's URL. */
  apiUrl: string;
  apiKey: string;
  secretKey: string;
  /** `Name <address>` or an address. */
  from: string;
  timeoutMs?: number;
}

/** `Shop <noreply@x>` → { Email, Name }. */
export function parseMailbox(from: string): { Email: string; Name?: string } {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(from);
  if (!match) return { Email: from.trim() };
  const name = match[1]!.replace(/^"(.*)"$/, '$1');
  return name ? { Email: match[2]!, Name: name } : { Email: match[2]! };
}

interface MailjetErrorDetail {
  ErrorMessage?: string;
  ErrorRelatedTo?: string[];
  ErrorCode?: string;
}

interface MailjetResponse {
  Messages?: Array<{
    Status?: string;
    CustomID?: string;
    To?: Array<{ Email: string; MessageUUID?: string; MessageID?: number | string }>;
    Errors?: MailjetErrorDetail[];
  }>;
  ErrorMessage?: string;
  ErrorInfo?: string;
  StatusCode?: number;
}

export function createMailjetSender(options: MailjetSenderOptions): EmailSender {
  const endpoint = `${options.apiUrl.replace(/\/$/, '')}/v3.1/send`;
  const auth = `Basic ${Buffer.from(`${options.apiKey}:${options.secretKey}`).toString('base64')}`;
  const from = parseMailbox(options.from);
  return {
    async send(message: EmailMessage) {
      const body = {
        Messages: [
          {
            From: from,
            To: [{ Email: message.to }],
            Subject: message.subject,
            TextPart: message.text,
            HTMLPart: message.html,
            CustomID: message.idempotencyKey,
          },
        ],
      };
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        throw new EmailError(`Mailjet (${endpoint}) could not be reached: ${(error as Error).message}`, false, {
          cause: error,
        });
      }
      const text = await response.text();
      let json: MailjetResponse | undefined;
      try {
        json = JSON.parse(text) as MailjetResponse;
      } catch {
        json = undefined;
      }
      if (response.status === 401 || response.status === 403)
        throw new EmailError(
          `Mailjet refused the credentials (HTTP ${response.status}): check MAILJET_API_KEY and MAILJET_API_SECRET`,
          true,
        );
      const result = json?.Messages?.[0];
      if (!response.ok || result?.Status !== 'success') {
        const details = result?.Errors?.map((e) =>
          `${e.ErrorCode ?? ''} ${e.ErrorMessage ?? ''}${e.ErrorRelatedTo?.length ? ` (${e.ErrorRelatedTo.join(', ')})` : ''}`.trim(),
        );
        const reason = details?.length ? details.join('; ') : (json?.ErrorMessage ?? (text.slice(0, 200) || 'no body'));
        // 429 and 5xx may pass later; any other answer refuses this message as it is.
        const permanent = response.status < 500 && response.status !== 429;
        throw new EmailError(`Mailjet did not send the email (HTTP ${response.status}): ${reason}`, permanent);
      }
      const recipient = result.To?.[0];
      const id = recipient?.MessageUUID ?? (recipient?.MessageID !== undefined ? String(recipient.MessageID) : '');
      if (!id) throw new EmailError('Mailjet answered success without a message id', false);
      return { id };
    },
  };
}
