/** `npm run worker`: the Temporal worker running every workflow and activity of the product. */
import { loadConfig } from '../config';
import { registerSearchAttributes } from '../temporal/client';
import { createWorker } from '../temporal/worker';
import { serveMetrics, workerMetrics } from '../metrics';
import { createRuntime, createWorkerActivities, runMain } from './runtime';

export async function runWorker(config = loadConfig()) {
  const runtime = await createRuntime(config, 'worker');
  await registerSearchAttributes(runtime.temporal.connection, config.temporal.namespace);
  const { worker, connection } = await createWorker({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    activities: createWorkerActivities(runtime),
    logger: runtime.logger,
  });
  const running = worker.run();
  const metricsPort = config.worker.metricsPort;
  const metrics =
    metricsPort === undefined
      ? undefined
      : await serveMetrics(workerMetrics().registry, { host: config.worker.metricsHost, port: metricsPort });
  runtime.logger.info(
    { taskQueue: config.temporal.taskQueue, temporal: config.temporal.address, metrics: metrics?.url },
    'worker running',
  );
  return {
    running,
    logger: runtime.logger,
    stop: async () => {
      worker.shutdown();
      await running;
      await metrics?.close();
      await connection.close();
      await runtime.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain('worker', () => runWorker());
