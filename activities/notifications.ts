/** Messages from workflows to users and admins, each sent at most once per business key. */
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, isNotNull, lt, or, sql } from 'drizzle-orm';
import { GrammyError, InlineKeyboard, InputFile } from 'grammy';
import QRCode from 'qrcode';
import { formatMoment, pickLocale } from '../bot/i18n';
import { outboxMessages, telegramFileCache, users, type OutboxPayload } from '../infrastructure/db/schema';
import { isUnreachableUser, telegramErrorCode, withActivitySignal } from '../infrastructure/providers/telegram';
import type { ActivityDeps } from './deps';

export type Button = NonNullable<OutboxPayload['buttons']>[number];

export interface Notification {
  /** Unique per business event, derived from the workflow (e.g. `<invoiceId>:paid`). */
  key: string;
  message: string;
  /** Numbers named *At / *Until are moments in ms and are shown as dates. */
  vars?: Record<string, string | number>;
  button?: Button;
  buttons?: Button[];
  /** Send a photo of this text's QR code (e.g. a pay address) with the message as its caption. */
  qr?: string;
  /** Send this stored file as a document (by its cached file_id after the first send), captioned. */
  document?: OutboxPayload['document'];
}

/** A QR code image of `text`, large enough to scan from a phone screen. */
const qrPng = (text: string): Promise<Buffer> => QRCode.toBuffer(text, { type: 'png', width: 512, margin: 2 });

export type Delivery =
  { delivered: true; messageId: number } | { delivered: false; reason: 'already-sent' | 'blocked' | 'refused' };

/** Why ops cannot replay a message. */
export type ReplayRefusal = 'unknown' | 'already-sent' | 'not-failed' | 'no-payload';

/**
 * A row still `sending` whose error is older than this is abandoned: the activity that owned it
 * retries at least once a minute and touches the row on every attempt.
 */
export const ABANDONED_AFTER_MS = 5 * 60_000;

/** The language a user reads: the one they chose, else their Telegram client's, else the default. */
export async function localeOfUser(db: ActivityDeps['db'], userId: number): Promise<string> {
  const [user] = await db
    .select({ language: users.language, telegramLanguage: users.telegramLanguage })
    .from(users)
    .where(eq(users.id, userId));
  return pickLocale(user?.language, user?.telegramLanguage ?? undefined);
}

