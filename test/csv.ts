/** Reading the exports back in tests with csv-parse (the writer is csv-stringify; production never parses CSV). */
import { parse } from 'csv-parse/sync';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A CSV file's bytes: must start with the UTF-8 byte order mark, which is then dropped; rows of cells. */
export function readCsv(content: Buffer): string[][] {
  if (!content.subarray(0, 3).equals(BOM)) throw new Error('the CSV does not start with a UTF-8 byte order mark');
  const rows: unknown = parse(content.subarray(3).toString('utf8'));
  return rows as string[][];
}
