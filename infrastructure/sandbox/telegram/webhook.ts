/** Update delivery: the update queue, allowed_updates, webhook pushes with retries, getUpdates long polls. */
import { EventEmitter } from 'node:events';
import type { Update } from 'grammy/types';
import { execute } from './api';
import { ParamReader, normalizeParams } from './params';
import { CallContext, Described, MethodTable, Params, SandboxState, WebhookState } from './state';
import { BAD_REQUEST, TelegramApiError, UpdateRecord, WebhookDelivery } from './types';

// Telegram's own default: everything except these three unless asked for.
export const OPT_IN_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'Read timeout expired';
  if (cause?.code === 'ECONNREFUSED') return 'Connection refused';
  if (cause?.code === 'ENOTFOUND') return 'Failed to resolve host: Name or service not known';
  return error instanceof Error ? error.message : String(error);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for a new update (or supersession), the time limit, or an abort — whichever comes first. */
export function waitForWake(events: EventEmitter, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      events.off('poll-wake', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    events.on('poll-wake', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function setWebhook(s: SandboxState, ctx: CallContext): Described {
  const url = ctx.p.string('url') ?? '';
  if (!url) return removeWebhook(s, ctx.p.boolean('drop_pending_updates') ?? false);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw BAD_REQUEST('bad webhook: invalid URL');
  }
  // Real Telegram demands HTTPS on ports 443/80/88/8443; the sandbox accepts local http URLs too.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw BAD_REQUEST('bad webhook: An HTTPS URL must be provided for webhook');
  const secretToken = ctx.p.string('secret_token');
  if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken))
    throw BAD_REQUEST('secret token contains unallowed characters');
  const maxConnections = ctx.p.integer('max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw BAD_REQUEST('bad webhook: invalid max_connections');
  setAllowedUpdates(s, ctx.p);
  if (ctx.p.boolean('drop_pending_updates')) dropPending(s);
  const same = s.webhook?.url === url && s.webhook.secretToken === secretToken;
  s.webhook = {
    url,
    token: ctx.token,
    secretToken,
    maxConnections,
    lastErrorDate: s.webhook?.lastErrorDate,
    lastErrorMessage: s.webhook?.lastErrorMessage,
  };
  // A long poll in progress loses to the webhook, as on Telegram.
  s.activePoll?.supersede();
  kickWebhook(s);
  return new Described(true, same ? 'Webhook is already set' : 'Webhook was set');
}

export function deleteWebhook(s: SandboxState, ctx: CallContext): Described {
  return removeWebhook(s, ctx.p.boolean('drop_pending_updates') ?? false);
}

export function removeWebhook(s: SandboxState, drop: boolean): Described {
  const had = s.webhook !== undefined;
  s.webhook = undefined;
  if (drop) dropPending(s);
  return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
}

export function getWebhookInfo(s: SandboxState): Record<string, unknown> {
  const hook = s.webhook;
  return {
    url: hook?.url ?? '',
    has_custom_certificate: false,
    pending_update_count: s.queue.length,
    ...(hook ? { max_connections: hook.maxConnections, ip_address: '127.0.0.1' } : {}),
    ...(hook?.lastErrorDate ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage } : {}),
    ...(s.allowedUpdates ? { allowed_updates: [...s.allowedUpdates] } : {}),
  };
}

export async function getUpdates(s: SandboxState, ctx: CallContext): Promise<Update[]> {
  if (s.webhook) {
    throw new TelegramApiError(
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
  }
  const offset = ctx.p.integer('offset');
  const limit = Math.min(100, Math.max(1, ctx.p.integer('limit') ?? 100));
  const timeoutMs = Math.max(0, ctx.p.integer('timeout') ?? 0) * 1000;
  setAllowedUpdates(s, ctx.p);
  if (offset !== undefined) confirmUpTo(s, offset);
  // Only one getUpdates may wait: a newer one terminates the older one with 409, as on Telegram.
  s.activePoll?.supersede();
  let superseded = false;
  const poll = {
    supersede: () => {
      superseded = true;
      s.events.emit('poll-wake');
    },
  };
  s.activePoll = poll;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const batch = takeForPolling(s, limit);
      const remaining = deadline - Date.now();
      if (batch.length > 0 || remaining <= 0 || ctx.signal.aborted || s.lifetime.signal.aborted) return batch;
      await waitForWake(s.events, remaining, AbortSignal.any([ctx.signal, s.lifetime.signal]));
      if (superseded) {
        throw new TelegramApiError(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        );
      }
    }
  } finally {
    if (s.activePoll === poll) s.activePoll = undefined;
  }
}

export function enqueue(s: SandboxState, body: Omit<Update, 'update_id'>): Update {
  const update: Update = { update_id: s.nextUpdateId++, ...body };
  const type = Object.keys(body)[0] ?? 'unknown';
  const record: UpdateRecord = { update, type, createdAt: s.now(), state: 'pending', attempts: 0 };
  s.updateLog.push(record);
  s.queue.push(record);
  s.events.emit('poll-wake');
  kickWebhook(s);
  return update;
}

