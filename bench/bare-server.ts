/**
 * The intake baseline, in its own process like the api it is compared with: a bare Fastify route
 * that takes the same postback body and answers `{ok: true}`, nothing else. Prints
 * `BENCH_BARE {json}` when listening; SIGTERM, SIGINT or the parent closing stdin stop it.
 */
import formBody from '@fastify/formbody';
import Fastify from 'fastify';
import { BARE_LINE_PREFIX, type BareInfo } from './stack-process';

const app = Fastify({ logger: false, bodyLimit: 65536 });
await app.register(formBody);
app.post('/bare', async () => ({ ok: true }));
const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/bare`;

const stop = () => void app.close().finally(() => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
process.stdin.on('end', stop);
process.stdin.resume();

const info: BareInfo = { pid: process.pid, url };
process.stdout.write(`${BARE_LINE_PREFIX}${JSON.stringify(info)}\n`);
