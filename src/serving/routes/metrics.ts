// `GET /metrics`: Prometheus text from the server's own registry.
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../app-deps.ts';

export const metricsRoutes: FastifyPluginAsync<RouteDeps> = (app, deps) => {
  app.get('/metrics', async (_req, reply) => {
    const { log, metrics } = deps;
    if (log?.buffered !== undefined) metrics.logBuffered.set(log.buffered);
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return Promise.resolve();
};
