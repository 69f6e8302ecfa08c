/**
 * `POST /nowpayments_ipn`: verify the IPN's HMAC-SHA512 (over the recursively key-sorted JSON, in
 * constant time), de-duplicate, audit, signal `invoice:<order_id>`, answer, well within NOWPayments'
 * 3 s. No database read: the order id is our invoice id, and the IPN is only a hint. The workflow asks
 * NOWPayments about every payment it holds, and the client refuses a payment whose own `order_id` is
 * not the invoice, so a signed IPN naming someone else's payment moves nothing. Forged, malformed and
 * unknown-order IPNs get a 4xx with the reason and an audit row, and never reach a workflow.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { INVOICE_ID_PATTERN, type GatewayStatus } from '../../domain/invoice';
import { reportFromIpn, type NowPaymentsStatus } from '../../infrastructure/providers/nowpayments';
import { verifyNowPaymentsSignature } from '../../infrastructure/providers/nowpayments-signature';
import { invoiceWorkflowId } from '../../infrastructure/temporal/commands';
import type { AppDeps } from '../app';
import { claimAndAudit, intakeRoute } from '../intake-audit';

export const NOWPAYMENTS_IPN_PATH = '/nowpayments_ipn';
const PROVIDER = 'nowpayments';

export const nowpaymentsIpnRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime, config }) => {
  const { refuse } = intakeRoute(app, {
    db: runtime.db,
    provider: PROVIDER,
    path: NOWPAYMENTS_IPN_PATH,
    maxBodyBytes: config.api.maxBodyBytes,
  });

  app.post(NOWPAYMENTS_IPN_PATH, async (request, reply) => {
    const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (bytes.length === 0) return refuse(request, reply, 400, 'the body is empty');
    const type = String(request.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json' && !type.endsWith('+json'))
      return refuse(request, reply, 415, `unsupported content type "${type.slice(0, 60)}" (JSON expected)`);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const header = request.headers['x-nowpayments-sig'];
    const verdict = verifyNowPaymentsSignature(
      text,
      typeof header === 'string' ? header : undefined,
      config.nowpayments.ipnSecret,
    );
    if (!verdict.ok)
      return refuse(request, reply, verdict.reason === 'malformed-body' ? 400 : 401, describeRefusal(verdict.reason));
    const body = verdict.body;
    const hint = reportFromIpn(body);
    if (!hint)
      return refuse(request, reply, 400, 'payment_id or payment_status is missing or unknown', { verified: true });
    if (!hint.orderId) return refuse(request, reply, 400, 'order_id is missing', { verified: true });
    const orderId = hint.orderId;
    // For the de-duplication key only (the status API is asked for money).
    const paid = body.actually_paid ?? 0;
    const actuallyPaid = typeof paid === 'number' || typeof paid === 'string' ? String(paid) : '?';
    const unknown = () =>
      refuse(request, reply, 404, `unknown order ${orderId}`, { verified: true, outcome: 'unknown_order', orderId });
    if (!INVOICE_ID_PATTERN.test(orderId)) return unknown();

    // De-duplicate before the workflow, one claim per payment, status and amount, audited in the
    // same statement.
    const dedupKey = `${hint.paymentId}:${hint.status}:${actuallyPaid}`;
    const claim = await claimAndAudit(runtime.db, request, { provider: PROVIDER, dedupKey, orderId });
    if (!claim.first) return reply.code(200).send({ ok: true });
    try {
      await runtime.commands.reportPayment(orderId, {
        // Only what the IPN claims, to notice a status API lagging behind it; never money.
        status: claimOf(hint.status, config.nowpayments.fulfilOnConfirmed),
        received: '0',
        source: 'webhook',
        ...(hint.stage ? { stage: hint.stage } : {}),
        // The payment (and a repeat deposit's parent) for the workflow to check with NOWPayments.
        relatedChargeIds: [hint.paymentId, ...(hint.parentPaymentId ? [hint.parentPaymentId] : [])],
      });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) {
        // A 5xx: NOWPayments repeats the IPN, which must not count as a duplicate.
        await claim.undo({ outcome: 'failed', reason: `signal failed: ${String(error).slice(0, 300)}` });
        throw error;
      }
      // Ended or never started: Temporal knows which (no database read here either).
      const ended = await runtime.temporal.client.workflow
        .getHandle(invoiceWorkflowId(orderId))
        .describe()
        .then(
          () => true,
          () => false,
        );
      if (!ended) {
        request.log.warn({ orderId, provider: PROVIDER }, 'payment notification refused: unknown order');
        await claim.undo({ outcome: 'unknown_order', reason: `unknown order ${orderId}` });
        return reply.code(404).send({ ok: false, error: `unknown order ${orderId}` });
      }
      request.log.warn({ orderId, status: hint.status }, 'IPN for a closed invoice');
      await claim.undo({
        outcome: 'after_close',
        reason: `invoice workflow has ended; the IPN says ${hint.status} ${actuallyPaid} (payment ${hint.paymentId})`,
      });
      return reply.code(200).send({ ok: true });
    }
    return reply.code(200).send({ ok: true });
  });
};

/** The invoice status a NOWPayments status claims: paid only when final (finished, or confirmed if so configured). */
function claimOf(status: NowPaymentsStatus, fulfilOnConfirmed: boolean): GatewayStatus {
  if (status === 'finished' || (status === 'confirmed' && fulfilOnConfirmed)) return 'paid';
  if (status === 'partially_paid') return 'partial';
  if (status === 'failed' || status === 'expired' || status === 'refunded') return 'canceled';
  return 'created';
}

function describeRefusal(reason: 'missing-signature' | 'malformed-body' | 'bad-signature'): string {
  if (reason === 'missing-signature') return 'x-nowpayments-sig header is missing';
  if (reason === 'malformed-body') return 'the body is not a JSON object';
  return 'x-nowpayments-sig does not match the body';
}
