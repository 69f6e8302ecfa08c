/**
 * Redelivery workflow (`redeliver:<outboxKey>`): ops replays one failed message. The workflow id
 * makes concurrent replays of the same message one replay; re-opening only failed rows makes a
 * replay of a delivered message a no-op; sending goes through the same once-only outbox path.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Delivery, ReplayRefusal } from '../activities/notifications';

export interface RedeliveryInput {
  key: string;
  by: string;
}

export type RedeliveryResult = Delivery | { delivered: false; reason: ReplayRefusal };

const { reopenNotification } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/** Telegram may be slow or rate-limiting: keep trying for a while, then fail visibly for ops. */
const { resendNotification } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['InvalidRequest'],
  },
});

export async function redeliveryWorkflow(input: RedeliveryInput): Promise<RedeliveryResult> {
  const opened = await reopenNotification({ key: input.key });
  if (!opened.reopened) return { delivered: false, reason: opened.reason };
  return resendNotification({ key: input.key });
}
