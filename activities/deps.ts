import type { Api } from 'grammy';
import type { Rail } from '../domain/rail';
import type { Translate } from '../bot/i18n';
import type { Database } from '../infrastructure/db/client';
import type { EmailSender } from '../infrastructure/email/types';
import type { OpenResolutionInput } from '../domain/resolution';
import type { Logger } from '../infrastructure/logger';
import type { PaymentRail } from '../infrastructure/providers/payment-rail';
import type { ObjectStorage } from '../infrastructure/storage/s3';

/**
 * The only way activities reach other workflows: start or signal them by business id. The worker passes
 * the real commands (infrastructure/temporal/commands.ts, structurally compatible), so activities never
 * import Temporal client code nor workflows/.
 */
export interface WorkflowPort {
  /** A paid invoice into its subscription (started when none runs). */
  invoicePaid(userId: number, planId: string, invoiceId: string): Promise<void>;
  /** A refunded paid invoice into its running subscription; false when none runs. */
  invoiceRefunded(userId: number, planId: string, invoiceId: string): Promise<boolean>;
  /** Starts the referral commission of a paid invoice (once per invoice). */
  startCommission(invoiceId: string, payerId: number, referrerId: number): Promise<void>;
  /** Takes back the commission of a refunded invoice. */
  refundCommission(invoiceId: string, by: string): Promise<void>;
  /** Money an invoice could not settle, into `resolution:<invoiceId>` (started when none runs). */
  openResolution(input: OpenResolutionInput): Promise<void>;
  /** A resolution's credit: days added to the subscription (started when none runs). */
  /** `key` names the decision, so a retried activity never grants twice. */
  grant(userId: number, planId: string, days: number, by: number, key: string): Promise<void>;
}

/** Everything activities touch, passed in: the worker gives real ones, tests may give their own. */
export interface ActivityDeps {
  db: Database;
  telegram: Api;
  /** The enabled payment rails by name (a rail that is off is absent). */
  gateways: Partial<Record<Rail, PaymentRail>>;
  /** To start or signal other workflows (e.g. a paid invoice into its subscription). */
  workflows: WorkflowPort;
  translate: Translate;
  adminIds: number[];
  logger: Logger;
  /** Product files, sent to buyers as documents (absent where no activity needs them). */
  storage?: ObjectStorage;
  /** Outgoing email (EMAIL_TRANSPORT); absent when email is off. */
  email?: EmailSender;
}
