/**
 * CryptoCloud API v2 emulator: invoice create / merchant info / cancel with the real paths, headers
 * and bodies, a hosted pay page, and postbacks signed like the real ones (HS256 JWT with the project
 * secret). Payments are driven from tests, the control API or the pay page. Prices may be in USD,
 * EUR or RUB; the coin amount is the price at the sandbox's rates (stablecoins = 1 USD, 1 EUR =
 * 1.08 USD, 1 RUB = 0.011 USD, settable), so coin amounts differ from fiat ones, as on the real
 * gateway; no fees. The merchant API can be made to fail (5xx, 429, 401, slow) and its status to lag
 * behind the postbacks, from tests or the control API.
 * Money is held as BigInt counts of 10^-8 units; the wire carries JSON numbers, as the real API does.
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  currencyInfo,
  DEFAULT_RATES,
  fakeAddress,
  formatAmount,
  parseAmount,
  STABLECOINS,
  UNIT,
  wireNumber,
  type MerchantFault,
  type MerchantFaultSettings,
} from './amounts';
import { payPage, payPageNotFound } from './pay-page';
import { formFields, signCryptoCloudPostback } from './postbacks';
import {
  assertHttpUrl,
  gatewayDate,
  nonNegativeInteger,
  objectBody,
  pickCryptocurrency,
  randomInvoiceId,
  readAddFields,
  readUuids,
  requireAmount,
  scalar,
  timeToPayMs,
} from './requests';
import {
  CryptoCloudSandboxError,
  CryptoCloudValidationError,
  type CryptoCloudInvoice,
  type CryptoCloudSandboxOptions,
  type CryptoCloudSettings,
  type InvoiceStatus,
  type PaymentOutcome,
  type PaymentRecord,
  type PostbackDelivery,
  type PostbackEncoding,
} from './types';

// ---------------------------------------------------------------------------------------------
// State

interface InvoiceRecord {
  id: string;
  shopId: string;
  orderId: string | null;
  email: string | null;
  fiatCurrency: string;
  /** The price in fiat (10^-8 units). */
  fiatAmount: bigint;
  /** Coins to pay (10^-8 units), from the price at the rate of creation. */
  amount: bigint;
  /** While the status API lags: what it still shows, until `until`. */
  lag?: { until: number; shown: CryptoCloudInvoice };
  crypto: string;
  address: string;
  locale: string;
  createdAt: number;
  expiresAt: number;
  status: InvoiceStatus;
  received: bigint;
  payments: PaymentRecord[];
}

export class CryptoCloudSandbox {
  private readonly apiKey: string;
  private readonly secretKey: string;
  private readonly shopId: string;
  private readonly projectName: string;
  private readonly defaultTimeToPayMs: number;
  private readonly postbackTimeoutMs: number;
  private readonly now: () => number;
  private readonly events = new EventEmitter();
  private publicUrl: string;
  private notifyUrl: string | undefined;
  private encoding: PostbackEncoding;
  private dropNext = 0;
  private repeat = 1;
  private rates: Record<string, bigint> = { ...DEFAULT_RATES };
  private fault: MerchantFaultSettings = { mode: null, delayMs: 30_000, remaining: null };
  private statusLagMs = 0;
  private invoiceMap = new Map<string, InvoiceRecord>();
  private deliveries: PostbackDelivery[] = [];
  private postbackSeq = 0;
  private lastPostback: { invoiceId: string } | undefined;
  private lifetime = new AbortController();

  constructor(options: CryptoCloudSandboxOptions) {
    this.apiKey = options.apiKey;
    this.secretKey = options.secretKey;
    this.shopId = options.shopId;
    this.projectName = options.projectName ?? 'Sandbox shop';
    this.defaultTimeToPayMs = options.defaultTimeToPayMs ?? 24 * 3_600_000;
    this.postbackTimeoutMs = options.postbackTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.publicUrl = (options.publicUrl ?? 'http://127.0.0.1').replace(/\/$/, '');
    this.notifyUrl = options.notifyUrl;
    this.encoding = options.postbackEncoding ?? 'json';
    this.events.setMaxListeners(0);
  }

  setPublicUrl(url: string): void {
    this.publicUrl = url.replace(/\/$/, '');
  }

  // ---- Settings --------------------------------------------------------------------------------

  setNotifyUrl(url: string | undefined): void {
    if (url !== undefined) assertHttpUrl(url);
    this.notifyUrl = url || undefined;
  }

