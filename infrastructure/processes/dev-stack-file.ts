/**
 * `npm run dev` leaves the settings of the stack it started in `.data/dev-stack.env` in the checkout
 * (ignored by git), so tools started beside it (the ops CLI) find its database and Temporal without
 * any setup. The file names the process that wrote it; it is removed when that stack stops, and a
 * file whose process is gone (killed without a chance to clean up) counts as stale and is ignored.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { formatDuration } from '../../domain/duration';
import type { Config } from '../config';

const checkout = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEV_STACK_FILE = join(checkout, '.data', 'dev-stack.env');

const PID = 'DEV_STACK_PID';

/** The variables of `config` a tool needs to act on the stack's data and workflows as the stack does. */
export function devStackSettings(config: Config): Record<string, string> {
  const list = (values: number[]) => values.map(formatDuration).join(',');
  return {
    DATABASE_URL: config.databaseUrl,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_UI_URL: config.temporal.uiUrl,
    // The sandbox's token (not a secret): plan commands check channels with the bot.
    TELEGRAM_BOT_TOKEN: config.telegram.botToken,
    TELEGRAM_API_ROOT: config.telegram.apiRoot,
    INVOICE_TTL: formatDuration(config.invoice.ttlMs),
    INVOICE_RECONCILE_SCHEDULE: list(config.invoice.reconcileAtMs),
    INVOICE_RECONCILE_EVERY: formatDuration(config.invoice.reconcileEveryMs),
    INVOICE_LATE_PAYMENT_WINDOW: formatDuration(config.invoice.latePaymentWindowMs),
    SUBSCRIPTION_REMINDERS: list(config.subscription.reminderOffsetsMs),
    SUBSCRIPTION_GRACE_PERIOD: formatDuration(config.subscription.gracePeriodMs),
    REMOVAL_DRY_RUN: String(config.subscription.removalDryRun),
    REFERRAL_HOLD: formatDuration(config.referral.holdMs),
    PAYOUT_MINIMUM_MINOR: String(config.payout.minimumMinor),
    SELLER_PAYOUT_MINIMUM_MINOR: String(config.payout.sellerMinimumMinor),
    PAYOUT_REMINDER_EVERY: formatDuration(config.payout.reminderEveryMs),
  };
}

export interface DevStackFile {
  pid: number;
  /** Whether the process that wrote it is still running. */
  live: boolean;
  values: Record<string, string>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readDevStackFile(path = DEV_STACK_FILE): DevStackFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const { [PID]: pidText, ...values } = parseEnv(text) as Record<string, string>;
  const pid = Number(pidText);
  const valid = Number.isInteger(pid) && pid > 0;
  return { pid: valid ? pid : 0, live: valid && isRunning(pid), values };
}

/**
 * Writes the file for this process; the returned function removes it again (or puts back the file
 * of another stack that was running in this checkout before, if that one still runs).
 */
export function writeDevStackFile(
  settings: Record<string, string>,
  notes: string[] = [],
  path = DEV_STACK_FILE,
): () => void {
  const previous = readDevStackFile(path);
  const previousText = previous?.live ? readFileSync(path, 'utf8') : undefined;
  const text = [
    '# Written by `npm run dev` for the stack it runs; removed when it stops. Read by the ops CLI',
    '# when DATABASE_URL is not set. Do not edit: it is rewritten at every start.',
    ...notes.map((note) => `# ${note}`),
    `${PID}=${process.pid}`,
    ...Object.entries(settings).map(([name, value]) => `${name}=${JSON.stringify(value)}`),
    '',
  ].join('\n');
  mkdirSync(dirname(path), { recursive: true });
  // Written whole, then renamed: a reader never sees half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
  return () => {
    if (readDevStackFile(path)?.pid !== process.pid) return;
    if (previous && previousText !== undefined && isRunning(previous.pid)) writeFileSync(path, previousText);
    else rmSync(path, { force: true });
  };
}

/**
 * For tools beside a dev stack: when the environment has no DATABASE_URL, fills every variable the
 * running stack's file has and the environment lacks. Returns what happened, for one line of notice.
 */
export function loadDevStackSettings(
  env: Record<string, string | undefined> = process.env,
  path = DEV_STACK_FILE,
): { loaded: DevStackFile | undefined; stale: DevStackFile | undefined } {
  if (env.DATABASE_URL) return { loaded: undefined, stale: undefined };
  const file = readDevStackFile(path);
  if (!file) return { loaded: undefined, stale: undefined };
  if (!file.live) return { loaded: undefined, stale: file };
  for (const [name, value] of Object.entries(file.values)) if (!env[name]) env[name] = value;
  return { loaded: file, stale: undefined };
}
