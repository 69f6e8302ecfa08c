/**
 * Delivery workflow (`delivery:<orderId>`): the paid product to the buyer's chat. The message goes
 * through the once-only outbox; Telegram's 429s and 5xx are retried with backoff. A buyer who blocked
 * the bot, a message Telegram refuses, or a spent retry budget leave the delivery `failed` (visible in
 * Temporal UI by `ProcessStatus`) until ops send `replayDelivery`: each replay while failed is one
 * more try, and a replay after delivery does nothing. Then it waits for the first download and, if
 * none comes in time, reminds the buyer once.
 */
import {
  ActivityFailure,
  condition,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { DeliveryOptions } from '../activities/orders';
import { deliveryMessageKey, type DeliveryStage } from '../domain/order';
import { ProcessStatus } from './search-attributes';

export interface DeliveryInput {
  orderId: string;
  options: DeliveryOptions;
  reminderAfterMs: number;
  maxAttempts: number;
}

export interface DeliveryView {
  orderId: string;
  stage: DeliveryStage;
  /** Delivery tries: the first, then one per replay. */
  tries: number;
  /** Why the last try failed (`blocked`, `refused`, `gave-up`). */
  failure?: string;
}

/** From ops (`npm run ops -- replay-delivery <orderId>`): try a failed delivery again. */
export const replayDeliverySignal = defineSignal<[{ by: string }]>('replayDelivery');
/** From the api: the buyer started their first download. */
export const downloadedSignal = defineSignal('downloaded');
export const deliveryStateQuery = defineQuery<DeliveryView>('deliveryState');

const { reopenNotification, remindUndownloaded } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryView> {
  /** Telegram may be slow or rate-limiting: keep trying with backoff, then fail visibly for ops. */
  const { deliverOrder } = proxyActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '2 minutes',
    // Telegram calls heartbeat every second (withActivitySignal): a worker that died mid-send is
    // noticed in seconds, and the next attempt does not wait out the whole two minutes.
    heartbeatTimeout: '10 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: input.maxAttempts,
      nonRetryableErrorTypes: ['InvalidRequest'],
    },
  });
  let stage: DeliveryStage = 'delivering';
  let tries = 0;
  let failure: string | undefined;
  let replaysAsked = 0;
  let downloaded = false;
  setHandler(replayDeliverySignal, ({ by }) => {
    if (stage !== 'failed') return void log.info('replay ignored: not failed', { orderId: input.orderId, by, stage });
    replaysAsked += 1;
  });
  setHandler(downloadedSignal, () => {
    downloaded = true;
  });
  setHandler(deliveryStateQuery, () => ({ orderId: input.orderId, stage, tries, ...(failure ? { failure } : {}) }));
  const show = (next: DeliveryStage) => {
    stage = next;
    upsertSearchAttributes([{ key: ProcessStatus, value: next }]);
  };

  for (;;) {
    tries += 1;
    try {
      const result = await deliverOrder(input.options);
      if (result.delivered || result.reason === 'already-sent') break;
      failure = result.reason;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      failure = 'gave-up';
    }
    show('failed');
    log.warn('delivery failed; waiting for a replay', { orderId: input.orderId, failure });
    const handled = replaysAsked;
    await condition(() => replaysAsked > handled);
    failure = undefined;
    show('delivering');
    await reopenNotification({ key: deliveryMessageKey(input.orderId) });
  }
  show('delivered');

  if (await condition(() => downloaded, input.reminderAfterMs)) show('downloaded');
  else {
    await remindUndownloaded(input.options);
    show('reminded');
  }
  return { orderId: input.orderId, stage, tries };
}
