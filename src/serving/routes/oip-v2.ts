// Open Inference Protocol v2, REST (kserve/open-inference-protocol): infer, model metadata and
// model readiness. Server health is in health.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../app-deps.ts';
import type { ServedModel } from '../deployment.ts';
import { VERSION_HEADER } from '../http-error.ts';
import { oipInstances, oipType } from '../oip-inputs.ts';
import { predict, servedModel, type InstanceResult } from '../predict.ts';
import { wire } from '../validation.ts';
import type {
  ErrorBody,
  ModelNameParams,
  OipInferRequest,
  OipInferResponse,
  OipModelMetadata,
  OipModelReady,
  OipOutputTensor,
} from '../wire-types.generated.ts';
import { observeAnswered, withDeployment } from './shared.ts';

const ENDPOINT = 'v2-infer';
const errors = { '4xx': wire('ErrorBody'), '5xx': wire('ErrorBody') };

/** score and version always; label when every row has one; missing_features when any row lacks some. */
export function oipOutputs(results: readonly InstanceResult[]): OipOutputTensor[] {
  const n = results.length;
  const outputs: OipOutputTensor[] = [
    { name: 'score', datatype: 'FP64', shape: [n], data: results.map((r) => r.prediction.score) },
    { name: 'version', datatype: 'INT32', shape: [n], data: results.map((r) => r.version) },
  ];
  if (results.every((r) => r.prediction.label !== undefined))
    outputs.push({
      name: 'label',
      datatype: 'BYTES',
      shape: [n],
      data: results.map((r) => String(r.prediction.label)),
    });
  if (results.some((r) => r.missing.length > 0))
    // One BYTES element per row: the comma-separated features it was scored without.
    outputs.push({
      name: 'missing_features',
      datatype: 'BYTES',
      shape: [n],
      data: results.map((r) => r.missing.join(',')),
    });
  return outputs;
}

export function oipMetadata(m: ServedModel): OipModelMetadata {
  return {
    name: m.name,
    versions: m.weights.map((w) => String(w.version)),
    platform: [...m.versions.values()].map((v) => v.runtime.format).join(','),
    inputs: m.spec.features.map((f) => ({ name: f.ref, datatype: oipType(f.type), shape: [-1] })),
    outputs: [
      { name: 'score', datatype: 'FP64', shape: [-1] },
      { name: 'version', datatype: 'INT32', shape: [-1] },
    ],
    parameters: {
      weights: Object.fromEntries(m.weights.map((w) => [String(w.version), w.weight])),
      rollout: m.rollout,
    },
  };
}

const notServed = (name: string): ErrorBody => ({ error: `model ${JSON.stringify(name)} is not served` });

export const oipRoutes: FastifyPluginAsync<RouteDeps> = (app, deps) => {
  app.post<{ Params: ModelNameParams; Body: OipInferRequest }>(
    '/v2/models/:name/infer',
    {
      config: { endpoint: ENDPOINT },
      schema: {
        params: wire('ModelNameParams'),
        body: wire('OipInferRequest'),
        response: { 200: wire('OipInferResponse'), ...errors },
      },
    },
    async (req, reply): Promise<OipInferResponse> => {
      const started = performance.now();
      const name = req.params.name;
      const results = await withDeployment(deps, (deployment) => {
        const m = servedModel(deployment, name, false);
        return predict(deps.predictDeps, {
          deployment,
          model: name,
          instances: oipInstances(m, req.body.inputs, deps.maxInstances),
          pinned: req.headers[VERSION_HEADER] as string | undefined,
          started,
          fieldPrefix: (i) => `inputs[row ${i}].`,
        });
      });
      observeAnswered(deps.metrics, name, results, ENDPOINT, started);
      const versions = [...new Set(results.map((r) => r.version))];
      if (versions.length === 1) void reply.header(VERSION_HEADER, String(versions[0]));
      return {
        model_name: name,
        model_version: versions.map(String).join(','),
        ...(typeof req.body.id === 'string' ? { id: req.body.id } : {}),
        outputs: oipOutputs(results),
      };
    },
  );

  app.get<{ Params: ModelNameParams }>(
    '/v2/models/:name/ready',
    { schema: { params: wire('ModelNameParams'), response: { 200: wire('OipModelReady'), ...errors } } },
    async (req, reply): Promise<OipModelReady | ErrorBody> => {
      const m = deps.deployment().models.get(req.params.name);
      if (!m) return reply.code(404).send(notServed(req.params.name));
      return { name: m.name, ready: true };
    },
  );

  app.get<{ Params: ModelNameParams }>(
    '/v2/models/:name',
    { schema: { params: wire('ModelNameParams'), response: { 200: wire('OipModelMetadata'), ...errors } } },
    async (req, reply): Promise<OipModelMetadata | ErrorBody> => {
      const m = deps.deployment().models.get(req.params.name);
      if (!m) return reply.code(404).send(notServed(req.params.name));
      return oipMetadata(m);
    },
  );
  return Promise.resolve();
};