  setPostbackEncoding(encoding: PostbackEncoding): void {
    if (encoding !== 'json' && encoding !== 'form')
      throw new CryptoCloudSandboxError('encoding must be "json" or "form"');
    this.encoding = encoding;
  }

  /** The next `count` postbacks are recorded but not sent (a lost notification). */
  dropPostbacks(count: number): void {
    this.dropNext = nonNegativeInteger(count, 'drop');
  }

  /** Every postback is sent `count` times at once (duplicates racing each other); 1 restores normal. */
  repeatPostbacks(count: number): void {
    const value = nonNegativeInteger(count, 'repeat');
    if (value < 1) throw new CryptoCloudSandboxError('repeat must be at least 1');
    this.repeat = value;
  }

  /**
   * Makes the merchant API fail: every request (or the next `count`) answers 500, 429 or 401, or
   * answers only after `delayMs` (`slow`). `null` restores normal answers.
   */
  failMerchantApi(mode: MerchantFault | null, options: { delayMs?: number; count?: number } = {}): void {
    if (mode !== null && !['error', 'rate_limit', 'unauthorized', 'slow'].includes(mode))
      throw new CryptoCloudSandboxError('mode must be error, rate_limit, unauthorized, slow or null');
    this.fault = {
      mode,
      delayMs: options.delayMs === undefined ? 30_000 : nonNegativeInteger(options.delayMs, 'delayMs'),
      remaining: options.count === undefined ? null : nonNegativeInteger(options.count, 'count'),
    };
  }

  merchantFault(): MerchantFaultSettings {
    return { ...this.fault };
  }

  /** The status API shows a payment only `ms` after its postback went out (0 = at once). */
  lagStatus(ms: number): void {
    this.statusLagMs = nonNegativeInteger(ms, 'lagMs');
  }

  /** Sets the USD value of one unit of a fiat currency (a decimal string), for invoices created from now on. */
  setRate(currency: string, usd: string): void {
    const value = parseAmount(usd);
    if (!/^[A-Z]{3}$/.test(currency) || value === undefined || value <= 0n)
      throw new CryptoCloudSandboxError('a rate needs a 3-letter currency and a positive decimal');
    this.rates[currency] = value;
  }

  settings(): CryptoCloudSettings {
    return { notifyUrl: this.notifyUrl ?? null, encoding: this.encoding, drop: this.dropNext, repeat: this.repeat };
  }

  // ---- Observation -------------------------------------------------------------------------------

  /** An invoice by uuid (with or without INV-) or, failing that, the latest with that order_id. */
  invoice(idOrOrderId: string): CryptoCloudInvoice | undefined {
    const record = this.find(idOrOrderId);
    return record ? this.wire(record) : undefined;
  }

  invoices(): CryptoCloudInvoice[] {
    return [...this.invoiceMap.values()].map((record) => this.wire(record));
  }

  payments(idOrOrderId: string): PaymentRecord[] {
    return [...this.require(idOrOrderId).payments];
  }

  postbacks(): PostbackDelivery[] {
    return [...this.deliveries];
  }

  onPostback(listener: (delivery: PostbackDelivery) => void): () => void {
    this.events.on('postback', listener);
    return () => this.events.off('postback', listener);
  }

