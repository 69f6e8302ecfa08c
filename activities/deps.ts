import type { Api } from 'grammy';
import type { Translate } from '../bot/i18n';
import type { Database } from '../infrastructure/db/client';
import type { Logger } from '../infrastructure/logger';
import type { PaymentGateway } from '../infrastructure/providers/payment-gateway';
import type { Commands } from '../infrastructure/temporal/commands';

/** Everything activities touch, passed in: the worker gives real ones, tests may give their own. */
export interface ActivityDeps {
  db: Database;
  telegram: Api;
  gateways: Record<string, PaymentGateway>;
  /** To signal other workflows (e.g. a paid invoice into its subscription). */
  commands: Commands;
  translate: Translate;
  adminIds: number[];
  logger: Logger;
}
