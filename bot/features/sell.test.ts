/**
 * Opening a shop and listing its products in the bot against the Telegram sandbox, with the real
 * database: the seller terms, the shop name, a unique link slug and the upload Mini App button.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProductId, SHOP_SLUG } from '../../domain/product';
import { products, sellers } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, textMatches } from '../../test/conversation';
import { eventually, startStack, type Stack } from '../../test/harness';
import { createI18n, LOCALES } from '../i18n';
import { sellAcceptData, shopSlugBase } from './sell';

let stack: Stack;
let bot: { username: string };

beforeAll(async () => {
  stack = await startStack();
  const me = await new Api(stack.config.telegram.botToken, { apiRoot: stack.config.telegram.apiRoot }).getMe();
  bot = { username: me.username };
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const { say, press, pressAndEdit } = conversation(tg);
const sellerRow = async (userId: number) => (await db().select().from(sellers).where(eq(sellers.userId, userId)))[0];
const uploadUrl = () => `${stack.config.api.publicUrl}/miniapp/upload`;
const webAppUrls = (message: SentMessage) =>
  buttonsOf(message).flatMap((button) => ('web_app' in button && button.web_app ? [button.web_app.url] : []));

async function user(language = 'en'): Promise<UserInput> {
  const from: UserInput = { id: stack.newUserId(), first_name: 'Seller', language_code: language };
  await stack.addUser(from.id);
  tg().addUser(from, { startedBot: true });
  return from;
}

/** /sell, Accept, and the name prompt. */
async function acceptTerms(from: UserInput): Promise<void> {
  const terms = await say(from, '/sell', textMatches(/Open a shop/));
  expect(terms.text).toMatch(/digital goods only/);
  expect(terms.text).toMatch(/no executable programs/);
  expect(terms.text).toMatch(/24 hours \(escrow\)/);
  expect(terms.text).toMatch(/fee/);
  expect(callbackDataOf(terms)).toEqual([sellAcceptData.pack({})]);
  const prompt = await press(from, terms, sellAcceptData.pack({}), textMatches(/What is your shop called/));
  expect(prompt.reply_markup).toMatchObject({ force_reply: true });
}

describe('/sell', () => {
  it('opens a shop after the terms and the name, with its link and the upload Mini App button', async () => {
    const from = await user();
    const name = `Pixel Forge ${randomUUID().slice(0, 6)}`;
    await acceptTerms(from);
    const before = Date.now();
    const opened = await say(from, `  ${name}  `, textMatches(/is open/));
    const row = await sellerRow(from.id);
    expect(row).toMatchObject({ displayName: name, shopSlug: shopSlugBase(name) });
    expect(row!.shopSlug).toMatch(/^pixel-forge-[a-z0-9]{6}$/);
    expect(row!.termsAcceptedAt.getTime()).toBeLessThanOrEqual(before);
    expect(opened.text).toContain(`https://t.me/${bot.username}?start=shop_${row!.shopSlug}`);
    expect(webAppUrls(opened)).toEqual([uploadUrl()]);
    expect(buttonsOf(opened)[0]!.text).toBe('📤 Upload a product');

    // Again: the same shop, directly.
    const again = await say(from, '/sell', textMatches(/Your shop/));
    expect(again.text).toBe(`🏪 Your shop “${name}”: https://t.me/${bot.username}?start=shop_${row!.shopSlug}`);
    expect(webAppUrls(again)).toEqual([uploadUrl()]);
    expect(await db().select().from(sellers).where(eq(sellers.displayName, name))).toHaveLength(1);

    // A second user with the same name gets the slug with a suffix.
    const other = await user();
    await acceptTerms(other);
    const second = await say(other, name, textMatches(/is open/));
    const otherRow = await sellerRow(other.id);
    expect(otherRow!.displayName).toBe(name);
    expect(otherRow!.shopSlug).not.toBe(row!.shopSlug);
    expect(otherRow!.shopSlug).toMatch(new RegExp(`^${row!.shopSlug}-[a-z0-9]{4}$`));
    expect(otherRow!.shopSlug).toMatch(SHOP_SLUG);
    expect(second.text).toContain(`?start=shop_${otherRow!.shopSlug}`);
  });

  it('refuses an empty or too long name and stores nothing, then takes a good one', async () => {
    const from = await user();
    await acceptTerms(from);
    const blank = await say(from, '   ', textMatches(/⚠️/));
    expect(blank.text).toBe('⚠️ A shop name has 1–64 characters (this one has 0). Nothing was saved.');
    const long = await say(from, 'x'.repeat(65), textMatches(/⚠️/));
    expect(long.text).toBe('⚠️ A shop name has 1–64 characters (this one has 65). Nothing was saved.');
    expect(await sellerRow(from.id)).toBeUndefined();

    // Cyrillic is transliterated; the reply to the prompt still counts.
    const name = `Лавка ${randomUUID().slice(0, 4)}`;
    await say(from, name, textMatches(/is open/));
    expect((await sellerRow(from.id))?.shopSlug).toMatch(/^lavka-[0-9a-f]{4}$/);
  });

  it('speaks Russian to a Russian client', async () => {
    const from = await user('ru');
    const terms = await say(from, '/sell', textMatches(/магазин/));
    expect(terms.text).toContain('только цифровые товары');
    expect(buttonsOf(terms)[0]!.text).toBe('✅ Принимаю');
  });
});

