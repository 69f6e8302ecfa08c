/** All activities, built over their dependencies (the worker passes real ones). */
import type { ActivityDeps } from './deps';
import { createDisputeActivities } from './disputes';
import { createEmailActivities } from './email';
import { createEscrowActivities } from './escrow';
import { createInvoiceActivities } from './invoices';
import { createNotificationActivities } from './notifications';
import { createOrderActivities } from './orders';
import { createPayoutActivities } from './payouts';
import { createPromoActivities } from './promos';
import { createReferralActivities } from './referrals';
import { createResolutionActivities } from './resolutions';
import { createSellerAlertActivities } from './seller-alerts';
import { createSubscriptionActivities } from './subscriptions';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createInvoiceActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createNotificationActivities(deps),
    ...createReferralActivities(deps),
    ...createPayoutActivities(deps),
    ...createResolutionActivities(deps),
    ...createPromoActivities(deps),
    ...createOrderActivities(deps),
    ...createEmailActivities(deps),
    ...createEscrowActivities(deps),
    ...createSellerAlertActivities(deps),
    ...createDisputeActivities(deps),
  };
}
