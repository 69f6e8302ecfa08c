/**
 * The README's main command: `npm run dev` brings the whole stack up on embedded defaults, `/health`
 * answers 200 with both dependencies up, and SIGTERM shuts everything down cleanly.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eventually } from '../eventually';

describe('npm run dev', () => {
  it('serves /health with 200 and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infrastructure/processes/dev.ts', '--ephemeral'], {
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      // The address lines are printed one by one before the "is running" line: wait for that one,
      // not for the first address, so every line the test reads is already there.
      await eventually('the "is running" line in the output', () => /tg-commerce is running/.test(output), 90_000);
      const apiUrl = /api\s+(http:\/\/\S+)/.exec(output)?.[1];
      expect(apiUrl, output).toBeDefined();
      expect(output).toMatch(/temporal UI\s+http:\/\/127\.0\.0\.1:\d+/);
      const response = await fetch(`${apiUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', database: 'up', temporal: 'up' });
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
  }, 120_000);
});
