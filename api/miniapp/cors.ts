/**
 * CORS for the Mini App API: only the Mini App's own origin may call it from a browser. Its calls
 * carry `Authorization`, so every one is preflighted; a preflight from another origin is refused
 * (403, no CORS headers) and the browser never sends the call. Other origins' answers carry no
 * `Access-Control-Allow-Origin`, so their pages cannot read them. Not a substitute for the initData
 * check (non-browser clients ignore CORS): register `miniAppAuthPlugin` alongside it.
 *
 * Register inside the Mini App API's own plugin (its prefix), not at the root:
 *   app.register(async (api) => {
 *     await api.register(miniAppCors, { origin: config.miniApp.origin });
 *     await api.register(miniAppAuthPlugin, { botToken, maxAgeSeconds });
 *     await api.register(uploadRoutes);
 *   }, { prefix: '/miniapp/api' });
 */
import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface MiniAppCorsOptions {
  /** The Mini App's origin, e.g. https://shop.example.com (a URL with a path is cut to its origin). */
  origin: string;
  /** How long a browser may cache an allowed preflight, in seconds. */
  preflightMaxAgeSeconds?: number;
}

export const ORIGIN_REFUSED = 'this origin may not call the Mini App API';

/** `https://Shop.Example.com:443/app/` → `https://shop.example.com`, as browsers send `Origin`. */
export function miniAppOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`the Mini App origin must be an http(s) URL (got "${value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`the Mini App origin must be an http(s) URL (got "${value}")`);
  return url.origin;
}

const registerMiniAppCors: FastifyPluginAsync<MiniAppCorsOptions> = async (app, options) => {
  const allowed = miniAppOrigin(options.origin);
  await app.register(cors, {
    // A function, not the string: a string origin is sent to every caller, whatever its Origin.
    origin: (requestOrigin, callback) => callback(null, requestOrigin === allowed),
    // Uppy's S3 multipart flow uses GET, POST and DELETE against our signing routes.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    // initData travels in a header, never in cookies.
    credentials: false,
    maxAge: options.preflightMaxAgeSeconds ?? 600,
    strictPreflight: true,
  });
  // @fastify/cors answers allowed preflights in its own onRequest hook, registered just before this
  // one; a preflight still here comes from another origin.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return;
    request.log.info({ origin: String(request.headers.origin ?? '').slice(0, 200) }, 'mini app preflight refused');
    return reply.code(403).send({ ok: false, error: ORIGIN_REFUSED });
  });
};
export const miniAppCors = fp(registerMiniAppCors, { name: 'mini-app-cors', fastify: '5.x' });
