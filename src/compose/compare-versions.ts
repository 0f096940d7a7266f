// Two versions of a model side by side (metrics, gates, training data, feature views): a read
// view of the lockfiles that the api's ops and policy proposals both show.
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { ModelVersion } from '../state/types.ts';
import { fail, unknownResource, withWorkspace } from './with-workspace.ts';

export interface VersionSummary {
  version: number;
  status: ModelVersion['status'];
  trainedAt: string;
  specDigest: string;
  metrics: Record<string, number>;
  gates: NonNullable<ModelVersion['gates']>;
  trainingSet: ModelVersion['trainingSet'];
  featureViewDigests: Record<string, string>;
  trainer: ModelVersion['trainer'];
  seed: number;
  plan?: string;
}

export interface VersionComparison {
  model: string;
  a: VersionSummary;
  b: VersionSummary;
  /** metric → b − a, for metrics both versions have. */
  metricDeltas: Record<string, number>;
  sameSpec: boolean;
  sameTrainingSet: boolean;
  /** Views whose definition digest differs between the versions (or that only one read). */
  changedViews: string[];
}

const summarizeVersion = (v: ModelVersion): VersionSummary => ({
  version: v.version,
  status: v.status,
  trainedAt: v.trainedAt,
  specDigest: v.specDigest,
  metrics: v.metrics,
  gates: v.gates ?? [],
  trainingSet: v.trainingSet,
  featureViewDigests: v.featureViewDigests,
  trainer: v.trainer,
  seed: v.seed,
  plan: v.plan,
});

/** Metrics, gates, training data and feature views of two versions of a model, side by side. Read-only. */
export async function compareVersions(opts: {
  cwd: string;
  policiesDir?: string;
  model: string;
  /** Default: the champion (or the newest but one). */
  a?: number;
  /** Default: the newest version. */
  b?: number;
}): Promise<ApiResult<{ value: VersionComparison }>> {
  return withWorkspace(opts, (ws) => {
    const sources = new Map([...ws.lockTexts]);
    const models = ws.desired.models.map((m) => m.name);
    if (!models.includes(opts.model) && !ws.lock.models[opts.model])
      return unknownResource(ws, 'model', opts.model, models);
    const vs = ws.lock.models[opts.model]?.versions ?? [];
    const newest = vs[vs.length - 1];
    const b = opts.b != null ? vs.find((v) => v.version === opts.b) : newest;
    const champion = vs.find((v) => v.status === 'champion' && v !== b);
    const a =
      opts.a != null ? vs.find((v) => v.version === opts.a) : (champion ?? vs.filter((v) => v !== b).at(-1));
    if (!a || !b) {
      const missing = !a ? opts.a : opts.b;
      return {
        ok: false,
        diagnostics: [
          fail(
            'api/unknown-version',
            missing != null
              ? `${opts.model} has no version ${missing}`
              : `${opts.model} has ${vs.length} version(s): nothing to compare`,
            `Versions: ${vs.map((v) => v.version).join(', ') || '(none)'}`,
          ),
        ],
        sources,
      };
    }
    const metricDeltas: Record<string, number> = {};
    for (const [k, vb] of Object.entries(b.metrics)) {
      const va = a.metrics[k];
      if (va != null) metricDeltas[k] = vb - va;
    }
    const views = new Set([...Object.keys(a.featureViewDigests), ...Object.keys(b.featureViewDigests)]);
    return {
      ok: true,
      value: {
        model: opts.model,
        a: summarizeVersion(a),
        b: summarizeVersion(b),
        metricDeltas,
        sameSpec: a.specDigest === b.specDigest,
        sameTrainingSet: a.trainingSet.digest === b.trainingSet.digest,
        changedViews: [...views].filter((v) => a.featureViewDigests[v] !== b.featureViewDigests[v]).sort(),
      },
      diagnostics: [],
      sources,
    };
  });
}
