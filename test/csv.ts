/**
 * Reading the exports back in tests: an RFC 4180 reader written independently of the writer
 * (csv-stringify), so a round trip checks the writer rather than agreeing with itself. csv-parse is
 * not installed; this is test code only, production never parses CSV.
 */

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The rows of a CSV document; quoted fields may hold commas, quotes and line breaks. */
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
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      endField();
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      i += 2;
    } else if (c === '\n') {
      endRow();
      i += 1;
    } else {
      field += c;
      i += 1;
    }
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** A CSV file's bytes: must start with the UTF-8 byte order mark, which is then dropped. */
export function readCsv(content: Buffer): string[][] {
  if (!content.subarray(0, 3).equals(BOM)) throw new Error('the CSV does not start with a UTF-8 byte order mark');
  return parseCsv(content.subarray(3).toString('utf8'));
}
