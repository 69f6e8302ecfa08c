import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    // Starts the real Temporal dev server, S3-compatible server and a fresh PostgreSQL database once.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Most files wait on Temporal timers and HTTP, not the CPU: run several at once even on 2 cores.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
