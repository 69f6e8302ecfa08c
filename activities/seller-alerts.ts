/**
 * Email alerts to sellers (sale, release from escrow, dispute opened, payout paid), besides the
 * Telegram message. Sent only to an address given with /alerts and for kinds not turned off, in the
 * seller's language, once per key; a refused address is logged and the workflow goes on.
 */
import { eq } from 'drizzle-orm';
import type { SellerAlert } from '../domain/seller-alert';
import { sellers } from '../infrastructure/db/schema';
import { EmailError, sendEmailOnce } from '../infrastructure/email';
import type { ActivityDeps } from './deps';
import { localeOfUser } from './notifications';

export interface SellerAlertEmail {
  sellerId: number;
  alert: SellerAlert;
  /** Unique per business event (e.g. `<orderId>:sold`); `:email` is appended. */
  key: string;
  /** Fluent message ids of the subject and the plain-text body. */
  subject: string;
  text: string;
  /** Message variables; `shop` (the seller's display name) is added. */
  vars: Record<string, string>;
}

export type SellerAlertResult = { sent: boolean; reason?: 'no-address' | 'opted-out' | 'off' | 'refused' };

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The plain text as simple HTML: escaped, paragraphs kept. */
export const asHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

export function createSellerAlertActivities(deps: ActivityDeps) {
  return {
    async emailSellerAlert(alert: SellerAlertEmail): Promise<SellerAlertResult> {
      const [seller] = await deps.db.select().from(sellers).where(eq(sellers.userId, alert.sellerId));
      if (!seller?.alertEmail) return { sent: false, reason: 'no-address' };
      if (seller.alertOptOuts.includes(alert.alert)) return { sent: false, reason: 'opted-out' };
      if (!deps.email) return { sent: false, reason: 'off' };
      const locale = await localeOfUser(deps.db, alert.sellerId);
      const vars = { ...alert.vars, shop: seller.displayName };
      const text = deps.translate(locale, alert.text, vars);
      try {
        await sendEmailOnce(deps.db, deps.email, {
          to: seller.alertEmail,
          subject: deps.translate(locale, alert.subject, vars),
          text,
          html: asHtml(text),
          idempotencyKey: `${alert.key}:email`,
        });
        return { sent: true };
      } catch (error) {
        if (!(error instanceof EmailError && error.permanent)) throw error; // retried by the activity
        deps.logger.error({ key: alert.key, err: error }, 'seller alert email refused');
        return { sent: false, reason: 'refused' };
      }
    },
  };
}