export function createNotificationActivities(deps: ActivityDeps) {
  const localeOf = (userId: number) => localeOfUser(deps.db, userId);

  function render(locale: string, n: Notification): { text: string; keyboard?: InlineKeyboard } {
    const vars = Object.fromEntries(
      Object.entries(n.vars ?? {}).map(([name, value]) => [
        name,
        typeof value === 'number' && /(At|Until)$/.test(name) ? formatMoment(value) : value,
      ]),
    );
    const text = deps.translate(locale, n.message, vars);
    const buttons = [...(n.button ? [n.button] : []), ...(n.buttons ?? [])];
    if (buttons.length === 0) return { text };
    const keyboard = new InlineKeyboard();
    for (const button of buttons) {
      const label = button.text ?? deps.translate(locale, button.message ?? 'renew-button');
      if ('url' in button) keyboard.url(label, button.url).row();
      else if ('webApp' in button) keyboard.webApp(label, button.webApp).row();
      else keyboard.text(label, button.callback).row();
    }
    return { text, keyboard };
  }

  const payloadOf = (n: Notification): OutboxPayload => ({
    message: n.message,
    vars: n.vars,
    buttons: [...(n.button ? [n.button] : []), ...(n.buttons ?? [])],
    ...(n.qr ? { qr: n.qr } : {}),
    ...(n.document ? { document: n.document } : {}),
  });

  /**
   * Sends a stored file as a document: by the file_id cached from its first send, else streamed from
   * object storage (and its file_id cached). A file_id Telegram no longer knows is forgotten and the
   * file uploaded again.
   */
  async function sendStoredDocument(
    chatId: number,
    document: NonNullable<OutboxPayload['document']>,
    other: { caption: string; reply_markup?: InlineKeyboard },
    signal: Parameters<typeof deps.telegram.sendDocument>[3],
  ): Promise<{ message_id: number }> {
    const [cached] = await deps.db
      .select({ fileId: telegramFileCache.fileId })
      .from(telegramFileCache)
      .where(and(eq(telegramFileCache.objectKey, document.objectKey), eq(telegramFileCache.kind, 'document')));
    if (cached) {
      try {
        return await deps.telegram.sendDocument(chatId, cached.fileId, other, signal);
      } catch (error) {
        const stale =
          error instanceof GrammyError &&
          error.error_code === 400 &&
          /file identifier|file_id/i.test(error.description);
        if (!stale) throw error;
        await deps.db.delete(telegramFileCache).where(eq(telegramFileCache.objectKey, document.objectKey));
      }
    }
    const storage = deps.storage;
    if (!storage) throw ApplicationFailure.nonRetryable('No object storage is configured', 'InvalidRequest');
    // A supplier, so a retried request opens a fresh stream; a bare iterable, since grammY would
    // fetch anything with a `url` field (the SDK's body has one) as a URL.
    const upload = new InputFile(async () => {
      const object = await storage.getStream(document.objectKey);
      if (!object) throw new Error(`file ${document.objectKey} is missing from storage`);
      return (async function* () {
        yield* object.body as AsyncIterable<Uint8Array>;
      })();
    }, document.fileName);
    const message = await deps.telegram.sendDocument(chatId, upload, other, signal);
    if (message.document) {
      const values = {
        fileId: message.document.file_id,
        fileUniqueId: message.document.file_unique_id,
        kind: 'document',
      };
      await deps.db
        .insert(telegramFileCache)
        .values({ objectKey: document.objectKey, ...values })
        .onConflictDoUpdate({ target: telegramFileCache.objectKey, set: values });
    }
    return message;
  }

  async function sendOnce(
    chatId: number,
    key: string,
    compose: () => Promise<{ text: string; keyboard?: InlineKeyboard }>,
    payload?: OutboxPayload,
  ): Promise<Delivery> {
    await deps.db.insert(outboxMessages).values({ key, chatId, status: 'sending', payload }).onConflictDoNothing();
    const [row] = await deps.db
      .update(outboxMessages)
      .set({ attempts: sql`${outboxMessages.attempts} + 1`, updatedAt: new Date() })
      .where(eq(outboxMessages.key, key))
      .returning();
    if (!row) throw new Error(`outbox row ${key} vanished`);
    if (row.status === 'sent') return { delivered: false, reason: 'already-sent' };
    if (row.status === 'blocked') return { delivered: false, reason: 'blocked' };
    if (row.status === 'failed' && row.attempts > 1 && !row.error?.startsWith('replay'))
      return { delivered: false, reason: 'refused' };
    const { text, keyboard } = await compose();
    const qr = payload?.qr ? await qrPng(payload.qr) : undefined;
    try {
      // Tied to the attempt: a send still in flight (or waiting out a 429) when the attempt times out is
      // aborted, so the next attempt is the only one that can deliver it.
      const markup = keyboard ? { reply_markup: keyboard } : {};
      const document = payload?.document;
      const message = await withActivitySignal((signal): Promise<{ message_id: number }> =>
        qr
          ? deps.telegram.sendPhoto(chatId, new InputFile(qr, 'pay.png'), { caption: text, ...markup }, signal)
          : document
            ? sendStoredDocument(chatId, document, { caption: text.slice(0, 1024), ...markup }, signal)
            : deps.telegram.sendMessage(chatId, text, markup, signal),
      );
      await deps.db
        .update(outboxMessages)
        .set({ status: 'sent', messageId: message.message_id, error: null, updatedAt: new Date() })
        .where(eq(outboxMessages.key, key));
      return { delivered: true, messageId: message.message_id };
    } catch (error) {
      const code = telegramErrorCode(error);
      await deps.db
        .update(outboxMessages)
        .set({
          error: `${code}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500),
          updatedAt: new Date(),
        })
        .where(eq(outboxMessages.key, key));
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
      return sendOnce(n.userId, n.key, async () => render(await localeOf(n.userId), n), payloadOf(n));
    },

    /**
     * Rewrites a message sent once under `key` (a pay address moving from waiting to confirming to
     * paid): the text, or the caption of a photo. Editing to the same content is not an error, so a
     * retry is harmless; a message that was never sent is left alone.
     */
    async editNotification(n: Notification & { userId: number }): Promise<{ edited: boolean }> {
      const [row] = await deps.db.select().from(outboxMessages).where(eq(outboxMessages.key, n.key));
      if (!row || row.status !== 'sent' || row.messageId === null) return { edited: false };
      const messageId = row.messageId;
      const { text, keyboard } = render(await localeOf(n.userId), n);
      const markup = keyboard ? { reply_markup: keyboard } : {};
      try {
        await withActivitySignal<unknown>((signal) =>
          row.payload?.qr
            ? deps.telegram.editMessageCaption(n.userId, messageId, { caption: text, ...markup }, signal)
            : deps.telegram.editMessageText(n.userId, messageId, text, markup, signal),
        );
        return { edited: true };
      } catch (error) {
        if (/message is not modified/i.test(error instanceof Error ? error.message : '')) return { edited: true };
        if (isUnreachableUser(error) || telegramErrorCode(error) === '400') {
          deps.logger.warn({ key: n.key, err: error }, 'message could not be edited; left as it was');
          return { edited: false };
        }
        throw error;
      }
    },

    /** Every configured admin gets it; one admin who blocked the bot does not stop the others. */
    async notifyAdmins(n: Notification): Promise<number> {
      let delivered = 0;
      for (const adminId of deps.adminIds) {
        const result = await sendOnce(
          adminId,
          `${n.key}:admin:${adminId}`,
          async () => render(await localeOf(adminId), n),
          payloadOf(n),
        );
        if (result.delivered) delivered += 1;
      }
      return delivered;
    },

    /**
     * Ops, step 1 of a replay: re-opens a message that failed for good (Telegram refused it, the user
     * had blocked the bot, or its workflow gave up on it). A delivered message, or one its workflow is
     * still retrying, is left alone, so a replay never sends twice.
     */
    async reopenNotification({
      key,
    }: {
      key: string;
    }): Promise<{ reopened: true } | { reopened: false; reason: ReplayRefusal }> {
      const [reopened] = await deps.db
        .update(outboxMessages)
        .set({ status: 'sending', updatedAt: new Date() })
        .where(
          and(
            eq(outboxMessages.key, key),
            isNotNull(outboxMessages.payload),
            or(
              eq(outboxMessages.status, 'failed'),
              eq(outboxMessages.status, 'blocked'),
              and(
                eq(outboxMessages.status, 'sending'),
                isNotNull(outboxMessages.error),
                lt(outboxMessages.updatedAt, new Date(Date.now() - ABANDONED_AFTER_MS)),
              ),
            ),
          ),
        )
        .returning({ key: outboxMessages.key });
      if (reopened) return { reopened: true };
      const [row] = await deps.db.select().from(outboxMessages).where(eq(outboxMessages.key, key));
      if (!row) return { reopened: false, reason: 'unknown' };
      if (row.status === 'sent') return { reopened: false, reason: 'already-sent' };
      return { reopened: false, reason: row.payload ? 'not-failed' : 'no-payload' };
    },

    /** Ops, step 2: sends the re-opened message through the same once-only path (a retry never sends twice). */
    async resendNotification({ key }: { key: string }): Promise<Delivery> {
      const [row] = await deps.db.select().from(outboxMessages).where(eq(outboxMessages.key, key));
      if (!row?.payload)
        throw ApplicationFailure.nonRetryable(
          `Message ${key} cannot be replayed: its content was not recorded`,
          'InvalidRequest',
        );
      const payload = row.payload;
      return sendOnce(row.chatId, key, async () => render(await localeOf(row.chatId), { key, ...payload }), payload);
    },
  };
}
