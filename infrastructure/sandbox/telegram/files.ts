/**
 * Files: sendPhoto/sendDocument with uploads, URLs Telegram fetches, and file_ids; editMessageMedia
 * (photo and document media; like the Bot API it also adds media to a text message); stored file bytes;
 * getFile and the download route `/file/bot<token>/<file_path>`, so anything the bot sent can be read back.
 */
import type { FastifyReply } from 'fastify';
import type { File, Message } from 'grammy/types';
import { formatText, readInlineMarkupForEdit, readReplyMarkup, sameMarkup } from './formatting';
import { applyEdit, editableMessage, storeOutgoing } from './messages';
import { CallContext, MethodTable, SandboxState, StoredFile, TOKEN_RE, randomToken } from './state';
import { BAD_REQUEST, SentFile, TelegramApiError } from './types';

export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const MAX_URL_DOCUMENT_BYTES = 20 * 1024 * 1024;
export const MAX_URL_PHOTO_BYTES = 5 * 1024 * 1024;
/** Bots download files of up to 20 MB; getFile refuses bigger ones (`file is too big`). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  zip: 'application/zip',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  epub: 'application/epub+zip',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  html: 'text/html',
};

/** Telegram derives a document's MIME type from the file name; clients often send octet-stream. */
export function mimeFor(fileName: string, declared: string): string | undefined {
  const extension = fileName.split('.').pop()?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[extension] ?? (declared && declared !== 'application/octet-stream' ? declared : undefined);
}

/** Recognises JPEG, PNG, GIF and WebP by their magic bytes; PNG and GIF also give dimensions. */
export function imageInfo(content: Buffer): { width?: number; height?: number } | undefined {
  if (
    content.length >= 24 &&
    content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { width: content.readUInt32BE(16), height: content.readUInt32BE(20) };
  }
  if (content.length >= 10 && content.subarray(0, 3).toString('latin1') === 'GIF') {
    return { width: content.readUInt16LE(6), height: content.readUInt16LE(8) };
  }
  if (content.length >= 3 && content[0] === 0xff && content[1] === 0xd8 && content[2] === 0xff) return {};
  if (
    content.length >= 12 &&
    content.subarray(0, 4).toString('latin1') === 'RIFF' &&
    content.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return {};
  return undefined;
}

export async function sendMedia(s: SandboxState, ctx: CallContext, kind: 'photo' | 'document'): Promise<Message> {
  const chat = s.resolveChat(ctx.p.chatId());
  s.assertCanPost(chat);
  const caption = ctx.p.string('caption');
  const parseMode = ctx.p.string('parse_mode');
  const plainCaption = caption ? formatText(caption, parseMode) : undefined;
  if (plainCaption && plainCaption.length > 1024) throw BAD_REQUEST('message caption is too long');
  const markup = readReplyMarkup(ctx.p);
  const { file, source } = await resolveInputFile(s, ctx, kind);
  const sent = sentFile(file, source);
  const content: Record<string, unknown> =
    kind === 'document'
      ? {
          document: {
            file_id: file.file_id,
            file_unique_id: file.file_unique_id,
            ...(file.file_name ? { file_name: file.file_name } : {}),
            ...(file.mime_type ? { mime_type: file.mime_type } : {}),
            file_size: file.file_size,
          },
        }
      : { photo: photoSizes(s, file) };
  if (plainCaption) content.caption = plainCaption;
  return storeOutgoing(s, chat, ctx.bot, content, {
    method: kind === 'document' ? 'sendDocument' : 'sendPhoto',
    rawCaption: caption,
    parseMode,
    replyMarkup: markup,
    file: sent,
  });
}

/** `value`: the file parameter (attach://<field>, a URL or a file_id); the method's own parameter by default. */
export async function resolveInputFile(
  s: SandboxState,
  ctx: CallContext,
  kind: 'photo' | 'document',
  value: unknown = ctx.p.raw[kind],
): Promise<{ file: StoredFile; source: SentFile['source'] }> {
  // A file may come as attach://<field>, directly under the parameter's own name, an HTTP URL or a file_id.
  const attached =
    typeof value === 'string' && value.startsWith('attach://')
      ? ctx.uploads.get(value.slice('attach://'.length))
      : ctx.uploads.get(kind);
  if (attached) {
    if (attached.content.length === 0) throw BAD_REQUEST('file must be non-empty');
    if (kind === 'photo') {
      if (attached.content.length > MAX_PHOTO_BYTES) throw BAD_REQUEST('PHOTO_INVALID_DIMENSIONS');
      if (!imageInfo(attached.content)) throw BAD_REQUEST('IMAGE_PROCESS_FAILED');
    }
    return {
      file: storeFile(
        s,
        kind,
        attached.content,
        attached.filename,
        mimeFor(attached.filename, attached.mimetype),
        'upload',
      ),
      source: 'upload',
    };
  }
  if (typeof value !== 'string' || !value) throw BAD_REQUEST(`there is no ${kind} in the request`);
  if (value.startsWith('attach://')) throw BAD_REQUEST(`wrong HTTP URL specified`);
  if (/^https?:\/\//i.test(value)) return { file: await fetchFile(s, kind, value, ctx.signal), source: 'url' };
  const known = s.files.get(value);
  if (!known) throw BAD_REQUEST('wrong file identifier/HTTP URL specified');
  return { file: known, source: 'file_id' };
}

/** Telegram downloads URL files itself: ≤20 MB documents (only PDF, ZIP or GIF), ≤5 MB photos. */
export async function fetchFile(
  s: SandboxState,
  kind: 'photo' | 'document',
  url: string,
  signal: AbortSignal,
): Promise<StoredFile> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(10_000), signal]) });
  } catch {
    throw BAD_REQUEST('failed to get HTTP URL content');
  }
  if (!response.ok) throw BAD_REQUEST('failed to get HTTP URL content');
  const content = Buffer.from(await response.arrayBuffer());
  const limit = kind === 'photo' ? MAX_URL_PHOTO_BYTES : MAX_URL_DOCUMENT_BYTES;
  if (content.length > limit) throw BAD_REQUEST('failed to get HTTP URL content');
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || `${kind}.dat`);
  const headerType = response.headers.get('content-type')?.split(';')[0]?.trim();
  const mime =
    headerType && headerType !== 'application/octet-stream' ? headerType : mimeFor(name, 'application/octet-stream');
  if (kind === 'photo' && !imageInfo(content)) throw BAD_REQUEST('wrong type of the web page content');
  if (
    kind === 'document' &&
    !['application/pdf', 'application/zip', 'application/x-zip-compressed', 'image/gif'].includes(mime ?? '')
  ) {
    throw BAD_REQUEST('wrong type of the web page content');
  }
  const file = storeFile(s, kind, content, name, mime, 'url');
  file.url = url;
  return file;
}

