/**
 * `npm run storage:setup`: makes the configured bucket ready for the marketplace (see setupBucket in
 * s3.ts) and prints what it did. Safe to run at every deploy.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, loadDotEnv, PROVIDER_CREDENTIALS, type Config } from '../config';
import { createLogger } from '../logger';
import { createObjectStorage, type BucketSetup } from './s3';

const SAID: Record<keyof BucketSetup, Record<string, string>> = {
  bucket: { created: 'created', existed: 'already exists' },
  cors: {
    set: 'CORS rule set',
    unchanged: 'CORS rule already set',
    'not-supported': 'CORS not supported by the server (WARNING: configure it there)',
  },
  lifecycle: {
    set: 'lifecycle rule set',
    unchanged: 'lifecycle rule already set',
    'not-supported': 'lifecycle rules not supported by the server (WARNING: abandoned uploads are kept)',
  },
};

export async function setupStorage(config: Config, print: (line: string) => void = console.log): Promise<BucketSetup> {
  const storage = createObjectStorage(config.s3, { logger: createLogger(config.logLevel, 'storage-setup') });
  try {
    const done = await storage.setupBucket({ corsOrigins: [config.miniApp.origin] });
    const days = config.s3.abortIncompleteAfterDays;
    print(`bucket ${config.s3.bucket} ${SAID.bucket[done.bucket]}`);
    print(`${SAID.cors[done.cors]}: PUT, GET, HEAD from ${config.miniApp.origin}, ETag exposed`);
    print(`${SAID.lifecycle[done.lifecycle]}: incomplete multipart uploads aborted after ${days} day(s)`);
    return done;
  } finally {
    storage.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  loadDotEnv();
  let config: Config;
  try {
    // Storage needs neither the database nor the bot and gateway keys.
    config = loadConfig(process.env, { notNeeded: [...PROVIDER_CREDENTIALS, 'DATABASE_URL'] });
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  try {
    await setupStorage(config);
  } catch (error) {
    console.error(
      `storage setup failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    process.exit(1);
  }
}
