// Server liveness and readiness (OIP v2 health endpoints).
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../app-deps.ts';
import { wire } from '../validation.ts';
import type { OipServerLive, OipServerReady } from '../wire-types.generated.ts';

export const healthRoutes: FastifyPluginAsync<RouteDeps> = (app, deps) => {
  app.get(
    '/v2/health/live',
    { schema: { response: { 200: wire('OipServerLive') } } },
    (): Promise<OipServerLive> => Promise.resolve({ live: true }),
  );
  // Ready when every rollout lock's model loaded and there is at least one; 503 says why not.
  app.get(
    '/v2/health/ready',
    { schema: { response: { 200: wire('OipServerReady'), 503: wire('OipServerReady') } } },
    async (_req, reply) => {
      const d = deps.deployment();
      const ready = d.problems.length === 0 && d.models.size > 0;
      const body: OipServerReady = { ready, ...(d.problems.length ? { problems: [...d.problems] } : {}) };
      return reply.code(ready ? 200 : 503).send(body);
    },
  );
  return Promise.resolve();
};