const sentFile = (file: StoredFile, source: SentFile['source']): SentFile => ({
  file_id: file.file_id,
  file_unique_id: file.file_unique_id,
  file_name: file.file_name,
  mime_type: file.mime_type,
  file_size: file.file_size,
  source,
  ...(file.url ? { url: file.url } : {}),
});

/**
 * editMessageMedia with an InputMediaPhoto or InputMediaDocument: replaces the media and caption (a
 * caption left out is removed, as in Telegram), or adds media to a text message (its text goes). The
 * same file, caption and keyboard again → "message is not modified".
 */
export async function editMessageMedia(s: SandboxState, ctx: CallContext): Promise<Message> {
  const stored = editableMessage(s, ctx);
  const media = ctx.p.json<Record<string, unknown>>('media', 'InputMedia');
  if (!media || typeof media !== 'object') throw BAD_REQUEST('media not specified');
  const kind = media.type;
  if (kind !== 'photo' && kind !== 'document') throw BAD_REQUEST("can't parse InputMedia: unsupported media type");
  if (stored.invoice) throw BAD_REQUEST("message can't be edited");
  const caption = typeof media.caption === 'string' ? media.caption : '';
  const parseMode = typeof media.parse_mode === 'string' ? media.parse_mode : undefined;
  const plainCaption = caption ? formatText(caption, parseMode) : '';
  if (plainCaption.length > 1024) throw BAD_REQUEST('message caption is too long');
  const markup = readInlineMarkupForEdit(ctx.p);
  const { file, source } = await resolveInputFile(s, ctx, kind, media.media);
  if (
    stored.file?.file_id === file.file_id &&
    (stored.rawCaption ?? '') === caption &&
    stored.parseMode === parseMode &&
    sameMarkup(stored.message.reply_markup, markup)
  ) {
    throw BAD_REQUEST(
      'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
  }
  stored.file = sentFile(file, source);
  stored.method = kind === 'photo' ? 'sendPhoto' : 'sendDocument';
  stored.rawText = undefined;
  stored.rawCaption = caption || undefined;
  stored.parseMode = parseMode;
  const content: Record<string, unknown> = {
    text: undefined,
    entities: undefined,
    link_preview_options: undefined,
    photo: kind === 'photo' ? photoSizes(s, file) : undefined,
    document:
      kind === 'document'
        ? {
            file_id: file.file_id,
            file_unique_id: file.file_unique_id,
            ...(file.file_name ? { file_name: file.file_name } : {}),
            ...(file.mime_type ? { mime_type: file.mime_type } : {}),
            file_size: file.file_size,
          }
        : undefined,
    caption: plainCaption || undefined,
  };
  return applyEdit(s, stored, content, markup);
}

export function storeFile(
  s: SandboxState,
  kind: 'photo' | 'document',
  content: Buffer,
  fileName: string | undefined,
  mime: string | undefined,
  source: 'upload' | 'url',
): StoredFile {
  if (kind === 'document' && content.length > MAX_DOCUMENT_BYTES)
    throw new TelegramApiError(413, 'Request Entity Too Large');
  const image = kind === 'photo' ? imageInfo(content) : undefined;
  const file: StoredFile = {
    file_id: `${kind === 'photo' ? 'AgACAgIAAxkDAAI' : 'BQACAgIAAxkDAAI'}${randomToken(48)}`,
    file_unique_id: `AgAD${randomToken(12)}`,
    ...(kind === 'document' && fileName ? { file_name: fileName } : {}),
    ...(kind === 'document' && mime ? { mime_type: mime } : {}),
    file_size: content.length,
    ...(image ? { width: image.width, height: image.height } : {}),
    content,
    source,
  };
  s.files.set(file.file_id, file);
  return file;
}

export function photoSizes(s: SandboxState, file: StoredFile): Array<Record<string, unknown>> {
  const width = file.width ?? 512;
  const height = file.height ?? 512;
  const scale = Math.min(1, 90 / Math.max(width, height));
  const thumbId = `${file.file_id.slice(0, -4)}AAAA`;
  if (!s.files.has(thumbId)) s.files.set(thumbId, { ...file, file_id: thumbId });
  return [
    {
      file_id: thumbId,
      file_unique_id: `${file.file_unique_id}s`,
      file_size: Math.ceil(file.file_size * scale * scale),
      width: Math.round(width * scale),
      height: Math.round(height * scale),
    },
    { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, width, height },
  ];
}

// ---- getFile and downloads ----

interface FilePaths {
  next: number;
  /** `<botId>|<file_path>` → the file and the bot it was handed to. */
  byPath: Map<string, StoredFile>;
  /** `<botId>|<file_id>` → its file_path (asking again gives the same path). */
  byFile: Map<string, string>;
}

/**
 * File paths by the state's `files` map: reset() replaces that map, so paths are forgotten together with
 * the files, without a field in SandboxState.
 */
const pathTables = new WeakMap<Map<string, StoredFile>, FilePaths>();

function pathsOf(s: SandboxState): FilePaths {
  let paths = pathTables.get(s.files);
  if (!paths) {
    paths = { next: 0, byPath: new Map(), byFile: new Map() };
    pathTables.set(s.files, paths);
  }
  return paths;
}

/** getFile: `{file_id, file_unique_id, file_size, file_path}`; the path is per bot, like `documents/file_0.csv`. */
export function getFile(s: SandboxState, ctx: CallContext): File {
  const fileId = ctx.p.string('file_id');
  const file = fileId ? s.files.get(fileId) : undefined;
  if (!fileId || !file) throw BAD_REQUEST('invalid file_id');
  if (file.file_size > MAX_DOWNLOAD_BYTES) throw BAD_REQUEST('file is too big');
  const paths = pathsOf(s);
  const key = `${ctx.bot.id}|${fileId}`;
  let filePath = paths.byFile.get(key);
  if (!filePath) {
    const photo = fileId.startsWith('AgAC');
    const extension = photo ? 'jpg' : /\.([A-Za-z0-9]{1,10})$/.exec(file.file_name ?? '')?.[1]?.toLowerCase();
    filePath = `${photo ? 'photos' : 'documents'}/file_${paths.next++}${extension ? `.${extension}` : ''}`;
    paths.byFile.set(key, filePath);
    paths.byPath.set(`${ctx.bot.id}|${filePath}`, file);
  }
  return { file_id: fileId, file_unique_id: file.file_unique_id, file_size: file.file_size, file_path: filePath };
}

/**
 * `GET /file/bot<token>/<file_path>`: the bytes of a file whose path getFile gave to this bot. A malformed
 * token → 401 Unauthorized; a path this bot was not given (another bot id, unknown, after reset) → 404.
 */
export async function serveFile(s: SandboxState, token: string, filePath: string, reply: FastifyReply): Promise<void> {
  if (!TOKEN_RE.test(token)) {
    await reply.code(401).send({ ok: false, error_code: 401, description: 'Unauthorized' });
    return;
  }
  const file = pathsOf(s).byPath.get(`${s.botUser(token).id}|${filePath}`);
  if (!file) {
    await reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' });
    return;
  }
  await reply
    .code(200)
    .header('content-type', file.mime_type ?? 'application/octet-stream')
    .header('content-length', String(file.content.length))
    .send(file.content);
}

/** Bot API methods of this area. */
export function fileMethods(s: SandboxState): MethodTable {
  return {
    sendPhoto: (ctx) => sendMedia(s, ctx, 'photo'),
    sendDocument: (ctx) => sendMedia(s, ctx, 'document'),
    editMessageMedia: (ctx) => editMessageMedia(s, ctx),
    getFile: (ctx) => getFile(s, ctx),
  };
}
