/**
 * One worker, many workflows: with more subscriptions than the worker's cache holds, a signal to
 * one of them (an admin's grant) finds it evicted; the worker replays its history, then answers.
 * Timed from the signal sent to the Bot API call that tells the subscriber (the sandbox's `at`),
 * beside the stack's resident memory.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { SandboxClient } from './sandbox-client';
import type { StackInfo } from './stack-process';
import { summarise, type Summary } from './stats';

export interface ScaleResult {
  signals: Summary;
  rssMiB: number;
  errors: string[];
}

/** VmRSS of a process, in MiB. */
export function residentMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib ?? NaN) / 1024;
}

export async function signalsAfterEviction(
  stack: StackInfo,
  sandbox: SandboxClient,
  stackPid: number,
  count: number,
): Promise<ScaleResult> {
  const subscribers = stack.subscribers!;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const latencies: number[] = [];
  const errors: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // Spread over the population: most are long out of the cache.
      const userId = subscribers.from + Math.floor(((i + 0.5) / count) * subscribers.count);
      const since = await sandbox.lastCallSeq();
      const sentAt = Date.now();
      await client.workflow
        .getHandle(`subscription:${userId}:${stack.planId}`)
        .signal('grant', { days: 1, by: 1, key: `bench-scale-${userId}` });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const told = (await sandbox.calls(since, 'sendMessage')).find(
          (call) => call.params.chat_id === userId && /extended/.test(String(call.params.text)),
        );
        if (told) {
          latencies.push(told.at - sentAt);
          break;
        }
        if (Date.now() > deadline) {
          errors.push(`subscriber ${userId} was not told in 30 s`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  } finally {
    await connection.close();
  }
  return { signals: summarise(latencies), rssMiB: residentMiB(stackPid), errors };
}

/** Who took the tasks: per worker identity, the workflow and activity tasks started since `since`. */
export async function tasksByWorker(stack: StackInfo, since: number, sample = 100): Promise<Map<string, number>> {
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const counts = new Map<string, number>();
  try {
    for (const { orderId } of stack.intakeInvoices.slice(0, sample)) {
      const history = await client.workflow.getHandle(`invoice:${orderId}`).fetchHistory();
      for (const event of history.events ?? []) {
        const at = Number(event.eventTime?.seconds ?? 0) * 1000;
        const started = event.workflowTaskStartedEventAttributes ?? event.activityTaskStartedEventAttributes;
        if (!started?.identity || at < since - 1000) continue;
        counts.set(started.identity, (counts.get(started.identity) ?? 0) + 1);
      }
    }
  } finally {
    await connection.close();
  }
  return counts;
}
