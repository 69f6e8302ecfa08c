/**
 * The shop in the bot against the Telegram sandbox, with the real database: /shop and a category open
 * a carousel that pages through every product by editing one message, /search finds by a word and by
 * a misspelling, soft-deleted products vanish, each display counts a view, and the p_ deep link opens
 * a product's card. Price bands, Stars ranges in /search and its sort row filter and order the
 * carousel. Covers come from the real S3-compatible server, are uploaded to Telegram once and then
 * sent by their cached file_id, and paging between products with and without a cover stays in one message.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProductId, objectKeyFor } from '../../domain/product';
import { orders, productFiles, products, sellers, telegramFileCache } from '../../infrastructure/db/schema';
import { createS3Client } from '../../infrastructure/storage/s3';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, textMatches } from '../../test/conversation';
import { eventually, setupStackBucket, startStack, storageEnv, type Stack } from '../../test/harness';

let stack: Stack;
let seller: { id: number; shopName: string };
/** Oldest first; the carousel's "new" order shows them newest first. */
let catalog: Array<{ id: string; title: string }>;
/** A category only this test file's products are in. */
const CATEGORY = 'games';
const TAG = randomUUID().replaceAll('-', '').slice(0, 8);

beforeAll(async () => {
  stack = await startStack(storageEnv('covers'));
  await setupStackBucket(stack);
  seller = { id: stack.newUserId(), shopName: `Shop ${TAG}` };
  await stack.addUser(seller.id);
  await db()
    .insert(sellers)
    .values({ userId: seller.id, displayName: seller.shopName, shopSlug: `shop-${TAG}`, termsAcceptedAt: new Date() });
  catalog = Array.from({ length: 25 }, (_, index) => ({
    id: newProductId(),
    title: `Quest${TAG} number ${index + 1}`,
  }));
  const start = Date.now() - 60_000;
  await db()
    .insert(products)
    .values(
      catalog.map((product, index) => ({
        id: product.id,
        sellerId: seller.id,
        title: product.title,
        description: index === 0 ? `Adventure 1 with the relic${TAG}` : `Adventure ${index + 1}`,
        categoryId: CATEGORY,
        priceMinor: 1000n + BigInt(index),
        currency: 'USD',
        priceStars: 50 + index,
        status: 'active' as const,
        ratingSum: index === 0 ? 9 : 0,
        ratingCount: index === 0 ? 2 : 0,
        createdAt: new Date(start + index * 1000),
      })),
    );
  // A product in another category, for the search.
  await db()
    .insert(products)
    .values({
      id: newProductId(),
      sellerId: seller.id,
      title: `Photoshop${TAG} masterclass`,
      categoryId: 'courses',
      priceStars: 300,
      status: 'active',
    });
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, nextMessage, pressAndEdit } = conversation(tg);
const lastSeq = () =>
  Math.max(
    0,
    ...tg()
      .calls()
      .map((call) => call.seq),
  );

async function buyer(): Promise<UserInput> {
  const from: UserInput = { id: stack.newUserId(), first_name: 'Buyer', language_code: 'en' };
  await stack.addUser(from.id);
  tg().addUser(from, { startedBot: true });
  return from;
}

const viewsOf = async (id: string) =>
  (await db().select({ views: products.viewsCount }).from(products).where(eq(products.id, id)))[0]!.views;

describe('/shop and the carousel', () => {
  it('lists the categories with All and a sort row; a category pages ▶ through all 25 in one message', async () => {
    const user = await buyer();
    const menu = await say(user, '/shop', textMatches(/choose a category/));
    expect(menu.text).toContain('Sorted by: 🆕 New');
    const labels = buttonsOf(menu).map((b) => b.text);
    expect(labels).toEqual(expect.arrayContaining(['🗂 All products', 'Games', 'Courses', 'E-books', '• 🆕 New']));
    expect(callbackDataOf(menu)).toEqual(
      expect.arrayContaining([
        `shop:c:${CATEGORY}:new:any`,
        'shop:c:all:new:any',
        'shop:m:popular:any',
        'shop:m:price:any',
      ]),
    );
    // Names in the user's language.
    const russian: UserInput = { id: stack.newUserId(), first_name: 'Покупатель', language_code: 'ru' };
    await stack.addUser(russian.id);
    tg().addUser(russian, { startedBot: true });
    const ruMenu = await say(russian, '/shop', textMatches(/Магазин/));
    expect(buttonsOf(ruMenu).map((b) => b.text)).toEqual(expect.arrayContaining(['🗂 Все товары', 'Игры', 'Курсы']));

    const messagesBefore = tg().messagesTo(user.id).length;
    const editsBefore = lastSeq();

    // The sort row re-draws the menu in place.
    const byPrice = await pressAndEdit(user, menu, 'shop:m:price:any');
    expect(byPrice.text).toContain('Sorted by: 💲 Price');
    expect(callbackDataOf(byPrice)).toContain(`shop:c:${CATEGORY}:price:any`);
    const backToNew = await pressAndEdit(user, byPrice, 'shop:m:new:any');

    const viewsBefore = await viewsOf(catalog[24]!.id);
    let card = await pressAndEdit(user, backToNew, `shop:c:${CATEGORY}:new:any`);
    const seen: string[] = [];
    for (let position = 1; position <= 25; position++) {
      const expected = catalog[25 - position]!;
      expect(card.text).toContain(expected.title);
      expect(card.text).toContain(`${position} / 25`);
      expect(card.text).toContain(`🏪 ${seller.shopName}`);
      seen.push(expected.id);
      const buttons = callbackDataOf(card);
      if (position === 1) expect(buttons.some((b) => b.startsWith('shop:p:') && b.endsWith(':-1'))).toBe(false);
      if (position < 25) {
        const next = `shop:p:c:${CATEGORY}:new:any:${position}`;
        expect(buttons).toContain(next);
        card = await pressAndEdit(user, card, next);
      } else {
        // Buy carries where the card is (bot/keyboards/shop.ts cardOrigin), so Back can restore this keyboard.
        expect(buttons).toEqual([
          `buy:${expected.id}:c0024_25_${CATEGORY}`,
          `shop:p:c:${CATEGORY}:new:any:23`,
          'shop:m:new:any',
        ]);
      }
    }
    expect(new Set(seen).size).toBe(25);
    // The oldest product: both prices, and its average rating.
    expect(card.text).toContain('💰 10.00 USD · ⭐ 50');
    expect(card.text).toContain('★ 4.5 (2 reviews)');
    // ◀ goes back, still the same message.
    const previous = await pressAndEdit(user, card, `shop:p:c:${CATEGORY}:new:any:23`);
    expect(previous.text).toContain(catalog[1]!.title);
    expect(previous.text).toContain('★ No reviews yet');

    const edits = tg()
      .calls('editMessageText')
      .filter((call) => call.seq > editsBefore && Number(call.params.chat_id) === user.id);
    expect(edits.length).toBe(2 + 1 + 24 + 1);
    expect(new Set(edits.map((call) => Number(call.params.message_id)))).toEqual(new Set([menu.message_id]));
    expect(tg().messagesTo(user.id)).toHaveLength(messagesBefore);
    // Each display counted one view: the newest product was shown once.
    expect(await viewsOf(catalog[24]!.id)).toBe(viewsBefore + 1);
    expect(await viewsOf(catalog[1]!.id)).toBe(2);
  });
});

describe('/search', () => {
  it('finds by a word of the title and by a misspelling; says so when nothing matches', async () => {
    const user = await buyer();
    const found = await say(user, `/search photoshop${TAG}`, textMatches(/Photoshop/));
    expect(found.text).toContain(`Photoshop${TAG} masterclass`);
    expect(found.text).toContain('💰 ⭐ 300');
    expect(found.text).toContain('1 / 1');
    // Misspelt: a letter dropped.
    const misspelt = await say(user, `/search photoshp${TAG}`, textMatches(/Photoshop|Nothing found/));
    expect(misspelt.text).toContain(`Photoshop${TAG} masterclass`);

    const none = await say(user, `/search zzqx${TAG}nothing`, textMatches(/Nothing found/));
    expect(none.text).toBe(`Nothing found for “zzqx${TAG}nothing”. Try other words or browse /shop.`);
    expect((await say(user, '/search', textMatches(/Send \/search/))).text).toContain('/search photoshop course');
  });

  it('pages a search in one message; a soft-deleted product vanishes from the search and the carousel', async () => {
    const user = await buyer();
    const first = await say(user, `/search quest${TAG}`, textMatches(/1 \/ 25/));
    const next = callbackDataOf(first).find((data) => data.startsWith('shop:p:'));
    expect(next).toMatch(/^shop:p:s:\d+:relevance:any:1$/);
    const second = await pressAndEdit(user, first, next!);
    expect(second.text).toContain('2 / 25');
    // A word of the oldest product's description only.
    const relic = await say(user, `/search relic${TAG}`, textMatches(/\d+ \/ \d+/));
    expect(relic.text).toContain(catalog[0]!.title);

    // The buyer owns the oldest product (its order was paid and delivered).
    await own(user, [catalog[0]!.id]);
    const gone = catalog.slice(0, 3).map((p) => p.id);
    await db().update(products).set({ deletedAt: new Date() }).where(inArray(products.id, gone));
    const after = await say(user, `/search quest${TAG}`, textMatches(/\/ 22$/m));
    expect(after.text).toContain('1 / 22');
    const deleted = await say(user, `/search relic${TAG}`, textMatches(/Nothing found|\d+ \/ \d+/));
    expect(deleted.text).toMatch(/^Nothing found/);

    // The carousel: 22 left, none of them deleted.
    const menu = await say(user, '/shop', textMatches(/choose a category/));
    let card = await pressAndEdit(user, menu, `shop:c:${CATEGORY}:new:any`);
    expect(card.text).toContain('1 / 22');
    // A ▶ from an older page of this carousel, past the new end (forged: the message no longer has it): the last one.
    card = await pressAndEdit(user, card, `shop:p:c:${CATEGORY}:new:any:24`, true);
    expect(card.text).toContain('22 / 22');
    expect(card.text).toContain(catalog[3]!.title);

    // Gone from the catalog and the search, but not from the buyer's library.
    const shelf = await say(user, '/library', textMatches(/library/));
    expect(shelf.text).toContain(`1. ${catalog[0]!.title} · 🏪 ${seller.shopName}`);
    expect(shelf.text).toContain('no longer in the catalog; still yours');
  });

  it('/library lists what the buyer owns, newest purchase first, ten to a page in one message', async () => {
    const user = await buyer();
    expect((await say(user, '/library', textMatches(/library/))).text).toMatch(/^Your library is empty/);
    const bought = catalog.slice(10, 22).map((p) => p.id);
    await own(user, bought);
    // Not owned: an order still awaiting payment, and one for someone else.
    await db()
      .insert(orders)
      .values(order(user.id, catalog[5]!.id, { status: 'awaiting_payment', paidAt: null }));
    const first = await say(user, '/library', textMatches(/library \(12\)/));
    expect(first.text).toContain(`1. ${catalog[21]!.title}`);
    expect(first.text).toContain(`10. ${catalog[12]!.title}`);
    expect(first.text).not.toContain(catalog[5]!.title);
    const older = callbackDataOf(first).find((data) => /^lib:\d+$/.test(data));
    const second = await pressAndEdit(user, first, older!);
    expect(second.text).toContain(`11. ${catalog[11]!.title}`);
    expect(second.text).toContain(`12. ${catalog[10]!.title}`);
    expect(second.text).not.toContain(catalog[12]!.title);
    // A second purchase of an owned product is refused by the database: one ownership per buyer.
    await expect(db().insert(orders).values(order(user.id, bought[0]!))).rejects.toThrow();

    // ⬇️ 11 (page 2): a single-use link to that purchase's file, streamed from storage by the api.
    const bytes = Buffer.from(`the file of ${catalog[11]!.title}`);
    const key = objectKeyFor(seller.id, 'file');
    const s3 = createS3Client(stack.config.s3);
    await s3.send(new PutObjectCommand({ Bucket: stack.config.s3.bucket, Key: key, Body: bytes }));
    s3.destroy();
    await db().insert(productFiles).values({
      id: randomUUID(),
      productId: catalog[11]!.id,
      role: 'file',
      objectKey: key,
      sizeBytes: bytes.length,
      contentType: 'application/zip',
      originalName: 'quest 22.zip',
      state: 'stored',
    });
    const [owned] = await db()
      .select()
      .from(orders)
      .where(and(eq(orders.buyerId, user.id), eq(orders.productId, catalog[11]!.id)));
    const link = await nextMessage(
      user.id,
      textMatches(/download link works once/),
    )(() => tg().pressButton({ from: user, message_id: second.message_id, data: `lib:dl:${owned!.id}` }));
    const url = buttonsOf(link).flatMap((b) => ('url' in b && b.url ? [b.url] : []))[0]!;
    expect(url).toMatch(new RegExp(`^${stack.config.api.publicUrl}/download/[\\w-]{43}$`));
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(got.headers.get('content-disposition')).toContain('quest 22.zip');
    expect((await fetch(url)).status).toBe(410);
  });
});

/** An order row as the order workflow records it once the invoice settled. */
function order(buyerId: number, productId: string, fields: Partial<typeof orders.$inferInsert> = {}) {
  return {
    id: `o${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    buyerId,
    productId,
    sellerId: seller.id,
    rail: 'stars' as const,
    priceStars: 50,
    status: 'delivered' as const,
    paidAt: new Date(),
    ...fields,
  };
}

/** The buyer bought these products, one after another (the last is the newest purchase). */
async function own(user: UserInput, productIds: string[]) {
  const start = Date.now() - 600_000;
  await db()
    .insert(orders)
    .values(productIds.map((id, index) => order(user.id, id, { paidAt: new Date(start + index * 1000) })));
}

describe('the p_ deep link', () => {
  it('opens the product card and counts a view; a hidden or deleted product is not available', async () => {
    const user = await buyer();
    const product = catalog[10]!;
    const views = await viewsOf(product.id);
    const card = await say(user, `/start p_${product.id}`, textMatches(new RegExp(product.title)));
    expect(card.text).toContain('💰 10.10 USD · ⭐ 60');
    expect(card.text).toContain(`🏪 ${seller.shopName}`);
    expect(callbackDataOf(card)).toEqual([`buy:${product.id}:d`, 'shop:m:new:any']);
    expect(await viewsOf(product.id)).toBe(views + 1);
    const menu = await pressAndEdit(user, card, 'shop:m:new:any');
    expect(menu.text).toContain('choose a category');

    await db().update(products).set({ status: 'hidden' }).where(eq(products.id, catalog[11]!.id));
    const hidden = await say(user, `/start p_${catalog[11]!.id}`, textMatches(/not available/));
    expect(hidden.text).toBe('⚠️ This product is not available any more. Browse /shop for others.');
    const deleted = await say(user, `/start p_${catalog[0]!.id}`, textMatches(/not available/));
    expect(deleted.text).toContain('not available');

    // A newcomer gets the card and then the terms.
    const newcomer: UserInput = { id: stack.newUserId(), first_name: 'New', language_code: 'ru' };
    tg().addUser(newcomer, { startedBot: true });
    const terms = nextMessage(newcomer.id, textMatches(/Условия|Terms/));
    const shown = await say(newcomer, `/start p_${product.id}`, textMatches(new RegExp(product.title)));
    expect(shown.text).toContain('Отзывов пока нет');
    await terms(() => undefined);
  });

  it("a shop's own link opens its products in the carousel; an unknown shop says so", async () => {
    const user = await buyer();
    const first = await say(user, `/start shop_shop-${TAG}`, textMatches(/Quest|Photoshop/));
    expect(first.text).toContain(`🏪 ${seller.shopName}`);
    expect(callbackDataOf(first).some((data) => data.startsWith(`shop:p:h:${seller.id}:`))).toBe(true);
    const next = await pressAndEdit(
      user,
      first,
      callbackDataOf(first).find((data) => /^shop:p:h:/.test(data))!,
    );
    expect(next.message_id).toBe(first.message_id);
    const unknown = await say(user, '/start shop_no-such-shop', textMatches(/no shop/));
    expect(unknown.text).toContain('no shop at this link');
  });
});

describe('filters and sort', () => {
  it('a price band in the menu filters the category carousel by Stars price', async () => {
    const user = await buyer();
    const menu = await say(user, '/shop', textMatches(/choose a category/));
    expect(menu.text).toContain('Price: Any price');
    expect(callbackDataOf(menu)).toEqual(
      expect.arrayContaining(['shop:m:new:low', 'shop:m:new:mid', 'shop:m:new:high']),
    );
    const mid = await pressAndEdit(user, menu, 'shop:m:new:mid');
    expect(mid.text).toContain('Price: ⭐ 101–500');
    expect(buttonsOf(mid).map((b) => b.text)).toContain('• ⭐ 101–500');
    // This file's games cost 50–74 Stars: none in 101–500, all of them up to 100.
    expect(callbackDataOf(mid)).toContain(`shop:c:${CATEGORY}:new:mid`);
    const none = await pressAndEdit(user, mid, `shop:c:${CATEGORY}:new:mid`);
    expect(none.text).toBe('Nothing on sale here yet. Try another category.');
    const back = await pressAndEdit(user, none, 'shop:m:new:mid');
    const popular = await pressAndEdit(user, back, 'shop:m:popular:mid');
    const low = await pressAndEdit(user, popular, 'shop:m:popular:low');
    const card = await pressAndEdit(user, low, `shop:c:${CATEGORY}:popular:low`);
    const [counted] = await db()
      .select({ visible: sql<number>`count(*)::int` })
      .from(products)
      .where(and(eq(products.categoryId, CATEGORY), eq(products.status, 'active'), isNull(products.deletedAt)));
    expect(card.text).toMatch(new RegExp(`^1 / ${counted!.visible}$`, 'm'));
    expect(callbackDataOf(card)).toContain(`shop:p:c:${CATEGORY}:popular:low:1`);
  });

  it('/search takes a Stars range and offers its orders: best match, new, popular, price', async () => {
    const user = await buyer();
    // Numbers 16–20 cost 65–69 Stars (none of them hidden or deleted by the tests above).
    const inRange = catalog.slice(15, 20);
    await db().update(products).set({ salesCount: 7 }).where(eq(products.id, inRange[2]!.id));
    const first = await say(user, `/search quest${TAG} 69-65`, textMatches(/\d+ \/ \d+|Nothing/));
    expect(first.text).toContain('1 / 5');
    const sorts = callbackDataOf(first).filter((data) => data.endsWith(':0'));
    expect(sorts).toEqual([
      expect.stringMatching(/^shop:p:s:\d+:relevance:any:0$/),
      expect.stringMatching(/^shop:p:s:\d+:new:any:0$/),
      expect.stringMatching(/^shop:p:s:\d+:popular:any:0$/),
      expect.stringMatching(/^shop:p:s:\d+:price:any:0$/),
    ]);
    expect(buttonsOf(first).map((b) => b.text)).toContain('• 🎯 Best match');
    const cheapest = await pressAndEdit(user, first, sorts[3]!);
    expect(cheapest.text).toContain(`${inRange[0]!.title}\n`);
    expect(cheapest.text).toContain('⭐ 65');
    expect(buttonsOf(cheapest).map((b) => b.text)).toContain('• 💲 Price');
    const popular = await pressAndEdit(user, cheapest, sorts[2]!);
    expect(popular.text).toContain(`${inRange[2]!.title}\n`);
    const newest = await pressAndEdit(user, popular, sorts[1]!);
    expect(newest.text).toContain(`${inRange[4]!.title}\n`);
    // A range alone lists everything in it; outside every price, nothing.
    const none = await say(user, `/search quest${TAG} 9000+`, textMatches(/Nothing found/));
    expect(none.text).toContain(`quest${TAG} 9000+`);
  });
});

describe('covers', () => {
  /** A 1×1 PNG. */
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );

  /** Presses a button and waits for the bot to edit that message's media. */
  async function pressAndEditMedia(from: UserInput, message: SentMessage, data: string) {
    const since = lastSeq();
    tg().pressButton({ from, message_id: message.message_id, data });
    const call = await tg().waitForCall(
      'editMessageMedia',
      (c) => c.seq > since && Number(c.params.chat_id) === from.id && c.ok,
    );
    expect(Number(call.params.message_id)).toBe(message.message_id);
    const edited = tg()
      .messagesTo(from.id)
      .find((m) => m.message_id === message.message_id)!;
    return { call, edited, media: (call.params.media as { media: string }).media };
  }

  it('sends a cover once from storage, then by its cached file_id, paging through covers and none in one message', async () => {
    const owner = { id: stack.newUserId(), slug: `covers-${TAG}` };
    await stack.addUser(owner.id);
    await db()
      .insert(sellers)
      .values({ userId: owner.id, displayName: 'Cover shop', shopSlug: owner.slug, termsAcceptedAt: new Date() });
    const now = Date.now();
    const [plain, covered, plainToo] = ['Plain A', 'Covered B', 'Plain C'].map((title, index) => ({
      id: newProductId(),
      title: `${title} ${TAG}`,
      createdAt: new Date(now - (index + 1) * 1000),
    }));
    await db()
      .insert(products)
      .values(
        [plain!, covered!, plainToo!].map((p) => ({
          ...p,
          sellerId: owner.id,
          categoryId: 'graphics',
          priceStars: 30,
          status: 'active' as const,
        })),
      );
    const coverKey = objectKeyFor(owner.id, 'cover');
    const s3 = createS3Client(stack.config.s3);
    await s3.send(
      new PutObjectCommand({ Bucket: stack.config.s3.bucket, Key: coverKey, Body: png, ContentType: 'image/png' }),
    );
    s3.destroy();
    await db().insert(productFiles).values({
      id: randomUUID(),
      productId: covered!.id,
      role: 'cover',
      objectKey: coverKey,
      sizeBytes: png.length,
      contentType: 'image/png',
      originalName: 'cover.png',
      state: 'stored',
    });
    const cached = async () =>
      (await db().select().from(telegramFileCache).where(eq(telegramFileCache.objectKey, coverKey)))[0];
    expect(await cached()).toBeUndefined();

    const user = await buyer();
    const first = await say(user, `/start shop_${owner.slug}`, textMatches(/Plain A/));
    const messagesBefore = tg().messagesTo(user.id).length;
    expect(first.method).toBe('sendMessage');
    const arrow = (message: SentMessage, label: '◀' | '▶') => {
      const button = buttonsOf(message).find((b) => b.text === label);
      return button && 'callback_data' in button ? button.callback_data : `no ${label} button`;
    };

    // The first cover: uploaded (streamed from storage), and the text message becomes a photo message.
    const toCover = await pressAndEditMedia(user, first, arrow(first, '▶'));
    expect(toCover.media).toMatch(/^attach:\/\//);
    expect(toCover.edited.caption).toContain(covered!.title);
    expect(toCover.edited.photo?.source).toBe('upload');
    const fileId = toCover.edited.photo!.file_id;
    await eventually('the file_id cached', async () => (await cached())?.fileId === fileId);
    expect(await cached()).toMatchObject({ kind: 'photo' });

    // A product without a cover in a photo message: the placeholder.
    const toPlain = await pressAndEditMedia(user, toCover.edited, arrow(toCover.edited, '▶'));
    expect(toPlain.edited.caption).toContain(plainToo!.title);
    expect(toPlain.edited.photo?.file_id).not.toBe(fileId);

    // Back to the cover: by the cached file_id, nothing uploaded.
    const again = await pressAndEditMedia(user, toPlain.edited, arrow(toPlain.edited, '◀'));
    expect(again.media).toBe(fileId);
    expect(again.edited.photo).toMatchObject({ file_id: fileId, source: 'file_id' });
    expect(again.edited.caption).toContain(covered!.title);
    // One message all along.
    expect(tg().messagesTo(user.id).length).toBe(messagesBefore);

    // Another buyer's deep link: a new photo message, by the cached file_id.
    const other = await buyer();
    const card = await say(other, `/start p_${covered!.id}`, (m) => m.method === 'sendPhoto');
    expect(card.photo).toMatchObject({ file_id: fileId, source: 'file_id' });
    expect(card.caption).toContain(covered!.title);
    // Recorded once answered (the message is seen first).
    const sent = await tg().waitForCall('sendPhoto', (c) => Number(c.params.chat_id) === other.id && c.ok);
    expect(sent.params.photo).toBe(fileId);
    // From the photo card into the menu: still that message, with the placeholder.
    const menu = await pressAndEditMedia(other, card, 'shop:m:new:any');
    expect(menu.edited.caption).toContain('choose a category');
    expect(menu.edited.photo?.file_id).not.toBe(fileId);
    expect(await cached()).toMatchObject({ fileId });
    expect(
      await db()
        .select()
        .from(telegramFileCache)
        .where(and(eq(telegramFileCache.objectKey, coverKey), eq(telegramFileCache.kind, 'photo'))),
    ).toHaveLength(1);
  });
});
