/**
 * Admin alerts already sent (through the outbox) are edited once someone decided: the decision is
 * appended under each copy's text and its buttons go, so no admin presses a stale button. Each edit
 * re-renders the message from the outbox, so a later decision replaces the earlier line instead of
 * adding to it. An edit Telegram refuses is logged and skipped: the decision stands either way.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { pickLocale } from '../bot/i18n';
import { outboxMessages, users } from '../infrastructure/db/schema';
import type { ActivityDeps } from './deps';

export async function appendToAdminAlerts(
  deps: ActivityDeps,
  input: {
    /** Outbox keys of the alerts start with this. */
    keyPrefix: string;
    /** Which of those keys are admins' alerts and reminders. */
    alertKey: RegExp;
    message: string;
    vars: Record<string, string>;
  },
): Promise<{ edited: number }> {
  const rows = await deps.db
    .select({
      key: outboxMessages.key,
      chatId: outboxMessages.chatId,
      messageId: outboxMessages.messageId,
      payload: outboxMessages.payload,
      language: users.language,
      telegramLanguage: users.telegramLanguage,
    })
    .from(outboxMessages)
    .leftJoin(users, eq(users.id, outboxMessages.chatId))
    .where(
      and(
        sql`starts_with(${outboxMessages.key}, ${input.keyPrefix})`,
        eq(outboxMessages.status, 'sent'),
        isNotNull(outboxMessages.messageId),
      ),
    );
  let edited = 0;
  for (const row of rows) {
    if (!input.alertKey.test(row.key) || !row.payload || row.messageId === null) continue;
    const locale = pickLocale(row.language, row.telegramLanguage ?? undefined);
    const original = deps.translate(locale, row.payload.message, row.payload.vars);
    const outcome = deps.translate(locale, input.message, input.vars);
    try {
      await deps.telegram.editMessageText(row.chatId, row.messageId, `${original}\n\n${outcome}`.slice(0, 4096));
      edited += 1;
    } catch (error) {
      deps.logger.warn({ key: row.key, err: error }, 'admin alert not edited');
    }
  }
  return { edited };
}
