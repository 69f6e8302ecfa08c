/**
 * The admins' review queue against the Telegram sandbox with the real database: only admins see it,
 * oldest first, one card edited in place; Approve and Reject (with a reason by reply) change a product
 * only while it is pending and as shown; the seller is told in their language; every decision and
 * refusal is audited with the admin's id.
 *
 * Other test files share the products table: this file's products are dated in 2001 and earlier, so
 * they head the queue (each batch older than the one before), and totals are only compared as "at least".
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProductId, objectKeyFor } from '../../domain/product';
import { auditLog, productFiles, products, sellers } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, textMatches, WAIT_MS } from '../../test/conversation';
import { eventually, startStack, type Stack } from '../../test/harness';
import { formatBytes, versionOf } from './review';

const DAY_MS = 86_400_000;
const ADMIN: UserInput = {
  id: 700_000_000 + Math.floor(Math.random() * 99_999_999),
  first_name: 'Moderator',
  language_code: 'en',
};

let stack: Stack;
let bot: { id: number; username: string };

beforeAll(async () => {
  stack = await startStack({ ADMIN_IDS: String(ADMIN.id), PRODUCT_REVIEW: 'true' });
  await stack.addUser(ADMIN.id);
  stack.sandbox.telegram.addUser(ADMIN, { startedBot: true });
  const me = await new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot }).getMe();
  bot = { id: me.id, username: me.username };
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, press, nextMessage } = conversation(tg);
const productRow = async (id: string) => (await db().select().from(products).where(eq(products.id, id)))[0]!;
const auditOf = (productId: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.target, productId), eq(auditLog.actor, 'admin')))
    .orderBy(desc(auditLog.id));

async function seller(language = 'en'): Promise<UserInput & { shop: string }> {
  const id = stack.newUserId();
  const shop = `Shop ${randomUUID().slice(0, 6)}`;
  await stack.addUser(id, { telegramLanguage: language });
  await db()
    .insert(sellers)
    .values({ userId: id, displayName: shop, shopSlug: `shop-${id}`, termsAcceptedAt: new Date() });
  return { id, first_name: 'Seller', language_code: language, shop };
}

/** Each batch is a day older than the last, so it heads the queue; within a batch, in the given order. */
let epoch = Date.UTC(2001, 0, 1);
async function pending(owner: { id: number }, titles: string[], fields: Partial<typeof products.$inferInsert> = {}) {
  epoch -= DAY_MS;
  const ids: string[] = [];
  for (const [index, title] of titles.entries()) {
    const id = newProductId();
    await db()
      .insert(products)
      .values({
        id,
        sellerId: owner.id,
        title,
        categoryId: 'ebooks',
        priceStars: 100,
        status: 'pending_review',
        updatedAt: new Date(epoch + index * 60_000),
        ...fields,
      });
    await db()
      .insert(productFiles)
      .values({
        id: randomUUID(),
        productId: id,
        role: 'file',
        objectKey: objectKeyFor(owner.id, 'file'),
        sizeBytes: 2 * 2 ** 20,
        contentType: 'application/pdf',
        originalName: `${title.toLowerCase().replaceAll(' ', '-')}.pdf`,
        state: 'stored',
      });
    ids.push(id);
  }
  return ids;
}

const decide = (action: 'ok' | 'no', id: string, updatedAt: Date) => `rv:${action}:${id}:${versionOf(updatedAt)}`;

/** Presses a button of `card` and waits for the card's next edit. */
async function pressEdit(card: SentMessage, data: string, force = false): Promise<SentMessage> {
  const since = tg().calls('editMessageText').length;
  tg().pressButton({ from: ADMIN, message_id: card.message_id, data, force });
  await eventually('the card edited', () => tg().calls('editMessageText').length > since, WAIT_MS);
  return tg()
    .messagesTo(ADMIN.id)
    .find((m) => m.message_id === card.message_id)!;
}

/** Presses a button that should be refused: the alert's text. */
async function pressAlert(from: UserInput, card: SentMessage, data: string): Promise<string> {
  const queryId = tg().pressButton({ from, message_id: card.message_id, data, force: true });
  const answer = await eventually(
    'the button answered',
    () => (tg().callbackAnswer(queryId)?.answered ? tg().callbackAnswer(queryId) : undefined),
    WAIT_MS,
  );
  return answer?.text ?? '';
}

/** The admin replies to the bot's prompt, as Telegram sends a reply. */
function replyTo(prompt: SentMessage, text: string, predicate: (m: SentMessage) => boolean) {
  return nextMessage(
    ADMIN.id,
    predicate,
  )(() =>
    tg().injectUpdate({
      message: {
        message_id: 800_000 + Math.floor(Math.random() * 100_000),
        date: Math.floor(Date.now() / 1000),
        chat: { id: ADMIN.id, type: 'private', first_name: ADMIN.first_name },
        from: ADMIN,
        text,
        reply_to_message: {
          message_id: prompt.message_id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: ADMIN.id, type: 'private', first_name: ADMIN.first_name },
          from: { id: bot.id, is_bot: true, first_name: 'Bot', username: bot.username },
          text: prompt.text,
        },
      },
    }),
  );
}

