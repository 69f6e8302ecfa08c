/**
 * The Bot API endpoint `/bot<token>/<method>`: parameter reading, faults, dispatch to the area tables, recording;
 * and the file download route `/file/bot<token>/<file_path>` (files.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyFault } from './faults';
import { ParamReader, describeParams, readParams } from './params';
import { CallContext, Described, Handler, MethodTable, Params, SandboxState, TOKEN_RE, Upload } from './state';
import { BotAnswer, TelegramApiError, TelegramCall } from './types';
import { chatInfoMethods } from './chat-info';
import { chatMethods } from './chats';
import { fileMethods, serveFile } from './files';
import { inviteLinkMethods } from './invite-links';
import { messageMethods } from './messages';
import { paymentMethods } from './payments';
import { webhookMethods } from './webhook';

/** Registers the Bot API routes and the control routes under `/_sandbox/telegram`. */
export function registerBotApi(s: SandboxState, app: FastifyInstance): void {
  app.route<{ Params: { token: string; method: string } }>({
    method: ['GET', 'POST'],
    url: '/bot:token/:method',
    // Body parsing errors (bad JSON, oversized uploads) still answer in the Bot API format.
    errorHandler: (error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      const answer =
        status === 413
          ? { ok: false, error_code: 413, description: 'Request Entity Too Large' }
          : status < 500
            ? {
                ok: false,
                error_code: 400,
                description: `Bad Request: ${error instanceof Error ? error.message : 'invalid request'}`,
              }
            : { ok: false, error_code: 500, description: 'Internal Server Error' };
      void reply.code(answer.error_code).send(answer);
    },
    handler: (request, reply) => handleHttp(s, request, reply),
  });
  // File downloads, as getFile's file_path says: `<apiRoot>/file/bot<token>/<file_path>` (GET, and HEAD).
  app.get<{ Params: { token: string; '*': string } }>('/file/bot:token/*', (request, reply) =>
    serveFile(s, request.params.token, request.params['*'], reply),
  );
}

export async function handleHttp(
  s: SandboxState,
  request: FastifyRequest<{ Params: { token: string; method: string } }>,
  reply: FastifyReply,
): Promise<void> {
  const { token, method } = request.params;
  const closed = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) closed.abort();
  });
  if (!TOKEN_RE.test(token)) {
    await reply.code(401).send({ ok: false, error_code: 401, description: 'Unauthorized' });
    return;
  }
  let read: { params: Params; uploads: Map<string, Upload> };
  try {
    read = await readParams(request);
  } catch (error) {
    const tooLarge =
      (error as { statusCode?: number }).statusCode === 413 ||
      (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
    const answer = tooLarge
      ? { ok: false, error_code: 413, description: 'Request Entity Too Large' }
      : {
          ok: false,
          error_code: 400,
          description: `Bad Request: ${error instanceof Error ? error.message : 'invalid request'}`,
        };
    await reply.code(answer.error_code).send(answer);
    return;
  }
  const answer = await execute(s, token, method, read.params, read.uploads, closed.signal);
  await reply.code(answer.ok ? 200 : answer.error_code).send(answer);
}

/** Runs one Bot API method: faults first, then the handler; records the call. */
export async function execute(
  s: SandboxState,
  token: string,
  method: string,
  params: Params,
  uploads: Map<string, Upload>,
  signal: AbortSignal,
): Promise<BotAnswer> {
  const entry = s.handlers.get(method.toLowerCase());
  s.lastToken = token;
  const call: TelegramCall = {
    seq: ++s.callSeq,
    method: entry?.name ?? method,
    params: describeParams(params, uploads),
    at: s.now(),
    ok: false,
  };
  let answer: BotAnswer;
  try {
    if (!entry) throw new TelegramApiError(404, 'Not Found: method not found');
    await applyFault(s, entry.name, params, signal);
    const ctx: CallContext = { token, bot: s.botUser(token), p: new ParamReader(params), uploads, signal };
    const result = await entry.handle(ctx);
    answer =
      result instanceof Described
        ? { ok: true, result: result.result, description: result.description }
        : { ok: true, result };
  } catch (error) {
    if (error instanceof TelegramApiError) {
      answer = {
        ok: false,
        error_code: error.code,
        description: error.description,
        ...(error.parameters ? { parameters: error.parameters } : {}),
      };
    } else {
      answer = {
        ok: false,
        error_code: 500,
        description: `Internal Server Error: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  call.ok = answer.ok;
  if (answer.ok) call.result = answer.result;
  else {
    call.errorCode = answer.error_code;
    call.description = answer.description;
  }
  recordCall(s, call);
  return answer;
}

export function recordCall(s: SandboxState, call: TelegramCall): void {
  s.callLog.push(call);
  if (s.callLog.length > s.maxRecordedCalls) s.callLog.splice(0, s.callLog.length - s.maxRecordedCalls);
  s.events.emit('call', call);
}

/** Every Bot API method the sandbox answers, keyed by lower-case name; one table per area (add new areas here). */
export function buildHandlers(s: SandboxState): Map<string, { name: string; handle: Handler }> {
  const table: MethodTable = {
    ...messageMethods(s),
    ...fileMethods(s),
    ...inviteLinkMethods(s),
    ...chatMethods(s),
    ...chatInfoMethods(s),
    ...paymentMethods(s),
    ...webhookMethods(s),
  };
  return new Map(Object.entries(table).map(([name, handle]) => [name.toLowerCase(), { name, handle }]));
}
