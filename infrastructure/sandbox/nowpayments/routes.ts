/** HTTP side of the NOWPayments emulator: the merchant API under /v1 and the control API. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COINS, formatAmount } from './amounts';
import type { NowPaymentsSandbox, PaymentOutcome } from './sandbox';
import { NowPaymentsApiError, NowPaymentsSandboxError, type PaymentSnapshot } from './types';
import { createdView, errorBody, exactJson, ExactNumber, paymentView } from './wire';

const sendExact = (reply: FastifyReply, status: number, value: unknown) =>
  reply.code(status).type('application/json; charset=utf-8').send(exactJson(value));

export function registerNowPaymentsRoutes(
  app: FastifyInstance,
  sandbox: NowPaymentsSandbox,
  lifetime: () => AbortSignal,
): void {
  /** Faults first, then the API key (GET /v1/status needs none), then the handler; API errors as NOWPayments writes them. */
  const merchant =
    (run: (request: FastifyRequest) => { status: number; body: unknown }, options: { auth?: boolean } = {}) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (await sandbox.faults.apply(request, reply, lifetime())) return reply;
      // UNCONFIRMED: the real API's answer to a missing key may differ from a wrong one; both are 403 here.
      if (options.auth !== false && request.headers['x-api-key'] !== sandbox.apiKey)
        return reply.code(403).send(errorBody(403, 'INVALID_API_KEY', 'Invalid api key'));
      try {
        const { status, body } = run(request);
        return sendExact(reply, status, body);
      } catch (error) {
        if (error instanceof NowPaymentsApiError) return reply.code(error.statusCode).send(error.toBody());
        throw error;
      }
    };

  app.get(
    '/v1/status',
    merchant(() => ({ status: 200, body: { message: 'OK' } }), { auth: false }),
  );
  app.get(
    '/v1/currencies',
    merchant(() => ({ status: 200, body: { currencies: Object.keys(COINS) } })),
  );
  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/v1/estimate',
    merchant((request) => {
      const query = request.query as Record<string, string | undefined>;
      const { amount, from, to, estimated } = sandbox.estimate(query.amount, query.currency_from, query.currency_to);
      return {
        status: 200,
        body: {
          currency_from: from,
          amount_from: new ExactNumber(formatAmount(amount)),
          currency_to: to,
          estimated_amount: new ExactNumber(formatAmount(estimated)),
        },
      };
    }),
  );
  app.post(
    '/v1/payment',
    merchant((request) => {
      const body = request.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new NowPaymentsApiError(400, 'INVALID_REQUEST_PARAMS', 'request body must be a JSON object');
      return { status: 201, body: createdView(sandbox.createPayment(body as Record<string, unknown>)) };
    }),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/payment/:id',
    merchant((request) => {
      const { id } = request.params as { id: string };
      if (!/^\d{1,20}$/.test(id))
        throw new NowPaymentsApiError(400, 'INVALID_REQUEST_PARAMS', '"paymentId" must be a number');
      // UNCONFIRMED: the real API's code and status for an unknown (or another merchant's) payment.
      const record = sandbox.record(Number(id));
      if (!record) throw new NowPaymentsApiError(404, 'PAYMENT_NOT_FOUND', 'Payment not found');
      return { status: 200, body: paymentView(record) };
    }),
  );

  registerControl(app, sandbox);
}

