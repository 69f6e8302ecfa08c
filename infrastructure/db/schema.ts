/**
 * PostgreSQL schema. Temporal owns process state; these tables hold the catalog, the read models that
 * activities update at each transition, the webhook audit trail and the double-entry ledger.
 * Money is bigint minor units or exact decimal strings, never floats; rates are basis points.
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { INVOICE_STATUSES, OPEN_INVOICE_STATES, type InvoiceStatus } from '../../domain/invoice';
import {
  MAX_PRODUCT_DESCRIPTION_LENGTH,
  MAX_PRODUCT_TITLE_LENGTH,
  PRODUCT_FILE_ROLES,
  PRODUCT_FILE_STATES,
  PRODUCT_STATUSES,
  SHOP_SLUG,
} from '../../domain/product';
import { DISPUTE_STATUSES, ORDER_STATUSES, OWNED_ORDER_STATUSES } from '../../domain/order';
import { PAYOUT_SOURCES } from '../../domain/payout';
import { PROMO_KINDS, PROMO_SCOPES, REDEMPTION_STATUSES } from '../../domain/promo';
import { RAILS, type PayAddress } from '../../domain/rail';
import type { CategoryNames } from '../catalog/categories';
import { SUBSCRIPTION_STATUSES } from '../../domain/subscription';

const createdAt = { createdAt: timestamp({ withTimezone: true }).notNull().defaultNow() };
const timestamps = { ...createdAt, updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow() };
/** Telegram ids exceed 2^31 (and channel ids are negative), so they are bigints read as JS numbers (< 2^53). */
const telegramId = (name?: string) => (name ? bigint(name, { mode: 'number' }) : bigint({ mode: 'number' }));
const minor = () => bigint({ mode: 'bigint' });
const quoted = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const users = pgTable('users', {
  id: telegramId().primaryKey(),
  username: text(),
  firstName: text(),
  lastName: text(),
  /** Chosen in the bot; null means "use the Telegram client's language". */
  language: text(),
  /** The Telegram client's language as last seen, so workflow messages speak it too. */
  telegramLanguage: text(),
  termsAcceptedAt: timestamp({ withTimezone: true }),
  trialUsedAt: timestamp({ withTimezone: true }),
  /** The code in this user's own referral link (t.me/bot?start=ref_<code>). */
  referralCode: text().notNull().unique(),
  /** Set once from the first /start deep link that named a referrer. */
  referredBy: telegramId('referred_by'),
  /** Telegram answered 403: the user blocked the bot. Cleared when they write again. */
  blockedAt: timestamp({ withTimezone: true }),
  ...timestamps,
});

export const plans = pgTable(
  'plans',
  {
    id: text().primaryKey(),
    title: text().notNull(),
    priceMinor: minor().notNull(),
    currency: text().notNull().default('USD'),
    /** Length of one paid period; seconds so tests can use short plans. */
    durationSeconds: integer().notNull(),
    /** 0 means the plan has no trial. */
    trialSeconds: integer().notNull().default(0),
    /** The price in Telegram Stars (whole Stars); null: the plan is not sold for Stars. */
    priceStars: bigint({ mode: 'number' }),
    active: boolean().notNull().default(true),
    sortOrder: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    check('plans_price_positive', sql`${t.priceMinor} > 0`),
    check('plans_duration_positive', sql`${t.durationSeconds} > 0`),
    check('plans_trial_non_negative', sql`${t.trialSeconds} >= 0`),
    check('plans_price_stars_range', sql`${t.priceStars} is null or ${t.priceStars} between 1 and 10000`),
  ],
);

/** Why the bot cannot manage a channel right now (see infrastructure/providers/telegram.ts, ChannelProblem). */
export const CHANNEL_PROBLEMS = ['no-rights', 'bot-removed', 'chat-not-found'] as const;

export const channels = pgTable('channels', {
  id: telegramId().primaryKey(),
  title: text().notNull(),
  /**
   * Null while the bot can manage the channel. Set when it lost the rights it needs (my_chat_member, or
   * a refused removal / link / join answer); admins are told once per outage, cleared when rights return.
   */
  healthProblem: text({ enum: CHANNEL_PROBLEMS }),
  /** Telegram's words for the problem (or the rights the bot lacks). */
  healthDetail: text(),
  unhealthySince: timestamp({ withTimezone: true }),
  ...createdAt,
});

