import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parsePercent } from './admin';
import { readCsv } from '../../test/csv';
import { toCsv, writeCsvFile } from './csv';
import { bpsToPercent } from './exports';

const BOM = '\uFEFF';

describe('csv', () => {
  it('writes RFC 4180 through csv-stringify: BOM first, quotes only where needed, CRLF line ends', () => {
    const text = toCsv([
      [
        'plain',
        'a,b',
        'say "hi"',
        'two\nlines',
        'cr\r',
        null,
        undefined,
        12n,
        false,
        new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
      ],
      ['Иван', ''],
    ]);
    expect(text).toBe(
      `${BOM}plain,"a,b","say ""hi""","two\nlines","cr\r",,,12,false,2025-01-02T03:04:05.000Z\r\nИван,\r\n`,
    );
    expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('neutralises every cell a spreadsheet would evaluate, user text that looks like a number included', () => {
    const dangerous = ['=1+1', '+1', '-1+1', '@SUM(A1)', '\tx', '=HYPERLINK("http://evil","x")', '-5', '\uFF1D1'];
    const [row] = readCsv(Buffer.from(toCsv([dangerous])));
    expect(row).toEqual(dangerous.map((cell) => `'${cell}`));
    // A leading CR also gets the quote (and the field is quoted, as it holds a CR).
    expect(toCsv([['\rx']])).toBe(`${BOM}"'\rx"\r\n`);
    // Harmless cells stay as they are, a quote inside or a sign later on included.
    expect(toCsv([['a=b', "'=x", 'x-1', '1-1']])).toBe(`${BOM}a=b,'=x,x-1,1-1\r\n`);
  });

  it('keeps plain numbers readable only where they are ours: numeric columns and JS numbers', () => {
    const numeric = new Set([1]);
    expect(toCsv([['-1.50', '-1.50', -3, -4n]], numeric)).toBe(`${BOM}'-1.50,-1.50,-3,-4\r\n`);
    // In a numeric column anything but a plain decimal is neutralised all the same.
    expect(
      toCsv(
        [
          ['x', '-1+1'],
          ['x', '=1'],
          ['x', '-1.5e3'],
          ['x', '12'],
        ],
        numeric,
      ),
    ).toBe(`${BOM}x,'-1+1\r\nx,'=1\r\nx,'-1.5e3\r\nx,12\r\n`);
  });

  it('parses back what it writes, whatever the fields hold', () => {
    const rows = [
      ['id', 'name', 'note'],
      ['1', 'Smith, "Jr"', 'line1\nline2\r\nline3'],
      ['2', '', '"'],
      ['3', ',', ' spaced '],
      ['4', 'Ёжик «ёлка»', '日本'],
    ];
    expect(readCsv(Buffer.from(toCsv(rows), 'utf8'))).toEqual(rows);
  });

  it('streams batches into a file and counts the rows', async () => {
    async function* batches() {
      yield [['1', 'a,b', '-2.00']];
      yield [
        ['2', '=c"d', '-1+1'],
        ['3', null, null],
      ];
    }
    const file = await writeCsvFile('t.csv', ['id', 'value', 'amount'], batches(), { numeric: ['amount'] });
    try {
      expect(file.rows).toBe(3);
      expect(readCsv(await readFile(file.path))).toEqual([
        ['id', 'value', 'amount'],
        ['1', 'a,b', '-2.00'],
        ['2', `'=c"d`, "'-1+1"],
        ['3', '', ''],
      ]);
    } finally {
      await file.remove();
    }
    await expect(readFile(file.path)).rejects.toThrow();
    await expect(writeCsvFile('t.csv', ['id'], batches(), { numeric: ['amount'] })).rejects.toThrow(/no column amount/);
  });
});

describe('percentages', () => {
  it('parses commissions above 0 and up to 100 % with at most two decimals', () => {
    expect(parsePercent('10')).toBe(1000);
    expect(parsePercent('12.5')).toBe(1250);
    expect(parsePercent('12,5%')).toBe(1250);
    expect(parsePercent('0.01')).toBe(1);
    expect(parsePercent('100')).toBe(10_000);
    for (const bad of ['0', '100.01', '101', '-5', 'abc', '1.234', '', '1e2'])
      expect(parsePercent(bad), bad).toBeUndefined();
  });

  it('shows basis points as an exact percentage', () => {
    expect(bpsToPercent(1250)).toBe('12.5');
    expect(bpsToPercent(1000)).toBe('10');
    expect(bpsToPercent(1)).toBe('0.01');
    expect(bpsToPercent(10_000)).toBe('100');
  });
});