describe('/products', () => {
  it('hints /sell to a non-seller, says when there are none, and lists products newest first', async () => {
    const stranger = await user();
    expect((await say(stranger, '/products', textMatches(/\/sell/))).text).toBe(
      'You have no shop yet. Send /sell to open one.',
    );

    const from = await user();
    await acceptTerms(from);
    await say(from, `Shop ${randomUUID().slice(0, 6)}`, textMatches(/is open/));
    const none = await say(from, '/products', textMatches(/no products/));
    expect(webAppUrls(none)).toEqual([uploadUrl()]);

    await db()
      .insert(products)
      .values([
        {
          id: newProductId(),
          sellerId: from.id,
          title: 'Old e-book',
          categoryId: 'ebooks',
          priceStars: 50,
          status: 'active',
          createdAt: new Date(Date.now() - 60_000),
        },
        {
          id: newProductId(),
          sellerId: from.id,
          title: 'Fresh course',
          categoryId: 'courses',
          priceMinor: 1990n,
          currency: 'USD',
          priceStars: 100,
        },
      ]);
    const listed = await say(from, '/products', textMatches(/Your products/));
    expect(listed.text).toBe(
      [
        '📦 Your products (newest first, 2 shown):',
        'Fresh course\n📝 draft · 19.90 USD · 100 ⭐️',
        'Old e-book\n✅ on sale · 50 ⭐️',
      ].join('\n\n'),
    );
  });

  it('hides and shows a product, and deletes it (soft, after a confirmation); only the seller can', async () => {
    const from = await user();
    await acceptTerms(from);
    await say(from, `Shop ${randomUUID().slice(0, 6)}`, textMatches(/is open/));
    const id = newProductId();
    await db().insert(products).values({
      id,
      sellerId: from.id,
      title: 'Sketch pack',
      categoryId: 'graphics',
      priceStars: 40,
      status: 'active',
    });
    const statusOf = async () => (await db().select().from(products).where(eq(products.id, id)))[0]!;
    const listed = await say(from, '/products', textMatches(/Sketch pack/));
    expect(callbackDataOf(listed)).toEqual([`pedit:card:${id}`, `prod:hide:${id}`, `prod:delete:${id}`]);

    const edited = (data: string) => {
      const since = tg().calls('editMessageText').length;
      tg().pressButton({ from, message_id: listed.message_id, data });
      return eventually('the list edited', () => tg().calls('editMessageText').length > since);
    };
    await edited(`prod:hide:${id}`);
    expect((await statusOf()).status).toBe('hidden');
    await edited(`prod:show:${id}`);
    expect((await statusOf()).status).toBe('active');

    // Another seller's press changes nothing.
    const other = await user();
    const theirs = await say(other, '/products', textMatches(/\/sell/));
    const alerted = tg().waitForCall('answerCallbackQuery', (c) => c.params.show_alert === true);
    tg().pressButton({ from: other, message_id: theirs.message_id, data: `prod:hide:${id}`, force: true });
    expect(String((await alerted).params.text)).toMatch(/not in your shop/);
    const confirm = await press(from, listed, `prod:delete:${id}`, textMatches(/Delete “Sketch pack”/));
    expect((await statusOf()).status).toBe('active');
    tg().pressButton({ from, message_id: confirm.message_id, data: `prod:deleteok:${id}` });
    await eventually('soft-deleted', async () => (await statusOf()).deletedAt !== null);
    const after = await say(from, '/products', textMatches(/no products/));
    expect(after.text).toContain('no products');
  });
});

