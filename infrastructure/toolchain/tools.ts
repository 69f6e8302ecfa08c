/**
 * Finds or builds the outside programs the stack runs on a fresh machine: the Temporal CLI (dev server),
 * an S3-compatible server (versitygw), a test mail server (Mailpit) and nginx. Cached outside the repository, so the second run is quick.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const cacheDir = process.env.TG_COMMERCE_CACHE ?? join(homedir(), '.cache', 'tg-commerce');
const binDir = join(cacheDir, 'bin');

const TEMPORAL_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.7.0';
const MAILPIT_MODULE = 'github.com/axllent/mailpit@v1.33.1';

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goBinary(): string | undefined {
  return onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** `go install` into the cache; returns the binary path, or undefined when Go is not available. */
function goInstall(module: string, name: string, log: (line: string) => void): string | undefined {
  const go = goBinary();
  if (!go) return undefined;
  mkdirSync(binDir, { recursive: true });
  log(`building ${module} with ${go} (first run only; a few minutes)`);
  const result = spawnSync(go, ['install', module], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`go install ${module} failed with exit code ${result.status}`);
  return join(binDir, name);
}

function findOrBuild(envVar: string, name: string, module: string, log: (line: string) => void): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv} does not exist`);
    return fromEnv;
  }
  const cached = join(binDir, name);
  return onPath(name) ?? (existsSync(cached) ? cached : goInstall(module, name, log));
}

/**
 * The Temporal CLI: TEMPORAL_CLI, PATH, the cache, else `go install` of v1.5.1 (later tags carry a
 * `replace` directive that `go install` refuses). Undefined means "let the SDK download its own".
 */
export function temporalCli(log: (line: string) => void = console.log): string | undefined {
  return findOrBuild('TEMPORAL_CLI', 'temporal', TEMPORAL_MODULE, log);
}

export function versitygw(log: (line: string) => void = console.log): string {
  const path = findOrBuild('VERSITYGW', 'versitygw', VERSITYGW_MODULE, log);
  if (!path) throw new Error('No S3-compatible server: set S3_ENDPOINT, or install Go so versitygw can be built');
  return path;
}

/** Mailpit, an SMTP server with an HTTP API to read what it received: MAILPIT, PATH, the cache, else `go install`. */
export function mailpit(log: (line: string) => void = console.log): string {
  const path = findOrBuild('MAILPIT', 'mailpit', MAILPIT_MODULE, log);
  if (!path) throw new Error('No test mail server: set MAILPIT, or install Go so Mailpit can be built');
  return path;
}

/** nginx from Debian packages, installed when missing and we are root (the infrastructure tests need it). */
export function nginx(log: (line: string) => void = console.log): string | undefined {
  const found = onPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  return (
    found ?? aptInstall('nginx-light', log, () => (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : onPath('nginx')))
  );
}

/** Debian's Chromium for the Mini App browser tests (driven by playwright-core), installed when missing. */
export function chromium(log: (line: string) => void = console.log): string | undefined {
  return onPath('chromium') ?? aptInstall('chromium', log, () => onPath('chromium'));
}

/** Installs a Debian package when we are root and have apt; then finds what it installed. */
function aptInstall(pkg: string, log: (line: string) => void, find: () => string | undefined) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) return undefined;
  log(`installing ${pkg} from Debian packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env, stdio: 'inherit' });
  return find();
}