  /** Resolves with the first finished postback delivery that matches, including earlier ones. */
  waitForPostback(predicate?: (delivery: PostbackDelivery) => boolean, timeoutMs = 15_000): Promise<PostbackDelivery> {
    const matches = (delivery: PostbackDelivery) => !predicate || predicate(delivery);
    const seen = this.deliveries.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (delivery: PostbackDelivery) => {
        if (!matches(delivery)) return;
        clearTimeout(timer);
        this.events.off('postback', listener);
        resolve(delivery);
      };
      const timer = setTimeout(() => {
        this.events.off('postback', listener);
        reject(new Error(`no matching postback within ${timeoutMs} ms (${this.deliveries.length} recorded)`));
      }, timeoutMs);
      this.events.on('postback', listener);
    });
  }

  // ---- Merchant API (also callable in-process) -----------------------------------------------------

  /** Creates an invoice from a request body as `/v2/invoice/create` takes it. */
  createInvoice(body: Record<string, unknown>, locale = 'en'): CryptoCloudInvoice {
    const shopId = scalar(body.shop_id, 'shop_id');
    if (shopId === undefined) throw new CryptoCloudValidationError('shop_id is required');
    if (shopId !== this.shopId) throw new CryptoCloudValidationError('Shop not found');
    if (body.amount === undefined || body.amount === null || body.amount === '')
      throw new CryptoCloudValidationError('amount is required');
    const amount = parseAmount(body.amount);
    if (amount === undefined || amount <= 0n) throw new CryptoCloudValidationError('amount must be a positive number');
    const fiat = (scalar(body.currency, 'currency') ?? 'USD').toUpperCase();
    const rate = this.rates[fiat];
    if (rate === undefined)
      throw new CryptoCloudValidationError(
        `currency ${fiat} is not supported by the sandbox (${Object.keys(this.rates).join(', ')})`,
      );
    const fields = readAddFields(body.add_fields);
    const crypto = pickCryptocurrency(fields);
    const ttl = timeToPayMs(fields.time_to_pay) ?? this.defaultTimeToPayMs;
    const orderId = scalar(body.order_id, 'order_id') ?? null;
    const email = typeof body.email === 'string' && body.email ? body.email : null;
    if (email !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      throw new CryptoCloudValidationError('Enter a valid email address.');
    const created = this.now();
    let id: string;
    do id = randomInvoiceId();
    while (this.invoiceMap.has(id));
    const record: InvoiceRecord = {
      id,
      shopId,
      orderId,
      email,
      fiatCurrency: fiat,
      fiatAmount: amount,
      // Coins at the rate (stablecoin = 1 USD), rounded up to 10^-8 so the price is always covered.
      amount: (amount * rate + UNIT - 1n) / UNIT,
      crypto,
      address: fakeAddress(crypto),
      locale,
      createdAt: created,
      expiresAt: created + ttl,
      status: 'created',
      received: 0n,
      payments: [],
    };
    this.invoiceMap.set(id, record);
    return this.wire(record);
  }

  /** merchant/canceled: only `created` invoices can be canceled. */
  cancel(uuid: string): void {
    const record = this.find(uuid, false);
    if (!record) throw new CryptoCloudValidationError('Invoice not found');
    this.refresh(record);
    if (record.status !== 'created') throw new CryptoCloudValidationError('Invoice is not created');
    record.status = 'canceled';
  }

  // ---- Payments (the customer's side) --------------------------------------------------------------

  /**
   * The customer pays. Default amount: what is still missing (the full amount on a fresh invoice;
   * the whole amount again on a settled one, which makes it overpaid). Funds arriving after
   * cancel/expiry are received all the same (real chains do not stop them): the invoice then
   * reads paid/partial/overpaid again, and the payment is flagged `late`.
   */
  async pay(idOrOrderId: string, options: { amount?: string } = {}): Promise<PaymentOutcome> {
    const record = this.require(idOrOrderId);
    this.refresh(record);
    const missing = record.amount - record.received;
    const amount =
      options.amount !== undefined ? requireAmount(options.amount) : missing > 0n ? missing : record.amount;
    return this.receive(record, amount, 'pay');
  }

  /** Pays less than what is missing (default: half of it). */
  async payPartially(idOrOrderId: string, amount?: string): Promise<PaymentOutcome> {
    const record = this.require(idOrOrderId);
    this.refresh(record);
    const missing = record.amount - record.received;
    if (missing <= 0n) throw new CryptoCloudSandboxError(`invoice ${record.id} is already fully paid`, 409);
    const value = amount !== undefined ? requireAmount(amount) : missing / 2n;
    if (value <= 0n || value >= missing) {
      throw new CryptoCloudSandboxError(
        `a partial payment must be above 0 and below the missing ${formatAmount(missing)}`,
      );
    }
    return this.receive(record, value, 'partial');
  }

  /** Pays what is missing plus `extra` (default: a tenth of the invoice amount). */
  async overpay(idOrOrderId: string, extra?: string): Promise<PaymentOutcome> {
    const record = this.require(idOrOrderId);
    this.refresh(record);
    const more = extra !== undefined ? requireAmount(extra) : record.amount / 10n;
    if (more <= 0n) throw new CryptoCloudSandboxError('extra must be above 0');
    const missing = record.amount - record.received;
    return this.receive(record, (missing > 0n ? missing : 0n) + more, 'overpay');
  }

  /** Lets the invoice run out now: an unpaid one becomes canceled (no postback, as on CryptoCloud). */
  expire(idOrOrderId: string): CryptoCloudInvoice {
    const record = this.require(idOrOrderId);
    record.expiresAt = Math.min(record.expiresAt, this.now());
    this.refresh(record);
    return this.wire(record);
  }

  /** Sends the last postback again (token signed anew, current invoice state), honouring drop/repeat. */
  async resendLastPostback(): Promise<PostbackDelivery[]> {
    if (!this.lastPostback) throw new CryptoCloudSandboxError('no postback has been sent yet', 409);
    const record = this.require(this.lastPostback.invoiceId);
    return this.firePostback(record, 'resend');
  }

  // ---- Lifecycle ---------------------------------------------------------------------------------

  reset(): void {
    this.lifetime.abort();
    this.lifetime = new AbortController();
    this.invoiceMap = new Map();
    this.deliveries = [];
    this.postbackSeq = 0;
    this.lastPostback = undefined;
    this.dropNext = 0;
    this.repeat = 1;
    this.rates = { ...DEFAULT_RATES };
    this.fault = { mode: null, delayMs: 30_000, remaining: null };
    this.statusLagMs = 0;
  }

  shutdown(): void {
    this.lifetime.abort();
  }

  // ---- Internals -------------------------------------------------------------------------------

  private find(idOrOrderId: string, byOrder = true): InvoiceRecord | undefined {
    const id = idOrOrderId.trim().replace(/^INV-/i, '').toUpperCase();
    const direct = this.invoiceMap.get(id);
    if (direct || !byOrder) return direct;
    const matches = [...this.invoiceMap.values()].filter((record) => record.orderId === idOrOrderId);
    return matches.at(-1);
  }

  private require(idOrOrderId: string): InvoiceRecord {
    const record = this.find(idOrOrderId);
    if (!record) throw new CryptoCloudSandboxError(`unknown invoice or order ${idOrOrderId}`, 404);
    return record;
  }

  /** An unpaid invoice past its expiry_date is canceled (evaluated whenever it is looked at). */
  private refresh(record: InvoiceRecord): void {
    if (record.status === 'created' && this.now() >= record.expiresAt) record.status = 'canceled';
  }

  private async receive(record: InvoiceRecord, amount: bigint, kind: PaymentRecord['kind']): Promise<PaymentOutcome> {
    const late = record.status === 'canceled';
    if (this.statusLagMs > 0) record.lag = { until: this.now() + this.statusLagMs, shown: this.wire(record) };
    record.received += amount;
    record.payments.push({ kind, amount: formatAmount(amount), at: this.now(), late });
    record.status =
      record.received < record.amount ? 'partial' : record.received === record.amount ? 'paid' : 'overpaid';
    const postbacks = await this.firePostback(record, 'payment');
    return { invoice: this.wire(record), postbacks };
  }

  private async firePostback(record: InvoiceRecord, reason: PostbackDelivery['reason']): Promise<PostbackDelivery[]> {
    this.lastPostback = { invoiceId: record.id };
    const token = await signCryptoCloudPostback({ id: record.id }, this.secretKey);
    const fields = {
      status: 'success',
      invoice_id: record.id,
      amount_crypto: wireNumber(record.received),
      currency: record.crypto,
      order_id: record.orderId,
      token,
      invoice_info: this.wire(record),
    };
    const encoding = this.encoding;
    const url = this.notifyUrl ?? null;
    const copies = this.repeat;
    const dropped = this.dropNext > 0;
    if (dropped) this.dropNext -= 1;
    const body: Record<string, unknown> = encoding === 'json' ? fields : formFields(fields);
    const deliveries = Array.from({ length: dropped ? 1 : copies }, (_, index): PostbackDelivery => ({
      seq: ++this.postbackSeq,
      invoiceId: record.id,
      orderId: record.orderId,
      reason,
      url,
      encoding,
      body,
      dropped,
      copy: index + 1,
      at: this.now(),
    }));
    if (dropped || !url) {
      for (const delivery of deliveries) {
        if (!url && !dropped) delivery.error = 'no notification URL configured';
        this.finish(delivery);
      }
      return deliveries;
    }
    const payload =
      encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(body as Record<string, string>).toString();
    const contentType = encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    await Promise.all(deliveries.map((delivery) => this.send(delivery, url, payload, contentType)));
    return deliveries;
  }

  private async send(delivery: PostbackDelivery, url: string, payload: string, contentType: string): Promise<void> {
    const started = Date.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': contentType, 'user-agent': 'CryptoCloud-Sandbox/1.0' },
        body: payload,
        signal: AbortSignal.any([AbortSignal.timeout(this.postbackTimeoutMs), this.lifetime.signal]),
      });
      delivery.status = response.status;
      delivery.responseBody = (await response.text()).slice(0, 2_000);
    } catch (error) {
      // fetch hides the reason (ECONNREFUSED, timeout...) in `cause`.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      delivery.error =
        cause?.code ?? cause?.message ?? (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    } finally {
      delivery.durationMs = Date.now() - started;
      this.finish(delivery);
    }
  }

  private finish(delivery: PostbackDelivery): void {
    this.deliveries.push(delivery);
    this.events.emit('postback', delivery);
  }

  private wire(record: InvoiceRecord): CryptoCloudInvoice {
    this.refresh(record);
    return {
      uuid: `INV-${record.id}`,
      created: gatewayDate(record.createdAt),
      address: record.address,
      expiry_date: gatewayDate(record.expiresAt),
      side_commission: 'client',
      side_commission_cc: 'client',
      amount: wireNumber(record.amount),
      amount_usd: wireNumber(record.amount),
      amount_in_fiat: wireNumber(record.fiatAmount),
      fee: 0,
      fee_usd: 0,
      service_fee: 0,
      service_fee_usd: 0,
      received: wireNumber(record.received),
      received_usd: wireNumber(record.received),
      type_payments: 'crypto',
      fiat_currency: record.fiatCurrency,
      status: record.status,
      is_email_required: false,
      link: `${this.publicUrl}/pay/${record.id}`,
      invoice_id: null,
      order_id: record.orderId,
      email: record.email,
      currency: currencyInfo(record.crypto, Math.max(0, STABLECOINS.indexOf(record.crypto))),
      project: { id: 1, name: this.projectName, fail: null, success: null, logo: null },
      test_mode: true,
    };
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** Registers the merchant API, the hosted pay page and the control routes. */
  register(app: FastifyInstance): void {
    app.post<{ Querystring: { locale?: string } }>('/v2/invoice/create', async (request, reply) => {
      if ((await this.faulted(reply)) || !this.authorize(request, reply)) return reply;
      return this.merchantCall(reply, () => {
        const locale = request.query.locale === 'ru' ? 'ru' : 'en';
        return { status: 'success', result: this.createInvoice(objectBody(request.body), locale) };
      });
    });

    app.post('/v2/invoice/merchant/info', async (request, reply) => {
      if ((await this.faulted(reply)) || !this.authorize(request, reply)) return reply;
      return this.merchantCall(reply, () => {
        const uuids = readUuids(objectBody(request.body).uuids);
        // Unknown ids are left out of the result (UNCONFIRMED how the real API treats them).
        const result = uuids.flatMap((uuid) => {
          const record = this.find(uuid, false);
          if (!record) return [];
          if (record.lag && this.now() < record.lag.until) return [record.lag.shown];
          record.lag = undefined;
          return [this.wire(record)];
        });
        return { status: 'success', result };
      });
    });

    app.post('/v2/invoice/merchant/canceled', async (request, reply) => {
      if ((await this.faulted(reply)) || !this.authorize(request, reply)) return reply;
      return this.merchantCall(reply, () => {
        const uuid = objectBody(request.body).uuid;
        if (typeof uuid !== 'string' || !uuid) throw new CryptoCloudValidationError('uuid is required');
        this.cancel(uuid);
        return { status: 'success', result: ['ok'] };
      });
    });

    app.get<{ Params: { id: string } }>('/pay/:id', async (request, reply) => {
      const record = this.find(request.params.id, false);
      void reply.type('text/html; charset=utf-8');
      if (!record) return reply.code(404).send(payPageNotFound(request.params.id));
      return payPage(this.wire(record), record.payments);
    });

    this.registerControl(app);
  }

  /** A switched-on merchant fault answers instead of the API (true when it did). */
  private async faulted(reply: FastifyReply): Promise<boolean> {
    const fault = this.fault;
    if (fault.mode === null) return false;
    if (fault.remaining !== null) {
      if (fault.remaining <= 0) return false;
      fault.remaining -= 1;
    }
    if (fault.mode === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    }
    if (fault.mode === 'error') void reply.code(500).send('Internal Server Error');
    else if (fault.mode === 'rate_limit')
      void reply.code(429).header('retry-after', '1').send({ detail: 'Request was throttled.' });
    else void reply.code(401).send({ detail: 'Invalid token.' });
    return true;
  }

  private authorize(request: FastifyRequest, reply: FastifyReply): boolean {
    const header = request.headers.authorization;
    if (!header) {
      void reply.code(401).send({ detail: 'Authentication credentials were not provided.' });
      return false;
    }
    if (header !== `Token ${this.apiKey}`) {
      void reply.code(401).send({ detail: 'Invalid token.' });
      return false;
    }
    return true;
  }

  private merchantCall(reply: FastifyReply, run: () => unknown): unknown {
    try {
      return run();
    } catch (error) {
      if (error instanceof CryptoCloudValidationError)
        return reply.code(400).send({ status: 'error', result: { validate_error: error.message } });
      throw error;
    }
  }

  private registerControl(app: FastifyInstance): void {
    const base = '/_sandbox/cryptocloud';
    type IdRequest = FastifyRequest<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>;

    // Pay-page forms post urlencoded with a `redirect` field: answer them with a redirect back.
    const respond = async (
      request: IdRequest,
      reply: FastifyReply,
      run: (body: Record<string, unknown>) => unknown,
    ) => {
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      try {
        const result = await run(body);
        const redirect =
          typeof body.redirect === 'string' && body.redirect.startsWith('/pay/') ? body.redirect : undefined;
        if (redirect) return reply.redirect(redirect, 303);
        return result;
      } catch (error) {
        if (error instanceof CryptoCloudSandboxError || error instanceof CryptoCloudValidationError) {
          const status = error instanceof CryptoCloudSandboxError ? error.statusCode : 400;
          return reply.code(status).send({ error: error.message });
        }
        throw error;
      }
    };
    const optionalAmount = (value: unknown, name: string) => {
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new CryptoCloudSandboxError(`${name} must be a decimal string`);
      return String(value);
    };

    app.get(`${base}/invoices`, async () => ({ invoices: this.invoices() }));
    app.get<{ Params: { id: string } }>(`${base}/invoices/:id`, async (request, reply) => {
      const invoice = this.invoice(request.params.id);
      if (!invoice) return reply.code(404).send({ error: `unknown invoice or order ${request.params.id}` });
      return { invoice, payments: this.payments(request.params.id) };
    });
    app.post(`${base}/invoices/:id/pay`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => this.pay(request.params.id, { amount: optionalAmount(body.amount, 'amount') })),
    );
    app.post(`${base}/invoices/:id/partial`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => this.payPartially(request.params.id, optionalAmount(body.amount, 'amount'))),
    );
    app.post(`${base}/invoices/:id/overpay`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => this.overpay(request.params.id, optionalAmount(body.extra, 'extra'))),
    );
    app.post(`${base}/invoices/:id/expire`, async (request: IdRequest, reply) =>
      respond(request, reply, () => ({ invoice: this.expire(request.params.id) })),
    );
    app.get(`${base}/settings`, async () => this.settings());
    app.post(`${base}/settings`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => {
        if ('notifyUrl' in body) this.setNotifyUrl(scalar(body.notifyUrl, 'notifyUrl'));
        if (body.encoding !== undefined) this.setPostbackEncoding(body.encoding as PostbackEncoding);
        if (body.drop !== undefined) this.dropPostbacks(Number(body.drop));
        if (body.repeat !== undefined) this.repeatPostbacks(Number(body.repeat));
        return this.settings();
      }),
    );
    app.get(`${base}/faults`, async () => ({ merchantApi: this.merchantFault(), statusLagMs: this.statusLagMs }));
    app.post(`${base}/faults`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => {
        if ('mode' in body) {
          const mode =
            body.mode === null || body.mode === '' || body.mode === 'none' ? null : scalar(body.mode, 'mode');
          this.failMerchantApi(mode as MerchantFault | null, {
            delayMs: body.delayMs === undefined ? undefined : Number(body.delayMs),
            count: body.count === undefined || body.count === null ? undefined : Number(body.count),
          });
        }
        if (body.statusLagMs !== undefined) this.lagStatus(Number(body.statusLagMs));
        return { merchantApi: this.merchantFault(), statusLagMs: this.statusLagMs };
      }),
    );
    app.post(`${base}/rates`, async (request: IdRequest, reply) =>
      respond(request, reply, (body) => {
        for (const [currency, usd] of Object.entries(body)) this.setRate(currency, String(usd));
        return { rates: Object.fromEntries(Object.entries(this.rates).map(([c, v]) => [c, formatAmount(v)])) };
      }),
    );
    app.get(`${base}/postbacks`, async () => ({ postbacks: this.postbacks() }));
    app.post(`${base}/postbacks/resend`, async (request: IdRequest, reply) =>
      respond(request, reply, async () => ({ postbacks: await this.resendLastPostback() })),
    );
  }
}
