/**
 * `npm run dev`: everything at once on embedded defaults; Ctrl-C (SIGINT/SIGTERM) stops it all.
 * `npm run dev -- --ephemeral`: a throwaway stack (fresh database, in-memory Temporal, free ports).
 * Either way its settings are left in .data/dev-stack.env while it runs, for the ops CLI.
 */
import { ConfigError, loadDotEnv } from '../config';
import { startDevStack } from './dev-stack';
import { DEV_STACK_FILE } from './dev-stack-file';

loadDotEnv();
try {
  const stack = await startDevStack({ ephemeral: process.argv.includes('--ephemeral'), settingsFile: DEV_STACK_FILE });
  console.log('\nops CLI: `npm run ops -- --help` works on this stack as it is (settings in .data/dev-stack.env).');
  console.log(`tg-commerce is running. Open the Temporal UI at ${stack.temporalUiUrl} to inspect workflows.`);
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
