/**
 * Marketplace fixtures for end-to-end tests: a seller with a live product whose file is really in
 * the stack's bucket, a buyer, and a download that follows the delivery's own buttons.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { eq } from 'drizzle-orm';
import { newProductId, objectKeyFor } from '../domain/product';
import { orders, productFiles, products, sellers } from '../infrastructure/db/schema';
import { createObjectStorage } from '../infrastructure/storage/s3';
import { eventually, type Stack } from './harness';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface ListedProduct {
  sellerId: number;
  productId: string;
  bytes: Buffer;
  fileName: string;
  title: string;
}

/** A seller and one active product with a stored file of `sizeBytes` random bytes. */
export async function listedProduct(
  stack: Stack,
  options: { priceStars?: number | null; priceMinor?: bigint | null; currency?: string; sizeBytes?: number } = {},
): Promise<ListedProduct> {
  const sellerId = stack.newUserId();
  await stack.addUser(sellerId);
  const db = stack.runtime.db;
  await db.insert(sellers).values({
    userId: sellerId,
    displayName: `Shop ${sellerId}`,
    shopSlug: `s-${sellerId}`,
    termsAcceptedAt: new Date(),
  });
  const productId = newProductId();
  const title = `Guide ${productId.slice(0, 6)}`;
  const priceMinor = options.priceMinor === undefined ? 1500n : options.priceMinor;
  await db.insert(products).values({
    id: productId,
    sellerId,
    title,
    categoryId: 'courses',
    priceStars: options.priceStars === undefined ? 120 : options.priceStars,
    priceMinor,
    currency: priceMinor === null ? null : (options.currency ?? 'USD'),
    status: 'active',
  });
  const bytes = randomBytes(options.sizeBytes ?? 256 * 1024 + 17);
  const fileName = 'guide-«v2».pdf';
  const objectKey = objectKeyFor(sellerId, 'file');
  const storage = createObjectStorage(stack.config.s3);
  try {
    await storage.client.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: objectKey, Body: bytes, ContentType: 'application/pdf' }),
    );
  } finally {
    storage.close();
  }
  await db.insert(productFiles).values({
    id: randomUUID(),
    productId,
    role: 'file',
    objectKey,
    sizeBytes: bytes.length,
    contentType: 'application/pdf',
    originalName: fileName,
    state: 'stored',
  });
  return { sellerId, productId, bytes, fileName, title };
}

export async function newBuyer(stack: Stack) {
  const userId = stack.newUserId();
  await stack.addUser(userId);
  return { userId, from: { id: userId, first_name: `User ${userId}` } };
}

export const ordersOf = (stack: Stack, buyerId: number) =>
  stack.runtime.db.select().from(orders).where(eq(orders.buyerId, buyerId));

/** The delivery messages the buyer got (text or captioned document), oldest first. */
export const deliveriesTo = (stack: Stack, buyerId: number) =>
  stack.sandbox.telegram.messagesTo(buyerId).filter((m) => /is yours!/.test(m.text ?? m.caption ?? ''));

/**
 * Presses the delivery's "Download link" button as the buyer, follows the link the bot sends, and
 * returns what `/download/:token` served.
 */
export async function downloadFromDelivery(stack: Stack, buyerId: number, orderId: string) {
  const tg = stack.sandbox.telegram;
  const before = tg.messagesTo(buyerId).length;
  const [delivery] = deliveriesTo(stack, buyerId);
  if (!delivery) throw new Error(`buyer ${buyerId} has no delivery message`);
  tg.pressButton({
    from: { id: buyerId, first_name: `User ${buyerId}` },
    message_id: delivery.message_id,
    data: `lib:dl:${orderId}`,
  });
  const link = await eventually('the download link', () => {
    const sent = tg.messagesTo(buyerId).slice(before);
    for (const message of sent)
      for (const row of message.message.reply_markup?.inline_keyboard ?? [])
        for (const button of row) if ('url' in button && /\/download\//.test(button.url)) return button.url;
    return undefined;
  });
  const response = await fetch(link);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}
