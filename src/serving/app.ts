// The HTTP application of `rudder serve`, without a socket: Fastify with one plugin per route
// group (routes/), request bodies validated against the wire-format schema, fixed-shape responses
// serialized from it, and one error handler that turns every failure into the status, `{error,
// field}` body and metrics the server answers with. `server.ts` listens; tests call `inject()`.
//
// Why Fastify over node:http + a router: it brings the body limit (413), JSON parsing errors
// (400), routing and graceful close (in-flight requests finish) that this server needs anyway,
// and bench/serve.ts measures what it costs next to a bare node:http server in the same run.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { FeatureValueError } from '../trainer/tfjs/runtime.ts';
import { HttpError, VERSION_HEADER } from './http-error.ts';
import type { ErrorKind } from './metrics.ts';
import { logRecorder, type PredictDeps } from './predict.ts';
import { ShadowScorer } from './shadow.ts';
import { healthRoutes } from './routes/health.ts';
import { labelRoutes } from './routes/labels.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { oipRoutes } from './routes/oip-v2.ts';
import { v1PredictRoutes } from './routes/v1-predict.ts';
import { requestError, serializerSchema, servingValidatorCompiler } from './validation.ts';

import type { AppDeps, RouteDeps } from './app-deps.ts';

export type { AppDeps, RouteDeps } from './app-deps.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_MAX_INSTANCES = 1000;

/** The Fastify instance with every route, ready for `listen()` or `inject()`. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ bodyLimit: deps.bodyLimit, logger: false, return503OnClosing: false });
  app.setValidatorCompiler(servingValidatorCompiler());
  app.addSchema(serializerSchema());
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const endpoint = req.routeOptions.config.endpoint;
    const h = asHttpError(err, endpoint !== undefined, deps.bodyLimit);
    const version = h.version != null ? String(h.version) : '';
    const model = modelOf(req);
    deps.metrics.errors.inc({ model, version, kind: h.kind });
    // Errors Fastify raised before the handler ran are counted under the route's path.
    const label = endpoint !== undefined && !isFrameworkError(err) ? endpoint : (req.routeOptions.url ?? '');
    deps.metrics.requests.inc({ model, version, endpoint: label, code: String(h.status) });
    if (h.version != null) void reply.header(VERSION_HEADER, version);
    void reply.code(h.status).send({ error: h.message, ...(h.field ? { field: h.field } : {}) });
  });
  const record = logRecorder(deps.log, deps.metrics, deps.say);
  const shadow = deps.shadow ?? (deps.log ? new ShadowScorer({ metrics: deps.metrics, record }) : undefined);
  const predictDeps: PredictDeps = {
    lookup: deps.lookup,
    metrics: deps.metrics,
    clock: deps.clock,
    record,
    ...(shadow ? { shadow } : {}),
  };
  const routeDeps: RouteDeps = { ...deps, predictDeps };
  void app.register(v1PredictRoutes, routeDeps);
  void app.register(oipRoutes, routeDeps);
  void app.register(labelRoutes, routeDeps);
  void app.register(healthRoutes, routeDeps);
  void app.register(metricsRoutes, routeDeps);
  return app;
}

/** The model a request was for, from its path (`{name}` or `{name}:predict`); '' when none. */
function modelOf(req: FastifyRequest): string {
  const params = req.params as { name?: string; target?: string } | undefined;
  return params?.name ?? params?.target?.replace(/:[^:]*$/, '') ?? '';
}

type AnyError = FastifyError & { validation?: ErrorObject[] };

/** Content-type, body-limit and JSON errors: Fastify's own, raised before a handler runs. */
const isFrameworkError = (err: AnyError): boolean =>
  !(err instanceof HttpError) &&
  !err.validation &&
  typeof err.code === 'string' &&
  err.code.startsWith('FST_');

function asHttpError(err: AnyError, routed: boolean, bodyLimit: number): HttpError {
  if (err instanceof HttpError) return err;
  if (err.validation) return requestError(err.validation);
  if (err instanceof FeatureValueError)
    return new HttpError(400, err.message, 'bad-request', `features.${err.field}`);
  const first = err.message.split('\n')[0] ?? '';
  if (!isFrameworkError(err) && routed) return new HttpError(500, `internal error: ${first}`, 'model');
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  const kind: ErrorKind =
    status === 413 ? 'too-large' : status === 404 ? 'not-found' : status < 500 ? 'bad-request' : 'model';
  const message =
    err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? `the request body is larger than ${bodyLimit} bytes`
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'send the body as application/json'
        : status < 500
          ? `malformed request body: ${err.message}`
          : 'internal error';
  return new HttpError(status, message, kind, status < 500 ? 'body' : undefined);
}