/** A plan may give access to several channels. */
export const planChannels = pgTable(
  'plan_channels',
  {
    planId: text()
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    channelId: telegramId('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.planId, t.channelId] })],
);

/** Read model of the subscription workflow, for /myplan, exports and join-request checks. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    userId: telegramId('user_id')
      .notNull()
      .references(() => users.id),
    planId: text()
      .notNull()
      .references(() => plans.id),
    status: text({ enum: SUBSCRIPTION_STATUSES }).notNull(),
    currentPeriodStart: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** Access ends here: expiry plus the grace period. */
    accessUntil: timestamp({ withTimezone: true }).notNull(),
    workflowId: text().notNull(),
    /** Monotonic version from the workflow, so a late retry of an older write never wins. */
    version: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.userId, t.planId] }), index('subscriptions_status_idx').on(t.status, t.expiresAt)],
);

/** Personal invite links, one per subscriber and channel. */
export const inviteLinks = pgTable(
  'invite_links',
  {
    userId: telegramId('user_id')
      .notNull()
      .references(() => users.id),
    planId: text()
      .notNull()
      .references(() => plans.id),
    channelId: telegramId('channel_id')
      .notNull()
      .references(() => channels.id),
    link: text().notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    ...createdAt,
  },
  (t) => [primaryKey({ columns: [t.userId, t.planId, t.channelId] }), uniqueIndex('invite_links_link_idx').on(t.link)],
);

export const invoices = pgTable(
  'invoices',
  {
    /** Our id; also the gateway's order_id and the workflow id suffix. */
    id: text().primaryKey(),
    userId: telegramId('user_id')
      .notNull()
      .references(() => users.id),
    /** What is being bought: a plan now, a product order later. */
    purpose: text().notNull(),
    planId: text().references(() => plans.id),
    /** A marketplace order's invoice (purpose `order`): the order it pays for. */
    orderId: text(),
    provider: text().notNull(),
    providerInvoiceId: text(),
    payUrl: text(),
    amountMinor: minor().notNull(),
    /**
     * The user's kept balance applied to this invoice (since `apply-credit`): the gateway asks for
     * amountMinor − creditMinor; the whole price when the balance paid for it (no gateway invoice).
     */
    creditMinor: minor()
      .notNull()
      .default(sql`0`),
    currency: text().notNull(),
    /** The promo code redeemed for this invoice and what it took off the price (minor units). */
    promoCode: text(),
    discountMinor: minor()
      .notNull()
      .default(sql`0`),
    /** NOWPayments: the coin the user picked (e.g. `btc`) and the address/amount it was given. */
    payCurrency: text(),
    payAddress: jsonb().$type<PayAddress>(),
    /** Every charge id the rail holds for this invoice: the first, then top-ups and repeat deposits. */
    chargeIds: jsonb().$type<string[]>().notNull().default([]),
    /** Stars: the invoice message sent to the user (deleted when the invoice is cancelled). */
    payMessageId: integer(),
    /** Stars: the id `refundStarPayment` needs. */
    telegramPaymentChargeId: text(),
    /** Exact decimal strings as the gateway reports them. */
    amountReceived: text().notNull().default('0'),
    overpaidAmount: text(),
    status: text({ enum: INVOICE_STATUSES }).notNull(),
    /** Every transition with its time and source, oldest first. */
    statusHistory: jsonb()
      .$type<Array<{ status: InvoiceStatus; at: string; source: string; note?: string; key?: string }>>()
      .notNull()
      .default([]),
    expiresAt: timestamp({ withTimezone: true }),
    paidAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('invoices_provider_invoice_idx').on(t.provider, t.providerInvoiceId),
    // One open invoice per user and plan: a second concurrent open finds this row instead.
    uniqueIndex('invoices_one_open_per_plan_idx')
      .on(t.userId, t.planId)
      .where(sql`${t.status} in (${sql.raw(OPEN_INVOICE_STATES.map((status) => `'${status}'`).join(', '))})`),
    index('invoices_user_idx').on(t.userId, t.createdAt),
    index('invoices_status_idx').on(t.status),
    check('invoices_amount_positive', sql`${t.amountMinor} > 0`),
    check('invoices_credit_within_price', sql`${t.creditMinor} >= 0 and ${t.creditMinor} <= ${t.amountMinor}`),
    check(
      'invoices_discount_within_price',
      sql`${t.discountMinor} >= 0 and ${t.discountMinor} + ${t.creditMinor} <= ${t.amountMinor}`,
    ),
  ],
);

