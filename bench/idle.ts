/**
 * Idle cost: a stack holding many active subscriptions and open invoices, each waiting on its
 * durable timers, over a window in which no timer is due. Counted from PostgreSQL's own statistics
 * (transactions of the product's database) and from the kernel's CPU accounting of the stack's
 * process and of the servers it started. The seeds' model beside it: a polling loop over pending
 * invoices and an expiry checker over all users, each cycle.
 */
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { cpuMeter, type CpuShare } from './cpu';

export interface IdleResult {
  seconds: number;
  /** How long the stack took to come to rest after it was seeded. */
  restMs: number;
  /**
   * Scans and row writes on the product's tables (pg_stat_user_tables): every query the product
   * makes touches one, the meter's statistics reads never do.
   */
  tableAccesses: number;
  /** Transactions of the product's database, the meter's own two reads included. */
  transactions: number;
  cpu: CpuShare;
}

export async function measureIdle(databaseUrl: string, stackPid: number, seconds: number): Promise<IdleResult> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    const read = async () => {
      // A fresh snapshot each time: within one transaction the statistics would not move.
      const [row] = await sql<Array<{ xacts: string; accesses: string }>>`
        select (select xact_commit + xact_rollback from pg_stat_database where datname = ${name}) as xacts,
          (select coalesce(sum(seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del), 0)
           from pg_stat_user_tables) as accesses`;
      return { xacts: Number(row!.xacts), accesses: Number(row!.accesses) };
    };
    // Starting 10,000 workflows returns before the worker has run their first tasks: wait until
    // the product is at rest (no table touched for 12 s, the process under 5 % of a core). Backends
    // report their counts when idle, at most every 10 s, hence 12 s.
    const restStarted = performance.now();
    let before = await read();
    for (;;) {
      const meter = cpuMeter(stackPid);
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const now = await read();
      const resting = now.accesses === before.accesses && meter.stop().stack < 5;
      before = now;
      if (resting) break;
      if (performance.now() - restStarted > 20 * 60_000) throw new Error('the stack did not come to rest in 20 min');
    }
    const restMs = performance.now() - restStarted;
    const meter = cpuMeter(stackPid);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = meter.stop();
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const after = await read();
    return {
      seconds,
      restMs,
      tableAccesses: after.accesses - before.accesses,
      transactions: after.xacts - before.xacts,
      cpu,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * What the seeds' loops cost per cycle for the same population: the payment poller reads the users
 * with a pending invoice and asks the gateway about each; the expiry checker reads every subscriber.
 */
export function seedsModel(subscribers: number, openInvoices: number) {
  return {
    queriesPerCycle: 2 + openInvoices,
    gatewayCallsPerCycle: openInvoices,
    rowsPerCycle: subscribers + openInvoices,
  };
}
