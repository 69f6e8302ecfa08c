/**
 * `POST /cryptocloud_webhook`: verify the postback's JWT, bind it to the invoice our order created,
 * de-duplicate, audit, signal `invoice:<order_id>`, answer. A postback is only a hint: the workflow
 * then asks the gateway about its own invoice, so nothing in the body is ever a source of money.
 * Anything forged, malformed, for another invoice, oversized or for an unknown order gets a 4xx with
 * the reason, changes nothing but the audit trail, and never reaches a workflow. Any bytes at all get
 * an answer and an audit row (api/intake-audit.ts), never a 5xx.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { FastifyPluginAsync } from 'fastify';
import { GATEWAY_STATUSES, INVOICE_ID_PATTERN, type GatewayStatus } from '../../domain/invoice';
import { invoices } from '../../infrastructure/db/schema';
import { normaliseInvoiceId, verifyPostbackToken } from '../../infrastructure/providers/cryptocloud';
import type { AppDeps } from '../app';
import { claimAndAudit, intakeRoute } from '../intake-audit';

export const CRYPTOCLOUD_WEBHOOK_PATH = '/cryptocloud_webhook';
const PROVIDER = 'cryptocloud';
const KNOWN_GATEWAY_STATUSES: ReadonlySet<string> = new Set(GATEWAY_STATUSES);
const DECIMAL = /^\d{1,20}(\.\d{1,18})?$/;
/** Ids as CryptoCloud writes them: 8 or so upper-case letters and digits, optionally with INV-. */
const GATEWAY_INVOICE_ID = /^(INV-)?[A-Za-z0-9]{4,40}$/;

/** Open invoices whose gateway binding the route remembers (an entry is a few dozen bytes). */
const BINDINGS_REMEMBERED = 10_000;

interface Binding {
  providerInvoiceId: string | null;
  provider: string;
}

interface Postback {
  token: string;
  orderId: string;
  /** The gateway invoice id the body names, without INV-. */
  invoiceId: string;
  status: GatewayStatus;
  /** What the body says arrived: informative only (audit, dedup), never money. */
  received: string;
}

export const cryptocloudWebhookRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime, config }) => {
  const { refuse } = intakeRoute(app, {
    db: runtime.db,
    provider: PROVIDER,
    path: CRYPTOCLOUD_WEBHOOK_PATH,
    maxBodyBytes: config.api.maxBodyBytes,
  });

  const bindings = new LRUCache<string, Binding>({ max: BINDINGS_REMEMBERED });
  const bindingOf = async (orderId: string): Promise<Binding | undefined> => {
    const [row] = await runtime.db
      .select({ providerInvoiceId: invoices.providerInvoiceId, provider: invoices.provider })
      .from(invoices)
      .where(eq(invoices.id, orderId));
    if (row?.providerInvoiceId) bindings.set(orderId, row);
    return row;
  };
  /** For the audit of a postback after the close: the status now (not remembered, it moves). */
  const statusOf = async (orderId: string) =>
    (await runtime.db.select({ status: invoices.status }).from(invoices).where(eq(invoices.id, orderId)))[0]?.status;

  app.post(CRYPTOCLOUD_WEBHOOK_PATH, async (request, reply) => {
    const decoded = decodeBody(request.headers['content-type'], request.body);
    if (typeof decoded === 'string')
      return refuse(request, reply, decoded.startsWith('unsupported') ? 415 : 400, decoded);
    // Audit the decoded fields, not the bytes, from here on (the bytes are kept by payloadText either way).
    const parsed = parsePostback(decoded);
    if (typeof parsed === 'string') return refuse(request, reply, 400, parsed);
    const verdict = await verifyPostbackToken(parsed.token, config.cryptocloud.secretKey);
    if (!verdict.ok) return refuse(request, reply, 401, verdict.reason);
    const unknown = () =>
      refuse(request, reply, 404, `unknown order ${parsed.orderId}`, {
        verified: true,
        outcome: 'unknown_order',
        orderId: parsed.orderId,
      });
    if (!INVOICE_ID_PATTERN.test(parsed.orderId)) return unknown();

    // Bind the postback to the gateway invoice our order's workflow created (a primary-key read,
    // remembered once the gateway invoice is recorded: that binding never changes).
    const invoice = bindings.get(parsed.orderId) ?? (await bindingOf(parsed.orderId));
    if (!invoice || invoice.provider !== PROVIDER) return unknown();
    if (!invoice.providerInvoiceId)
      return refuse(request, reply, 409, `invoice ${parsed.orderId} has no gateway invoice recorded yet; retry`, {
        verified: true,
        outcome: 'not_ready',
        orderId: parsed.orderId,
      });
    const ours = normaliseInvoiceId(invoice.providerInvoiceId);
    if (normaliseInvoiceId(parsed.invoiceId) !== ours)
      return refuse(request, reply, 409, `invoice_id does not belong to order ${parsed.orderId}`, {
        verified: true,
        outcome: 'mismatch',
        orderId: parsed.orderId,
      });
    // The token's `id` claim: the sandbox signs the invoice id; what the real one holds is
    // UNCONFIRMED, so it is compared whenever it has an invoice id's shape (README, "Payment rails").
    if (
      verdict.invoiceId !== undefined &&
      GATEWAY_INVOICE_ID.test(verdict.invoiceId) &&
      normaliseInvoiceId(verdict.invoiceId) !== ours
    )
      return refuse(request, reply, 409, `the token names another invoice than order ${parsed.orderId}`, {
        verified: true,
        outcome: 'mismatch',
        orderId: parsed.orderId,
      });

    // De-duplicate before the workflow (a flood of repeats costs the workflow nothing), audited
    // in the same statement: one round trip for the claim and the row.
    const dedupKey = `${ours}:${parsed.status}:${parsed.received}`;
    const claim = await claimAndAudit(runtime.db, request, { provider: PROVIDER, dedupKey, orderId: parsed.orderId });
    if (!claim.first) return reply.code(200).send({ ok: true });
    try {
      await runtime.commands.reportPayment(parsed.orderId, {
        status: parsed.status,
        received: parsed.received,
        source: 'webhook',
      });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) {
        // The claim goes back so the gateway's retry of this 5xx is not taken for a duplicate.
        await claim.undo({ outcome: 'failed', reason: `signal failed: ${String(error).slice(0, 300)}` });
        throw error;
      }
      // The invoice's workflow has ended (settled, or closed after its late-payment window). The
      // report is kept in the audit trail for admins; answered 200 so the gateway stops retrying.
      // No claim is kept: nothing can reach the workflow any more.
      const status = await statusOf(parsed.orderId);
      request.log.warn({ orderId: parsed.orderId, status }, 'postback for a closed invoice');
      await claim.undo({
        outcome: 'after_close',
        reason: `invoice already ${status}; the postback says ${parsed.status} ${parsed.received}`,
      });
      return reply.code(200).send({ ok: true });
    }
    return reply.code(200).send({ ok: true });
  });
};

