/**
 * `npm run dev`: everything at once on embedded defaults; Ctrl-C (SIGINT/SIGTERM) stops it all.
 * `npm run dev -- --ephemeral`: a throwaway stack (fresh database, in-memory Temporal, free ports).
 */
import { ConfigError, loadDotEnv } from '../config';
import { startDevStack } from './dev-stack';

loadDotEnv();
try {
  const stack = await startDevStack({ ephemeral: process.argv.includes('--ephemeral') });
  console.log(`\ntg-commerce is running. Open the Temporal UI at ${stack.temporalUiUrl} to inspect workflows.`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      console.log('stopping…');
      stack.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