export function isAllowed(s: SandboxState, type: string): boolean {
  return s.allowedUpdates ? s.allowedUpdates.has(type) : !OPT_IN_UPDATES.has(type);
}

export function setAllowedUpdates(s: SandboxState, p: ParamReader): void {
  const allowed = p.json<unknown>('allowed_updates', 'allowed_updates');
  if (allowed === undefined) return;
  if (!Array.isArray(allowed) || !allowed.every((t) => typeof t === 'string'))
    throw BAD_REQUEST("can't parse allowed_updates JSON array");
  // An empty list means the default set again.
  s.allowedUpdates = allowed.length ? new Set(allowed) : undefined;
}

/** Updates not in allowed_updates are discarded when their turn comes, as Telegram does. */
export function dropFiltered(s: SandboxState): void {
  s.queue = s.queue.filter((record) => {
    if (isAllowed(s, record.type)) return true;
    record.state = 'filtered';
    return false;
  });
}

export function takeForPolling(s: SandboxState, limit: number): Update[] {
  dropFiltered(s);
  const batch = s.queue.slice(0, limit);
  for (const record of batch) {
    record.state = 'sent';
    record.via = 'getUpdates';
    record.attempts += 1;
  }
  return batch.map((record) => record.update);
}

export function confirmUpTo(s: SandboxState, offset: number): void {
  if (offset < 0) {
    // A negative offset keeps only the last |offset| updates.
    const keep = s.queue.slice(offset);
    for (const record of s.queue) if (!keep.includes(record)) record.state = 'confirmed';
    s.queue = keep;
    return;
  }
  s.queue = s.queue.filter((record) => {
    if (record.update.update_id >= offset) return true;
    record.state = 'confirmed';
    return false;
  });
}

export function dropPending(s: SandboxState): void {
  for (const record of s.queue) record.state = 'dropped';
  s.queue = [];
}

export function kickWebhook(s: SandboxState): void {
  if (s.pumping || !s.webhook || s.closed) return;
  s.pumping = true;
  void pumpWebhook(s).finally(() => {
    s.pumping = false;
    if (s.webhook && s.queue.length > 0 && !s.closed) kickWebhook(s);
  });
}

/** Delivers queued updates one at a time, in order, retrying failures with a doubling delay. */
export async function pumpWebhook(s: SandboxState): Promise<void> {
  let failures = 0;
  const lifetime = s.lifetime.signal;
  while (!lifetime.aborted && s.webhook) {
    dropFiltered(s);
    const record = s.queue[0];
    if (!record) return;
    const hook = s.webhook;
    const delivered = await deliver(s, hook, record, lifetime);
    if (lifetime.aborted) return;
    if (delivered) {
      failures = 0;
      s.queue = s.queue.filter((r) => r !== record);
      record.state = 'confirmed';
      continue;
    }
    failures += 1;
    try {
      await sleep(Math.min(s.webhookRetryDelayMs * 2 ** (failures - 1), 2_000), lifetime);
    } catch {
      return;
    }
  }
}

export async function deliver(
  s: SandboxState,
  hook: WebhookState,
  record: UpdateRecord,
  lifetime: AbortSignal,
): Promise<boolean> {
  const started = Date.now();
  const delivery: WebhookDelivery = {
    update_id: record.update.update_id,
    url: hook.url,
    at: s.now(),
    durationMs: 0,
  };
  record.attempts += 1;
  record.via = 'webhook';
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(hook.secretToken ? { 'x-telegram-bot-api-secret-token': hook.secretToken } : {}),
      },
      body: JSON.stringify(record.update),
      signal: AbortSignal.any([AbortSignal.timeout(s.webhookTimeoutMs), lifetime]),
    });
    const text = await response.text();
    delivery.status = response.status;
    if (!response.ok) {
      delivery.error = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      return false;
    }
    await runWebhookReply(s, hook, response.headers.get('content-type'), text);
    return true;
  } catch (error) {
    delivery.error = describeFetchError(error);
    return false;
  } finally {
    delivery.durationMs = Date.now() - started;
    if (delivery.error) {
      hook.lastErrorDate = s.unixNow();
      hook.lastErrorMessage = delivery.error;
    }
    s.deliveries.push(delivery);
    s.events.emit('delivery', delivery);
  }
}

/** A webhook may answer with a method call in its body; Telegram runs it (no result returned). */
export async function runWebhookReply(
  s: SandboxState,
  hook: WebhookState,
  contentType: string | null,
  text: string,
): Promise<void> {
  if (!contentType?.includes('application/json') || !text.trim()) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  if (!body || typeof body !== 'object' || typeof (body as { method?: unknown }).method !== 'string') return;
  const { method, ...params } = body as { method: string } & Params;
  await execute(s, hook.token, method, normalizeParams(params), new Map(), s.lifetime.signal);
}

/** Bot API methods of this area. */
export function webhookMethods(s: SandboxState): MethodTable {
  return {
    setWebhook: (ctx) => setWebhook(s, ctx),
    deleteWebhook: (ctx) => deleteWebhook(s, ctx),
    getWebhookInfo: () => getWebhookInfo(s),
    getUpdates: (ctx) => getUpdates(s, ctx),
  };
}