describe('/products edit', () => {
  /** A seller with a shop and one product on sale (19.90 USD and 100 Stars). */
  async function sellerWithProduct(language = 'en') {
    const from = await user(language);
    await db()
      .insert(sellers)
      .values({ userId: from.id, displayName: 'Brushes', shopSlug: `brushes-${from.id}`, termsAcceptedAt: new Date() });
    const id = newProductId();
    await db().insert(products).values({
      id,
      sellerId: from.id,
      title: 'Brush set',
      description: 'Twenty brushes',
      categoryId: 'graphics',
      priceMinor: 1990n,
      currency: 'USD',
      priceStars: 100,
      status: 'active',
    });
    const listed = await say(from, '/products', textMatches(/Brush set/));
    return { from, id, listed };
  }
  /** The next alert answered to a button press. */
  function nextAlert() {
    const since = Math.max(
      0,
      ...tg()
        .calls()
        .map((call) => call.seq),
    );
    return tg().waitForCall('answerCallbackQuery', (c) => c.seq > since && c.params.show_alert === true);
  }
  const productOf = async (id: string) => (await db().select().from(products).where(eq(products.id, id)))[0]!;

  /** Presses a field button, answers the prompt with `text`, and returns the bot's answer. */
  async function answer(from: UserInput, cardMessage: SentMessage, field: string, id: string, text: string) {
    const asked = await press(
      from,
      cardMessage,
      `pedit:${field}:${id}`,
      (m) => m.reply_markup !== undefined && 'force_reply' in m.reply_markup,
    );
    return { asked, reply: await say(from, text, textMatches(/./)) };
  }

  it("opens a product's card with its fields, the cover and file Mini App buttons, and back to the list", async () => {
    const { from, id, listed } = await sellerWithProduct();
    const card = await pressAndEdit(from, listed, `pedit:card:${id}`);
    expect(card.text).toBe(
      ['✏️ Brush set\n✅ on sale · 19.90 USD · 100 ⭐️\n🗂 Graphics & design\n\nTwenty brushes'].join(''),
    );
    expect(callbackDataOf(card)).toEqual([
      `pedit:title:${id}`,
      `pedit:description:${id}`,
      `pedit:price:${id}`,
      `pedit:stars:${id}`,
      `pedit:category:${id}`,
      `pedit:list:${id}`,
    ]);
    expect(buttonsOf(card).find((b) => b.text === '💲 Price in USD')).toBeDefined();
    expect(webAppUrls(card)).toEqual([
      `${uploadUrl()}?product=${id}&role=cover`,
      `${uploadUrl()}?product=${id}&role=file`,
    ]);
    const back = await pressAndEdit(from, card, `pedit:list:${id}`);
    expect(back.text).toMatch(/^📦 Your products/);

    // Another seller's press shows nothing and changes nothing.
    const other = await user();
    const theirs = await say(other, '/products', textMatches(/\/sell/));
    const alerted = nextAlert();
    tg().pressButton({ from: other, message_id: theirs.message_id, data: `pedit:title:${id}`, force: true });
    expect(String((await alerted).params.text)).toMatch(/not in your shop/);
    tg().sendText({ from: other, text: 'Stolen title' });
    await say(other, '/products', textMatches(/\/sell/));
    expect((await productOf(id)).title).toBe('Brush set');
  });

  it('edits the title, description, price and Stars price with the product rules; bad input stores nothing', async () => {
    const { from, id, listed } = await sellerWithProduct();
    const card = await pressAndEdit(from, listed, `pedit:card:${id}`);

    const long = await answer(from, card, 'title', id, 'x'.repeat(101));
    expect(long.asked.text).toBe('Send the new title of “Brush set” (1–100 characters), or /products to leave it.');
    expect(long.reply.text).toBe(
      '⚠️ A product title has 1–100 characters.\nNothing was saved. Send it again, or /products to leave it.',
    );
    expect((await productOf(id)).title).toBe('Brush set');
    // Still asked: the next text is another try.
    const saved = await say(from, '  Brush   set II ', textMatches(/Saved/));
    expect(saved.text).toMatch(/^✅ Saved\.\n\n✏️ Brush set II\n/);
    expect(callbackDataOf(saved)).toContain(`pedit:title:${id}`);
    expect((await productOf(id)).title).toBe('Brush set II');
    // Answered: a later text is no edit.
    await say(from, 'Not a title', textMatches(/./));
    expect((await productOf(id)).title).toBe('Brush set II');

    const description = await answer(from, card, 'description', id, 'я'.repeat(4001));
    expect(description.reply.text).toMatch(/^⚠️ A description has at most 4000 characters \(this one has 4001\)/);
    await say(from, 'Twenty brushes\nand a palette', textMatches(/Saved/));
    expect((await productOf(id)).description).toBe('Twenty brushes\nand a palette');

    const price = await answer(from, card, 'price', id, '9.999');
    expect(price.asked.text).toContain('in USD, like 9.99');
    expect(price.reply.text).toMatch(
      /^⚠️ “9.999” is not a price in USD: send a positive amount like 9.99, at most 1000000.00\./,
    );
    const zero = await say(from, '0', textMatches(/⚠️/));
    expect(zero.text).toMatch(/^⚠️ “0.00” is not a price in USD/);
    expect((await productOf(id)).priceMinor).toBe(1990n);
    const newPrice = await say(from, '12,50', textMatches(/Saved/));
    expect(newPrice.text).toContain('12.50 USD · 100 ⭐️');
    expect((await productOf(id)).priceMinor).toBe(1250n);

    const stars = await answer(from, card, 'stars', id, 'lots');
    expect(stars.reply.text).toMatch(/^⚠️ “lots” is not a Stars price: send a whole number from 1 to 10000\./);
    const outOfRange = await say(from, '10001', textMatches(/⚠️/));
    expect(outOfRange.text).toMatch(/^⚠️ 10001 Stars is out of range/);
    await say(from, '250', textMatches(/Saved/));
    expect(await productOf(id)).toMatchObject({
      priceStars: 250,
      priceMinor: 1250n,
      currency: 'USD',
      status: 'active',
    });

    // A command leaves the question: the text after it is not taken.
    await press(from, card, `pedit:title:${id}`, textMatches(/new title/));
    await say(from, '/products', textMatches(/Your products/));
    await say(from, 'Dropped title', textMatches(/./));
    expect((await productOf(id)).title).toBe('Brush set II');
  });

  it('moves a product to another category with buttons', async () => {
    const { from, id, listed } = await sellerWithProduct();
    const card = await pressAndEdit(from, listed, `pedit:card:${id}`);
    const picker = await pressAndEdit(from, card, `pedit:category:${id}`);
    expect(picker.text).toBe('Choose the category of “Brush set”:');
    expect(buttonsOf(picker).map((b) => b.text)).toEqual(expect.arrayContaining(['• Graphics & design', 'Courses']));
    expect(callbackDataOf(picker)).toContain(`pcat:${id}:courses`);
    const moved = await pressAndEdit(from, picker, `pcat:${id}:courses`);
    expect(moved.text).toContain('🗂 Courses');
    expect((await productOf(id)).categoryId).toBe('courses');
    // A forged category changes nothing.
    const alerted = nextAlert();
    tg().pressButton({ from, message_id: moved.message_id, data: `pcat:${id}:nope`, force: true });
    expect(String((await alerted).params.text)).toBe('⚠️ There is no category “nope”.');
    expect((await productOf(id)).categoryId).toBe('courses');
  });

  it('with reviews on, an edit sends a product on sale back to review', async () => {
    const { from, id, listed } = await sellerWithProduct();
    stack.config.uploads.review = true;
    try {
      const card = await pressAndEdit(from, listed, `pedit:card:${id}`);
      expect(card.text).toContain('a change sends this one back to review');
      const { reply } = await answer(from, card, 'title', id, 'Brush set, reviewed');
      expect(reply.text).toMatch(/^✅ Saved\. It waits for an admin's review before buyers see it again\./);
      expect(reply.text).toContain('⏳ waiting for review');
      expect(await productOf(id)).toMatchObject({ title: 'Brush set, reviewed', status: 'pending_review' });
    } finally {
      stack.config.uploads.review = false;
    }
  });

  it('speaks Russian, refusals included', async () => {
    const { from, id, listed } = await sellerWithProduct('ru');
    const card = await pressAndEdit(from, listed, `pedit:card:${id}`);
    expect(buttonsOf(card).map((b) => b.text)).toEqual(expect.arrayContaining(['✏️ Название', '🖼 Обложка']));
    const { reply } = await answer(from, card, 'stars', id, '0');
    expect(reply.text).toBe(
      '⚠️ 0 Stars — вне допустимого: цена в Stars от 1 до 10000.\nНичего не сохранено. Пришлите ещё раз или /products, чтобы оставить как есть.',
    );
  });
});

describe('product refusals', () => {
  it('every ProductInputError key has a text in every bot language', () => {
    const sources = ['domain/product.ts', 'infrastructure/catalog/products.ts', 'bot/features/sell.ts'];
    const keys = new Set(
      sources.flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/ProductInputError\(\s*'([\w-]+)'/g)].map((match) => match[1]!),
      ),
    );
    expect([...keys]).toEqual(
      expect.arrayContaining(['product-bad-title', 'product-bad-price', 'product-bad-category']),
    );
    const i18n = createI18n();
    for (const locale of LOCALES)
      for (const key of keys) {
        const vars = { given: 'x', min: '1', max: '2', currency: 'USD', currencies: 'USD' };
        expect(i18n.t(locale, key, vars), `${locale}: ${key}`).not.toBe(`{${key}}`);
      }
  });
});
