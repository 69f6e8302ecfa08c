/**
 * The upload Mini App in a real headless Chromium (Debian's, driven by playwright-core), opened the
 * way Telegram opens it: the page URL with the launch parameters in its fragment and a genuinely
 * signed initData. The file goes from the browser straight to the real S3-compatible server in
 * parallel parts; a reload mid-upload resumes without sending finished parts again. The buyer's
 * download page gets a single-use link and the browser downloads the exact bytes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, productFiles, products, sellers } from '../../infrastructure/db/schema';
import { searchCatalog } from '../../infrastructure/read-models/catalog';
import { createObjectStorage, type ObjectStorage } from '../../infrastructure/storage/s3';
import { launchBrowser, phonePage, screenshot } from '../../test/browser';
import { eventually, setupStackBucket, startStack, storageEnv, TEST_SECRETS, type Stack } from '../../test/harness';
import { DEFAULT_THEME_PARAMS, launchParamsHash, signInitData } from '../../test/init-data';
import { onePagePdf } from '../../infrastructure/processes/sample-pdf';

const MIB = 2 ** 20;
const PART = 8 * MIB;

let stack: Stack;
let storage: ObjectStorage;
let browser: Browser;
let scratch: string;

beforeAll(async () => {
  stack = await startStack({
    ...storageEnv('page'),
    UPLOAD_MAX_BYTES: String(128 * MIB),
    UPLOAD_PART_BYTES: String(PART),
    // One download an hour: the download page's second try meets the limit.
    DOWNLOADS_PER_HOUR: '1',
  });
  // The bucket lets the page's origin (where the api serves it) PUT parts and read their ETags.
  await setupStackBucket(stack);
  storage = createObjectStorage(stack.config.s3);
  browser = await launchBrowser();
  scratch = mkdtempSync(join(tmpdir(), 'tgc-upload-page-'));
});
afterAll(async () => {
  await browser?.close();
  storage?.close();
  await stack?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function seller() {
  const id = stack.newUserId();
  await stack.addUser(id);
  await stack.runtime.db
    .insert(sellers)
    .values({ userId: id, displayName: `Shop ${id}`, shopSlug: `shop-${id}`, termsAcceptedAt: new Date() });
  return id;
}

/** The page as Telegram opens it for this user: launch parameters in the URL fragment. */
function pageUrl(userId: number, initData?: string) {
  const signed = initData ?? signInitData({ botToken: TEST_SECRETS.TELEGRAM_BOT_TOKEN, user: { id: userId } });
  return `${stack.apiUrl}/miniapp/upload${launchParamsHash(signed, DEFAULT_THEME_PARAMS)}`;
}

async function open(page: Page, url: string) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"], #notice:not([hidden])');
}

async function fillProduct(page: Page, title: string) {
  await page.fill('input[name=title]', title);
  await page.fill('textarea[name=description]', 'Twelve lessons with exercises.');
  await page.selectOption('select[name=categoryId]', 'courses');
  await page.fill('input[name=price]', '19.90');
  await page.selectOption('select[name=currency]', 'USD');
}

/** The part PUTs storage answered 200, as `uploadId:partNumber`. */
function storedParts(page: Page) {
  const parts: string[] = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (response.request().method() === 'PUT' && response.status() === 200 && url.searchParams.has('partNumber'))
      parts.push(`${url.searchParams.get('uploadId')}:${url.searchParams.get('partNumber')}`);
  });
  return parts;
}

/** The uploads the page started (or was handed back to resume) through the api. */
function startedUploads(page: Page) {
  const started: Array<{ role: string; uploadId: string; resumed: boolean }> = [];
  page.on('response', async (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || !response.url().endsWith('/miniapp/api/uploads')) return;
    const answer = (await response.json()) as { uploadId: string; resumed?: boolean };
    const { role } = request.postDataJSON() as { role: string };
    started.push({ role, uploadId: answer.uploadId, resumed: answer.resumed === true });
  });
  return started;
}

