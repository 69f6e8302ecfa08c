/** JSON logs with the business ids on every line that has them; secrets are redacted by path. */
import { Context } from '@temporalio/activity';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Inside an activity, every line carries its workflow (whose id names the business key, e.g.
 * `invoice:<invoiceId>`, `subscription:<userId>:<planId>`) and the activity; elsewhere nothing is added.
 */
function activityContext(): Record<string, string> {
  try {
    const { info } = Context.current();
    return info.workflowExecution
      ? { workflowId: info.workflowExecution.workflowId, activity: info.activityType }
      : { activity: info.activityType };
  } catch {
    return {};
  }
}

export function createLogger(level = 'info', name?: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      name,
      base: { pid: process.pid },
      mixin: activityContext,
      redact: {
        paths: [
          'token',
          '*.token',
          'secret',
          '*.secret',
          '*.apiKey',
          '*.secretKey',
          '*.botToken',
          'headers.authorization',
          'req.headers.authorization',
          'req.headers["x-telegram-bot-api-secret-token"]',
          'databaseUrl',
          'config',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(1),
  );
}
