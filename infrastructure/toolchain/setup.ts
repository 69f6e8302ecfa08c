/**
 * The one idempotent setup step: makes sure the Temporal CLI, an S3-compatible server and nginx are
 * on this machine (building or installing them into the cache on the first run). Run by `npm test`,
 * `npm run dev`, `npm run demo` and .ci/run; quick the second time.
 */
import { nginx, temporalCli, versitygw } from './tools';

const log = (line: string) => console.log(`[setup] ${line}`);
const started = Date.now();
const temporal = temporalCli(log) ?? 'SDK download (no Go toolchain found)';
const s3 = process.env.S3_ENDPOINT ? `S3_ENDPOINT=${process.env.S3_ENDPOINT}` : versitygw(log);
const web = nginx(log) ?? 'not available (infrastructure tests need root to install it)';
log(`temporal: ${temporal}; s3: ${s3}; nginx: ${web} (${Date.now() - started} ms)`);
