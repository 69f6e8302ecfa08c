/** The Telegram Bot API client for processes that do not receive updates (the worker, the ops CLI). */
import { autoRetry } from '@grammyjs/auto-retry';
import { Context } from '@temporalio/activity';
import { Api, GrammyError, HttpError } from 'grammy';
import { ConfigError, type Config } from '../config';

export function createTelegramApi(config: Pick<Config, 'telegram'>): Api {
  const api = new Api(config.telegram.botToken, { apiRoot: config.telegram.apiRoot });
  installRetries(api, config);
  return api;
}

/**
 * Waits out 429 retry_after (up to TELEGRAM_MAX_RETRY_DELAY_SECONDS, at most TELEGRAM_MAX_RETRY_ATTEMPTS
 * times) and nothing else, so one call never takes longer than `retryBudgetMs`: 5xx and network errors
 * are rethrown at once (auto-retry would otherwise back off 3, 6, 12 s... and retry network errors
 * forever). Anything longer is the caller's (Temporal's) retry to make.
 */
export function installRetries(api: Api, config: Pick<Config, 'telegram'>): void {
  api.config.use(
    autoRetry({
      maxRetryAttempts: config.telegram.maxRetryAttempts,
      maxDelaySeconds: config.telegram.maxRetryDelaySeconds,
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    }),
  );
}

/** The longest time auto-retry may keep one call waiting in-process. */
export function retryBudgetMs(config: Pick<Config, 'telegram'>): number {
  return config.telegram.maxRetryAttempts * config.telegram.maxRetryDelaySeconds * 1000;
}

/**
 * The shortest startToCloseTimeout of a workflow proxy that runs Telegram activities
 * (workflows/subscription.ts: notifyUser, ensureInviteLinks, answerJoinRequest, removeChannelAccess).
 * infrastructure/temporal/wiring.test.ts checks every proxy in workflows/ against it.
 */
export const TELEGRAM_ACTIVITY_TIMEOUT_MS = 15_000;

/** Time left in an attempt for the requests themselves, on top of the retry waits. */
export const TELEGRAM_REQUEST_ALLOWANCE_MS = 3_000;

/**
 * Worker start-up: an activity must not time out while auto-retry still holds its call, or Temporal
 * starts a second attempt while the first may still send (a message twice). Stops start-up otherwise.
 */
export function assertRetryBudgetFits(
  config: Pick<Config, 'telegram'>,
  activityTimeoutMs = TELEGRAM_ACTIVITY_TIMEOUT_MS,
): void {
  const budget = retryBudgetMs(config);
  if (budget + TELEGRAM_REQUEST_ALLOWANCE_MS <= activityTimeoutMs) return;
  throw new ConfigError([
    `TELEGRAM_MAX_RETRY_ATTEMPTS × TELEGRAM_MAX_RETRY_DELAY_SECONDS (${config.telegram.maxRetryAttempts} × ` +
      `${config.telegram.maxRetryDelaySeconds} s = ${budget / 1000} s) plus ${TELEGRAM_REQUEST_ALLOWANCE_MS / 1000} s ` +
      `for the requests must fit in the ${activityTimeoutMs / 1000} s timeout of the Telegram activities; lower one of them`,
  ]);
}

/**
 * Inside an activity: the attempt's cancellation signal (timeout, workflow gone, worker shutdown) to pass
 * as grammY's `signal`, so a call still in flight or waiting out a 429 is aborted, never sent after
 * Temporal has started the next attempt. Heartbeats while `run` is pending so a cancellation requested
 * by the server reaches the worker. Outside an activity (the bot) it just runs.
 */
export async function withActivitySignal<T>(run: (signal: ApiSignal) => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined;
  }
  if (!context) return run(undefined);
  const current = context;
  current.heartbeat();
  const timer = setInterval(() => current.heartbeat(), 1_000);
  try {
    // grammY types its signal with the abort-controller shim; at run time it is the platform's AbortSignal.
    return await run(current.cancellationSignal as unknown as ApiSignal);
  } finally {
    clearInterval(timer);
  }
}

/** grammY's `signal` parameter type (the last argument of every Api method). */
export type ApiSignal = Parameters<Api['getMe']>[0];

/** The user blocked the bot or deleted their account: retrying cannot help. */
export function isUnreachableUser(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 403;
}

export function telegramErrorCode(error: unknown): string {
  if (error instanceof GrammyError) return String(error.error_code);
  if (error instanceof HttpError) return 'network';
  return 'other';
}

/** What a channel-management call was for: decides which refusals mean "already so". */
export type TelegramOperation = 'approve-join' | 'decline-join' | 'remove-member' | 'revoke-link' | 'create-link';

/**
 * - `done`: Telegram says the wanted state already holds (idempotent): count it as success.
 * - `channel`: the bot lacks rights in the channel, was removed from it, or cannot see it: admins must act;
 *   retry (it succeeds once the rights are back) and say so visibly.
 * - `transient`: rate limit, Telegram 5xx, network: retry.
 * - `refused`: any other refusal: retrying will not help; fail visibly.
 */
export type TelegramErrorClass =
  | { kind: 'done'; description: string }
  | { kind: 'channel'; reason: ChannelProblem; description: string }
  | { kind: 'transient'; description: string }
  | { kind: 'refused'; description: string };

export type ChannelProblem = 'no-rights' | 'bot-removed' | 'chat-not-found';

/** Telegram's answers that mean the operation's outcome is already in place. */
const ALREADY_DONE: Record<TelegramOperation, RegExp> = {
  'approve-join': /USER_ALREADY_PARTICIPANT|HIDE_REQUESTER_MISSING|user is already a participant/i,
  'decline-join': /HIDE_REQUESTER_MISSING/i,
  'remove-member': /USER_NOT_PARTICIPANT|user not found|PARTICIPANT_ID_INVALID/i,
  'revoke-link': /INVITE_HASH_EXPIRED|invite link (is )?already revoked/i,
  'create-link': /^$/,
};

const NO_RIGHTS =
  /not enough rights|CHAT_ADMIN_REQUIRED|need administrator rights|have no rights|RIGHT_FORBIDDEN|CHAT_WRITE_FORBIDDEN/i;
const CHANNEL_GONE = /bot was kicked|bot is not a member|CHANNEL_PRIVATE/i;
const CHAT_NOT_FOUND = /chat not found|CHANNEL_INVALID|PEER_ID_INVALID/i;

/** The one place that reads Telegram's error descriptions for channel management. */
export function classifyTelegramError(error: unknown, operation: TelegramOperation): TelegramErrorClass {
  if (error instanceof HttpError) return { kind: 'transient', description: error.message };
  if (!(error instanceof GrammyError)) return { kind: 'transient', description: String(error) };
  const { description } = error;
  if (error.error_code === 429 || error.error_code >= 500) return { kind: 'transient', description };
  if (ALREADY_DONE[operation].test(description)) return { kind: 'done', description };
  if (CHANNEL_GONE.test(description)) return { kind: 'channel', reason: 'bot-removed', description };
  if (NO_RIGHTS.test(description)) return { kind: 'channel', reason: 'no-rights', description };
  if (CHAT_NOT_FOUND.test(description)) return { kind: 'channel', reason: 'chat-not-found', description };
  return { kind: 'refused', description };
}
