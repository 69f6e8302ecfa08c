/** The sandbox's own HTTP control API under `/_sandbox/telegram` (what tests and people drive it with). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TelegramSandbox } from './sandbox';
import { SandboxState } from './state';
import {
  BotRightsChange,
  FaultSpec,
  MemberStatus,
  PayInvoiceInput,
  PaymentSettings,
  TelegramSandboxError,
  UserInput,
} from './types';
import { getWebhookInfo } from './webhook';

export function registerControl(app: FastifyInstance, sandbox: TelegramSandbox, s: SandboxState): void {
  const base = '/_sandbox/telegram';
  // Misuse answers {error} with the status the error names (400 by default, 404 unknown, 409 conflict).
  const guard = <T>(reply: FastifyReply, run: () => T) => controlCall(reply, run);

  app.get<{ Querystring: { method?: string; since?: string } }>(`${base}/calls`, async (request) => {
    const since = Number(request.query.since ?? 0);
    return { calls: sandbox.calls(request.query.method).filter((call) => call.seq > since) };
  });
  app.get(`${base}/chats`, async () => ({ chats: sandbox.chatList() }));
  app.post<{ Body: Parameters<TelegramSandbox['openWebApp']>[0] }>(`${base}/open_web_app`, async (request, reply) =>
    guard(reply, () => sandbox.openWebApp(bodyOf(request))),
  );
  app.post<{ Body: Parameters<TelegramSandbox['addChannel']>[0] }>(`${base}/channels`, async (request, reply) =>
    guard(reply, () => {
      void reply.code(201);
      return { chat: sandbox.addChannel(bodyOf(request)) };
    }),
  );
  app.post<{ Body: UserInput & { startedBot?: boolean } }>(`${base}/users`, async (request, reply) =>
    guard(reply, () => {
      const { startedBot, ...user } = bodyOf(request);
      void reply.code(201);
      return { user: sandbox.addUser(user, { startedBot }) };
    }),
  );
  app.post<{ Params: { userId: string } }>(`${base}/users/:userId/block`, async (request, reply) =>
    guard(reply, () => {
      sandbox.blockBot(toId(request.params.userId));
      return { blocked: true };
    }),
  );
  app.delete<{ Params: { userId: string } }>(`${base}/users/:userId/block`, async (request, reply) =>
    guard(reply, () => {
      sandbox.unblockBot(toId(request.params.userId));
      return { blocked: false };
    }),
  );
  app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/messages`, async (request, reply) =>
    guard(reply, () => ({ messages: sandbox.messagesTo(toId(request.params.chatId)) })),
  );
  app.get<{ Params: { chatId: string; userId: string } }>(
    `${base}/chats/:chatId/members/:userId`,
    async (request, reply) =>
      guard(reply, () => ({ status: sandbox.member(toId(request.params.chatId), toId(request.params.userId)) })),
  );
  app.put<{
    Params: { chatId: string; userId: string };
    Body: { status: MemberStatus; until_date?: number; user?: UserInput };
  }>(`${base}/chats/:chatId/members/:userId`, async (request, reply) =>
    guard(reply, () => {
      const body = bodyOf(request);
      const userId = toId(request.params.userId);
      sandbox.setMember(
        toId(request.params.chatId),
        body.user ? { ...body.user, id: userId } : userId,
        body.status,
        body.until_date ?? 0,
      );
      return { status: sandbox.member(toId(request.params.chatId), userId) };
    }),
  );
  app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/bot`, async (request, reply) =>
    guard(reply, () => ({ member: sandbox.botMember(toId(request.params.chatId)) })),
  );
  app.put<{ Params: { chatId: string }; Body: BotRightsChange }>(`${base}/chats/:chatId/bot`, async (request, reply) =>
    guard(reply, () => {
      const chatId = toId(request.params.chatId);
      const update = sandbox.setBotRights(chatId, bodyOf(request));
      return { update: update ?? null, member: sandbox.botMember(chatId) };
    }),
  );
  app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/invite-links`, async (request, reply) =>
    guard(reply, () => ({ links: sandbox.inviteLinks(toId(request.params.chatId)) })),
  );
  app.get<{ Params: { chatId: string } }>(`${base}/chats/:chatId/join-requests`, async (request, reply) =>
    guard(reply, () => ({ requests: sandbox.joinRequests(toId(request.params.chatId)) })),
  );
  app.get(`${base}/updates`, async () => ({ updates: sandbox.updates() }));
  app.post<{ Body: Record<string, unknown> }>(`${base}/updates`, async (request, reply) =>
    guard(reply, () => ({ update: sandbox.injectUpdate(bodyOf(request)) })),
  );
  app.post<{ Body: { from: UserInput; text: string } }>(`${base}/messages`, async (request, reply) =>
    guard(reply, () => ({ update: sandbox.sendText(bodyOf(request)) })),
  );
  app.post<{ Body: Parameters<TelegramSandbox['pressButton']>[0] }>(`${base}/callbacks`, async (request, reply) =>
    guard(reply, () => ({ callback_query_id: sandbox.pressButton(bodyOf(request)) })),
  );
  app.get<{ Params: { id: string } }>(`${base}/callbacks/:id`, async (request, reply) =>
    guard(reply, () => {
      const answer = sandbox.callbackAnswer(request.params.id);
      if (!answer) throw new TelegramSandboxError(`unknown callback query ${request.params.id}`, 404);
      return answer;
    }),
  );
  app.post<{ Body: Parameters<TelegramSandbox['requestJoin']>[0] }>(`${base}/join-requests`, async (request, reply) =>
    guard(reply, () => ({ update: sandbox.requestJoin(bodyOf(request)) })),
  );
  app.post<{ Body: Parameters<TelegramSandbox['joinByLink']>[0] }>(`${base}/joins`, async (request, reply) =>
    guard(reply, () => ({ update: sandbox.joinByLink(bodyOf(request)) })),
  );
  app.post<{ Body: Parameters<TelegramSandbox['leaveChat']>[0] }>(`${base}/leaves`, async (request, reply) =>
    guard(reply, () => ({ update: sandbox.leaveChat(bodyOf(request)) })),
  );
  app.get(`${base}/faults`, async () => ({ faults: sandbox.faults() }));
  app.post<{ Body: FaultSpec }>(`${base}/faults`, async (request, reply) =>
    guard(reply, () => {
      void reply.code(201);
      return { fault: sandbox.injectFault(bodyOf(request)) };
    }),
  );
  app.delete(`${base}/faults`, async () => {
    sandbox.clearFaults();
    return { faults: [] };
  });
  // Stars: a user pays an invoice message; the answer waits for the outcome (up to the pre-checkout deadline).
  app.post<{ Body: PayInvoiceInput }>(`${base}/payments`, async (request, reply) =>
    controlCallAsync(reply, () => sandbox.payInvoice(bodyOf(request))),
  );
  app.get(`${base}/payments`, async () => ({ payments: sandbox.payments() }));
  app.get(`${base}/payments/settings`, async () => ({ settings: sandbox.paymentSettings() }));
  app.put<{ Body: Partial<PaymentSettings> }>(`${base}/payments/settings`, async (request, reply) =>
    guard(reply, () => ({ settings: sandbox.setPaymentSettings(bodyOf(request)) })),
  );
  app.get(`${base}/star-transactions`, async () => ({ transactions: sandbox.starTransactions() }));
  app.get(`${base}/refunds`, async () => ({ refunds: sandbox.refunds() }));
  app.get(`${base}/webhook`, async () => ({ webhook: getWebhookInfo(s), deliveries: sandbox.webhookDeliveries() }));
  app.get(`${base}/commands`, async () => ({ commands: sandbox.commands() }));
}

export function bodyOf<T>(request: FastifyRequest<{ Body: T }>): T {
  if (!request.body || typeof request.body !== 'object')
    throw new TelegramSandboxError('a JSON object body is required');
  return request.body as T;
}

export function toId(raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new TelegramSandboxError(`"${raw}" is not a numeric id`);
  return Number(raw);
}

/** controlCall for an action that takes a while (a payment waiting for the bot's answer). */
export async function controlCallAsync<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TelegramSandboxError) return reply.code(error.statusCode).send({ error: error.message });
    throw error;
  }
}

/** Runs a control action; a TelegramSandboxError becomes `{error}` with its status. */
export function controlCall<T>(reply: FastifyReply, run: () => T): T | FastifyReply {
  try {
    return run();
  } catch (error) {
    if (error instanceof TelegramSandboxError) return reply.code(error.statusCode).send({ error: error.message });
    throw error;
  }
}
