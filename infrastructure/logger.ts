/** JSON logs with the business ids on every line that has them; secrets are redacted by path. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info', name?: string): Logger {
  return pino({
    level,
    name,
    base: { pid: process.pid },
    redact: {
      paths: ['token', '*.token', 'secret', '*.secret', '*.apiKey', '*.secretKey', '*.botToken', 'headers.authorization', 'req.headers.authorization', 'req.headers["x-telegram-bot-api-secret-token"]', 'databaseUrl', 'config'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
