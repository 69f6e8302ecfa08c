/**
 * Temporal server settings the product's latency depends on, applied to every server it starts
 * (dev, tests, benchmarks) and mirrored in the deployments: `--dynamic-config-value` flags in
 * infrastructure/systemd/tg-commerce-temporal.service and infrastructure/temporal/dynamic-config.yaml
 * for docker-compose (infrastructure/deployment.test.ts keeps the three equal).
 *
 * Why: each history shard reads its new transfer tasks (an activity or workflow task to
 * dispatch) and due timers at most `…MaxPollRPS` times a second, 20 by default. A single-shard
 * server (the CLI's, and small installs) then adds up to 50 ms to every hop once a workflow
 * makes more than 20 in a second: ~500 ms on payment → access. A read is cheap; the cap is not
 * needed on one machine.
 */
export const TEMPORAL_SERVER_DYNAMIC_CONFIG = {
  'history.transferProcessorMaxPollRPS': 10_000,
  'history.timerProcessorMaxPollRPS': 10_000,
} as const satisfies Record<string, number>;
