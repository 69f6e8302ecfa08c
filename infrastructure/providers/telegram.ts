/** The Telegram Bot API client for processes that do not receive updates (the worker, the ops CLI). */
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError, HttpError } from 'grammy';
import type { Config } from '../config';

export function createTelegramApi(config: Pick<Config, 'telegram'>): Api {
  const api = new Api(config.telegram.botToken, { apiRoot: config.telegram.apiRoot });
  installRetries(api, config);
  return api;
}

/**
 * Waits out 429 retry_after and retries 5xx a few times, with explicit limits, so a slow Telegram
 * never holds a request forever; anything longer is the caller's (Temporal's) retry to make.
 */
export function installRetries(api: Api, config: Pick<Config, 'telegram'>): void {
  api.config.use(
    autoRetry({
      maxRetryAttempts: config.telegram.maxRetryAttempts,
      maxDelaySeconds: config.telegram.maxRetryDelaySeconds,
      rethrowInternalServerErrors: false,
    }),
  );
}

/** The user blocked the bot or deleted their account: retrying cannot help. */
export function isUnreachableUser(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 403;
}

export function telegramErrorCode(error: unknown): string {
  if (error instanceof GrammyError) return String(error.error_code);
  if (error instanceof HttpError) return 'network';
  return 'other';
}