/**
 * Promo codes (domain/promo.ts has the rules). `redeemed_count` is the number of reserved + used
 * redemptions, changed only together with a redemption row in one transaction (activities/promos.ts),
 * so the cap holds under any concurrency.
 */
export const promoCodes = pgTable(
  'promo_codes',
  {
    /** Upper-case, [A-Z0-9_-]{3,32}. */
    code: text().primaryKey(),
    kind: text({ enum: PROMO_KINDS }).notNull(),
    /** Percent codes: 1–10000 basis points. */
    percentBps: integer(),
    /** Fixed codes: the amount off, in minor units of `currency` (applies to prices in that currency only). */
    amountMinor: minor(),
    currency: text(),
    /** null: unlimited. */
    maxRedemptions: integer(),
    maxPerUser: integer().notNull().default(1),
    redeemedCount: integer().notNull().default(0),
    /** Valid in [startsAt, endsAt); null: no bound. */
    startsAt: timestamp({ withTimezone: true }),
    endsAt: timestamp({ withTimezone: true }),
    scope: text({ enum: PROMO_SCOPES }).notNull().default('all'),
    /** Plan ids (later product or seller ids) for a scope other than `all`. */
    scopeIds: jsonb().$type<string[]>().notNull().default([]),
    disabledAt: timestamp({ withTimezone: true }),
    /** The admin's Telegram id; null when ops created it. */
    createdBy: telegramId('created_by'),
    ...createdAt,
  },
  (t) => [
    // The same rule as domain/promo.ts PROMO_CODE.
    check('promo_codes_code_format', sql`${t.code} ~ '^[A-Z0-9_-]{3,32}$'`),
    check(
      'promo_codes_discount',
      sql`(${t.kind} = 'percent' and ${t.percentBps} between 1 and 10000 and ${t.amountMinor} is null and ${t.currency} is null) or (${t.kind} = 'fixed' and ${t.percentBps} is null and ${t.amountMinor} > 0 and ${t.currency} is not null)`,
    ),
    check('promo_codes_scope', sql`${t.scope} in ('all', 'plans', 'products', 'sellers')`),
    check('promo_codes_max_redemptions', sql`${t.maxRedemptions} is null or ${t.maxRedemptions} >= 1`),
    check('promo_codes_max_per_user', sql`${t.maxPerUser} >= 1`),
    check(
      'promo_codes_redeemed_within_cap',
      sql`${t.redeemedCount} >= 0 and (${t.maxRedemptions} is null or ${t.redeemedCount} <= ${t.maxRedemptions})`,
    ),
    check('promo_codes_window', sql`${t.startsAt} is null or ${t.endsAt} is null or ${t.endsAt} > ${t.startsAt}`),
    check(
      'promo_codes_scope_ids',
      sql`jsonb_typeof(${t.scopeIds}) = 'array' and (${t.scope} = 'all') = (jsonb_array_length(${t.scopeIds}) = 0)`,
    ),
  ],
);

