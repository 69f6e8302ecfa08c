/**
 * `POST /cryptocloud_webhook`: verify the postback's JWT, audit it, signal `invoice:<order_id>`, answer.
 * Anything forged, expired, malformed, oversized or for an unknown order gets a 4xx with the reason,
 * changes nothing but the audit trail, and never reaches a workflow.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { INVOICE_ID_PATTERN, type GatewayStatus } from '../../domain/invoice';
import { eq } from 'drizzle-orm';
import { compareDecimal } from '../../domain/money';
import { invoices, webhookEvents, WEBHOOK_OUTCOMES } from '../../infrastructure/db/schema';
import { verifyPostbackToken } from '../../infrastructure/providers/cryptocloud';
import type { AppDeps } from '../app';

export const CRYPTOCLOUD_WEBHOOK_PATH = '/cryptocloud_webhook';
const PROVIDER = 'cryptocloud';
const GATEWAY_STATUSES: ReadonlySet<string> = new Set(['created', 'partial', 'paid', 'overpaid', 'canceled']);
const DECIMAL = /^\d+(\.\d+)?$/;

interface Postback {
  token: string;
  orderId: string;
  invoiceId: string;
  status: GatewayStatus;
  received: string;
}

type Outcome = (typeof WEBHOOK_OUTCOMES)[number];

export const cryptocloudWebhookRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime, config }) => {
  const audit = async (
    request: FastifyRequest,
    fields: { verified: boolean; outcome: Outcome; reason?: string; orderId?: string; dedupKey?: string },
  ) => {
    await runtime.db.insert(webhookEvents).values({
      provider: PROVIDER,
      ...fields,
      remoteAddress: request.ip,
      contentType: request.headers['content-type']?.slice(0, 100),
      payload: typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null),
    });
  };
  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    code: number,
    reason: string,
    fields: { verified?: boolean; outcome?: Outcome; orderId?: string } = {},
  ) => {
    await audit(request, {
      verified: fields.verified ?? false,
      outcome: fields.outcome ?? 'rejected',
      reason,
      orderId: fields.orderId,
    });
    request.log.warn({ reason, orderId: fields.orderId }, 'cryptocloud postback refused');
    return reply.code(code).send({ ok: false, error: reason });
  };

  // Bodies refused before the handler (too large, unparsable) are audited too.
  app.addHook('onError', async (request, _reply, error: Error & { statusCode?: number }) => {
    if (request.routeOptions.url === CRYPTOCLOUD_WEBHOOK_PATH && (error.statusCode ?? 500) < 500) {
      await audit(request, { verified: false, outcome: 'rejected', reason: error.message.slice(0, 200) });
    }
  });

  app.post(CRYPTOCLOUD_WEBHOOK_PATH, async (request, reply) => {
    const parsed = parsePostback(request.body);
    if (typeof parsed === 'string') return refuse(request, reply, 400, parsed);
    const verdict = await verifyPostbackToken(parsed.token, config.cryptocloud.secretKey);
    if (!verdict.ok) return refuse(request, reply, 401, verdict.reason, { orderId: parsed.orderId });
    if (!INVOICE_ID_PATTERN.test(parsed.orderId))
      return refuse(request, reply, 404, `unknown order ${parsed.orderId}`, {
        verified: true,
        outcome: 'unknown_order',
        orderId: parsed.orderId,
      });

    const dedupKey = `${parsed.invoiceId}:${parsed.status}:${parsed.received}`;
    try {
      await runtime.commands.reportPayment(parsed.orderId, {
        status: parsed.status,
        received: parsed.received,
        source: 'webhook',
      });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error; // 5xx: CryptoCloud retries; nothing was recorded as accepted
      const [invoice] = await runtime.db
        .select({ status: invoices.status, received: invoices.amountReceived })
        .from(invoices)
        .where(eq(invoices.id, parsed.orderId));
      if (!invoice)
        return refuse(request, reply, 404, `unknown order ${parsed.orderId}`, {
          verified: true,
          outcome: 'unknown_order',
          orderId: parsed.orderId,
        });
      // The invoice's workflow has ended (settled, or closed after its late-payment window). The
      // report is kept in the audit trail; more money than recorded is for admins to look at.
      const moreMoney = compareDecimal(parsed.received, invoice.received) > 0;
      if (moreMoney)
        request.log.warn(
          { orderId: parsed.orderId, status: invoice.status, recorded: invoice.received, reported: parsed.received },
          'postback reports money for a closed invoice',
        );
      await audit(request, {
        verified: true,
        outcome: 'after_close',
        orderId: parsed.orderId,
        dedupKey,
        reason: `invoice already ${invoice.status}${moreMoney ? `; reports ${parsed.received}, recorded ${invoice.received}` : ''}`,
      });
      return reply.code(200).send({ ok: true });
    }
    // Repeats are harmless (the workflow ignores reports that do not move it forward).
    await audit(request, { verified: true, outcome: 'accepted', orderId: parsed.orderId, dedupKey });
    return reply.code(200).send({ ok: true });
  });
};

/** The postback's fields, from JSON or form encoding (where invoice_info is a JSON string), or why not. */
export function parsePostback(body: unknown): Postback | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'body must be a JSON or form-encoded object';
  const fields = body as Record<string, unknown>;
  const token = fields.token;
  const orderId = fields.order_id;
  const invoiceId = fields.invoice_id;
  if (typeof token !== 'string' || token.length === 0) return 'token is missing';
  if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > 100)
    return 'order_id is missing or too long';
  if (typeof invoiceId !== 'string' || !/^[A-Za-z0-9-]{1,40}$/.test(invoiceId))
    return 'invoice_id is missing or malformed';
  let info: Record<string, unknown> = {};
  if (typeof fields.invoice_info === 'string') {
    try {
      info = JSON.parse(fields.invoice_info) as Record<string, unknown>;
    } catch {
      return 'invoice_info is not valid JSON';
    }
  } else if (fields.invoice_info && typeof fields.invoice_info === 'object') {
    info = fields.invoice_info as Record<string, unknown>;
  }
  const status = typeof info.status === 'string' ? info.status : 'paid';
  if (!GATEWAY_STATUSES.has(status)) return `invoice_info.status "${status.slice(0, 20)}" is unknown`;
  const rawReceived = info.received_usd ?? info.received ?? fields.amount_crypto ?? '0';
  if (typeof rawReceived !== 'string' && typeof rawReceived !== 'number')
    return 'the received amount is not a decimal number';
  const received = String(rawReceived);
  if (!DECIMAL.test(received)) return 'the received amount is not a decimal number';
  return { token, orderId, invoiceId, status: status as GatewayStatus, received };
}
