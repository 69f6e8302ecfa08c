/**
 * CSV for the admin exports, written by csv-stringify (RFC 4180: fields with a comma, quote, CR or LF
 * are quoted, quotes doubled; lines end with CRLF), with a UTF-8 byte order mark so spreadsheet apps
 * read Cyrillic names as UTF-8, and safe to open: a cell starting with `=`, `+`, `-`, `@`, tab or CR
 * (and their full-width forms) gets a leading `'` (OWASP's CSV injection recipe, csv-stringify's
 * `escape_formulas`), so a spreadsheet shows it as text instead of evaluating it.
 *
 * The one exception: a cell of a column declared numeric (our own figures: amounts, counts,
 * percentages) that is exactly a plain decimal number (`-1.50`, `12`). A spreadsheet reads such a
 * cell as a number, not a formula (no operator follows the sign), so it stays readable and summable.
 * Anything else in a numeric column, and every text column (names, usernames: user-supplied), is
 * neutralised; "-1+1" is not a plain number.
 *
 * Rows are written to a temporary file as they come from a database cursor, so an export of any size
 * holds one batch in memory; a file (unlike a one-shot stream) can be read again if Telegram asks the
 * bot to retry the upload.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify, type Options } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

/** A plain decimal number with an optional minus sign: what a spreadsheet reads as a number, never a formula. */
export const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

/** The csv-stringify options of every export; `numeric` holds the indexes of our own numeric columns. */
export function csvOptions(numeric: ReadonlySet<number> = new Set()): Options {
  return {
    bom: true,
    record_delimiter: '\r\n',
    // Giving record_delimiter turns this off by default; a lone LF or CR in a field must still be quoted.
    quote_record_delimiter: true,
    escape_formulas: true,
    cast: {
      boolean: (value) => String(value),
      date: (value) => value.toISOString(),
      // Only a leading minus can make a plain number look like a formula; a per-field options object costs
      // csv-stringify a normalisation per cell, so it is returned for exactly those cells.
      string: (value, context) =>
        value.startsWith('-') && numeric.has(context.index) && PLAIN_NUMBER.test(value)
          ? { value, escape_formulas: false }
          : value,
    },
  };
}

/** Indexes of the named columns in the header (each must be there). */
export function columnIndexes(header: readonly string[], names: readonly string[]): Set<number> {
  return new Set(
    names.map((name) => {
      const index = header.indexOf(name);
      if (index < 0) throw new Error(`no column ${name} in the CSV header`);
      return index;
    }),
  );
}

/** A whole CSV document (BOM included) in memory: for small outputs and tests; exports use writeCsvFile. */
export function toCsv(rows: ReadonlyArray<readonly CsvValue[]>, numeric?: ReadonlySet<number>): string {
  return stringifySync(
    rows.map((row) => [...row]),
    csvOptions(numeric),
  );
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
  options: { numeric?: readonly string[] } = {},
): Promise<CsvFile> {
  const numeric = columnIndexes(header, options.numeric ?? []);
  const dir = await mkdtemp(join(tmpdir(), 'tgc-export-'));
  const path = join(dir, fileName);
  const remove = () => rm(dir, { recursive: true, force: true });
  let rows = 0;
  async function* records() {
    yield [...header];
    for await (const batch of batches) {
      for (const row of batch) yield [...row];
      rows += batch.length;
    }
  }
  try {
    // Object-mode records through the stringifier; the file stream's backpressure paces the cursor.
    await pipeline(Readable.from(records()), stringify(csvOptions(numeric)), createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, rows, remove };
}
