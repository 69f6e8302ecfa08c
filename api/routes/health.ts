import type { FastifyPluginAsync } from 'fastify';
import { databaseIsUp } from '../../infrastructure/db/client';
import type { AppDeps } from '../app';

const healthResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    database: { type: 'string', enum: ['up', 'down'] },
    temporal: { type: 'string', enum: ['up', 'down'] },
  },
  required: ['status', 'database', 'temporal'],
} as const;

/** `/health`: 200 when PostgreSQL and Temporal both answer, 503 otherwise, with which is down. */
export const healthRoutes: FastifyPluginAsync<AppDeps> = async (app, { runtime }) => {
  const temporalIsUp = async () => {
    try {
      const { connection } = runtime.temporal;
      await connection.withDeadline(Date.now() + 2000, () => connection.healthService.check({}));
      return true;
    } catch {
      return false;
    }
  };
  app.get(
    '/health',
    { schema: { response: { 200: healthResponse, 503: healthResponse } } },
    async (_request, reply) => {
      const [database, temporal] = await Promise.all([databaseIsUp(runtime.sql), temporalIsUp()]);
      const ok = database && temporal;
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        database: database ? 'up' : 'down',
        temporal: temporal ? 'up' : 'down',
      });
    },
  );
};
