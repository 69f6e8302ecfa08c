/**
 * The shipped nginx templates, run for real: Debian's nginx with Debian's own nginx.conf, the site
 * rendered by render.sh exactly as an operator would, a certificate made with openssl for this run,
 * and a tiny upstream standing in for the api that records every request it receives.
 *
 * The only changes to the rendered site are what a test must change: `listen 80` / `listen 443`
 * become free ports on 127.0.0.1, and paths (certificate, ACME webroot, log) point into a
 * temporary directory. Clients speak raw HTTP/1.1 over net/tls sockets, so "444" can be observed
 * as what it is: the connection closes without a single byte of response.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/eventually';
import { publicScratchDir } from '../../test/scratch';
import { nginx as findNginx } from '../toolchain/tools';

const here = dirname(fileURLToPath(import.meta.url));
const RENDER = join(here, 'render.sh');
const WEBHOOK_TEMPLATE = join(here, 'tg-commerce.conf.template');
const MARKETPLACE_TEMPLATE = join(here, 'marketplace.conf.template');
const DEBIAN_NGINX_CONF = '/etc/nginx/nginx.conf';
const DEBIAN_MODULES = '/usr/lib/nginx/modules';

const WEBHOOK_HOST = 'webhooks.test';
const APP_HOST = 'app.test';
const WEBHOOK_ROUTES = ['/cryptocloud_webhook', '/nowpayments_ipn', '/telegram_webhook'];
const DOWNLOAD_BYTES = 3 * 1024 * 1024 + 17;

// ------------------------------------------------------------------------------------------------
// A stand-in for the api that records what reaches it
// ------------------------------------------------------------------------------------------------

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function startUpstream(download: Buffer) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      if (req.url?.startsWith('/download/')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': download.length });
        res.end(download);
        return;
      }
      // X-Powered-By as Fastify would send it: nginx must strip it.
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'fastify' });
      res.end('{"ok":true}');
    });
  });
  return { server, received };
}

// ------------------------------------------------------------------------------------------------
// Raw HTTP/1.1 client (so a closed connection is distinguishable from any status)
// ------------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}
type Outcome =
  | { kind: 'reply'; reply: Reply }
  /** The connection was closed without any response byte: nginx's 444. */
  | { kind: 'closed' }
  /** The TLS handshake itself failed. */
  | { kind: 'tls-rejected'; code: string };

interface RequestOptions {
  port: number;
  /** TLS with this SNI; `null` for TLS without SNI; absent for plain HTTP. */
  sni?: string | null;
  /** Verify the certificate against the test CA (off when the handshake itself is under test). */
  verify?: boolean;
  host: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
  /** Client source address: every address of 127/8 is local on Linux. */
  from: string;
}

function parseReply(raw: Buffer): Reply {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`incomplete response: ${raw.toString('latin1').slice(0, 200)}`);
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, body };
}