/** The body's fields from JSON or form encoding, or why not (a string starting "unsupported" is a 415). */
export function decodeBody(contentType: unknown, body: unknown): unknown {
  const type = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (bytes.length === 0) return 'the body is empty';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return 'the body is not valid JSON';
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      const seen = fields[key];
      fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    return fields;
  }
  return `unsupported content type "${type.slice(0, 60)}" (JSON or form expected)`;
}

/** The postback's fields, from JSON or form encoding (where invoice_info is a JSON string), or why not. */
export function parsePostback(body: unknown): Postback | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'body must be a JSON or form-encoded object';
  const fields = body as Record<string, unknown>;
  const token = fields.token;
  const orderId = fields.order_id;
  const invoiceId = fields.invoice_id;
  if (typeof token !== 'string' || token.length === 0 || token.length > 4_000) return 'token is missing';
  if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > 100)
    return 'order_id is missing or too long';
  if (typeof invoiceId !== 'string' || !GATEWAY_INVOICE_ID.test(invoiceId)) return 'invoice_id is missing or malformed';
  if (fields.status !== undefined && fields.status !== 'success') return 'status must be "success"';
  if (
    fields.currency !== undefined &&
    (typeof fields.currency !== 'string' || !/^[A-Z0-9_]{2,30}$/.test(fields.currency))
  )
    return 'currency is malformed';
  if (
    fields.amount_crypto !== undefined &&
    !(
      (typeof fields.amount_crypto === 'string' || typeof fields.amount_crypto === 'number') &&
      DECIMAL.test(String(fields.amount_crypto))
    )
  )
    return 'amount_crypto is not a decimal number';
  let info: unknown = undefined;
  if (typeof fields.invoice_info === 'string') {
    try {
      info = JSON.parse(fields.invoice_info) as unknown;
    } catch {
      return 'invoice_info is not valid JSON';
    }
  } else info = fields.invoice_info;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return 'invoice_info is missing';
  const details = info as Record<string, unknown>;
  // A missing status is an error, never "paid".
  if (typeof details.status !== 'string') return 'invoice_info.status is missing';
  const status = details.status === 'cancelled' ? 'canceled' : details.status;
  if (!KNOWN_GATEWAY_STATUSES.has(status)) return `invoice_info.status "${status.slice(0, 20)}" is unknown`;
  // Only for the audit and the de-duplication key (the workflow asks the gateway for money).
  const received = details.received === undefined ? '0' : decimalText(details.received);
  if (received === undefined) return 'invoice_info.received is not a decimal number';
  return { token, orderId, invoiceId: normaliseInvoiceId(invoiceId), status: status as GatewayStatus, received };
}

/** A non-negative decimal as exact text (JSON numbers printed without exponent), or undefined. */
function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 1e15) return undefined;
    const text = /e/i.test(String(value)) ? value.toFixed(18).replace(/\.?0+$/, '') : String(value);
    return DECIMAL.test(text) ? text : undefined;
  }
  return typeof value === 'string' && DECIMAL.test(value) ? value : undefined;
}
