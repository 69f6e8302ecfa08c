/**
 * Product covers as Telegram photos. A cover is uploaded to Telegram once, streamed from object
 * storage; the file_id Telegram returns is kept in `telegram_file_cache` and every later send uses it.
 * A cached file_id Telegram no longer knows (another bot token, a reset) is forgotten and the cover
 * uploaded again. A cover missing from storage or refused by Telegram shows the placeholder instead.
 *
 * The placeholder (a plain banner generated here) stands in for products without a cover in a message
 * that already has a photo: Telegram can add media to a text message but never remove it, so a
 * carousel message that showed a cover keeps a photo from then on and still pages in place.
 */
import { crc32, deflateSync } from 'node:zlib';
import { and, desc, eq } from 'drizzle-orm';
import { GrammyError, InputFile } from 'grammy';
import type { Message } from 'grammy/types';
import type { Config } from '../../infrastructure/config';
import { productFiles, telegramFileCache } from '../../infrastructure/db/schema';
import { createObjectStorage, type ObjectStorage } from '../../infrastructure/storage/s3';
import type { BotContext } from '../context';

/** The placeholder's row in telegram_file_cache (a name, not an object key); bump it when the image changes. */
export const PLACEHOLDER_KEY = 'bot-asset/cover-placeholder-v1';
/** Telegram's caption limit. */
export const MAX_CAPTION_LENGTH = 1024;

// ---- The placeholder image ----

let placeholder: Buffer | undefined;

/** A 640×360 PNG in the shop's muted grey-blue, with a lighter band across the middle. */
export function placeholderImage(): Buffer {
  if (placeholder) return placeholder;
  const width = 640;
  const height = 360;
  const row = Buffer.alloc(1 + width * 3);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const band = y > height / 3 && y < (2 * height) / 3;
    const [r, g, b] = band ? [0xdf, 0xe6, 0xee] : [0xb8, 0xc4, 0xd2];
    row[0] = 0; // no filter
    for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
    rows.push(Buffer.from(row));
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  placeholder = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return placeholder;
}

// ---- Storage and the file_id cache ----

const storages = new WeakMap<Config['s3'], ObjectStorage>();

/** One storage client per configuration, made on first use (most bot updates never need it). */
function storageOf(config: Config['s3']): ObjectStorage {
  let storage = storages.get(config);
  if (!storage) {
    storage = createObjectStorage(config);
    storages.set(config, storage);
  }
  return storage;
}

/** The object key of a product's latest stored cover, or null. */
export async function coverKeyOf(ctx: BotContext, productId: string): Promise<string | null> {
  const [cover] = await ctx.deps.db
    .select({ key: productFiles.objectKey })
    .from(productFiles)
    .where(and(eq(productFiles.productId, productId), eq(productFiles.role, 'cover'), eq(productFiles.state, 'stored')))
    .orderBy(desc(productFiles.createdAt))
    .limit(1);
  return cover?.key ?? null;
}

async function cachedFileId(ctx: BotContext, key: string): Promise<string | undefined> {
  const [row] = await ctx.deps.db
    .select({ fileId: telegramFileCache.fileId })
    .from(telegramFileCache)
    .where(and(eq(telegramFileCache.objectKey, key), eq(telegramFileCache.kind, 'photo')));
  return row?.fileId;
}

/** Caches the photo's file_id under `key`; returns the message. */
async function remember(ctx: BotContext, key: string, message: Message | true): Promise<Message | true> {
  const photo = message === true ? undefined : message.photo?.at(-1);
  if (!photo) return message;
  const values = { fileId: photo.file_id, fileUniqueId: photo.file_unique_id, kind: 'photo' };
  await ctx.deps.db
    .insert(telegramFileCache)
    .values({ objectKey: key, ...values })
    .onConflictDoUpdate({ target: telegramFileCache.objectKey, set: values });
  return message;
}

const isUnknownFileId = (error: unknown) =>
  error instanceof GrammyError &&
  error.error_code === 400 &&
  /wrong file identifier|file_id|file reference|wrong remote file/i.test(error.description);

/**
 * Sends (or edits to) a photo: the cover of `coverKey`, or the placeholder for null. `send` is given
 * the cached file_id or a file to upload; after an upload, the file_id Telegram gives is cached.
 */
export async function withCover(
  ctx: BotContext,
  coverKey: string | null,
  send: (photo: string | InputFile) => Promise<Message | true>,
): Promise<Message | true> {
  const key = coverKey ?? PLACEHOLDER_KEY;
  const cached = await cachedFileId(ctx, key);
  if (cached !== undefined) {
    try {
      return await send(cached);
    } catch (error) {
      if (!isUnknownFileId(error)) throw error;
      await ctx.deps.db.delete(telegramFileCache).where(eq(telegramFileCache.objectKey, key));
    }
  }
  if (coverKey === null) return remember(ctx, key, await send(new InputFile(placeholderImage(), 'cover.png')));
  const storage = storageOf(ctx.deps.config.s3);
  if (!(await storage.head(coverKey))) {
    ctx.deps.logger.warn({ objectKey: coverKey }, 'a stored cover is missing from storage: showing the placeholder');
    return withCover(ctx, null, send);
  }
  // A supplier, so a retried request opens a fresh stream; a bare iterable, since grammY would fetch
  // anything with a `url` field (the SDK's response body has one) as a URL.
  const upload = new InputFile(async () => {
    const object = await storage.getStream(coverKey);
    if (!object) throw new Error(`cover ${coverKey} vanished from storage`);
    return (async function* () {
      yield* object.body as AsyncIterable<Uint8Array>;
    })();
  }, 'cover.jpg');
  let message: Message | true;
  try {
    message = await send(upload);
  } catch (error) {
    if (!(error instanceof GrammyError && error.error_code === 400 && /IMAGE|PHOTO/.test(error.description)))
      throw error;
    ctx.deps.logger.warn({ objectKey: coverKey, description: error.description }, 'Telegram refused a cover');
    // An object key's bytes never change: this cover shows the placeholder from now on, without asking again.
    return remember(ctx, key, await withCover(ctx, null, send));
  }
  return remember(ctx, key, message);
}

/** Cuts a text to a caption's length. */
export function asCaption(text: string): string {
  return text.length > MAX_CAPTION_LENGTH ? `${text.slice(0, MAX_CAPTION_LENGTH - 1)}…` : text;
}