/** One redemption per invoice: the code priced into it, and whether that invoice settled or closed unpaid. */
export const promoRedemptions = pgTable(
  'promo_redemptions',
  {
    invoiceId: text()
      .primaryKey()
      .references(() => invoices.id),
    code: text()
      .notNull()
      .references(() => promoCodes.code),
    userId: telegramId('user_id')
      .notNull()
      .references(() => users.id),
    discountMinor: minor().notNull(),
    currency: text().notNull(),
    status: text({ enum: REDEMPTION_STATUSES }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    releasedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('promo_redemptions_code_user_idx').on(t.code, t.userId),
    check('promo_redemptions_discount_positive', sql`${t.discountMinor} > 0`),
    check('promo_redemptions_status', sql`${t.status} in ('reserved', 'used', 'released')`),
  ],
);

/** The code a user entered (/promo, a promo_ deep link or the button), used on their next invoice. */
export const promoSelections = pgTable('promo_selections', {
  userId: telegramId('user_id')
    .primaryKey()
    .references(() => users.id),
  code: text()
    .notNull()
    .references(() => promoCodes.code),
  selectedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * accepted: signalled to a running invoice workflow; after_close: for an invoice whose workflow has
 * ended (kept here, answered 200 so the gateway stops retrying); duplicate: a verified repeat of an
 * event already signalled (answered 200, not signalled again); rejected / unknown_order /
 * mismatch (signed, but not for the invoice our order created) / not_ready (retry later): refused;
 * failed: verified, but the workflow could not be signalled (answered 5xx, so the provider retries).
 */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'after_close',
  'duplicate',
  'rejected',
  'unknown_order',
  'mismatch',
  'not_ready',
  'failed',
] as const;

/** Every webhook received, verified or not: the audit trail and the de-duplication record. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    provider: text().notNull(),
    verified: boolean().notNull(),
    outcome: text({ enum: WEBHOOK_OUTCOMES }).notNull(),
    reason: text(),
    orderId: text(),
    /** Provider event identity (e.g. invoice + status + amount) to recognise repeats. */
    dedupKey: text(),
    remoteAddress: text(),
    contentType: text(),
    /** The body as received (truncated to the API body limit by the server before it gets here). */
    payload: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('webhook_events_order_idx').on(t.provider, t.orderId),
    index('webhook_events_dedup_idx').on(t.provider, t.dedupKey),
  ],
);

/**
 * De-duplication claims of verified gateway events: the first postback with a key inserts it and is
 * signalled; repeats find it. Released (deleted) when the signal fails, so the gateway's retry counts.
 */
export const webhookClaims = pgTable(
  'webhook_claims',
  {
    provider: text().notNull(),
    dedupKey: text().notNull(),
    orderId: text().notNull(),
    ...createdAt,
  },
  // Released by order when the invoice's workflow ends (later repeats cannot reach it anyway).
  (t) => [primaryKey({ columns: [t.provider, t.dedupKey] }), index('webhook_claims_order_idx').on(t.orderId)],
);

export const referrers = pgTable(
  'referrers',
  {
    userId: telegramId('user_id')
      .primaryKey()
      .references(() => users.id),
    commissionBps: integer().notNull(),
    active: boolean().notNull().default(true),
    ...timestamps,
  },
  (t) => [check('referrers_commission_range', sql`${t.commissionBps} between 0 and 10000`)],
);

export const referrals = pgTable(
  'referrals',
  {
    /** One referrer per referred user: the first one wins. */
    referredId: telegramId('referred_id')
      .primaryKey()
      .references(() => users.id),
    referrerId: telegramId('referrer_id')
      .notNull()
      .references(() => users.id),
    ...createdAt,
  },
  (t) => [
    index('referrals_referrer_idx').on(t.referrerId),
    check('referrals_not_self', sql`${t.referrerId} <> ${t.referredId}`),
  ],
);

export const COMMISSION_STATUSES = ['held', 'available', 'reversed'] as const;

/**
 * Read model of the commission workflow (`commission:<invoiceId>`): one row per paid invoice of a
 * referred user, fixed at payment time (rate and amount), for /referral stats and exports. The money
 * itself is in the ledger (`referrer:<id>:held|available`).
 */