describe('upload Mini App page', () => {
  it('uploads a 72 MiB file in parts straight to storage, resumes after a reload, and the product is in the catalog', async () => {
    const userId = await seller();
    const title = `Watercolour course ${randomUUID().slice(0, 6)}`;
    const size = 72 * MIB + 12_345;
    const filePath = join(scratch, 'course.zip');
    writeFileSync(filePath, Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(size - 4)]));
    const coverPath = join(scratch, 'cover.jpg');
    writeFileSync(coverPath, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(40_000)]));
    const partCount = Math.ceil(size / PART);

    const page = await phonePage(browser);
    await open(page, pageUrl(userId));
    // The theme comes from the launch parameters, as in Telegram.
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(23, 33, 43)');
    expect(await page.evaluate("getComputedStyle(document.querySelector('input')).backgroundColor")).toBe(
      'rgb(35, 46, 60)',
    );
    expect(await page.locator('select[name=categoryId] option').count()).toBeGreaterThanOrEqual(11);
    // In the seller's language (their Telegram client's, Russian here), from the bot's translations.
    expect(await page.textContent('[data-t=title]')).toBe('Название');
    expect(await page.textContent('select[name=categoryId] option[value=courses]')).toBe('Курсы');

    // First visit: after three parts are stored, further part PUTs are held, then the page reloads.
    const before = storedParts(page);
    const firstStarts = startedUploads(page);
    let released = 0;
    let holding = true;
    await page.route(`${new URL(stack.config.s3.endpoint!).origin}/**`, async (route: Route) => {
      if (!holding || route.request().method() !== 'PUT' || released < 3) {
        if (route.request().method() === 'PUT') released += 1;
        return route.continue();
      }
      // Held: this part never reaches storage; the reload cancels it.
    });
    await fillProduct(page, title);
    await page.setInputFiles('input[name=file]', filePath);
    await page.setInputFiles('input[name=cover]', coverPath);
    await page.click('#submit');
    await page.waitForSelector('progress:not([value="0"])'); // (value reflects the bar's progress)
    await eventually('three parts stored', () => before.length >= 3);
    expect(await page.textContent('#progress-text')).toMatch(/\d+% · [\d.]+ MiB из 72\.\d MiB/);
    await screenshot(page, 'upload-page-progress');
    const [product] = await stack.runtime.db.select().from(products).where(eq(products.sellerId, userId));
    expect(product?.status).toBe('draft');
    expect(page.url()).toContain(`product=${product!.id}`);

    // Second visit: the same address; the seller picks the same file again.
    const firstParts = [...before];
    await page.reload();
    holding = false;
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.inputValue('input[name=title]')).toBe(title);
    const after = storedParts(page);
    const secondStarts = startedUploads(page);
    await page.setInputFiles('input[name=file]', filePath);
    await page.click('#submit');
    await page.waitForSelector('#done:not([hidden])', { timeout: 60_000 });
    await screenshot(page, 'upload-page-done');

    // The parts stored before the reload were not sent again; with the rest they make the whole file.
    const [stored] = await stack.runtime.db
      .select()
      .from(productFiles)
      .where(and(eq(productFiles.productId, product!.id), eq(productFiles.role, 'file')));
    expect(stored?.state).toBe('stored');
    const fileUpload = firstStarts.find((u) => u.role === 'file')!;
    expect(secondStarts.find((u) => u.role === 'file')).toEqual({ ...fileUpload, resumed: true });
    const ofFile = (parts: string[]) => parts.filter((p) => p.startsWith(`${fileUpload.uploadId}:`));
    expect(ofFile(firstParts).length).toBeGreaterThan(0);
    expect(ofFile(after).filter((p) => firstParts.includes(p))).toEqual([]);
    expect(new Set([...ofFile(firstParts), ...ofFile(after)]).size).toBe(partCount);
    expect((await storage.head(stored!.objectKey))?.size).toBe(size);
    // The key is ours, never the seller's file name.
    expect(stored!.objectKey).not.toContain('course');
    expect(await page.getAttribute('#done', 'data-status')).toBe('active');

    const found = await searchCatalog(stack.runtime.db, {
      query: title.split(' ')[0]!,
      sellerId: userId,
      sort: 'new',
      limit: 10,
      offset: 0,
    });
    expect(found.items.map((item) => item.id)).toContain(product!.id);
    await page.context().close();
  });

  it('renders a PDF first page in the browser and uploads it as the preview; an ELF named .pdf is refused in the page', async () => {
    const userId = await seller();
    const page = await phonePage(browser);
    await open(page, pageUrl(userId));
    await fillProduct(page, 'Guide to sketching');
    const pdfPath = join(scratch, 'guide.pdf');
    writeFileSync(pdfPath, onePagePdf('Guide to sketching'));
    await page.setInputFiles('input[name=file]', pdfPath);
    await page.click('#submit');
    await page.waitForSelector('#done:not([hidden])');
    const [product] = await stack.runtime.db.select().from(products).where(eq(products.sellerId, userId));
    const files = await stack.runtime.db.select().from(productFiles).where(eq(productFiles.productId, product!.id));
    const preview = files.find((f) => f.role === 'preview' && f.state === 'stored');
    expect(preview, JSON.stringify(files)).toBeDefined();
    const head = await storage.readFirstBytes(preview!.objectKey, 3);
    expect([...head]).toEqual([0xff, 0xd8, 0xff]); // a JPEG drawn by pdf.js in the browser

    // An executable with a document's name: refused by its first bytes, the seller told why, nothing kept.
    const second = await phonePage(browser);
    await open(second, pageUrl(userId));
    await fillProduct(second, 'Not really a PDF');
    const elfPath = join(scratch, 'manual.pdf');
    writeFileSync(elfPath, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), randomBytes(6 * MIB)]));
    await second.setInputFiles('input[name=file]', elfPath);
    await second.click('#submit');
    await second.waitForSelector('#notice:not([hidden])');
    expect(await second.textContent('#notice')).toMatch(/refused: .*ELF/i);
    await screenshot(second, 'upload-page-refused');
    const refusedProduct = (
      await stack.runtime.db.select().from(products).where(eq(products.title, 'Not really a PDF'))
    ).find((p) => p.sellerId === userId);
    expect(refusedProduct?.status).toBe('draft');
    const refused = await stack.runtime.db
      .select()
      .from(productFiles)
      .where(eq(productFiles.productId, refusedProduct!.id));
    expect(refused.map((f) => f.state)).toEqual(['refused']);
    expect(await storage.head(refused[0]!.objectKey)).toBeUndefined();
    await page.context().close();
    await second.context().close();
  });

  it("opened from /products' Cover button, replaces only the cover of a live product", async () => {
    const userId = await seller();
    const page = await phonePage(browser);
    await open(page, pageUrl(userId));
    await fillProduct(page, 'Brush set');
    const zipPath = join(scratch, 'brushes.zip');
    writeFileSync(zipPath, Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(300_000)]));
    await page.setInputFiles('input[name=file]', zipPath);
    await page.click('#submit');
    await page.waitForSelector('#done:not([hidden])');
    const [product] = await stack.runtime.db.select().from(products).where(eq(products.sellerId, userId));

    // The bot's Cover button: ?product=<id>&role=cover. The form is the product's; no file is asked for.
    const cover = await phonePage(browser);
    const address = new URL(pageUrl(userId));
    address.search = `?product=${product!.id}&role=cover`;
    await open(cover, address.toString());
    expect(await cover.inputValue('input[name=title]')).toBe('Brush set');
    expect(await cover.isHidden('#file-field')).toBe(true);
    const coverPath = join(scratch, 'brushes.png');
    writeFileSync(coverPath, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), randomBytes(20_000)]));
    await cover.setInputFiles('input[name=cover]', coverPath);
    await cover.click('#submit');
    await cover.waitForSelector('#done:not([hidden])');
    const files = await stack.runtime.db
      .select()
      .from(productFiles)
      .where(and(eq(productFiles.productId, product!.id), eq(productFiles.state, 'stored')));
    expect(files.map((f) => f.role).sort()).toEqual(['cover', 'file']);
    expect(files.find((f) => f.role === 'file')?.originalName).toBe('brushes.zip');
    expect(await cover.getAttribute('#done', 'data-status')).toBe('active');
    await page.context().close();
    await cover.context().close();
  });

  it('a forged initData gets a clear message in the page and stores nothing', async () => {
    const userId = await seller();
    const forged = signInitData({
      botToken: TEST_SECRETS.TELEGRAM_BOT_TOKEN,
      user: { id: userId },
      tamper: { user: { id: userId + 1, first_name: 'Mallory' } },
    });
    const page = await phonePage(browser);
    await open(page, pageUrl(userId, forged));
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.textContent('#notice')).toMatch(/init ?data|signature|hash/i);
    expect(await page.isHidden('#product')).toBe(true);
    // Opened outside Telegram (no launch parameters): the page says where to open it.
    const plain = await phonePage(browser);
    await plain.goto(`${stack.apiUrl}/miniapp/upload`);
    await plain.waitForSelector('#notice:not([hidden])');
    expect(await plain.textContent('#notice')).toMatch(/Open this page from the bot/);
    await plain.context().close();
    const rows = await stack.runtime.db.select().from(products).where(eq(products.sellerId, userId));
    expect(rows).toEqual([]);
    await page.context().close();
  });
});

