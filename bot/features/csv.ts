/**
 * CSV for the admin exports (RFC 4180): fields with a comma, quote, CR or LF are quoted, quotes
 * doubled, lines end with CRLF. Rows are written to a temporary file as they come from a database
 * cursor, so an export of any size holds one batch in memory; a file (unlike a one-shot stream) can
 * be read again if Telegram asks the bot to retry the upload.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The inverse of csvLine over a whole file: quoted fields may hold commas, quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i += 1;
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i += 1;
      continue;
    }
    if (c === ',') {
      endField();
      i += 1;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      i += 2;
      continue;
    }
    if (c === '\n') {
      endRow();
      i += 1;
      continue;
    }
    field += c;
    i += 1;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export interface CsvFile {
  path: string;
  /** Data rows written (the header not counted). */
  rows: number;
  remove(): Promise<void>;
}

/** Writes the header and every row of every batch to a new temporary file. */
export async function writeCsvFile(
  fileName: string,
  header: readonly string[],
  batches: AsyncIterable<ReadonlyArray<readonly CsvValue[]>>,
): Promise<CsvFile> {
  const dir = await mkdtemp(join(tmpdir(), 'tgc-export-'));
  const path = join(dir, fileName);
  const remove = () => rm(dir, { recursive: true, force: true });
  let rows = 0;
  async function* lines() {
    yield csvLine(header);
    for await (const batch of batches) {
      // One chunk per batch: few writes, and the stream's backpressure paces the cursor.
      yield batch.map(csvLine).join('');
      rows += batch.length;
    }
  }
  try {
    await pipeline(Readable.from(lines()), createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, rows, remove };
}
