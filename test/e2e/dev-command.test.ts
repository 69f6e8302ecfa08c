/**
 * The README's main command: `npm run dev` brings the whole stack up on embedded defaults, `/health`
 * answers 200 with both dependencies up, the ops CLI works beside it with no setup at all, and
 * SIGTERM shuts everything down cleanly (and takes the stack's settings file with it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEV_STACK_FILE, readDevStackFile } from '../../infrastructure/processes/dev-stack-file';
import { eventually } from '../eventually';

const checkout = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run ops -- <args>` as a newcomer runs it: no DATABASE_URL, no Temporal settings, no .env. */
function newcomerOps(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const npm = spawn('npm', ['run', '--silent', 'ops', '--', ...args], {
    cwd: checkout,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  npm.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => npm.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run dev', () => {
  it('serves /health with 200, lets the ops CLI in with no setup, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infrastructure/processes/dev.ts', '--ephemeral'], {
      cwd: checkout,
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

      // The stack left its settings for the ops CLI, which finds them without any configuration.
      const file = readDevStackFile();
      expect(file?.pid, DEV_STACK_FILE).toBe(child.pid);
      expect(file?.values.DATABASE_URL).toMatch(/^postgres/);
      const ops = await newcomerOps(['stuck-invoices']);
      expect(ops.code, ops.stderr).toBe(0);
      expect(ops.stdout).toContain('no stuck invoices');
      expect(ops.stderr).toContain(`using the settings of the dev stack running as pid ${child.pid}`);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(readDevStackFile()?.pid).not.toBe(child.pid);
  }, 120_000);
});
