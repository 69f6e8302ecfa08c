import type { I18nFlavor } from '@grammyjs/i18n';
import type { Context } from 'grammy';
import type postgres from 'postgres';
import type { Config } from '../infrastructure/config';
import type { Database } from '../infrastructure/db/client';
import type { Logger } from '../infrastructure/logger';
import type { Commands } from '../infrastructure/temporal/commands';

/** What every handler may use; attached to ctx by the first middleware. */
export interface BotDeps {
  config: Config;
  db: Database;
  /** The raw postgres.js client behind `db`, for cursors (streamed CSV exports). */
  sql: postgres.Sql;
  commands: Commands;
  logger: Logger;
}

export type BotContext = Context & I18nFlavor & { deps: BotDeps };
