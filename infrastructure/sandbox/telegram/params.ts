/** Reading Bot API parameters: JSON, form, query and multipart bodies, typed like Telegram reads them. */
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { MAX_DOCUMENT_BYTES } from './files';
import { Params, Upload } from './state';
import { BAD_REQUEST } from './types';

// Fields that arrive as strings in form/multipart bodies but mean numbers, booleans or JSON.
export const INTEGER_FIELDS = new Set([
  'chat_id',
  'user_id',
  'message_id',
  'offset',
  'limit',
  'timeout',
  'until_date',
  'expire_date',
  'member_limit',
  'cache_time',
  'max_connections',
  'reply_to_message_id',
  'message_thread_id',
  'from_chat_id',
  'max_tip_amount',
]);
export const BOOLEAN_FIELDS = new Set([
  'creates_join_request',
  'only_if_banned',
  'revoke_messages',
  'show_alert',
  'drop_pending_updates',
  'disable_notification',
  'protect_content',
  'disable_web_page_preview',
  'allow_sending_without_reply',
  'disable_content_type_detection',
  'has_spoiler',
  'show_caption_above_media',
  'ok',
]);
export const JSON_FIELDS = new Set([
  'reply_markup',
  'allowed_updates',
  'commands',
  'scope',
  'entities',
  'caption_entities',
  'link_preview_options',
  'reply_parameters',
  'prices',
  'suggested_tip_amounts',
  'media',
]);

export async function readParams(request: FastifyRequest): Promise<{ params: Params; uploads: Map<string, Upload> }> {
  const params: Params = { ...(request.query as Params | undefined) };
  const uploads = new Map<string, Upload>();
  if (request.isMultipart()) {
    for await (const part of request.parts({ limits: { fileSize: MAX_DOCUMENT_BYTES } })) {
      if (part.type === 'file') {
        const content = await part.toBuffer();
        uploads.set(part.fieldname, {
          fieldname: part.fieldname,
          filename: part.filename,
          mimetype: part.mimetype,
          content,
        });
      } else {
        params[part.fieldname] = part.value;
      }
    }
  } else if (request.body && typeof request.body === 'object') {
    Object.assign(params, request.body);
  }
  return { params: normalizeParams(params), uploads };
}

/** Form, query and multipart values are strings; give known fields the types a JSON body would carry. */
export function normalizeParams(params: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      out[key] = value;
    } else if (INTEGER_FIELDS.has(key) && /^-?\d+$/.test(value.trim())) {
      out[key] = Number(value.trim());
    } else if (BOOLEAN_FIELDS.has(key) && /^(true|false|1|0)$/i.test(value.trim())) {
      out[key] = /^(true|1)$/i.test(value.trim());
    } else if (JSON_FIELDS.has(key) && /^[[{]/.test(value.trim())) {
      try {
        out[key] = JSON.parse(value);
      } catch {
        out[key] = value;
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function describeParams(params: Params, uploads: Map<string, Upload>): Params {
  const out: Params = { ...params };
  for (const [key, value] of Object.entries(params)) {
    const upload = typeof value === 'string' && value.startsWith('attach://') ? uploads.get(value.slice(9)) : undefined;
    if (upload) out[key] = { upload: upload.filename, size: upload.content.length };
  }
  for (const upload of uploads.values()) {
    if (!(upload.fieldname in out)) out[upload.fieldname] = { upload: upload.filename, size: upload.content.length };
  }
  return out;
}

export class ParamReader {
  constructor(readonly raw: Params) {}

  string(name: string): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw BAD_REQUEST(`field "${name}" must be of type String`);
  }

  integer(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    throw BAD_REQUEST(`field "${name}" must be of type Integer`);
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === '1' || value === 'true' || value === 'True') return true;
    if (value === 0 || value === '0' || value === 'false' || value === 'False') return false;
    throw BAD_REQUEST(`field "${name}" must be of type Boolean`);
  }

  json<T>(name: string, what: string): T | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return value as T;
    try {
      return JSON.parse(value) as T;
    } catch {
      throw BAD_REQUEST(`can't parse ${what} JSON object`);
    }
  }

  chatId(): number | string {
    const value = this.raw.chat_id;
    if (value === undefined || value === null || value === '') throw BAD_REQUEST('chat_id is empty');
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    if (typeof value === 'string' && value.startsWith('@')) return value;
    throw BAD_REQUEST('chat not found');
  }

  userId(): number {
    const value = this.integer('user_id');
    if (value === undefined) throw BAD_REQUEST('user_id is empty');
    if (value <= 0) throw BAD_REQUEST('invalid user_id specified');
    return value;
  }
}

export function commandKey(p: ParamReader): string {
  const scope = p.json<{ type?: string }>('scope', 'scope');
  return `${scope?.type ?? 'default'}|${p.string('language_code') ?? ''}`;
}
