/**
 * `/metrics` (Prometheus text format). Business numbers are read at scrape time from where they
 * are recorded once for the whole deployment, so every api instance reports the same truth and a
 * restart loses nothing: webhooks from the audit table, invoices, subscriptions, commissions and
 * payouts from their read models, workflow executions from Temporal visibility. Counters that only
 * the worker sees (activations, removals, Telegram errors) are on the worker's own endpoint
 * (WORKER_METRICS_PORT). See the README, "Operations".
 */
import { count } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import {
  invoices,
  payoutRequests,
  referralCommissions,
  subscriptions,
  webhookEvents,
} from '../../infrastructure/db/schema';
import type { AppDeps } from '../app';

/** Workflow types of the product (workflows/index.ts); the function name is the type. */
export const WORKFLOW_TYPES = [
  'invoiceWorkflow',
  'subscriptionWorkflow',
  'commissionWorkflow',
  'payoutWorkflow',
  'invoiceRefundWorkflow',
  'redeliveryWorkflow',
] as const;

const TEMPORAL_DEADLINE_MS = 3000;

export const metricsRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime, logger }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tgc_api_' });
  const sourceUp = new Gauge({
    name: 'tgc_metrics_source_up',
    help: 'Whether the source of the business metrics answered this scrape (1) or not (0)',
    labelNames: ['source'],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'tgc_webhooks_total',
    help: 'Payment webhooks received, by provider and outcome (from the webhook audit trail)',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['status'], registers: [registry] });
  const statusGauges = [
    {
      gauge: gauge('tgc_invoices', 'Invoices by status'),
      read: () => runtime.db.select({ status: invoices.status, n: count() }).from(invoices).groupBy(invoices.status),
    },
    {
      gauge: gauge('tgc_subscriptions', 'Subscriptions by status (trial, active, grace, expired, revoked)'),
      read: () =>
        runtime.db
          .select({ status: subscriptions.status, n: count() })
          .from(subscriptions)
          .groupBy(subscriptions.status),
    },
    {
      gauge: gauge('tgc_referral_commissions', 'Referral commissions by status (held, available, reversed)'),
      read: () =>
        runtime.db
          .select({ status: referralCommissions.status, n: count() })
          .from(referralCommissions)
          .groupBy(referralCommissions.status),
    },
    {
      gauge: gauge('tgc_payout_requests', 'Payout requests by status'),
      read: () =>
        runtime.db
          .select({ status: payoutRequests.status, n: count() })
          .from(payoutRequests)
          .groupBy(payoutRequests.status),
    },
  ];
  const executions = new Gauge({
    name: 'tgc_workflow_executions',
    help: 'Workflow executions known to Temporal visibility (within retention), by type and execution status: started = the sum, failures = Failed/TimedOut/Terminated',
    labelNames: ['workflow_type', 'status'],
    registers: [registry],
  });

  /** One source's numbers; a failing source is reported (and its numbers left out), not fatal to the scrape. */
  const refresh = async (source: 'database' | 'temporal', read: () => Promise<void>) => {
    try {
      await read();
      sourceUp.set({ source }, 1);
    } catch (error) {
      sourceUp.set({ source }, 0);
      logger.warn({ err: error, source }, 'metrics source failed');
    }
  };

  const readDatabase = async () => {
    const [webhookRows, ...statusRows] = await Promise.all([
      runtime.db
        .select({ provider: webhookEvents.provider, outcome: webhookEvents.outcome, n: count() })
        .from(webhookEvents)
        .groupBy(webhookEvents.provider, webhookEvents.outcome),
      ...statusGauges.map((g) => g.read()),
    ]);
    // The audit table is append-only, so its counts only grow: a counter, set from the source of truth.
    webhooks.reset();
    for (const row of webhookRows) webhooks.inc({ provider: row.provider, outcome: row.outcome }, row.n);
    statusGauges.forEach(({ gauge: g }, index) => {
      g.reset();
      for (const row of statusRows[index] ?? []) g.set({ status: row.status }, row.n);
    });
  };

  const readTemporal = async () => {
    const { client, connection } = runtime.temporal;
    const counts = await connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      Promise.all(
        WORKFLOW_TYPES.map(async (type) => ({
          type,
          result: await client.workflow.count(`WorkflowType = '${type}' GROUP BY ExecutionStatus`),
        })),
      ),
    );
    executions.reset();
    for (const { type, result } of counts) {
      for (const group of result.groups)
        executions.set({ workflow_type: type, status: String(group.groupValues[0]) }, group.count);
    }
  };

  app.get('/metrics', async (_request, reply) => {
    await Promise.all([refresh('database', readDatabase), refresh('temporal', readTemporal)]);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
