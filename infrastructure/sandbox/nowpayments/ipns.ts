/**
 * IPN delivery: one signed POST per status change, sent one after another in the order they happened
 * (so tests see a stable order), with the switches that make the real thing's trouble happen on
 * purpose: drop, repeat, reorder (a batch sent in reverse), wrong signature, retries after failure.
 */
import { EventEmitter } from 'node:events';
import { nowPaymentsSignature } from '../../providers/nowpayments-signature';
import type { NowPaymentsStatus } from '../../providers/nowpayments';
import { NowPaymentsSandboxError, type IpnDelivery, type IpnSettings } from './types';

interface IpnJob {
  paymentId: number;
  orderId: string | null;
  paymentStatus: NowPaymentsStatus;
  url: string;
  body: Record<string, unknown>;
  signature: string;
  badSignature: boolean;
  copies: number;
  reordered: boolean;
}

export interface IpnDispatcherOptions {
  ipnSecret: string;
  stepDelayMs: number;
  timeoutMs: number;
  now: () => number;
}

const nonNegativeInteger = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new NowPaymentsSandboxError(`${name} must be a non-negative integer`);
  return value;
};

export class IpnDispatcher {
  private readonly events = new EventEmitter();
  private settings: Omit<IpnSettings, 'held'>;
  private held: IpnJob[] = [];
  private deliveries: IpnDelivery[] = [];
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private timers = new Set<NodeJS.Timeout>();
  private lifetime = new AbortController();

  constructor(private readonly defaults: IpnDispatcherOptions) {
    this.settings = this.initialSettings();
    this.events.setMaxListeners(0);
  }

  private initialSettings(): Omit<IpnSettings, 'held'> {
    return {
      ipnSecret: this.defaults.ipnSecret,
      stepDelayMs: this.defaults.stepDelayMs,
      drop: 0,
      repeat: 1,
      reorder: 0,
      badSignature: 0,
      retries: 0,
      retryDelayMs: 60_000,
    };
  }

  current(): IpnSettings {
    return { ...this.settings, held: this.held.length };
  }

