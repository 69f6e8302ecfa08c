import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parsePercent } from './admin';
import { csvField, csvLine, parseCsv, writeCsvFile } from './csv';
import { bpsToPercent } from './exports';

describe('csv', () => {
  it('quotes only fields with a comma, quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(12n)).toBe('12');
    expect(csvField(false)).toBe('false');
    expect(csvField(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)))).toBe('2025-01-02T03:04:05.000Z');
    expect(csvLine(['a', 'b,c', null])).toBe('a,"b,c",\r\n');
  });

  it('parses back what it writes, whatever the fields hold', () => {
    const rows = [
      ['id', 'name', 'note'],
      ['1', 'Smith, "Jr"', 'line1\nline2\r\nline3'],
      ['2', '', '"'],
      ['3', ',', ' spaced '],
    ];
    expect(parseCsv(rows.map(csvLine).join(''))).toEqual(rows);
  });

  it('streams batches into a file and counts the rows', async () => {
    async function* batches() {
      yield [['1', 'a,b']];
      yield [
        ['2', 'c"d'],
        ['3', null],
      ];
    }
    const file = await writeCsvFile('t.csv', ['id', 'value'], batches());
    try {
      expect(file.rows).toBe(3);
      expect(parseCsv(await readFile(file.path, 'utf8'))).toEqual([
        ['id', 'value'],
        ['1', 'a,b'],
        ['2', 'c"d'],
        ['3', ''],
      ]);
    } finally {
      await file.remove();
    }
    await expect(readFile(file.path)).rejects.toThrow();
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
