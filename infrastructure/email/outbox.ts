/**
 * Once-only sends: each message is recorded in `email_outbox` under its idempotency key before it is
 * sent, so a retried activity (or a replayed workflow) never sends the same email twice.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { emailOutbox } from '../db/schema';
import { EmailError, type EmailMessage, type EmailSender } from './types';

export type EmailDelivery =
  | { sent: true; id: string }
  | { sent: false; reason: 'already-sent'; id: string | null }
  | { sent: false; reason: 'failed'; error: string };

/**
 * Sends `message` unless its key was sent before. A permanent refusal (bad credentials, invalid
 * message) marks the row `failed` and is thrown; a temporary one leaves it `sending` (with the error)
 * and is thrown, so the caller's retry tries again. A `failed` row is tried again when asked again.
 *
 * At-least-once at the edge: a crash between the provider accepting the message and the row being
 * marked sent would send it again on the retry; SMTP and Mailjet offer nothing to close that gap
 * (Mailjet's CustomID is a label, not a deduplication key).
 */
export async function sendEmailOnce(db: Database, sender: EmailSender, message: EmailMessage): Promise<EmailDelivery> {
  const key = message.idempotencyKey;
  if (!key) throw new EmailError('An email needs an idempotency key', true);
  await db
    .insert(emailOutbox)
    .values({ key, to: message.to, subject: message.subject, status: 'sending' })
    .onConflictDoNothing();
  const [row] = await db
    .update(emailOutbox)
    .set({ attempts: sql`${emailOutbox.attempts} + 1`, updatedAt: new Date() })
    .where(eq(emailOutbox.key, key))
    .returning();
  if (!row) throw new Error(`email_outbox row ${key} vanished`);
  if (row.status === 'sent') return { sent: false, reason: 'already-sent', id: row.providerId };
  try {
    const { id } = await sender.send(message);
    await db
      .update(emailOutbox)
      .set({ status: 'sent', providerId: id, error: null, updatedAt: new Date() })
      .where(eq(emailOutbox.key, key));
    return { sent: true, id };
  } catch (error) {
    const text = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const permanent = error instanceof EmailError && error.permanent;
    await db
      .update(emailOutbox)
      .set({ status: permanent ? 'failed' : 'sending', error: text, updatedAt: new Date() })
      .where(eq(emailOutbox.key, key));
    throw error;
  }
}
