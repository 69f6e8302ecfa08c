/** parse_mode (HTML, MarkdownV2, Markdown) checks, reply markup validation and command entities. */
import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import { ParamReader } from './params';
import { CallContext } from './state';
import { BAD_REQUEST, ReplyMarkup, TelegramApiError } from './types';

export function parseError(what: string): TelegramApiError {
  return BAD_REQUEST(`can't parse entities: ${what}`);
}

export function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

/** Checks markup the way Telegram rejects it and returns the plain text the message will show. */
/** The `text` and `parse_mode` of sendMessage / editMessageText, checked as Telegram checks them. */
export function messageText(ctx: CallContext): { text: string; parseMode: string | undefined; plain: string } {
  const text = ctx.p.string('text');
  if (!text) throw BAD_REQUEST('message text is empty');
  const parseMode = ctx.p.string('parse_mode');
  const plain = formatText(text, parseMode);
  if (!plain.trim()) throw BAD_REQUEST('message text is empty');
  if (plain.length > 4096) throw BAD_REQUEST('message is too long');
  return { text, parseMode, plain };
}

export function formatText(text: string, parseMode: string | undefined): string {
  if (!parseMode) return text;
  switch (parseMode.toLowerCase()) {
    case 'html':
      return parseHtml(text);
    case 'markdownv2':
      return parseMarkdownV2(text);
    case 'markdown':
      // Legacy Markdown is lenient; only strip its markers.
      return text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_`]/g, '');
    default:
      throw BAD_REQUEST('unsupported parse_mode');
  }
}

export const HTML_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
  'tg-time',
]);
export const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export function parseHtml(text: string): string {
  let plain = '';
  const open: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '<') {
      const match = /^<(\/?)([^\s>/]*)([^>]*)>/.exec(text.slice(i));
      const at = byteOffset(text, i);
      if (!match) throw parseError(`Unclosed start tag at byte offset ${at}`);
      const [whole, slash, rawName = '', attributes = ''] = match;
      const name = rawName.toLowerCase();
      if (slash) {
        const top = open.pop();
        if (top === undefined) throw parseError(`Unexpected end tag at byte offset ${at}`);
        if (name && name !== top)
          throw parseError(`Unmatched end tag at byte offset ${at}, expected "</${top}>", found "</${name}>"`);
      } else {
        if (!HTML_TAGS.has(name)) throw parseError(`Unsupported start tag "${name}" at byte offset ${at}`);
        if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attributes))
          throw parseError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
        open.push(name);
      }
      i += whole.length;
      continue;
    }
    if (ch === '&') {
      const match = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.exec(text.slice(i, i + 12));
      const decoded =
        match?.[1] === undefined
          ? undefined
          : match[1].startsWith('#x')
            ? String.fromCodePoint(parseInt(match[1].slice(2), 16))
            : match[1].startsWith('#')
              ? String.fromCodePoint(Number(match[1].slice(1)))
              : NAMED_ENTITIES[match[1]];
      if (match && decoded !== undefined) {
        plain += decoded;
        i += match[0].length;
        continue;
      }
    }
    plain += ch;
    i += 1;
  }
  const last = open.at(-1);
  if (last) throw parseError(`Can't find end tag corresponding to start tag "${last}"`);
  return plain;
}

export const MARKDOWN_ENTITY_NAMES: Record<string, string> = {
  '*': 'Bold',
  _: 'Italic',
  __: 'Underline',
  '~': 'Strikethrough',
  '||': 'Spoiler',
  '[': 'TextUrl',
};

/** MarkdownV2: reserved characters outside code must be escaped; entities must be closed. */
export function parseMarkdownV2(text: string): string {
  let plain = '';
  const open: Array<{ token: string; at: number }> = [];
  let i = 0;
  let lineStart = true;
  const reserved = (ch: string) =>
    parseError(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
  const toggle = (token: string) => {
    if (open.at(-1)?.token === token) open.pop();
    else open.push({ token, at: i });
    i += token.length;
  };
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw reserved('\\');
      plain += next;
      i += 2;
      lineStart = false;
      continue;
    }
    if (ch === '`') {
      const token = text.startsWith('```', i) ? '```' : '`';
      let j = i + token.length;
      let body = '';
      while (j < text.length && !text.startsWith(token, j)) {
        if (text[j] === '\\' && j + 1 < text.length) {
          body += text[j + 1];
          j += 2;
        } else {
          body += text[j];
          j += 1;
        }
      }
      if (j >= text.length)
        throw parseError(
          `Can't find end of ${token === '```' ? 'Pre' : 'Code'} entity at byte offset ${byteOffset(text, i)}`,
        );
      if (token === '```') body = body.replace(/^[^\s`]*\n/, '');
      plain += body;
      i = j + token.length;
      lineStart = false;
      continue;
    }
    if (ch === '[' || (ch === '!' && text[i + 1] === '[')) {
      open.push({ token: '[', at: i });
      i += ch === '!' ? 2 : 1;
      continue;
    }
    if (ch === ']') {
      if (open.at(-1)?.token !== '[') throw reserved(']');
      open.pop();
      if (text[i + 1] !== '(') throw reserved(']');
      let j = i + 2;
      while (j < text.length && text[j] !== ')') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw parseError(`Can't find end of a URL at byte offset ${byteOffset(text, i + 1)}`);
      i = j + 1;
      continue;
    }
    if (ch === '*' || ch === '~') {
      toggle(ch);
      continue;
    }
    if (ch === '_') {
      toggle(text.startsWith('__', i) ? '__' : '_');
      continue;
    }
    if (ch === '|' && text[i + 1] === '|') {
      toggle('||');
      continue;
    }
    if (ch === '>' && lineStart) {
      i += 1;
      continue;
    }
    if ('#+-={}.!()|>'.includes(ch)) throw reserved(ch);
    plain += ch;
    lineStart = ch === '\n';
    i += 1;
  }
  const unclosed = open.at(-1);
  if (unclosed)
    throw parseError(
      `Can't find end of ${MARKDOWN_ENTITY_NAMES[unclosed.token] ?? 'an'} entity at byte offset ${byteOffset(text, unclosed.at)}`,
    );
  return plain;
}

export const BUTTON_ACTIONS = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

export function readReplyMarkup(p: ParamReader): ReplyMarkup | undefined {
  const markup = p.json<unknown>('reply_markup', 'reply keyboard markup');
  if (markup === undefined) return undefined;
  if (!markup || typeof markup !== 'object' || Array.isArray(markup))
    throw BAD_REQUEST("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in markup) {
    validateInlineKeyboard(markup.inline_keyboard);
  } else if (!('keyboard' in markup || 'remove_keyboard' in markup || 'force_reply' in markup)) {
    throw BAD_REQUEST("can't parse reply keyboard markup JSON object");
  }
  return markup as ReplyMarkup;
}

/** Edits accept only inline keyboards; none given means the keyboard is removed. */
export function readInlineMarkupForEdit(p: ParamReader): InlineKeyboardMarkup | undefined {
  const markup = readReplyMarkup(p);
  if (markup === undefined) return undefined;
  if (!('inline_keyboard' in markup)) throw BAD_REQUEST('inline keyboard expected');
  return markup;
}

export function validateInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows)) throw BAD_REQUEST('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  for (const row of rows) {
    if (!Array.isArray(row))
      throw BAD_REQUEST('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    for (const button of row as unknown[]) {
      if (!button || typeof button !== 'object')
        throw BAD_REQUEST("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
      const fields = button as Record<string, unknown>;
      if (typeof fields.text !== 'string')
        throw BAD_REQUEST(`can't parse inline keyboard button: Field "text" must be of type String`);
      if (!fields.text) throw BAD_REQUEST('text must be non-empty');
      if (!BUTTON_ACTIONS.some((action) => action in fields))
        throw BAD_REQUEST('text buttons are unallowed in the inline keyboard');
      if ('callback_data' in fields) {
        const data = fields.callback_data;
        // The 64-byte limit counts UTF-8 bytes, not characters.
        if (typeof data !== 'string' || Buffer.byteLength(data, 'utf8') < 1 || Buffer.byteLength(data, 'utf8') > 64)
          throw BAD_REQUEST('BUTTON_DATA_INVALID');
      }
      if ('url' in fields) {
        const url = fields.url;
        let ok = false;
        try {
          ok = typeof url === 'string' && ['http:', 'https:', 'tg:'].includes(new URL(url).protocol);
        } catch {
          ok = false;
        }
        if (!ok) throw BAD_REQUEST(`inline keyboard button URL '${String(url)}' is invalid: Wrong HTTP URL`);
      }
    }
  }
}

export function sameMarkup(current: InlineKeyboardMarkup | undefined, next: InlineKeyboardMarkup | undefined): boolean {
  const normalize = (markup: InlineKeyboardMarkup | undefined) =>
    markup && markup.inline_keyboard.length ? JSON.stringify(markup.inline_keyboard) : '';
  return normalize(current) === normalize(next);
}

export function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const pattern = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=\s|$)/g;
  for (const match of text.matchAll(pattern)) {
    const command = match[2] ?? '';
    entities.push({
      type: 'bot_command',
      offset: (match.index ?? 0) + (match[1]?.length ?? 0),
      length: command.length,
    });
  }
  return entities;
}
