/**
 * Scratch folders for files another user must reach: nginx workers and the unprivileged runs of
 * the deployment scripts drop root when the tests run as root. Neither the checkout (it may sit in
 * a 0700 home or `mktemp -d` folder) nor a 0700 TMPDIR is reachable for them, so such files go into
 * a folder made here, below a base every user can traverse, and opened up to 0755.
 */
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Whether every folder from `path` up to / can be entered by any user. */
export function worldTraversable(path: string): boolean {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(dir) === dir) return true;
  }
}

/** A fresh folder (mode 0755) every user can reach: under TMPDIR when possible, else under /tmp. */
export function publicScratchDir(prefix: string): string {
  const base = worldTraversable(tmpdir()) ? tmpdir() : '/tmp';
  const dir = mkdtempSync(join(base, prefix));
  chmodSync(dir, 0o755);
  return dir;
}