describe('/review', () => {
  it('is for admins only: anyone else gets the unknown-command reply, and the buttons do nothing', async () => {
    const owner = await seller();
    const [id] = await pending(owner, ['Secret guide']);
    const stranger = await seller();
    const reply = await say(stranger, '/review', textMatches(/don't know the command/));
    expect(reply.text).toContain("I don't know the command /review.");
    const alert = await pressAlert(stranger, reply, decide('ok', id!, (await productRow(id!)).updatedAt));
    expect(alert).toMatch(/out of date/);
    expect((await productRow(id!)).status).toBe('pending_review');
    expect(await db().select().from(auditLog).where(eq(auditLog.actorId, stranger.id))).toEqual([]);
  });

  it('shows the queue oldest first on one card that pages in place; Approve puts it on sale and tells the seller', async () => {
    const owner = await seller();
    const description = `${'Step by step. '.repeat(30)}The end.`;
    const [first, second] = await pending(owner, ['Knitting basics', 'Knitting advanced'], {
      description,
      priceMinor: 1990n,
      currency: 'USD',
    });
    const card = await say(ADMIN, '/review', textMatches(/Review 1 \//));
    const total = Number(/Review 1 \/ (\d+)/.exec(card.text!)![1]);
    expect(total).toBeGreaterThanOrEqual(2);
    const lines = card.text!.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `🔎 Review 1 / ${total} (oldest first)`,
      '🛍 Knitting basics',
      `🏪 ${owner.shop} (seller ${owner.id})`,
      '💰 19.90 USD · ⭐ 100',
      '🗂 E-books',
      '📄 knitting-basics.pdf · 2.0 MiB',
      `🕓 sent ${new Date(epoch).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    ]);
    expect(lines[7]).toBe(`${description.slice(0, 300)}…`);
    const firstRow = await productRow(first!);
    expect(callbackDataOf(card)).toEqual([
      decide('ok', first!, firstRow.updatedAt),
      decide('no', first!, firstRow.updatedAt),
      'rv:p:1',
    ]);
    expect(buttonsOf(card).map((b) => b.text)).toEqual(['✅ Approve', '⛔️ Reject', '▶']);

    const next = await pressEdit(card, 'rv:p:1');
    expect(next.text).toContain(`🔎 Review 2 / ${total}`);
    expect(next.text).toContain('🛍 Knitting advanced');
    const back = await pressEdit(next, 'rv:p:0');
    expect(back.text).toContain('🛍 Knitting basics');

    const told = tg().waitForMessage(owner.id, textMatches(/passed review/), WAIT_MS);
    const approved = await pressEdit(back, decide('ok', first!, firstRow.updatedAt));
    expect(approved.text).toMatch(/^✅ “Knitting basics” is on sale now\. The seller was told\.\n\n🔎 Review 1 \//);
    expect(approved.text).toContain('🛍 Knitting advanced');
    expect(await productRow(first!)).toMatchObject({ status: 'active', rejectionReason: null });
    expect((await productRow(second!)).status).toBe('pending_review');
    expect((await told).text).toBe(
      `✅ Your product “Knitting basics” passed review and is on sale: https://t.me/${bot.username}?start=p_${first}`,
    );
    const [audit] = await auditOf(first!);
    expect(audit).toMatchObject({
      actorId: ADMIN.id,
      action: 'product.approve',
      details: { sellerId: owner.id, title: 'Knitting basics', via: 'button', version: versionOf(firstRow.updatedAt) },
    });

    // The old button again: already decided, nothing changes, the refusal is audited.
    const again = await pressAlert(ADMIN, approved, decide('ok', first!, firstRow.updatedAt));
    expect(again).toBe('⚠️ “Knitting basics” was already decided (✅ on sale): nothing was changed.');
    const audits = await auditOf(first!);
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ action: 'product.approve', details: { refused: 'review-already' } });
    expect(
      tg()
        .messagesTo(owner.id)
        .filter((m) => /passed review/.test(m.text ?? '')),
    ).toHaveLength(1);
  });

  it('Reject asks for a reason by reply, refuses an empty or long one, then tells the seller in their language', async () => {
    const owner = await seller('ru');
    const [id] = await pending(owner, ['Blurry atlas']);
    const row = await productRow(id!);
    const card = await say(ADMIN, '/review', textMatches(/Review 1 \//));
    expect(card.text).toContain('🛍 Blurry atlas');
    const prompt = await press(ADMIN, card, decide('no', id!, row.updatedAt), textMatches(/Why is/));
    expect(prompt.text).toBe(
      `✍️ Why is “Blurry atlas” rejected? Reply to this message with the reason (1–500 characters): the seller reads it.\n[reject:${id}:${versionOf(row.updatedAt)}]`,
    );
    expect(prompt.reply_markup).toMatchObject({ force_reply: true });
    expect((await productRow(id!)).status).toBe('pending_review');

    const blank = await replyTo(prompt, '   ', textMatches(/⚠️/));
    expect(blank.text).toBe('⚠️ A reason has 1–500 characters (this one has 0). Nothing was changed.');
    const long = await replyTo(prompt, 'x'.repeat(501), textMatches(/⚠️/));
    expect(long.text).toBe('⚠️ A reason has 1–500 characters (this one has 501). Nothing was changed.');
    expect((await productRow(id!)).status).toBe('pending_review');

    const told = tg().waitForMessage(owner.id, textMatches(/не прошёл проверку/), WAIT_MS);
    const done = await replyTo(prompt, '  The maps are unreadable. ', textMatches(/rejected:/));
    expect(done.text).toMatch(/^⛔️ “Blurry atlas” rejected: The maps are unreadable\. The seller was told\.\n\n/);
    expect(await productRow(id!)).toMatchObject({ status: 'rejected', rejectionReason: 'The maps are unreadable.' });
    const message = await told;
    expect(message.text).toBe(
      [
        '⛔️ Ваш товар «Blurry atlas» не прошёл проверку.',
        'Причина: The maps are unreadable.',
        'Исправьте его на странице загрузки и опубликуйте снова: он вернётся в очередь проверки.',
      ].join('\n'),
    );
    expect(buttonsOf(message)).toEqual([
      { text: '📤 Загрузить товар', web_app: { url: `${stack.config.api.publicUrl}/miniapp/upload` } },
    ]);

    const audits = await auditOf(id!);
    expect(audits.map((a) => [a.actorId, a.action, a.details.refused ?? a.details.reason])).toEqual([
      [ADMIN.id, 'product.reject', 'The maps are unreadable.'],
      [ADMIN.id, 'product.reject', 'review-bad-reason'],
      [ADMIN.id, 'product.reject', 'review-bad-reason'],
    ]);
    // The same prompt answered again: already decided.
    const late = await replyTo(prompt, 'Another reason', textMatches(/⚠️/));
    expect(late.text).toBe('⚠️ “Blurry atlas” was already decided (⛔️ rejected): nothing was changed.');
    expect((await productRow(id!)).rejectionReason).toBe('The maps are unreadable.');
  });

  it('changes nothing when the product changed since the card was shown, was deleted, or two presses race', async () => {
    const owner = await seller();
    const [edited, deleted, raced] = await pending(owner, ['Edited deck', 'Deleted deck', 'Raced deck']);
    const shown = await Promise.all([edited!, deleted!, raced!].map(productRow));
    const card = await say(ADMIN, '/review', textMatches(/Edited deck/));

    // The seller edits it meanwhile (the Mini App's PATCH sets updated_at): the card is out of date.
    await db()
      .update(products)
      .set({ title: 'Edited deck v2', updatedAt: new Date(shown[0]!.updatedAt.getTime() + 1) })
      .where(eq(products.id, edited!));
    expect(await pressAlert(ADMIN, card, decide('ok', edited!, shown[0]!.updatedAt))).toBe(
      '⚠️ “Edited deck v2” was changed since this card was shown: nothing was changed. Look at it again in the queue.',
    );
    expect(await pressAlert(ADMIN, card, decide('no', edited!, shown[0]!.updatedAt))).toMatch(/was changed since/);
    expect((await productRow(edited!)).status).toBe('pending_review');

    await db().update(products).set({ deletedAt: new Date() }).where(eq(products.id, deleted!));
    expect(await pressAlert(ADMIN, card, decide('ok', deleted!, shown[1]!.updatedAt))).toBe(
      '⚠️ This product was deleted by its seller: nothing to decide.',
    );
    expect((await productRow(deleted!)).status).toBe('pending_review');

    // Two admins' presses at once: one approval, one seller message.
    const data = decide('ok', raced!, shown[2]!.updatedAt);
    const answers = await Promise.all([pressAlert(ADMIN, card, data), pressAlert(ADMIN, card, data)]);
    expect(answers.sort()).toEqual([
      'Approved.',
      '⚠️ “Raced deck” was already decided (✅ on sale): nothing was changed.',
    ]);
    const audits = await auditOf(raced!);
    expect(audits.filter((a) => a.details.refused === undefined)).toHaveLength(1);
    await eventually('the seller told', () =>
      tg()
        .messagesTo(owner.id)
        .some((m) => /Raced deck/.test(m.text ?? '')),
    );
    expect(
      tg()
        .messagesTo(owner.id)
        .filter((m) => /Raced deck/.test(m.text ?? '')),
    ).toHaveLength(1);
    expect((await auditOf(edited!)).map((a) => [a.action, a.details.refused])).toEqual([
      ['product.reject', 'review-changed'],
      ['product.approve', 'review-changed'],
    ]);
  });
});

describe('formatBytes', () => {
  it('binary units with one decimal', () => {
    expect([0, 1023, 1024, 2.5 * 2 ** 20, 10 * 2 ** 30].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '2.5 MiB',
      '10.0 GiB',
    ]);
  });
});
