/**
 * Telegram Bot API emulator, one module per Bot API area (see sandbox.ts for the overview). Importers use
 * `./telegram`, which resolves to this file; it exports the same public names as the former single module.
 */
export { TelegramSandbox } from './sandbox';
export { formatText } from './formatting';
export { TelegramApiError, TelegramSandboxError } from './types';
export type {
  ActiveFault,
  AdminRights,
  BotAnswer,
  BotRightsChange,
  BotStatus,
  CallbackAnswer,
  FaultSpec,
  InviteLinkInfo,
  JoinRequestInfo,
  MemberStatus,
  PayInvoiceInput,
  PaymentOutcome,
  PaymentOutcomeKind,
  PaymentSettings,
  ReplyMarkup,
  SentFile,
  SentInvoice,
  SentMessage,
  StarRefund,
  TelegramCall,
  TelegramFault,
  TelegramSandboxOptions,
  UpdateRecord,
  UpdateState,
  UserInput,
  WebhookDelivery,
} from './types';
