import { describe, expect, it } from 'vitest';
import { contentDisposition, safeFileName } from './content-disposition';

/** What a browser does with filename*: percent-decode the UTF-8 after `UTF-8''`. */
const extName = (header: string) => decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(header)![1]!);
const fallbackName = (header: string) => /filename="([^"]*)"/.exec(header)![1];

describe('Content-Disposition for downloads', () => {
  it('keeps an ASCII name as it is, in both parameters', () => {
    expect(contentDisposition('course-notes_v2.pdf')).toBe(
      `attachment; filename="course-notes_v2.pdf"; filename*=UTF-8''course-notes_v2.pdf`,
    );
    expect(contentDisposition('cover.png', 'inline')).toMatch(/^inline; /);
  });

  it('gives the exact Unicode name in filename* and an ASCII stand-in in filename', () => {
    const name = 'Отчёт "final" (v2) 100% — it\'s*.pdf';
    const header = contentDisposition(name);
    expect(extName(header)).toBe(name);
    expect(fallbackName(header)).toBe("_____ _final_ (v2) 100_ _ it's*.pdf");
    // Only RFC 8187 attr-chars and %XX after UTF-8'': no quote, parenthesis, star or space.
    expect(/filename\*=UTF-8''(\S+)$/.exec(header)![1]).toMatch(/^[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
  });

  it('cannot inject a header or a path: control characters go, separators become _', () => {
    const header = contentDisposition('evil\r\nSet-Cookie: a=b\u0000/../../etc\\passwd');
    expect([...header].some((char) => char.charCodeAt(0) < 0x20)).toBe(false);
    expect(extName(header)).toBe('evilSet-Cookie: a=b_.._.._etc_passwd');
    expect(safeFileName('   ')).toBe('download');
    expect(safeFileName('\u0007')).toBe('download');
  });

  it('bounds the length and keeps the extension', () => {
    const long = `${'я'.repeat(500)}.epub`;
    const safe = safeFileName(long);
    expect([...safe]).toHaveLength(180);
    expect(safe.endsWith('.epub')).toBe(true);
  });
});
