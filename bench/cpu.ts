/**
 * CPU accounting from /proc, to show who was busy during a phase: the bench itself, the stack's
 * process, and the whole machine (shared, so other work shows up here too). Linux only; elsewhere
 * the figures are NaN.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux that matters). */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds a process has used so far. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at ") ": utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** The processes started by `pid`, at any depth (the stack's Temporal dev server, object storage...). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (of: number) => {
    for (const child of children.get(of) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** The machine's busy and total CPU ticks (all cores). */
function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

export interface CpuShare {
  /** Percent of one core: this process, the stack's node process, and what the stack started (Temporal...). */
  bench: number;
  stack: number;
  servers: number;
  /** Percent of all cores. */
  machine: number;
}

/** Starts measuring; `stop()` gives each one's share over the interval. */
export function cpuMeter(stackPid: number): { stop(): CpuShare } {
  const started = performance.now();
  const bench = process.cpuUsage();
  const stack = processCpuMs(stackPid);
  const servers = descendantsOf(stackPid).map((pid) => ({ pid, used: processCpuMs(pid) }));
  const machine = machineTicks();
  return {
    stop() {
      const wall = performance.now() - started;
      const used = process.cpuUsage(bench);
      const machineNow = machineTicks();
      return {
        bench: ((used.user + used.system) / 1000 / wall) * 100,
        stack: ((processCpuMs(stackPid) - stack) / wall) * 100,
        servers: (servers.reduce((sum, s) => sum + (processCpuMs(s.pid) - s.used || 0), 0) / wall) * 100,
        machine: ((machineNow.busy - machine.busy) / (machineNow.total - machine.total)) * 100,
      };
    },
  };
}

/**
 * Waits until the stack's process is near idle (below `belowPercent` of a core over half a second),
 * e.g. the worker done with the signals of a load phase, so the next phase starts from rest. Resolves
 * with the time it took (capped at `timeoutMs`).
 */
export async function settle(stackPid: number, belowPercent = 15, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const meter = cpuMeter(stackPid);
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (!(meter.stop().stack >= belowPercent)) break;
  }
  return performance.now() - started;
}
