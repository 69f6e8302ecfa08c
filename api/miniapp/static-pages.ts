/**
 * The Mini App pages (api/miniapp/pages/): bundled from npm packages by esbuild (never loaded from a
 * CDN) into dist/mini-app/, then served by the api under `/miniapp/`. The setup step builds them; the
 * api builds them at start only when no build is there, so `npm run api` alone also works.
 *
 * Served with a Content-Security-Policy: scripts only from here, network only to here and to the
 * object storage the browser uploads to.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const SOURCES = join(dirname(fileURLToPath(import.meta.url)), 'pages');
export const MINI_APP_BUILD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'mini-app');
const PAGES = ['upload', 'download'] as const;

/** Bundles every page's script, and copies its HTML, the stylesheet and pdf.js's worker next to it. */
export async function buildMiniAppPages(outDir = MINI_APP_BUILD): Promise<void> {
  const { build } = await import('esbuild');
  const assets = join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  await build({
    entryPoints: PAGES.map((page) => join(SOURCES, `${page}.ts`)),
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    // Telegram's in-app browsers: recent Chromium WebViews and iOS Safari.
    target: ['chrome109', 'safari16'],
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await Promise.all([
    ...PAGES.map((page) => copyFile(join(SOURCES, `${page}.html`), join(outDir, `${page}.html`))),
    copyFile(join(SOURCES, 'mini-app.css'), join(assets, 'mini-app.css')),
    copyFile(pdfWorker(), join(assets, 'pdf.worker.min.mjs')),
  ]);
}

function pdfWorker(): string {
  const pdfjs = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  return join(pdfjs, 'build', 'pdf.worker.min.mjs');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface MiniAppPagesOptions {
  /** Where the browser uploads to: allowed in the pages' connect-src. */
  storageOrigin: string | undefined;
  outDir?: string;
}

/** Serves the built pages (`/miniapp/upload`) and their assets (`/miniapp/assets/...`) from memory. */
export const miniAppPages: FastifyPluginAsync<MiniAppPagesOptions> = async (app, options) => {
  const outDir = options.outDir ?? MINI_APP_BUILD;
  if (!(await stat(join(outDir, 'assets')).catch(() => undefined))) await buildMiniAppPages(outDir);
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "worker-src 'self' blob:",
    `connect-src 'self'${options.storageOrigin ? ` ${options.storageOrigin}` : ''}`,
    "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
  ].join('; ');
  const assets = new Map<string, Buffer>();
  const assetDir = join(outDir, 'assets');
  for (const name of await readdir(assetDir)) assets.set(name, await readFile(join(assetDir, name)));

  for (const page of PAGES) {
    const html = await readFile(join(outDir, `${page}.html`));
    app.get(`/miniapp/${page}`, (_request, reply) =>
      reply
        .header('content-type', TYPES['.html'])
        .header('content-security-policy', csp)
        .header('cache-control', 'no-cache')
        .send(html),
    );
  }
  app.get<{ Params: { name: string } }>('/miniapp/assets/:name', (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) return reply.code(404).send({ ok: false, error: 'no such file' });
    return reply
      .header('content-type', TYPES[extname(request.params.name)] ?? 'application/octet-stream')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(body);
  });
};
