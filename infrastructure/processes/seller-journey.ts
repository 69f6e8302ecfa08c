/**
 * A seller's journey, driven through the sandbox as a person would: /sell, the seller terms, the shop
 * name, then the upload Mini App opened from its `web_app` button (genuinely signed launch
 * parameters). The page's own calls follow: a draft product, its file sent in presigned parts
 * straight to object storage, publishing. Then a buyer finds it with /search. Used by `npm run demo`
 * and by the end-to-end journey test.
 */
import { createHash } from 'node:crypto';
import type { SentMessage } from '../sandbox/telegram';
import type { Sandbox } from '../sandbox/server';
import { callbackOf } from './journey-buttons';
import { onePagePdf } from './sample-pdf';

export interface SellerJourneyOptions {
  sandbox: Sandbox;
  sellerId: number;
  buyerId: number;
  /** Unique words in the product's title, so a search finds this product. */
  title: string;
  log?: (line: string) => void;
  stepTimeoutMs?: number;
}

export interface SellerJourneyResult {
  productId: string;
  status: string;
  /** The buyer's /search answer: the carousel message showing the product. */
  found: SentMessage;
  /** SHA-256 of the file uploaded, to check what buyers download. */
  fileSha256: string;
}

const PART_BYTES = 5 * 2 ** 20;

export async function playSellerJourney(options: SellerJourneyOptions): Promise<SellerJourneyResult> {
  const { sandbox, title } = options;
  const telegram = sandbox.telegram;
  const timeout = options.stepTimeoutMs ?? 30_000;
  const log = options.log ?? (() => {});
  const step = (line: string) => log(`${new Date().toISOString()}  ${line}`);
  const seller = { id: options.sellerId, first_name: 'Mira', username: `mira${options.sellerId}`, language_code: 'en' };
  const lastId = (userId: number) => telegram.messagesTo(userId).at(-1)?.message_id ?? 0;
  const reply = (userId: number, pattern: RegExp, send: () => unknown) => {
    const since = lastId(userId);
    send();
    return telegram.waitForMessage(userId, (m) => m.message_id > since && pattern.test(m.text ?? ''), timeout);
  };

  telegram.addUser(seller, { startedBot: true });
  const terms = await reply(seller.id, /Terms of service/, () => telegram.sendText({ from: seller, text: '/start' }));
  await reply(seller.id, /Choose a plan|plan/i, () =>
    telegram.pressButton({ from: seller, message_id: terms.message_id, data: callbackOf(terms, /^terms_accept/) }),
  );
  const sellerTerms = await reply(seller.id, /Open a shop/, () => telegram.sendText({ from: seller, text: '/sell' }));
  step('the seller sent /sell and read the seller terms');
  await reply(seller.id, /What is your shop called/, () =>
    telegram.pressButton({ from: seller, message_id: sellerTerms.message_id, data: callbackOf(sellerTerms, /^sell/) }),
  );
  const shop = await reply(seller.id, /is open/, () => telegram.sendText({ from: seller, text: 'Mira Sketchbooks' }));
  step(`the shop is open: ${(shop.text ?? '').split('\n')[0]}`);

  // The seller taps the button: Telegram opens the page with signed launch parameters.
  const opened = telegram.openWebApp({ from: seller, message_id: shop.message_id });
  const page = await fetch(opened.url);
  if (!page.ok) throw new Error(`the upload page answered ${page.status}`);
  step(`opened the upload Mini App ${opened.url.split('#')[0]} (launch parameters signed for the seller)`);
  const api = new URL('api/', opened.url.split('#')[0]);
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(new URL(path, api), {
      method,
      headers: {
        authorization: `tma ${opened.initData}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${answer.error ?? ''}`);
    return answer;
  };

  const { productId } = await call<{ productId: string }>('POST', 'products', {
    title,
    description: 'Twenty pages of exercises, from lines to light and shadow.',
    categoryId: 'ebooks',
    price: '9.00',
    currency: 'USD',
    priceStars: 450,
  });
  const file = onePagePdf(title);
  const upload = await call<{ uploadId: string; key: string }>('POST', 'uploads', {
    productId,
    role: 'file',
    fileName: 'sketching-guide.pdf',
    size: file.length,
    contentType: 'application/pdf',
  });
  const query = `?key=${encodeURIComponent(upload.key)}`;
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  for (let offset = 0, number = 1; offset < file.length; offset += PART_BYTES, number++) {
    const { url } = await call<{ url: string }>('GET', `uploads/${upload.uploadId}/parts/${number}${query}`);
    // Straight to object storage, as the browser does: the api never sees the bytes.
    const put = await fetch(url, { method: 'PUT', body: file.subarray(offset, offset + PART_BYTES) });
    if (!put.ok) throw new Error(`storage refused part ${number}: ${put.status}`);
    parts.push({ PartNumber: number, ETag: put.headers.get('etag') ?? '' });
  }
  await call('POST', `uploads/${upload.uploadId}/complete${query}`, { parts });
  const { status } = await call<{ status: string }>('POST', `products/${productId}/publish`);
  step(`created "${title}" (${file.length} bytes, ${parts.length} part(s) straight to storage); status: ${status}`);

  const buyer = { id: options.buyerId, first_name: 'Ivo', username: `ivo${options.buyerId}`, language_code: 'en' };
  telegram.addUser(buyer, { startedBot: true });
  const buyerTerms = await reply(buyer.id, /Terms of service/, () =>
    telegram.sendText({ from: buyer, text: '/start' }),
  );
  await reply(buyer.id, /plan/i, () =>
    telegram.pressButton({
      from: buyer,
      message_id: buyerTerms.message_id,
      data: callbackOf(buyerTerms, /^terms_accept/),
    }),
  );
  const word = title.split(' ').at(-1)!;
  const found = await reply(buyer.id, new RegExp(escapeRegExp(title)), () =>
    telegram.sendText({ from: buyer, text: `/search ${word}` }),
  );
  step(`a buyer searched "${word}" and found it: ${(found.text ?? '').split('\n')[0]}`);
  return { productId, status, found, fileSha256: createHash('sha256').update(file).digest('hex') };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