export const referralCommissions = pgTable(
  'referral_commissions',
  {
    invoiceId: text()
      .primaryKey()
      .references(() => invoices.id),
    referrerId: telegramId('referrer_id')
      .notNull()
      .references(() => users.id),
    referredId: telegramId('referred_id')
      .notNull()
      .references(() => users.id),
    commissionBps: integer().notNull(),
    /** The invoice price the commission was computed on. */
    baseAmountMinor: minor().notNull(),
    amountMinor: minor().notNull(),
    currency: text().notNull(),
    status: text({ enum: COMMISSION_STATUSES }).notNull(),
    /** When the hold ends and the commission becomes available. */
    releaseAt: timestamp({ withTimezone: true }).notNull(),
    availableAt: timestamp({ withTimezone: true }),
    reversedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('referral_commissions_referrer_idx').on(t.referrerId, t.createdAt),
    check('referral_commissions_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

export const PAYOUT_STATUSES = ['requested', 'approved', 'paid', 'rejected'] as const;

export const payoutRequests = pgTable(
  'payout_requests',
  {
    id: text().primaryKey(),
    /** Whose balance pays: a referrer's, a seller's, or a buyer's refund (domain/payout.ts). */
    source: text({ enum: PAYOUT_SOURCES }).notNull().default('referrer'),
    requesterId: telegramId('requester_id')
      .notNull()
      .references(() => users.id),
    amountMinor: minor().notNull(),
    currency: text().notNull(),
    network: text().notNull(),
    wallet: text().notNull(),
    status: text({ enum: PAYOUT_STATUSES }).notNull(),
    decidedBy: telegramId('decided_by'),
    reason: text(),
    txHash: text(),
    requestedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    approvedAt: timestamp({ withTimezone: true }),
    paidAt: timestamp({ withTimezone: true }),
    rejectedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('payout_requests_requester_idx').on(t.requesterId),
    index('payout_requests_status_idx').on(t.status, t.requestedAt),
    check('payout_requests_source', sql`${t.source} in (${quoted(PAYOUT_SOURCES)})`),
    check('payout_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

/**
 * Double-entry ledger. A posting is several entries with one transaction key whose amounts sum to
 * zero per currency; each entry's idempotency key (transaction key + account) is unique, so a retried
 * activity never posts twice. A balance is the sum of an account's entries, nothing else.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    idempotencyKey: text().notNull().unique(),
    transactionKey: text().notNull(),
    /** e.g. "platform:revenue", "referrer:123:held", "referrer:123:available", "gateway:cryptocloud". */
    account: text().notNull(),
    amountMinor: minor().notNull(),
    currency: text().notNull(),
    kind: text().notNull(),
    memo: text(),
    ...createdAt,
  },
  (t) => [
    index('ledger_entries_account_idx').on(t.account, t.currency),
    index('ledger_entries_transaction_idx').on(t.transactionKey),
  ],
);

/** Who did what: admin commands and ops actions. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    actorId: telegramId('actor_id'),
    actor: text().notNull(),
    action: text().notNull(),
    target: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    ...createdAt,
  },
  (t) => [index('audit_log_actor_idx').on(t.actorId, t.createdAt)],
);

export const OUTBOX_STATUSES = ['sending', 'sent', 'blocked', 'failed'] as const;

/**
 * Messages sent to users by workflows, keyed by a business key derived from the workflow, so a
 * retried activity or a replayed workflow never sends the same message twice.
 */
export const outboxMessages = pgTable(
  'outbox_messages',
  {
    key: text().primaryKey(),
    chatId: telegramId('chat_id').notNull(),
    status: text({ enum: OUTBOX_STATUSES }).notNull(),
    messageId: integer(),
    attempts: integer().notNull().default(0),
    error: text(),
    /** What was sent (message key, variables, buttons), so ops can replay a failed delivery. */
    payload: jsonb().$type<OutboxPayload>(),
    ...timestamps,
  },
  (t) => [index('outbox_messages_status_idx').on(t.status)],
);

export interface OutboxPayload {
  message: string;
  vars?: Record<string, string | number>;
  /** Sent as a photo of this text's QR code, with the message as its caption (a pay address). */
  qr?: string;
  buttons?: Array<
    | { url: string; text?: string; message?: string }
    | { callback: string; text?: string; message?: string }
    | { webApp: string; text?: string; message?: string }
  >;
  /** Sent as this stored file (a product delivery), with the message as its caption. */
  document?: { objectKey: string; fileName: string };
}

export const EMAIL_STATUSES = ['sending', 'sent', 'failed'] as const;

/**
 * Emails, keyed by the message's idempotency key, so a retried activity never sends one twice
 * (infrastructure/email/outbox.ts). `providerId`: the SMTP Message-ID or the Mailjet message id.
 */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    key: text().primaryKey(),
    to: text().notNull(),
    subject: text().notNull(),
    status: text({ enum: EMAIL_STATUSES }).notNull(),
    providerId: text(),
    attempts: integer().notNull().default(0),
    error: text(),
    ...timestamps,
  },
  (t) => [index('email_outbox_status_idx').on(t.status)],
);

// ---------------------------------------------------------------------------------------- marketplace

/** PostgreSQL's text-search document type; drizzle has no built-in column for it. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A user who sells. The row exists once they accepted the seller terms and chose a shop slug. */
export const sellers = pgTable(
  'sellers',
  {
    userId: telegramId('user_id')
      .primaryKey()
      .references(() => users.id),
    displayName: text().notNull(),
    /** The shop's part of links (t.me/<bot>?start=shop_<slug>); domain/product.ts SHOP_SLUG. */
    shopSlug: text().notNull().unique(),
    /** Where sale alerts are emailed; null: Telegram only. */
    alertEmail: text(),
    /** Alert kinds the seller turned off for email (domain/seller-alert.ts); the rest are sent. */
    alertOptOuts: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    termsAcceptedAt: timestamp({ withTimezone: true }).notNull(),
    /** Placeholder until payouts to sellers are built (network, wallet, ...). */
    payoutDetails: jsonb().$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [
    check('sellers_shop_slug_format', sql`${t.shopSlug} ~ ${sql.raw(`'${SHOP_SLUG.source}'`)}`),
    check('sellers_display_name_length', sql`char_length(${t.displayName}) between 1 and 64`),
  ],
);

/** The fixed list of product categories (infrastructure/catalog/categories.ts seeds it at migrate time). */
export const categories = pgTable(
  'categories',
  {
    /** A slug, also used in callback data and deep links. */
    id: text().primaryKey(),
    sortOrder: integer().notNull(),
    /** The name in every bot language. */
    names: jsonb().$type<CategoryNames>().notNull(),
  },
  (t) => [check('categories_id_format', sql`${t.id} ~ '^[a-z][a-z0-9-]{1,31}$'`)],
);

export const products = pgTable(
  'products',
  {
    /** Random and URL-safe (domain/product.ts newProductId): part of product deep links. */
    id: text().primaryKey(),
    sellerId: telegramId('seller_id')
      .notNull()
      .references(() => sellers.userId),
    title: text().notNull(),
    description: text().notNull().default(''),
    categoryId: text()
      .notNull()
      .references(() => categories.id),
    /** The fiat price; both null when the product is not sold for fiat. */
    priceMinor: minor(),
    currency: text(),
    /** Whole Stars; null when the product is not sold for Stars. */
    priceStars: bigint({ mode: 'number' }),
    status: text({ enum: PRODUCT_STATUSES }).notNull().default('draft'),
    /** The moderator's words when status is `rejected`. */
    rejectionReason: text(),
    /** Soft delete: buyers keep their purchases; the cleanup job removes the files later. */
    deletedAt: timestamp({ withTimezone: true }),
    viewsCount: bigint({ mode: 'number' }).notNull().default(0),
    salesCount: bigint({ mode: 'number' }).notNull().default(0),
    /** Sum and count of 1–5 star reviews; the average is sum / count. */
    ratingSum: integer().notNull().default(0),
    ratingCount: integer().notNull().default(0),
    /**
     * Title (weight A) and description (B) as lexemes; the `simple` configuration only lower-cases and
     * splits, so it works for every language (no stemming) and is immutable, as a generated column must be.
     */
    searchVector: tsvector()
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('simple'::regconfig, ${products.title}), 'A') || setweight(to_tsvector('simple'::regconfig, ${products.description}), 'B')`,
      ),
    ...timestamps,
  },
  (t) => [
    index('products_seller_idx').on(t.sellerId, t.createdAt),
    index('products_catalog_idx').on(t.status, t.categoryId, t.createdAt),
    index('products_search_idx').using('gin', t.searchVector),
    // Trigram fallback for misspelt searches ("photoshp"); needs the pg_trgm extension (created by the migration).
    index('products_title_trgm_idx').using('gin', t.title.op('gin_trgm_ops')),
    check('products_status', sql`${t.status} in (${quoted(PRODUCT_STATUSES)})`),
    check(
      'products_title_length',
      sql`char_length(${t.title}) between 1 and ${sql.raw(String(MAX_PRODUCT_TITLE_LENGTH))}`,
    ),
    check(
      'products_description_length',
      sql`char_length(${t.description}) <= ${sql.raw(String(MAX_PRODUCT_DESCRIPTION_LENGTH))}`,
    ),
    check('products_has_price', sql`${t.priceMinor} is not null or ${t.priceStars} is not null`),
    check(
      'products_fiat_price',
      // Spelled out with "is not null": a comparison with null is null, and a check passes on null.
      sql`(${t.priceMinor} is null and ${t.currency} is null) or (${t.priceMinor} is not null and ${t.currency} is not null and ${t.priceMinor} > 0 and ${t.currency} ~ '^[A-Z]{3}$')`,
    ),
    check('products_price_stars_range', sql`${t.priceStars} is null or ${t.priceStars} between 1 and 10000`),
    check(
      'products_counters_non_negative',
      sql`${t.viewsCount} >= 0 and ${t.salesCount} >= 0 and ${t.ratingSum} >= 0 and ${t.ratingCount} >= 0`,
    ),
  ],
);

/** A product's objects in storage: what the buyer gets, its cover and previews, each under a generated key. */
export const productFiles = pgTable(
  'product_files',
  {
    id: text().primaryKey(),
    productId: text()
      .notNull()
      .references(() => products.id),
    role: text({ enum: PRODUCT_FILE_ROLES }).notNull(),
    /** domain/product.ts objectKeyFor: `products/<sellerId>/<role>/<uuid>`, never a user's file name. */
    objectKey: text().notNull().unique(),
    /** Declared at upload start, then the stored object's size once completed. */
    sizeBytes: bigint({ mode: 'number' }).notNull(),
    contentType: text().notNull(),
    /** The seller's file name: only sent back as the download's Content-Disposition file name. */
    originalName: text().notNull(),
    checksum: text(),
    /** The S3 multipart upload id while state is `uploading`. */
    uploadId: text(),
    state: text({ enum: PRODUCT_FILE_STATES }).notNull().default('uploading'),
    refusalReason: text(),
    ...timestamps,
  },
  (t) => [
    index('product_files_product_idx').on(t.productId, t.role),
    // For the cleanup of abandoned uploads.
    index('product_files_state_idx').on(t.state, t.createdAt),
    check('product_files_role', sql`${t.role} in (${quoted(PRODUCT_FILE_ROLES)})`),
    check('product_files_state', sql`${t.state} in (${quoted(PRODUCT_FILE_STATES)})`),
    check('product_files_size_non_negative', sql`${t.sizeBytes} >= 0`),
  ],
);

/**
 * Telegram's file_id for an object already sent once (a cover as a photo), so later sends reuse it
 * instead of uploading again. file_ids belong to one bot: clear the table when the bot token changes.
 */
export const telegramFileCache = pgTable('telegram_file_cache', {
  objectKey: text().primaryKey(),
  fileId: text().notNull(),
  fileUniqueId: text().notNull(),
  /** What it was sent as: `photo`, `document`, ... (a file_id only works with the same method). */
  kind: text().notNull(),
  ...createdAt,
});

/**
 * A buyer's /search text, kept server-side so the carousel's buttons carry only this short id (callback
 * data is 64 bytes of plain tokens). Rows are small and only read while the carousel is paged.
 * TODO: prune rows older than a few days (a periodic cleanup job).
 */
export const catalogSearches = pgTable(
  'catalog_searches',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    userId: telegramId('user_id')
      .notNull()
      .references(() => users.id),
    query: text().notNull(),
    ...createdAt,
  },
  (t) => [index('catalog_searches_created_idx').on(t.createdAt)],
);

/**
 * Marketplace orders (read model of the order workflows): who bought what, at which price on which
 * rail, and how often they downloaded it. A soft-deleted product keeps its orders, so buyers keep it in
 * their library.
 */
export const orders = pgTable(
  'orders',
  {
    id: text().primaryKey(),
    buyerId: telegramId('buyer_id')
      .notNull()
      .references(() => users.id),
    productId: text()
      .notNull()
      .references(() => products.id),
    sellerId: telegramId('seller_id')
      .notNull()
      .references(() => sellers.userId),
    rail: text({ enum: RAILS }).notNull(),
    invoiceId: text(),
    /** The price snapshot: what this buyer pays, whatever the product costs later. */
    priceMinor: minor(),
    currency: text(),
    priceStars: bigint({ mode: 'number' }),
    status: text({ enum: ORDER_STATUSES }).notNull().default('awaiting_payment'),
    paidAt: timestamp({ withTimezone: true }),
    /** When the delivery message reached the buyer. */
    deliveredAt: timestamp({ withTimezone: true }),
    /** The first download (the delivery workflow's `downloaded` signal stops its reminder). */
    firstDownloadAt: timestamp({ withTimezone: true }),
    downloadCount: integer().notNull().default(0),
    lastDownloadAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('orders_buyer_idx').on(t.buyerId, t.paidAt),
    index('orders_seller_idx').on(t.sellerId, t.paidAt),
    // A buyer owns a product once: a second purchase opens the library instead.
    uniqueIndex('orders_one_owned')
      .on(t.buyerId, t.productId)
      .where(sql`${t.status} in (${quoted(OWNED_ORDER_STATUSES)})`),
    // One open order per buyer and product: a second Buy meets this row (and its workflow) instead.
    uniqueIndex('orders_one_open')
      .on(t.buyerId, t.productId)
      .where(sql`${t.status} = 'awaiting_payment'`),
    index('orders_invoice_idx').on(t.invoiceId),
    check('orders_status', sql`${t.status} in (${quoted(ORDER_STATUSES)})`),
    check('orders_rail', sql`${t.rail} in (${quoted(RAILS)})`),
    check('orders_has_price', sql`${t.priceMinor} is not null or ${t.priceStars} is not null`),
    check(
      'orders_paid_at',
      sql`${t.status} in ('awaiting_payment', 'expired', 'cancelled') or ${t.paidAt} is not null`,
    ),
    check('orders_download_count', sql`${t.downloadCount} >= 0`),
  ],
);

/**
 * One-time download tokens for an owned order. Only the token's SHA-256 is stored, so a database
 * leak hands out no working link. `claimed_at` is set by the first request (one conditional UPDATE);
 * claimed rows are also the download log: a buyer's claims in the last hour are their sliding-window
 * rate, counted here so every api process sees the same number.
 * TODO: prune rows expired and claimed (or never claimed) more than an hour ago (a periodic cleanup job).
 */
export const downloadTokens = pgTable(
  'download_tokens',
  {
    /** Hex SHA-256 of the base64url token. */
    tokenHash: text().primaryKey(),
    orderId: text()
      .notNull()
      .references(() => orders.id),
    buyerId: telegramId('buyer_id')
      .notNull()
      .references(() => users.id),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    claimedAt: timestamp({ withTimezone: true }),
    ...createdAt,
  },
  (t) => [
    // The sliding-window count: a buyer's claims since an hour ago.
    index('download_tokens_buyer_claimed_idx').on(t.buyerId, t.claimedAt),
    index('download_tokens_order_idx').on(t.orderId),
    check('download_tokens_hash_format', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`),
  ],
);

/**
 * A buyer's dispute of an order inside its escrow hold: the release waits until an admin resolves
 * it (the escrow workflow holds the truth; this row is the read model for /escrow and the library).
 * One per order.
 */
export const disputes = pgTable(
  'disputes',
  {
    orderId: text()
      .primaryKey()
      .references(() => orders.id),
    buyerId: telegramId('buyer_id')
      .notNull()
      .references(() => users.id),
    sellerId: telegramId('seller_id')
      .notNull()
      .references(() => sellers.userId),
    reason: text().notNull(),
    status: text({ enum: DISPUTE_STATUSES }).notNull().default('open'),
    openedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp({ withTimezone: true }),
    resolvedBy: telegramId('resolved_by'),
    /** A split's part for the buyer, in the sale's minor units (the rest is released to the seller). */
    buyerShareMinor: minor(),
    currency: text(),
  },
  (t) => [
    index('disputes_open_idx')
      .on(t.openedAt)
      .where(sql`${t.status} = 'open'`),
    check('disputes_status', sql`${t.status} in (${quoted(DISPUTE_STATUSES)})`),
    check('disputes_reason_length', sql`char_length(${t.reason}) between 1 and 500`),
    check('disputes_resolved', sql`(${t.status} = 'open') = (${t.resolvedAt} is null)`),
    check('disputes_share', sql`${t.buyerShareMinor} is null or ${t.buyerShareMinor} >= 0`),
  ],
);
