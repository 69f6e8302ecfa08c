/** Merchant-API faults: 5xx, 429, 401/403 or a hang, on requests matching a path prefix, N times. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './wire';
import { NowPaymentsSandboxError, type ApiFault } from './types';

const FAULTS: ReadonlySet<unknown> = new Set([500, 502, 503, 429, 401, 403, 'timeout']);

export class ApiFaults {
  private rules: ApiFault[] = [];

  list(): ApiFault[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Adds a fault; `times` defaults to 1 (null = until cleared). */
  add(input: { path?: unknown; method?: unknown; fault?: unknown; times?: unknown; delayMs?: unknown }): ApiFault {
    const path = typeof input.path === 'string' && input.path.startsWith('/') ? input.path : undefined;
    if (!path) throw new NowPaymentsSandboxError('path must be a path prefix such as /v1/payment');
    const fault = typeof input.fault === 'string' && /^\d+$/.test(input.fault) ? Number(input.fault) : input.fault;
    if (!FAULTS.has(fault))
      throw new NowPaymentsSandboxError('fault must be 500, 502, 503, 429, 401, 403 or "timeout"');
    const count = (value: unknown, name: string, fallback: number | null) => {
      if (value === undefined) return fallback;
      if (value === null) return null;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        throw new NowPaymentsSandboxError(`${name} must be a non-negative integer`);
      return value;
    };
    const rule: ApiFault = {
      path,
      ...(typeof input.method === 'string' && input.method ? { method: input.method.toUpperCase() } : {}),
      fault: fault as ApiFault['fault'],
      delayMs: count(input.delayMs, 'delayMs', 30_000) ?? 30_000,
      remaining: count(input.times, 'times', 1),
    };
    this.rules.push(rule);
    return { ...rule };
  }

  clear(): void {
    this.rules = [];
  }

  /** Answers the request with its fault when one matches (true), or hangs first for `timeout`. */
  async apply(request: FastifyRequest, reply: FastifyReply, signal: AbortSignal): Promise<boolean> {
    const path = request.url.split('?')[0] ?? '';
    const rule = this.rules.find(
      (r) => path.startsWith(r.path) && (!r.method || r.method === request.method) && r.remaining !== 0,
    );
    if (!rule) return false;
    if (rule.remaining !== null) rule.remaining -= 1;
    if (rule.fault === 'timeout') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, rule.delayMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      return false;
    }
    const status = rule.fault;
    if (status === 429) {
      void reply
        .code(429)
        .header('retry-after', '1')
        .send(errorBody(429, 'TOO_MANY_REQUESTS', 'Too many requests'));
    } else if (status === 401 || status === 403) {
      void reply.code(status).send(errorBody(status, 'INVALID_API_KEY', 'Invalid api key'));
    } else if (status === 500) {
      void reply.code(500).send(errorBody(500, 'INTERNAL_ERROR', 'Internal server error'));
    } else {
      // A gateway in front of the API answers these, not the API: plain text.
      void reply
        .code(status)
        .type('text/plain')
        .send(status === 502 ? 'Bad Gateway' : 'Service Unavailable');
    }
    return true;
  }
}
