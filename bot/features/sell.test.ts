/**
 * Opening a shop and listing its products in the bot against the Telegram sandbox, with the real
 * database: the seller terms, the shop name, a unique link slug and the upload Mini App button.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProductId, SHOP_SLUG } from '../../domain/product';
import { products, sellers } from '../../infrastructure/db/schema';
import type { SentMessage, UserInput } from '../../infrastructure/sandbox/telegram';
import { buttonsOf, callbackDataOf, conversation, textMatches } from '../../test/conversation';
import { eventually, startStack, type Stack } from '../../test/harness';
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
const { say, press } = conversation(tg);
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
    expect(callbackDataOf(listed)).toEqual([`prod:hide:${id}`, `prod:delete:${id}`]);

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
