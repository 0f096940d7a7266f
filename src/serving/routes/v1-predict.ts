// `POST /v1/models/{name}:predict` (Google's custom-method style): one instance or a batch, by
// entity (features from the online table) and/or features given by hand.
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../app-deps.ts';
import { HttpError, VERSION_HEADER } from '../http-error.ts';
import { predict, type InstanceResult } from '../predict.ts';
import { wire } from '../validation.ts';
import type {
  V1BatchPredictResponse,
  V1Instance,
  V1Prediction,
  V1PredictRequest,
  V1PredictResponse,
  V1TargetParams,
} from '../wire-types.generated.ts';
import { observeAnswered, withDeployment } from './shared.ts';

const ENDPOINT = 'v1-predict';

export function v1Prediction(r: InstanceResult): V1Prediction {
  return {
    requestId: r.requestId,
    version: r.version,
    score: r.prediction.score,
    ...(r.prediction.label !== undefined ? { label: r.prediction.label } : {}),
    ...(r.prediction.probabilities ? { probabilities: r.prediction.probabilities } : {}),
    // A score made without some features is still a score, but the caller must be able to tell.
    ...(r.missing.length > 0 ? { missingFeatures: r.missing } : {}),
  };
}

/** `churn:predict` → `churn`; anything else is not an endpoint. */
function modelName(target: string): string {
  const colon = target.lastIndexOf(':');
  if (target.slice(colon + 1) !== 'predict' || colon <= 0)
    throw new HttpError(
      404,
      `no such endpoint: POST /v1/models/${target} (use /v1/models/{name}:predict)`,
      'not-found',
      'path',
    );
  return target.slice(0, colon);
}

export const v1PredictRoutes: FastifyPluginAsync<RouteDeps> = (app, deps) => {
  app.post<{ Params: V1TargetParams; Body: V1PredictRequest }>(
    '/v1/models/:target',
    {
      config: { endpoint: ENDPOINT },
      // Before the body is validated: a wrong path is a 404 whatever the body.
      preValidation: (req, _reply, done) => {
        try {
          modelName(req.params.target);
          done();
        } catch (e) {
          done(e as Error);
        }
      },
      schema: {
        params: wire('V1TargetParams'),
        body: wire('V1PredictRequest'),
        response: {
          // One instance or a batch: the body's form decides which (the serializer picks by `required`).
          200: { anyOf: [wire('V1PredictResponse'), wire('V1BatchPredictResponse')] },
          '4xx': wire('ErrorBody'),
          '5xx': wire('ErrorBody'),
        },
      },
    },
    async (req, reply): Promise<V1PredictResponse | V1BatchPredictResponse> => {
      const started = performance.now();
      const name = modelName(req.params.target);
      const batched = 'instances' in req.body;
      const instances: readonly V1Instance[] = 'instances' in req.body ? req.body.instances : [req.body];
      if (instances.length > deps.maxInstances)
        throw new HttpError(
          413,
          `${instances.length} instances in one request; at most ${deps.maxInstances}`,
          'too-large',
          'instances',
        );
      const results = await withDeployment(deps, (deployment) =>
        predict(deps.predictDeps, {
          deployment,
          model: name,
          instances: instances.map((x) => ({
            ...(x.entity ? { entity: x.entity } : {}),
            features: x.features ?? {},
          })),
          pinned: req.headers[VERSION_HEADER] as string | undefined,
          started,
          fieldPrefix: (i) => (batched ? `instances[${i}].` : ''),
        }),
      );
      observeAnswered(deps.metrics, name, results, ENDPOINT, started);
      const versions = new Set(results.map((r) => r.version));
      if (versions.size === 1) void reply.header(VERSION_HEADER, String(results[0]!.version));
      return batched
        ? { model: name, predictions: results.map(v1Prediction) }
        : { model: name, ...v1Prediction(results[0]!) };
    },
  );
  return Promise.resolve();
};
