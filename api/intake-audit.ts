/**
 * "Audit whatever arrived": one row in webhook_events for every request to a payment intake route,
 * whatever its bytes. PostgreSQL text refuses U+0000 (and the driver would choke on unpaired
 * surrogates), so every text that came from outside is made storable first: NUL and other control
 * characters except tab/newline are written as `\u00XX` escapes, unpaired surrogates as `\uD8XX`.
 * Invalid UTF-8 has already become U+FFFD when the body was decoded. Shared by every gateway route.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../infrastructure/db/client';
import { webhookClaims, webhookEvents, type WEBHOOK_OUTCOMES } from '../infrastructure/db/schema';

export type IntakeOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface IntakeAuditFields {
  verified: boolean;
  outcome: IntakeOutcome;
  reason?: string;
  orderId?: string;
  dedupKey?: string;
}

/** Longest payload text kept (the server's body limit bounds it anyway). */
const MAX_PAYLOAD_CHARS = 256_000;

/** Any text made safe for a PostgreSQL text column, without losing what it said. */
export function storableText(value: string, maxChars = MAX_PAYLOAD_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udfff]/gu, (ch) =>
    ch.length === 1 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch,
  );
  // With the u flag, paired surrogates match as one two-unit character and are kept; lone ones are escaped.
  return escaped.length > maxChars ? `${escaped.slice(0, maxChars)}…[truncated]` : escaped;
}

/** The body as text: strings as received, anything parsed as JSON (which escapes control characters itself). */
export function payloadText(body: unknown): string {
  if (typeof body === 'string') return storableText(body);
  if (Buffer.isBuffer(body)) return storableText(body.toString('utf8'));
  try {
    return storableText(JSON.stringify(body ?? null) ?? 'null');
  } catch {
    return '[unserialisable body]';
  }
}

export function createIntakeAudit(db: Database, provider: string) {
  return async (request: FastifyRequest, fields: IntakeAuditFields): Promise<void> => {
    const contentType = request.headers['content-type'];
    await db.insert(webhookEvents).values({
      provider,
      verified: fields.verified,
      outcome: fields.outcome,
      reason: fields.reason === undefined ? undefined : storableText(fields.reason, 500),
      orderId: fields.orderId === undefined ? undefined : storableText(fields.orderId, 200),
      dedupKey: fields.dedupKey === undefined ? undefined : storableText(fields.dedupKey, 300),
      remoteAddress: request.ip,
      contentType: typeof contentType === 'string' ? storableText(contentType, 100) : undefined,
      payload: payloadText(request.body),
    });
  };
}

/**
 * What every payment intake route shares: inside its own plugin (encapsulated, other routes keep the
 * app's parsers) it reads bodies as bytes, so whatever arrives reaches the handler and is audited there;
 * only an oversized body is refused earlier, and the onError hook audits that one. Returns `audit` and
 * `refuse` (a 4xx with the reason, audited and logged).
 */
export function intakeRoute(
  app: FastifyInstance,
  options: { db: Database; provider: string; path: string; maxBodyBytes: number },
) {
  const audit = createIntakeAudit(options.db, options.provider);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_request, body, done) =>
    done(null, body),
  );
  app.addHook('onError', async (request, _reply, error: Error & { statusCode?: number }) => {
    if (request.routeOptions.url === options.path && (error.statusCode ?? 500) < 500)
      await audit(request, { verified: false, outcome: 'rejected', reason: error.message.slice(0, 200) });
  });
  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    code: number,
    reason: string,
    fields: { verified?: boolean; outcome?: IntakeOutcome; orderId?: string } = {},
  ) => {
    await audit(request, {
      verified: fields.verified ?? false,
      outcome: fields.outcome ?? 'rejected',
      reason,
      orderId: fields.orderId,
    });
    request.log.warn({ reason: reason.slice(0, 200), provider: options.provider }, 'payment notification refused');
    return reply.code(code).send({ ok: false, error: reason });
  };
  return { audit, refuse };
}

/**
 * De-duplication before the workflow, and the audit row, in one statement: the first delivery of a
 * verified event claims its key (a row in `webhook_claims`) and is audited `accepted`; a repeat finds
 * the key taken and is audited `duplicate`. When the signal that follows does not reach a workflow,
 * `undo` gives the key back (so the provider's retry counts) and records what happened instead.
 */
export async function claimAndAudit(
  db: Database,
  request: FastifyRequest,
  event: { provider: string; dedupKey: string; orderId: string },
) {
  const { provider } = event;
  // Stored as audited: text a column cannot hold (NUL) escaped, in the claim as in the row.
  const dedupKey = storableText(event.dedupKey, 300);
  const orderId = storableText(event.orderId, 200);
  const contentType = request.headers['content-type'];
  const [row] = await db.execute<{ id: string; outcome: IntakeOutcome }>(sql`
    with claim as (
      insert into ${webhookClaims} (provider, dedup_key, order_id)
      values (${provider}, ${dedupKey}, ${orderId})
      on conflict do nothing
      returning dedup_key
    )
    insert into ${webhookEvents}
      (provider, verified, outcome, order_id, dedup_key, remote_address, content_type, payload)
    select ${provider}, true,
      case when exists (select 1 from claim) then 'accepted' else 'duplicate' end,
      ${orderId}, ${dedupKey}, ${request.ip},
      ${typeof contentType === 'string' ? storableText(contentType, 100) : null}, ${payloadText(request.body)}
    returning id, outcome`);
  return {
    first: row!.outcome === 'accepted',
    undo: (outcome: { outcome: IntakeOutcome; reason: string }) =>
      db.transaction(async (tx) => {
        await tx
          .delete(webhookClaims)
          .where(and(eq(webhookClaims.provider, provider), eq(webhookClaims.dedupKey, dedupKey)));
        await tx
          .update(webhookEvents)
          .set({ outcome: outcome.outcome, reason: storableText(outcome.reason, 500) })
          .where(eq(webhookEvents.id, Number(row!.id)));
      }),
  };
}
