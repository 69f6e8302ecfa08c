/** `npm run worker`: the Temporal worker running every workflow and activity of the product. */
import { ConfigError, loadConfig, loadDotEnv } from '../config';
import { registerSearchAttributes } from '../temporal/client';
import { createWorker } from '../temporal/worker';
import { createRuntime, createWorkerActivities, onShutdown } from './runtime';

export async function runWorker(config = loadConfig()) {
  const runtime = await createRuntime(config, 'worker');
  await registerSearchAttributes(runtime.temporal.connection, config.temporal.namespace);
  const { worker, connection } = await createWorker({
    address: config.temporal.address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    activities: createWorkerActivities(runtime),
  });
  const running = worker.run();
  runtime.logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'worker running');
  return {
    running,
    logger: runtime.logger,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await runtime.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  loadDotEnv();
  try {
    const handle = await runWorker();
    onShutdown(handle.logger, handle.stop);
    await handle.running;
  } catch (error) {
    if (error instanceof ConfigError) { console.error(error.message); process.exit(2); }
    throw error;
  }
}

