/** Messages from workflows to users and admins, each sent at most once per business key. */
import { eq, sql } from 'drizzle-orm';
import { InlineKeyboard } from 'grammy';
import { formatMoment, pickLocale } from '../bot/i18n';
import { outboxMessages, users } from '../infrastructure/db/schema';
import { isUnreachableUser, telegramErrorCode } from '../infrastructure/providers/telegram';
import type { ActivityDeps } from './deps';

export type Button = { url: string; text?: string; message?: string } | { callback: string; text?: string; message?: string };

export interface Notification {
  /** Unique per business event, derived from the workflow (e.g. `<invoiceId>:paid`). */
  key: string;
  message: string;
  /** Numbers named *At / *Until are moments in ms and are shown as dates. */
  vars?: Record<string, string | number>;
  button?: Button;
  buttons?: Button[];
}

export type Delivery = { delivered: true; messageId: number } | { delivered: false; reason: 'already-sent' | 'blocked' | 'refused' };

export function createNotificationActivities(deps: ActivityDeps) {
  async function localeOf(userId: number): Promise<string> {
    const [user] = await deps.db.select({ language: users.language }).from(users).where(eq(users.id, userId));
    return pickLocale(user?.language, undefined);
  }

  function render(locale: string, n: Notification): { text: string; keyboard?: InlineKeyboard } {
    const vars = Object.fromEntries(Object.entries(n.vars ?? {}).map(([name, value]) =>
      [name, typeof value === 'number' && /(At|Until)$/.test(name) ? formatMoment(value) : value]));
    const text = deps.translate(locale, n.message, vars);
    const buttons = [...(n.button ? [n.button] : []), ...(n.buttons ?? [])];
    if (buttons.length === 0) return { text };
    const keyboard = new InlineKeyboard();
    for (const button of buttons) {
      const label = button.text ?? deps.translate(locale, button.message ?? 'renew-button');
      if ('url' in button) keyboard.url(label, button.url).row();
      else keyboard.text(label, button.callback).row();
    }
    return { text, keyboard };
  }

  async function sendOnce(chatId: number, key: string, compose: () => Promise<{ text: string; keyboard?: InlineKeyboard }>): Promise<Delivery> {
    await deps.db.insert(outboxMessages).values({ key, chatId, status: 'sending' }).onConflictDoNothing();
    const [row] = await deps.db.update(outboxMessages)
      .set({ attempts: sql`${outboxMessages.attempts} + 1`, updatedAt: new Date() })
      .where(eq(outboxMessages.key, key)).returning();
    if (!row) throw new Error(`outbox row ${key} vanished`);
    if (row.status === 'sent') return { delivered: false, reason: 'already-sent' };
    if (row.status === 'blocked') return { delivered: false, reason: 'blocked' };
    if (row.status === 'failed' && row.attempts > 1 && !row.error?.startsWith('replay')) return { delivered: false, reason: 'refused' };
    const { text, keyboard } = await compose();
    try {
      const message = await deps.telegram.sendMessage(chatId, text, keyboard ? { reply_markup: keyboard } : {});
      await deps.db.update(outboxMessages).set({ status: 'sent', messageId: message.message_id, error: null, updatedAt: new Date() }).where(eq(outboxMessages.key, key));
      return { delivered: true, messageId: message.message_id };
    } catch (error) {
      const code = telegramErrorCode(error);
      await deps.db.update(outboxMessages).set({ error: `${code}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500), updatedAt: new Date() }).where(eq(outboxMessages.key, key));
      if (isUnreachableUser(error)) {
        // The user blocked the bot: record it and carry on; the subscription itself is unaffected.
        await deps.db.update(outboxMessages).set({ status: 'blocked' }).where(eq(outboxMessages.key, key));
        await deps.db.update(users).set({ blockedAt: new Date() }).where(eq(users.id, chatId));
        deps.logger.warn({ key, chatId, code }, 'user unreachable; message not delivered');
        return { delivered: false, reason: 'blocked' };
      }
      if (code === '400') {
        // Telegram refused this message for good (e.g. chat not found). The business flow goes on;
        // the row stays 'failed' for ops to inspect and replay.
        await deps.db.update(outboxMessages).set({ status: 'failed' }).where(eq(outboxMessages.key, key));
        deps.logger.error({ key, chatId, code, err: error }, 'message refused by Telegram');
        return { delivered: false, reason: 'refused' };
      }
      throw error;
    }
  }

  return {
    async notifyUser(n: Notification & { userId: number }): Promise<Delivery> {
      return sendOnce(n.userId, n.key, async () => render(await localeOf(n.userId), n));
    },

    /** Every configured admin gets it; one admin who blocked the bot does not stop the others. */
    async notifyAdmins(n: Notification): Promise<number> {
      let delivered = 0;
      for (const adminId of deps.adminIds) {
        const result = await sendOnce(adminId, `${n.key}:admin:${adminId}`, async () => render(await localeOf(adminId), n));
        if (result.delivered) delivered += 1;
      }
      return delivered;
    },
  };
}
