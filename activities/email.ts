/** Email from workflows: each message sent at most once per idempotency key (infrastructure/email/). */
import { ApplicationFailure } from '@temporalio/activity';
import { EmailError, sendEmailOnce, type EmailDelivery, type EmailMessage } from '../infrastructure/email';
import type { ActivityDeps } from './deps';

export type EmailActivityResult = EmailDelivery | { sent: false; reason: 'off' };

export function createEmailActivities(deps: ActivityDeps) {
  return {
    /**
     * Sends once per `idempotencyKey`. Email off (EMAIL_TRANSPORT=off): nothing is sent, `off` is
     * answered. A refusal for good (credentials, an invalid address) fails the activity without retries;
     * a temporary failure is thrown for Temporal to retry.
     */
    async sendEmail(message: EmailMessage): Promise<EmailActivityResult> {
      if (!deps.email) {
        deps.logger.info({ key: message.idempotencyKey }, 'email is off; not sent');
        return { sent: false, reason: 'off' };
      }
      try {
        return await sendEmailOnce(deps.db, deps.email, message);
      } catch (error) {
        if (error instanceof EmailError && error.permanent) {
          deps.logger.error({ key: message.idempotencyKey, err: error }, 'email refused');
          throw ApplicationFailure.nonRetryable(error.message, 'EmailRefused');
        }
        throw error;
      }
    },
  };
}