describe('download Mini App page', () => {
  it("shows the purchase and downloads its exact bytes through a single-use link; someone else's order is refused", async () => {
    const sellerId = await seller();
    const productId = `p${randomUUID().replaceAll('-', '').slice(0, 15)}`;
    await stack.runtime.db.insert(products).values({
      id: productId,
      sellerId,
      title: 'Inking course',
      categoryId: 'courses',
      priceStars: 100,
      status: 'active',
    });
    const bytes = randomBytes(3 * MIB + 17);
    const key = `products/${sellerId}/file/${randomUUID()}`;
    const upload = await storage.startMultipart(key, 'application/zip');
    const url = await storage.presignPart(key, upload, 1, 60);
    const put = await fetch(url, { method: 'PUT', body: bytes });
    await storage.completeMultipart(key, upload, [{ partNumber: 1, etag: put.headers.get('etag')! }]);
    await stack.runtime.db.insert(productFiles).values({
      id: randomUUID(),
      productId,
      role: 'file',
      objectKey: key,
      sizeBytes: bytes.length,
      contentType: 'application/zip',
      originalName: 'inking course.zip',
      state: 'stored',
    });
    const buyerId = stack.newUserId();
    await stack.addUser(buyerId);
    const orderId = `o${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await stack.runtime.db.insert(orders).values({
      id: orderId,
      buyerId,
      productId,
      sellerId,
      rail: 'stars',
      priceStars: 100,
      status: 'delivered',
      paidAt: new Date(),
    });
    const downloadUrl = (userId: number) => {
      const signed = signInitData({ botToken: TEST_SECRETS.TELEGRAM_BOT_TOKEN, user: { id: userId } });
      return `${stack.apiUrl}/miniapp/download?order=${orderId}${launchParamsHash(signed, DEFAULT_THEME_PARAMS)}`;
    };

    const page = await phonePage(browser);
    await open(page, downloadUrl(buyerId));
    expect(await page.textContent('#title')).toBe('Inking course');
    expect(await page.textContent('#file')).toBe('inking course.zip · 3.0 MiB');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('inking course.zip');
    const saved = readFileSync(await download.path());
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    expect(sha(saved)).toBe(sha(bytes));
    await screenshot(page, 'download-page');
    // A second download within the hour: the page says why, and no link is handed out.
    await page.click('#download');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toMatch(/too many downloads: at most 1 an hour; try again in \d+ min/);
    const [row] = await stack.runtime.db.select().from(orders).where(eq(orders.id, orderId));
    expect(row?.downloadCount).toBe(1);
    await page.context().close();

    // The seller (not the buyer) opens the same address: nothing to download.
    const other = await phonePage(browser);
    await open(other, downloadUrl(sellerId));
    expect(await other.textContent('#notice')).toMatch(/no such purchase of yours/);
    expect(await other.isHidden('#download')).toBe(true);
    await other.context().close();
  });
});