function registerControl(app: FastifyInstance, sandbox: NowPaymentsSandbox): void {
  const base = '/_sandbox/nowpayments';
  type ControlRequest = FastifyRequest<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>;

  const respond = async (
    request: ControlRequest,
    reply: FastifyReply,
    run: (body: Record<string, unknown>) => unknown,
  ) => {
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    try {
      return sendExact(reply, 200, await run(body));
    } catch (error) {
      if (error instanceof NowPaymentsSandboxError) return reply.code(error.statusCode).send({ error: error.message });
      if (error instanceof NowPaymentsApiError) return reply.code(error.statusCode).send({ error: error.message });
      throw error;
    }
  };
  /** The payment as the API shows it, plus what only the sandbox knows. */
  const detail = (payment: PaymentSnapshot) => {
    const record = sandbox.record(payment.paymentId);
    return {
      payment: record ? paymentView(record) : null,
      pending: payment.pending,
      history: payment.history,
    };
  };
  const outcome = async (result: PaymentOutcome, wait: unknown) =>
    detail(wait === true ? await result.done : result.payment);
  const amount = (value: unknown, name: string, required = false) => {
    if (value === undefined || value === null || value === '') {
      if (required) throw new NowPaymentsSandboxError(`${name} is required (a decimal string in the coin)`);
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new NowPaymentsSandboxError(`${name} must be a decimal string`);
    return String(value);
  };
  const confirmations = (value: unknown): number | string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' || Array.isArray(value)) return value as number | string[];
    throw new NowPaymentsSandboxError('confirmations must be a number or a list of statuses');
  };

  app.get(`${base}/payments`, async (_request, reply) =>
    sendExact(reply, 200, { payments: sandbox.payments().map((p) => ({ ...detail(p), paymentId: p.paymentId })) }),
  );
  app.get(`${base}/payments/:id`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => {
      const payment = sandbox.payment(request.params.id);
      if (!payment) throw new NowPaymentsSandboxError(`unknown payment or order ${request.params.id}`, 404);
      return {
        ...detail(payment),
        ipns: sandbox.ipnDeliveries().filter((d) => d.paymentId === payment.paymentId),
      };
    }),
  );
  app.post(`${base}/payments/:id/pay`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) =>
      outcome(
        sandbox.pay(request.params.id, {
          amount: amount(body.amount, 'amount'),
          confirmations: confirmations(body.confirmations),
        }),
        body.wait,
      ),
    ),
  );
  app.post(`${base}/payments/:id/advance`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) => {
      if (body.steps !== undefined && typeof body.steps !== 'number')
        throw new NowPaymentsSandboxError('steps must be a number');
      return outcome(sandbox.advance(request.params.id, body.steps), body.wait);
    }),
  );
  app.post(`${base}/payments/:id/repeat`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) =>
      outcome(
        sandbox.repeatDeposit(request.params.id, {
          amount: amount(body.amount, 'amount', true)!,
          confirmations: confirmations(body.confirmations),
        }),
        body.wait,
      ),
    ),
  );
  app.post(`${base}/payments/:id/expire`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => detail(sandbox.expire(request.params.id))),
  );
  app.post(`${base}/payments/:id/fail`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => detail(sandbox.fail(request.params.id))),
  );
  app.post(`${base}/payments/:id/refund`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => detail(sandbox.refund(request.params.id))),
  );
  app.post(`${base}/payments/:id/ipn`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => detail(sandbox.renotify(request.params.id))),
  );

  app.get(`${base}/ipns`, async () => ({ ipns: sandbox.ipnDeliveries(), settings: sandbox.ipnSettings() }));
  app.post(`${base}/ipns/flush`, async (request: ControlRequest, reply) =>
    respond(request, reply, () => ({ sent: sandbox.flushIpns() })),
  );
  app.get(`${base}/settings`, async () => sandbox.ipnSettings());
  app.post(`${base}/settings`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) => sandbox.configureIpns(body)),
  );

  app.get(`${base}/faults`, async () => ({ faults: sandbox.faults.list() }));
  app.post(`${base}/faults`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) => ({ fault: sandbox.faults.add(body), faults: sandbox.faults.list() })),
  );
  app.delete(`${base}/faults`, async () => {
    sandbox.faults.clear();
    return { faults: [] };
  });

  app.get(`${base}/rates`, async () => ({ rates: sandbox.currentRates() }));
  app.post(`${base}/rates`, async (request: ControlRequest, reply) =>
    respond(request, reply, (body) => ({ rates: sandbox.setRates(body as Record<string, Record<string, string>>) })),
  );
}
