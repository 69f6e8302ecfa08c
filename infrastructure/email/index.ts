/** Email: the port (types), its SMTP and Mailjet adapters, the configured sender, once-only sends. */
import type { Config } from '../config';
import { createMailjetSender } from './mailjet';
import { createSmtpSender } from './smtp';
import type { EmailSender } from './types';

export { createMailjetSender, parseMailbox } from './mailjet';
export { sendEmailOnce, type EmailDelivery } from './outbox';
export { createSmtpSender } from './smtp';
export { EmailError, type EmailMessage, type EmailSender } from './types';

/** The sender EMAIL_TRANSPORT names; undefined when email is off. */
export function createEmailSender(config: Config['email']): EmailSender | undefined {
  switch (config.transport) {
    case 'off':
      return undefined;
    case 'mailjet':
      return createMailjetSender({ ...config.mailjet, from: config.from });
    case 'smtp':
      return createSmtpSender({ url: config.smtpUrl, from: config.from });
  }
}
