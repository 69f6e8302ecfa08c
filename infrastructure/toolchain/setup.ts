/**
 * The one idempotent setup step: makes sure the Temporal CLI, an S3-compatible server, Mailpit (the
 * tests' mail server), nginx and Chromium are on this machine (building or installing them into the cache on the first run), and
 * bundles the Mini App pages. Run by `npm test`,
 * `npm run dev`, `npm run demo` and .ci/run; quick the second time.
 */
import { buildMiniAppPages } from '../../api/miniapp/static-pages';
import { chromium, mailpit, nginx, temporalCli, versitygw } from './tools';

const log = (line: string) => console.log(`[setup] ${line}`);
const started = Date.now();
const temporal = temporalCli(log) ?? 'SDK download (no Go toolchain found)';
const s3 = process.env.S3_ENDPOINT ? `S3_ENDPOINT=${process.env.S3_ENDPOINT}` : versitygw(log);
const mail = mailpit(log);
const web = nginx(log) ?? 'not available (infrastructure tests need root to install it)';
const browser = chromium(log) ?? 'not available (the Mini App browser tests need root to install it)';
await buildMiniAppPages();
log(`mini app pages built; chromium: ${browser}`);
log(`temporal: ${temporal}; s3: ${s3}; mail: ${mail}; nginx: ${web} (${Date.now() - started} ms)`);
