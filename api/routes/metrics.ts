/**
 * `/metrics` (Prometheus text format). Business numbers are read at scrape time from where they
 * are recorded once for the whole deployment, so every api instance reports the same truth and a
 * restart loses nothing: webhooks from the audit table, invoices, subscriptions, commissions and
 * payouts from their read models, workflow executions from Temporal visibility. Counters that only
 * the worker sees (activations, removals, Telegram errors) are on the worker's own endpoint
 * (WORKER_METRICS_PORT). See docs/operations.md.
 */
import { count } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { invoices, payoutRequests, referralCommissions, subscriptions, webhookEvents } from '../../infrastructure/db/schema';
import type { AppDeps } from '../app';

/** Workflow types of the product (workflows/index.ts); the function name is the type. */
export const WORKFLOW_TYPES = ['invoiceWorkflow', 'subscriptionWorkflow', 'commissionWorkflow', 'payoutWorkflow', 'invoiceRefundWorkflow', 'redeliveryWorkflow'] as const;

const TEMPORAL_DEADLINE_MS = 3000;

export const metricsRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime, logger }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tgc_api_' });
  const sourceUp = new Gauge({ name: 'tgc_metrics_source_up', help: 'Whether the source of the business metrics answered this scrape (1) or not (0)', labelNames: ['source'], registers: [registry] });

  /** Runs one source's collection; a failing source is reported, not fatal to the scrape. */
  const guarded = async (source: 'database' | 'temporal', collect: () => Promise<void>) => {
    try {
      await collect();
      sourceUp.set({ source }, 1);
    } catch (error) {
      sourceUp.set({ source }, 0);
      logger.warn({ err: error, source }, 'metrics source failed');
    }
  };

  new Counter({
    name: 'tgc_webhooks_total', help: 'Payment webhooks received, by provider and outcome (from the webhook audit trail)', labelNames: ['provider', 'outcome'], registers: [registry],
    async collect() {
      await guarded('database', async () => {
        const rows = await runtime.db.select({ provider: webhookEvents.provider, outcome: webhookEvents.outcome, n: count() }).from(webhookEvents).groupBy(webhookEvents.provider, webhookEvents.outcome);
        this.reset();
        for (const row of rows) this.inc({ provider: row.provider, outcome: row.outcome }, row.n);
      });
    },
  });

  const byStatus = (name: string, help: string, read: () => Promise<Array<{ status: string; n: number }>>) => new Gauge({
    name, help, labelNames: ['status'], registers: [registry],
    async collect() {
      await guarded('database', async () => {
        const rows = await read();
        this.reset();
        for (const row of rows) this.set({ status: row.status }, row.n);
      });
    },
  });
  byStatus('tgc_invoices', 'Invoices by status', () => runtime.db.select({ status: invoices.status, n: count() }).from(invoices).groupBy(invoices.status));
  byStatus('tgc_subscriptions', 'Subscriptions by status (trial, active, grace, expired, revoked)', () => runtime.db.select({ status: subscriptions.status, n: count() }).from(subscriptions).groupBy(subscriptions.status));
  byStatus('tgc_referral_commissions', 'Referral commissions by status (held, available, reversed)', () => runtime.db.select({ status: referralCommissions.status, n: count() }).from(referralCommissions).groupBy(referralCommissions.status));
  byStatus('tgc_payout_requests', 'Payout requests by status', () => runtime.db.select({ status: payoutRequests.status, n: count() }).from(payoutRequests).groupBy(payoutRequests.status));

  new Gauge({
    name: 'tgc_workflow_executions', help: 'Workflow executions known to Temporal visibility (within retention), by type and execution status: started = the sum, failures = Failed/TimedOut/Terminated',
    labelNames: ['workflow_type', 'status'], registers: [registry],
    async collect() {
      await guarded('temporal', async () => {
        const { client, connection } = runtime.temporal;
        const counts = await connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => Promise.all(WORKFLOW_TYPES.map(async (type) =>
          ({ type, result: await client.workflow.count(`WorkflowType = '${type}' GROUP BY ExecutionStatus`) }))));
        this.reset();
        for (const { type, result } of counts) {
          for (const group of result.groups) this.set({ workflow_type: type, status: String(group.groupValues[0]) }, group.count);
        }
      });
    },
  });

  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
};
