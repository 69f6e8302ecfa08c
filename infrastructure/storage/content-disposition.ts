/**
 * Content-Disposition for downloads (RFC 6266) with the seller's original file name: an ASCII
 * `filename` fallback for old clients and the exact name in `filename*` (RFC 8187, formerly 5987,
 * UTF-8 percent-encoded). The name is the seller's text, so it is cleaned first: no control characters
 * (no header injection), no path separators, a bounded length.
 */

const MAX_NAME_LENGTH = 180;

/** The name as it will be offered: printable, no `/` or `\`, at most 180 code points, never empty. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[/\\]/g, '_')
    .replace(/\s+/g, ' ')
    .trim();
  const points = [...cleaned];
  if (points.length <= MAX_NAME_LENGTH) return cleaned || 'download';
  // Keep the extension: it tells the buyer's device what opens the file.
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  return points.slice(0, MAX_NAME_LENGTH - [...extension].length).join('') + extension;
}

/** RFC 8187 attr-chars stay; everything else, `'()*` included (encodeURIComponent keeps them), is %XX of UTF-8. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function contentDisposition(fileName: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const name = safeFileName(fileName);
  // Quoted-string fallback: ASCII only, and no `"`, `\` or `%` (some browsers percent-decode this one).
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(name)}`;
}
