import type { FastifyInstance } from 'fastify';
import type { ApiDependencies } from '../dependencies.ts';

/** 200 once the database, Kamailio and the agent's evapi connection are all up; 503 before. */
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  app.get('/healthz', { schema: { tags: ['operations'], security: [] } }, async (_request, reply) => {
    const report = await deps.health();
    const healthy = report.database && report.switch && report.agent;
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', ...report });
  });
}
