/**
 * The one byte range we serve (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges
 * in one header are answered with the whole file (allowed: a server may ignore Range), so no
 * multipart/byteranges bodies; a range that starts past the end is unsatisfiable (416).
 */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Not one byte range (another unit, several ranges, garbage): serve the whole file.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
