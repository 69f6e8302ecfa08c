/**
 * What the benchmarks share: sizes as people write them, a process's resident memory sampled while
 * something runs (VmRSS every 100 ms plus the kernel's peak mark), and stopping a child process.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';

export const MIB = 2 ** 20;
export const SAMPLE_MS = 100;

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 2 ** 10, mib: MIB, gib: 2 ** 30, tib: 2 ** 40 };

export function byteSize(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined) throw new Error(`"${raw}" is not a size like 1GiB, 64MiB or 1048576`);
  return Math.round(Number(match[1]) * unit);
}

/** Resident memory of a process in bytes (VmRSS), and its peak since the last reset (VmHWM). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Resets the kernel's peak-RSS mark (clear_refs 5), so VmHWM afterwards is the true peak of the phase,
 * even a spike shorter than the sampling interval. False where the kernel does not allow it.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmRSS every SAMPLE_MS while `during` runs; the samples and the peak. */
export async function sampled<T>(pid: number, during: () => Promise<T>) {
  const kernelPeak = resetPeak(pid);
  const samples: number[] = [memoryOf(pid).rss];
  const timer = setInterval(() => samples.push(memoryOf(pid).rss), SAMPLE_MS);
  try {
    const result = await during();
    samples.push(memoryOf(pid).rss);
    return { result, samples, peak: Math.max(...samples, kernelPeak ? memoryOf(pid).hwm : 0) };
  } finally {
    clearInterval(timer);
  }
}

/** Idle RSS: the median of 2 s of samples with nothing happening. */
export async function idleRss(pid: number): Promise<number> {
  const { samples } = await sampled(pid, () => new Promise((r) => setTimeout(r, 2000)));
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/** The api takes updates by webhook only when told to; a bench's api serves its routes alone. */
export function withoutWebhook(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { TELEGRAM_WEBHOOK_URL: _webhook, ...rest } = env;
  return rest;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const exited = once(child, 'exit').then(() => clearTimeout(timer));
  child.kill('SIGTERM');
  return exited;
}
