/** Injected faults: rate limits, blocks, server errors and slow answers hitting matching calls. */
import { Params, SandboxState } from './state';
import { ActiveFault, FORBIDDEN, FaultSpec, TelegramApiError, TelegramSandboxError } from './types';
import { sleep } from './webhook';

export function injectFault(s: SandboxState, spec: FaultSpec): ActiveFault {
  if (!spec.method) throw new TelegramSandboxError('a fault needs a method (or "*")');
  const kinds = ['rate_limit', 'blocked', 'server_error', 'slow'];
  if (!spec.fault || !kinds.includes(spec.fault.kind))
    throw new TelegramSandboxError(`fault.kind must be one of ${kinds.join(', ')}`);
  const fault: ActiveFault = {
    id: ++s.faultSeq,
    method: spec.method,
    chatId: spec.chatId,
    times: spec.times ?? 1,
    fault: spec.fault,
  };
  s.faultList.push(fault);
  return fault;
}

export function faults(s: SandboxState): ActiveFault[] {
  return [...s.faultList];
}

export function clearFaults(s: SandboxState): void {
  s.faultList = [];
}

export async function applyFault(s: SandboxState, method: string, params: Params, signal: AbortSignal): Promise<void> {
  const chatId = params.chat_id;
  const index = s.faultList.findIndex(
    (f) =>
      (f.method === '*' || f.method.toLowerCase() === method.toLowerCase()) &&
      (f.chatId === undefined || String(f.chatId) === String(chatId)),
  );
  const active = s.faultList[index];
  if (!active) return;
  active.times -= 1;
  if (active.times <= 0) s.faultList.splice(index, 1);
  const fault = active.fault;
  switch (fault.kind) {
    case 'rate_limit':
      throw new TelegramApiError(429, `Too Many Requests: retry after ${fault.retryAfter}`, {
        retry_after: fault.retryAfter,
      });
    case 'blocked':
      throw FORBIDDEN('bot was blocked by the user');
    case 'server_error': {
      const status = fault.status ?? 500;
      throw new TelegramApiError(
        status,
        fault.description ?? (status === 502 ? 'Bad Gateway' : 'Internal Server Error'),
      );
    }
    case 'slow':
      await sleep(fault.delayMs, AbortSignal.any([signal, s.lifetime.signal]));
  }
}