function send(options: RequestOptions, ca: string): Promise<Outcome> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const head = [`${options.method} ${options.path} HTTP/1.1`, `Host: ${options.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) head.push(`${name}: ${value}`);
  if (body && options.chunked) head.push('Transfer-Encoding: chunked');
  else if (body) head.push(`Content-Length: ${body.length}`);
  const request = Buffer.concat([
    Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'),
    body && options.chunked
      ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
      : (body ?? Buffer.alloc(0)),
  ]);

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let established = false;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const useTls = options.sni !== undefined;
    const tcp = net.connect({ host: '127.0.0.1', port: options.port, localAddress: options.from });
    const socket = useTls
      ? tls.connect({
          socket: tcp,
          // No servername means no SNI (the connection is to an IP address).
          ...(options.sni === null ? {} : { servername: options.sni }),
          ca,
          rejectUnauthorized: options.verify ?? true,
        })
      : tcp;
    socket.once(useTls ? 'secureConnect' : 'connect', () => {
      established = true;
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // After the connection is up, a reset only means nginx closed while we were still writing;
    // what we received (possibly nothing) is the outcome.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!established) settle({ kind: 'tls-rejected', code: error.code ?? error.message });
    });
    socket.on('close', () => {
      if (!established) return;
      const raw = Buffer.concat(chunks);
      settle(raw.length === 0 ? { kind: 'closed' } : { kind: 'reply', reply: parseReply(raw) });
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error('client timeout')));
  });
}

function expectReply(outcome: Outcome, what: string): Reply {
  if (outcome.kind !== 'reply') throw new Error(`${what}: expected a response, got ${JSON.stringify(outcome)}`);
  return outcome.reply;
}

// ------------------------------------------------------------------------------------------------
// Config assembly
// ------------------------------------------------------------------------------------------------

function render(template: string, values: Record<string, string>): string {
  return execFileSync('bash', [RENDER, template], { env: { ...process.env, ...values }, encoding: 'utf8' });
}

/** The shipped listen directives, moved to free ports on 127.0.0.1; fails if the shape changed. */
function onTestPorts(site: string, httpPort: number, httpsPort: number): string {
  let plain = 0;
  let secure = 0;
  const moved = site
    .replace(/^(\s*)listen 80\b/gm, (_match, indent: string) => {
      plain += 1;
      return `${indent}listen 127.0.0.1:${httpPort}`;
    })
    .replace(/^(\s*)listen 443\b/gm, (_match, indent: string) => {
      secure += 1;
      return `${indent}listen 127.0.0.1:${httpsPort}`;
    });
  if (plain === 0 || secure === 0) throw new Error('the site no longer has `listen 80` / `listen 443` directives');
  return moved;
}

/**
 * Debian's own /etc/nginx/nginx.conf, pointed at the test directory: its http-level defaults
 * (ssl_protocols, the combined access log, gzip...) are what the shipped site must live with.
 */
function mainConfig(dir: string, sitesDir: string): string {
  const fallback = `user www-data;\nworker_processes auto;\npid /run/nginx.pid;\nerror_log /var/log/nginx/error.log;\nevents {\n\tworker_connections 768;\n}\nhttp {\n\tsendfile on;\n\ttcp_nopush on;\n\ttypes_hash_max_size 2048;\n\tdefault_type application/octet-stream;\n\tssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n\tssl_prefer_server_ciphers on;\n\taccess_log /var/log/nginx/access.log;\n\tgzip on;\n\tinclude /etc/nginx/conf.d/*.conf;\n\tinclude /etc/nginx/sites-enabled/*;\n}\n`;
  const debian = existsSync(DEBIAN_NGINX_CONF) ? readFileSync(DEBIAN_NGINX_CONF, 'utf8') : fallback;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `\t${name}_temp_path ${join(dir, 'temp', name)};`)
    .join('\n');
  return debian
    .replace(/^\s*user\s+[^;]+;/m, '')
    .replace(/^\s*pid\s+[^;]+;/m, `pid ${join(dir, 'nginx.pid')};`)
    .replace(/^\s*error_log\s+[^;]+;/m, `error_log ${join(dir, 'error.log')} info;`)
    .replace(/^\s*access_log\s+[^;]+;/m, `\taccess_log ${join(dir, 'debian-default-access.log')};`)
    .replace(/^\s*include \/etc\/nginx\/conf\.d\/\*\.conf;/m, '')
    .replace(/^\s*include \/etc\/nginx\/sites-enabled\/\*;/m, `\tinclude ${sitesDir}/*.conf;`)
    .replace(/^http \{/m, `http {\n${temp}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

// ------------------------------------------------------------------------------------------------

describe('nginx in front of the api (shipped templates, Debian nginx)', () => {
  const nginxBinary = findNginx(() => {});
  // nginx workers run as an unprivileged user when the test runs as root: everything they read
  // (ACME webroot, temp folders) lives in a folder every user can reach, never in the checkout.
  const dir = publicScratchDir('tgc-nginx-');
  const tlsDir = join(dir, 'tls');
  const acmeRoot = join(dir, 'acme');
  const accessLog = join(dir, 'tg-commerce.access.log');
  const download = Buffer.alloc(DOWNLOAD_BYTES, 0);
  for (let i = 0; i < download.length; i += 1) download[i] = (i * 31 + 7) % 251;
  const upstream = startUpstream(download);
  let nginxProcess: ChildProcess | undefined;
  let nginxOutput = '';
  let ca = '';
  let httpPort = 0;
  let httpsPort = 0;

  const https = (options: Omit<RequestOptions, 'port' | 'sni'> & { sni?: string | null }) =>
    send({ ...options, port: httpsPort, sni: options.sni === undefined ? options.host : options.sni }, ca);
  const plain = (options: Omit<RequestOptions, 'port' | 'sni'>) => send({ ...options, port: httpPort }, ca);

  beforeAll(async () => {
    if (!nginxBinary) throw new Error('nginx is not installed (npm run setup installs nginx-light when run as root)');
    // Explicit modes, whatever the umask: the workers read the ACME webroot and use the temp folders.
    for (const path of [tlsDir, acmeRoot, join(dir, 'sites'), join(dir, 'prod-sites')])
      mkdirSync(path, { recursive: true });
    chmodSync(acmeRoot, 0o755);
    for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      mkdirSync(join(dir, 'temp', name), { recursive: true });
      chmodSync(join(dir, 'temp', name), 0o777);
    }
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${WEBHOOK_HOST}`,
        '-addext',
        `subjectAltName=DNS:${WEBHOOK_HOST},DNS:${APP_HOST}`,
        '-keyout',
        join(tlsDir, 'privkey.pem'),
        '-out',
        join(tlsDir, 'fullchain.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(tlsDir, 'fullchain.pem'), 'utf8');

    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.server.address() as net.AddressInfo).port;
    [httpPort, httpsPort] = [await freePort(), await freePort()];

    const values = {
      TG_SERVER_NAME: WEBHOOK_HOST,
      TG_API_UPSTREAM: `127.0.0.1:${upstreamPort}`,
      TG_TLS_DIR: tlsDir,
      TG_ACME_ROOT: acmeRoot,
      TG_ACCESS_LOG: accessLog,
      TG_APP_SERVER_NAME: APP_HOST,
      TG_APP_TLS_DIR: tlsDir,
    };
    writeFileSync(
      join(dir, 'sites', 'tg-commerce.conf'),
      onTestPorts(render(WEBHOOK_TEMPLATE, values), httpPort, httpsPort),
    );
    writeFileSync(
      join(dir, 'sites', 'marketplace.conf'),
      onTestPorts(render(MARKETPLACE_TEMPLATE, values), httpPort, httpsPort),
    );
    writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir, join(dir, 'sites')));
    // Debian's modules-enabled/*.conf load "modules/<name>.so" relative to the prefix (-p).
    if (existsSync(DEBIAN_MODULES)) symlinkSync(DEBIAN_MODULES, join(dir, 'modules'));

    nginxProcess = spawn(nginxBinary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nginxProcess.stdout?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString()));
    nginxProcess.stderr?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString()));
    const exitedEarly = new Promise<never>((_resolve, reject) => {
      nginxProcess?.once('exit', (code) => {
        const errorLog = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
        reject(new Error(`nginx exited with ${code}: ${nginxOutput}\n${errorLog}`));
      });
    });
    await Promise.race([
      exitedEarly,
      eventually('nginx to listen', async () => (await canConnect(httpPort)) && (await canConnect(httpsPort)), 10_000),
    ]);
  });

  afterAll(async () => {
    if (nginxProcess && nginxProcess.exitCode === null) {
      const exited = new Promise((resolve) => nginxProcess?.once('exit', resolve));
      nginxProcess.kill('SIGTERM');
      await exited;
    }
    upstream.server.closeAllConnections();
    await new Promise((resolve) => upstream.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("nginx -t accepts both templates rendered for production, inside Debian's nginx.conf", () => {
    const prodTls = join(dir, 'prod-tls');
    mkdirSync(prodTls, { recursive: true });
    copyFileSync(join(tlsDir, 'fullchain.pem'), join(prodTls, 'fullchain.pem'));
    copyFileSync(join(tlsDir, 'privkey.pem'), join(prodTls, 'privkey.pem'));
    const production = {
      TG_SERVER_NAME: 'webhooks.example.com',
      TG_API_UPSTREAM: '127.0.0.1:8080',
      TG_TLS_DIR: prodTls,
      TG_ACME_ROOT: '/var/www/certbot',
      TG_ACCESS_LOG: join(dir, 'prod-access.log'),
      TG_APP_SERVER_NAME: 'app.example.com',
      TG_APP_TLS_DIR: prodTls,
    };
    // The rendered files are used as shipped: `nginx -t` does not bind the ports.
    writeFileSync(join(dir, 'prod-sites', 'tg-commerce.conf'), render(WEBHOOK_TEMPLATE, production));
    writeFileSync(join(dir, 'prod-sites', 'marketplace.conf'), render(MARKETPLACE_TEMPLATE, production));
    writeFileSync(
      join(dir, 'prod-nginx.conf'),
      mainConfig(dir, join(dir, 'prod-sites')).replace(join(dir, 'nginx.pid'), join(dir, 'prod.pid')),
    );

    const result = spawnSync(nginxBinary!, ['-t', '-p', dir, '-c', join(dir, 'prod-nginx.conf')], { encoding: 'utf8' });
    expect(result.stderr).toContain('syntax is ok');
    expect(result.stderr).toContain('test is successful');
    expect(result.stderr).not.toMatch(/\[warn\]|\[emerg\]/);
    expect(result.status).toBe(0);
  });

  it('render.sh refuses a missing placeholder or a value that would change the config', () => {
    const missing = spawnSync('bash', [RENDER, WEBHOOK_TEMPLATE], {
      env: { ...process.env, TG_SERVER_NAME: 'x.example.com' },
      encoding: 'utf8',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('TG_API_UPSTREAM is not set');
    const injected = spawnSync('bash', [RENDER, WEBHOOK_TEMPLATE], {
      env: {
        ...process.env,
        TG_SERVER_NAME: 'x.example.com; return 200',
        TG_API_UPSTREAM: '127.0.0.1:8080',
        TG_TLS_DIR: '/t',
        TG_ACME_ROOT: '/a',
        TG_ACCESS_LOG: '/l',
      },
      encoding: 'utf8',
    });
    expect(injected.status).toBe(1);
    expect(injected.stderr).toContain('TG_SERVER_NAME=');
  });

  it('forwards POST on the three webhook routes, with the real client address and nothing forged', async () => {
    for (const path of WEBHOOK_ROUTES) {
      const body = JSON.stringify({ route: path, amount: '10.00' });
      const reply = expectReply(
        await https({
          host: WEBHOOK_HOST,
          method: 'POST',
          path,
          from: '127.0.0.10',
          body,
          headers: {
            'Content-Type': 'application/json',
            'X-Forwarded-For': '203.0.113.66',
            'X-Real-IP': '203.0.113.66',
          },
        }),
        path,
      );
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe('{"ok":true}');

      const seen = upstream.received.at(-1)!;
      expect(seen).toMatchObject({ method: 'POST', url: path });
      expect(seen.body.toString()).toBe(body);
      expect(seen.headers).toMatchObject({
        host: WEBHOOK_HOST,
        'x-real-ip': '127.0.0.10',
        'x-forwarded-for': '127.0.0.10',
        'x-forwarded-proto': 'https',
      });
    }
  });

  it('closes every other method and path without a response (444), and the api never sees them', async () => {
    const before = upstream.received.length;
    const attempts: Array<[string, string, string?]> = [
      ['GET', '/cryptocloud_webhook'],
      ['PUT', '/nowpayments_ipn', '{}'],
      ['DELETE', '/telegram_webhook'],
      ['HEAD', '/telegram_webhook'],
      ['OPTIONS', '/cryptocloud_webhook'],
      ['TRACE', '/telegram_webhook'],
      ['PROPFIND', '/telegram_webhook'],
      ['GET', '/'],
      ['GET', '/health'],
      ['GET', '/metrics'],
      ['POST', '/health', '{}'],
      ['POST', '/metrics', '{}'],
      ['POST', '/', '{}'],
      ['POST', '/cryptocloud_webhook/', '{}'],
      ['POST', '/cryptocloud_webhook/extra', '{}'],
      ['POST', '/telegram_webhook2', '{}'],
      ['POST', '/x/../health', '{}'],
      ['POST', '/.env', '{}'],
      ['GET', '/app/'],
      ['GET', '/download/some-token'],
      // A large body on a closed path is not even read: no 413 that would reveal a limit.
      ['POST', '/upload', 'x'.repeat(200 * 1024)],
    ];
    for (const [method, path, body] of attempts) {
      const outcome = await https({ host: WEBHOOK_HOST, method, path, body, from: '127.0.0.11' });
      expect(outcome, `${method} ${path}`).toEqual({ kind: 'closed' });
    }
    expect(upstream.received.length).toBe(before);
  });

  it('drops unknown host names: no handshake for a foreign or missing SNI, 444 for a foreign Host', async () => {
    const before = upstream.received.length;
    const foreignSni = await https({
      host: 'evil.test',
      sni: 'evil.test',
      verify: false,
      method: 'POST',
      path: '/telegram_webhook',
      body: '{}',
      from: '127.0.0.12',
    });
    expect(foreignSni.kind).toBe('tls-rejected');
    const noSni = await https({
      host: '127.0.0.1',
      sni: null,
      verify: false,
      method: 'POST',
      path: '/telegram_webhook',
      body: '{}',
      from: '127.0.0.12',
    });
    expect(noSni.kind).toBe('tls-rejected');
    // A valid SNI does not smuggle another Host in.
    const foreignHost = await https({
      host: 'evil.test',
      sni: WEBHOOK_HOST,
      method: 'POST',
      path: '/telegram_webhook',
      body: '{}',
      from: '127.0.0.12',
    });
    expect(foreignHost).toEqual({ kind: 'closed' });
    for (const host of ['evil.test', '127.0.0.1']) {
      for (const method of ['GET', 'TRACE']) {
        expect(
          await plain({ host, method, path: '/', from: '127.0.0.12' }),
          `${method} over http, Host: ${host}`,
        ).toEqual({ kind: 'closed' });
      }
    }
    expect(upstream.received.length).toBe(before);
  });

  it('redirects plain HTTP to HTTPS, except the ACME challenge path', async () => {
    const before = upstream.received.length;
    const redirected = expectReply(
      await plain({ host: WEBHOOK_HOST, method: 'GET', path: '/cryptocloud_webhook?a=1', from: '127.0.0.13' }),
      'GET over http',
    );
    expect(redirected.status).toBe(301);
    expect(redirected.headers.location).toBe(`https://${WEBHOOK_HOST}/cryptocloud_webhook?a=1`);
    const post = expectReply(
      await plain({ host: WEBHOOK_HOST, method: 'POST', path: '/telegram_webhook', body: '{}', from: '127.0.0.13' }),
      'POST over http',
    );
    expect(post.status).toBe(301);

    mkdirSync(join(acmeRoot, '.well-known', 'acme-challenge'), { recursive: true, mode: 0o755 });
    chmodSync(join(acmeRoot, '.well-known'), 0o755);
    chmodSync(join(acmeRoot, '.well-known', 'acme-challenge'), 0o755);
    writeFileSync(join(acmeRoot, '.well-known', 'acme-challenge', 'token-abc'), 'token-abc.key-thumbprint');
    chmodSync(join(acmeRoot, '.well-known', 'acme-challenge', 'token-abc'), 0o644);
    const challenge = expectReply(
      await plain({
        host: WEBHOOK_HOST,
        method: 'GET',
        path: '/.well-known/acme-challenge/token-abc',
        from: '127.0.0.13',
      }),
      'ACME challenge',
    );
    expect(challenge.status).toBe(200);
    expect(challenge.body.toString()).toBe('token-abc.key-thumbprint');
    const missing = expectReply(
      await plain({
        host: WEBHOOK_HOST,
        method: 'GET',
        path: '/.well-known/acme-challenge/unknown',
        from: '127.0.0.13',
      }),
      'unknown challenge',
    );
    expect(missing.status).toBe(404);
    expect(upstream.received.length).toBe(before);
  });

  it('adds the security headers to proxied responses and hides what the api runs on', async () => {
    const reply = expectReply(
      await https({ host: WEBHOOK_HOST, method: 'POST', path: '/nowpayments_ipn', body: '{}', from: '127.0.0.14' }),
      'IPN',
    );
    expect(reply.status).toBe(200);
    const hsts = /max-age=(\d+)/.exec(reply.headers['strict-transport-security'] ?? '');
    expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(reply.headers['x-powered-by']).toBeUndefined();
    expect(reply.headers.server).toBe('nginx');
  });

  it('refuses an oversized body with 413 before it reaches the api, and accepts a normal one', async () => {
    const before = upstream.received.length;
    const normal = 'n'.repeat(60 * 1024);
    const accepted = expectReply(
      await https({
        host: WEBHOOK_HOST,
        method: 'POST',
        path: '/cryptocloud_webhook',
        body: normal,
        from: '127.0.0.15',
      }),
      '60 KiB',
    );
    expect(accepted.status).toBe(200);
    expect(upstream.received.at(-1)!.body.length).toBe(normal.length);

    const tooLarge = 'x'.repeat(100 * 1024);
    const declared = expectReply(
      await https({
        host: WEBHOOK_HOST,
        method: 'POST',
        path: '/cryptocloud_webhook',
        body: tooLarge,
        from: '127.0.0.15',
      }),
      '100 KiB',
    );
    expect(declared.status).toBe(413);
    expect(declared.headers['strict-transport-security']).toBeDefined();
    const streamed = expectReply(
      await https({
        host: WEBHOOK_HOST,
        method: 'POST',
        path: '/telegram_webhook',
        body: tooLarge,
        chunked: true,
        from: '127.0.0.15',
      }),
      '100 KiB chunked',
    );
    expect(streamed.status).toBe(413);
    expect(upstream.received.length).toBe(before + 1);
  });

  it('limits one client to 10 r/s with a burst, while another client is still served', async () => {
    const post = (from: string) =>
      https({ host: WEBHOOK_HOST, method: 'POST', path: '/telegram_webhook', body: '{}', from });
    // 40 requests at once from one address, and a few from another one in the same moment.
    const [flood, others] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => post('127.0.0.20'))),
      Promise.all(Array.from({ length: 3 }, () => post('127.0.0.21'))),
    ]);
    const statuses = flood.map((outcome) => expectReply(outcome, 'flood').status);
    const served = statuses.filter((status) => status === 200).length;
    const limited = statuses.filter((status) => status === 429).length;
    expect(served + limited).toBe(40);
    // The burst lets more than one second's worth through at once, but not all 40.
    expect(served).toBeGreaterThan(10);
    expect(limited).toBeGreaterThan(0);
    expect(others.map((outcome) => expectReply(outcome, 'other client').status)).toEqual([200, 200, 200]);
  });

  it('writes paths and statuses to its access log, never query strings, secret headers, bodies or download tokens', async () => {
    const secrets = ['QUERY-SECRET-1', 'HEADER-SECRET-2', 'BODY-SECRET-3', 'QUERY-SECRET-4', 'DOWNLOAD-TOKEN-5'];
    await https({
      host: WEBHOOK_HOST,
      method: 'POST',
      path: `/telegram_webhook?token=${secrets[0]}`,
      from: '127.0.0.16',
      headers: { 'X-Telegram-Bot-Api-Secret-Token': secrets[1]! },
      body: JSON.stringify({ secret: secrets[2] }),
    });
    await https({ host: WEBHOOK_HOST, method: 'GET', path: `/anything?key=${secrets[3]}`, from: '127.0.0.16' });
    await https({ host: APP_HOST, method: 'GET', path: `/download/${secrets[4]}`, from: '127.0.0.16' });

    const log = await eventually(
      'the access log lines',
      () => {
        const text = existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '';
        return text.includes('"GET /anything') && text.includes('"GET /download/[token]') ? text : undefined;
      },
      5_000,
    );
    expect(log).toMatch(/127\.0\.0\.16 .*"POST \/telegram_webhook HTTP\/1\.1" 200/);
    expect(log).toMatch(/127\.0\.0\.16 .*"GET \/anything HTTP\/1\.1" 444/);
    for (const secret of secrets) expect(log).not.toContain(secret);
    // Nothing fell through to Debian's default log, whose "combined" format records query strings.
    const debianLog = join(dir, 'debian-default-access.log');
    expect(existsSync(debianLog) ? readFileSync(debianLog, 'utf8') : '').toBe('');
  });

  describe('marketplace host (marketplace.conf.template)', () => {
    it('serves the Mini App under /app/ with headers that let Telegram frame it', async () => {
      const page = expectReply(
        await https({ host: APP_HOST, method: 'GET', path: '/app/catalog?category=ebooks', from: '127.0.0.17' }),
        'Mini App page',
      );
      expect(page.status).toBe(200);
      expect(upstream.received.at(-1)).toMatchObject({ method: 'GET', url: '/app/catalog?category=ebooks' });
      expect(page.headers['x-frame-options']).toBeUndefined();
      expect(page.headers['content-security-policy']).toContain('frame-ancestors https://web.telegram.org');
      expect(page.headers['strict-transport-security']).toBeDefined();
      expect(page.headers['x-content-type-options']).toBe('nosniff');

      const api = expectReply(
        await https({
          host: APP_HOST,
          method: 'POST',
          path: '/app/api/verify',
          body: '{"initData":"x"}',
          from: '127.0.0.17',
        }),
        'Mini App API',
      );
      expect(api.status).toBe(200);
    });

    it('streams downloads intact and allows only GET and HEAD there', async () => {
      const file = expectReply(
        await https({ host: APP_HOST, method: 'GET', path: '/download/one-time-token', from: '127.0.0.18' }),
        'download',
      );
      expect(file.status).toBe(200);
      expect(file.body.length).toBe(DOWNLOAD_BYTES);
      expect(file.body.equals(download)).toBe(true);

      const before = upstream.received.length;
      for (const [method, path] of [
        ['POST', '/download/one-time-token'],
        ['DELETE', '/app/x'],
        ['TRACE', '/app/x'],
        ['POST', '/cryptocloud_webhook'],
        ['GET', '/'],
      ]) {
        expect(
          await https({
            host: APP_HOST,
            method: method!,
            path: path!,
            body: method === 'POST' ? '{}' : undefined,
            from: '127.0.0.18',
          }),
          `${method} ${path}`,
        ).toEqual({ kind: 'closed' });
      }
      expect(upstream.received.length).toBe(before);
    });
  });
});
