/**
 * An HTTP POST from a loopback address of the caller's choosing (127.x.y.z), so a test can tell its
 * own audit rows (remote_address) from those of test files running alongside on the same database.
 */
import { request } from 'node:http';

export function postFrom(
  url: string,
  localAddress: string,
  body: string | Uint8Array,
  contentType?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: {
          ...headers,
          ...(contentType ? { 'content-type': contentType } : {}),
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close the socket after answering 413 before the whole body is written.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      reject(error);
    });
    req.end(body);
  });
}

/** A loopback address of its own for one test file (127.0.0.1 stays the default of everyone else). */
export function ownLoopbackAddress(): string {
  const byte = () => Math.floor(Math.random() * 250) + 2;
  return `127.${byte()}.${byte()}.${byte()}`;
}