  /** Changes settings; unknown keys are refused. Setting `reorder` to 0 sends what is held. */
  configure(changes: Partial<Record<keyof IpnSettings, unknown>>): IpnSettings {
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      switch (key) {
        case 'ipnSecret':
          if (typeof value !== 'string') throw new NowPaymentsSandboxError('ipnSecret must be a string');
          this.settings.ipnSecret = value;
          break;
        case 'repeat':
          if (nonNegativeInteger(value, key) < 1) throw new NowPaymentsSandboxError('repeat must be at least 1');
          this.settings.repeat = value as number;
          break;
        case 'reorder':
          this.settings.reorder = nonNegativeInteger(value, key);
          if (this.settings.reorder === 0 || this.held.length >= this.settings.reorder) this.flush();
          break;
        case 'stepDelayMs':
        case 'drop':
        case 'badSignature':
        case 'retries':
        case 'retryDelayMs':
          this.settings[key] = nonNegativeInteger(value, key);
          break;
        default:
          throw new NowPaymentsSandboxError(`unknown IPN setting "${key}"`);
      }
    }
    return this.current();
  }

  get stepDelayMs(): number {
    return this.settings.stepDelayMs;
  }

  list(): IpnDelivery[] {
    return [...this.deliveries];
  }

  onIpn(listener: (delivery: IpnDelivery) => void): () => void {
    this.events.on('ipn', listener);
    return () => this.events.off('ipn', listener);
  }

  /** Resolves with the first finished delivery that matches, including earlier ones. */
  waitFor(predicate?: (delivery: IpnDelivery) => boolean, timeoutMs = 15_000): Promise<IpnDelivery> {
    const matches = (delivery: IpnDelivery) => !predicate || predicate(delivery);
    const seen = this.deliveries.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (delivery: IpnDelivery) => {
        if (!matches(delivery)) return;
        clearTimeout(timer);
        this.events.off('ipn', listener);
        resolve(delivery);
      };
      const timer = setTimeout(() => {
        this.events.off('ipn', listener);
        reject(new Error(`no matching IPN within ${timeoutMs} ms (${this.deliveries.length} recorded)`));
      }, timeoutMs);
      this.events.on('ipn', listener);
    });
  }

  /** Queues the IPN for one status change (the body is a snapshot taken now). */
  notify(
    payment: { id: number; orderId: string | null; status: NowPaymentsStatus; url: string | null },
    body: Record<string, unknown>,
  ): void {
    const base = {
      paymentId: payment.id,
      orderId: payment.orderId,
      paymentStatus: payment.status,
      url: payment.url,
      body,
    };
    const secret = this.settings.ipnSecret;
    const unsent = (fields: Partial<IpnDelivery>) =>
      this.finish({
        ...base,
        seq: ++this.seq,
        signature: null,
        badSignature: false,
        dropped: false,
        copy: 1,
        retry: 0,
        reordered: false,
        at: this.defaults.now(),
        ...fields,
      });
    if (!payment.url) return unsent({ error: 'the payment has no ipn_callback_url' });
    if (!secret) return unsent({ error: 'no IPN secret configured: NOWPayments sends no IPN' });
    if (this.settings.drop > 0) {
      this.settings.drop -= 1;
      return unsent({ dropped: true });
    }
    const badSignature = this.settings.badSignature > 0;
    if (badSignature) this.settings.badSignature -= 1;
    const job: IpnJob = {
      ...base,
      url: payment.url,
      signature: nowPaymentsSignature(body, badSignature ? `${secret}-not-the-secret` : secret),
      badSignature,
      copies: this.settings.repeat,
      reordered: this.settings.reorder > 0,
    };
    if (job.reordered) {
      this.held.push(job);
      if (this.held.length >= this.settings.reorder) this.flush();
      return;
    }
    this.enqueue(job, 0);
  }

  /** Sends the held batch now, last first; reordering is then off. Returns how many were held. */
  flush(): number {
    const batch = this.held.reverse();
    this.held = [];
    this.settings.reorder = 0;
    for (const job of batch) this.enqueue(job, 0);
    return batch.length;
  }

  /** Forgets deliveries and settings; in-flight POSTs and pending retries are abandoned. */
  reset(): void {
    this.shutdown();
    this.lifetime = new AbortController();
    this.settings = this.initialSettings();
    this.held = [];
    this.deliveries = [];
    this.seq = 0;
    this.chain = Promise.resolve();
  }

  shutdown(): void {
    this.lifetime.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private enqueue(job: IpnJob, retry: number, copies = job.copies): void {
    const signal = this.lifetime.signal;
    this.chain = this.chain
      .then(() => Promise.all(Array.from({ length: copies }, (_, index) => this.send(job, index + 1, retry, signal))))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  private async send(job: IpnJob, copy: number, retry: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const delivery: IpnDelivery = {
      seq: ++this.seq,
      paymentId: job.paymentId,
      orderId: job.orderId,
      paymentStatus: job.paymentStatus,
      url: job.url,
      body: job.body,
      signature: job.signature,
      badSignature: job.badSignature,
      dropped: false,
      copy,
      retry,
      reordered: job.reordered,
      at: this.defaults.now(),
    };
    const started = Date.now();
    try {
      const response = await fetch(job.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-nowpayments-sig': job.signature,
          'user-agent': 'NOWPayments-Sandbox/1.0',
        },
        body: JSON.stringify(job.body),
        signal: AbortSignal.any([AbortSignal.timeout(this.defaults.timeoutMs), signal]),
      });
      delivery.answerStatus = response.status;
      delivery.answerBody = (await response.text()).slice(0, 2_000);
    } catch (error) {
      // fetch hides the reason (ECONNREFUSED, timeout...) in `cause`.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      delivery.error =
        cause?.code ?? cause?.message ?? (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    } finally {
      delivery.durationMs = Date.now() - started;
    }
    if (signal.aborted) return;
    this.finish(delivery);
    const failed = delivery.answerStatus === undefined || delivery.answerStatus < 200 || delivery.answerStatus >= 300;
    if (failed && retry < this.settings.retries) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.enqueue(job, retry + 1, 1);
      }, this.settings.retryDelayMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private finish(delivery: IpnDelivery): void {
    this.deliveries.push(delivery);
    this.events.emit('ipn', delivery);
  }
}
