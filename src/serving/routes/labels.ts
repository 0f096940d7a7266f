// `POST /v1/labels`: delayed labels (the outcome for an entity), joined later to the predictions
// made for it at or before the label's time.
import type { FastifyPluginAsync } from 'fastify';
import type { LabelRecord } from '../../prediction-log/port.ts';
import type { RouteDeps } from '../app-deps.ts';
import { HttpError } from '../http-error.ts';
import { wire } from '../validation.ts';
import type { Label, LabelRequest, LabelsAccepted } from '../wire-types.generated.ts';

/** Labels as the log stores them: the model must be served, `at` an ISO-8601 time (default now). */
export function labelRecords(
  labels: readonly Label[],
  served: ReadonlyMap<string, unknown>,
  now: Date,
  prefix: (i: number) => string,
): LabelRecord[] {
  return labels.map((o, i) => {
    const p = prefix(i);
    if (!served.has(o.model))
      throw new HttpError(
        404,
        `${p}model ${JSON.stringify(o.model)} is not served`,
        'not-found',
        `${p}model`,
      );
    let at = now.toISOString();
    if (o.at !== undefined) {
      const t = Date.parse(o.at);
      if (!Number.isFinite(t))
        throw new HttpError(400, `${p}at must be an ISO-8601 time`, 'bad-request', `${p}at`);
      at = new Date(t).toISOString();
    }
    return { at, model: o.model, entity: o.entity, label: o.label };
  });
}

export const labelRoutes: FastifyPluginAsync<RouteDeps> = (app, deps) => {
  app.post<{ Body: LabelRequest }>(
    '/v1/labels',
    {
      config: { endpoint: 'v1-labels' },
      schema: {
        body: wire('LabelRequest'),
        response: { 202: wire('LabelsAccepted'), '4xx': wire('ErrorBody'), '5xx': wire('ErrorBody') },
      },
    },
    async (req, reply) => {
      // As the schema decides: `labels` that is not an array is a field of a single label.
      const body = req.body;
      const batched = 'labels' in body && Array.isArray(body.labels);
      const raw = batched ? body.labels : [body as Label];
      const max = deps.maxInstances * 10;
      if (raw.length > max)
        throw new HttpError(413, `at most ${max} labels per request`, 'too-large', 'labels');
      const labels = labelRecords(raw, deps.deployment().models, deps.clock(), (i) =>
        batched ? `labels[${i}].` : '',
      );
      if (deps.log) await deps.log.appendLabels(labels);
      const accepted: LabelsAccepted = { accepted: labels.length };
      return reply.code(202).send(accepted);
    },
  );
  return Promise.resolve();
};
