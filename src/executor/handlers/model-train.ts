// model.train: build the point-in-time training set, train with the model's trainer, store the
// training-set snapshot, and record the new version as a candidate in the model lock.
import { join } from 'node:path';
import type { TrainReasonCode } from '../../planner/plan-types.ts';
import { withLock } from '../../state/lock-state.ts';
import type { TrainingSet } from '../../store/port.ts';
import type { ArtifactRef } from '../../artifacts/port.ts';
import { storeTrainingProfile } from '../../observe/profile-io.ts';
import {
  checkTrainingSet,
  renderDataChecks,
  type DataCheckFigures,
} from '../../trainer/evaluation/data-checks.ts';
import type { TrainResult } from '../../trainer/trainer.ts';
import type { ActionHandler } from '../handler.ts';
import { modelLockWithCandidate } from '../transitions.ts';

export interface TrainOutcome {
  model: string;
  version: number;
  reasons: TrainReasonCode[];
  trainingSet: TrainingSet;
  /** Where the training-set snapshot is stored (artifact URI). */
  trainingSetUri: string;
  seed: number;
  result: TrainResult;
  checks: DataCheckFigures;
  /** The stored reference profile of the training split (drift monitoring). */
  profile?: ArtifactRef;
}

/** Plain words for the commit subject. */
export const TRAIN_REASON_WORDS: Readonly<Record<TrainReasonCode, string>> = {
  'no-version': 'new model',
  'spec-changed': 'spec changed',
  'features-changed': 'features changed',
  forced: 'retrain requested',
  'schedule-due': 'schedule due',
  drift: 'drift',
  performance: 'live quality dropped',
  'data-volume': 'new labels',
};

export const trainHandler: ActionHandler<'model.train', TrainOutcome> = {
  async run(a, ctx) {
    const model = ctx.desired.models.find((m) => m.name === a.params.model);
    if (!model) throw new Error(`model ${a.params.model} is not in the policies`);
    const views = ctx.desired.featureViews.filter((v) => model.views.includes(v.name));
    const wd = await ctx.workDir();
    const trainingSet = await ctx.withStore((s) =>
      s.buildTrainingSet({
        model,
        views,
        outPath: join(wd, 'training-set.parquet'),
        ...(ctx.labelsUntil ? { until: ctx.labelsUntil } : {}),
        policies: ctx.desired.dataPolicies,
      }),
    );
    ctx.trainingSets.set(model.name, trainingSet);
    // Never train on nothing: all-null features or labels the views do not cover fail here,
    // with the figures, before any time is spent training.
    const checks = checkTrainingSet(model, trainingSet);
    if (!checks.ok)
      throw new Error(
        `the training set of ${model.name} fails its data checks (${renderDataChecks(checks.figures)}): ${checks.failures.join('; ')}${checks.causes.length ? `. ${checks.causes.join('; ')}` : ''}. Inspect it with rudder dataset ${model.name} --out set.csv; thresholds are spec.dataChecks.`,
      );
    const seed = model.trainer.seed;
    const result = await ctx
      .trainerFor(model.trainer.type)
      .train({ model, trainingSet, seed, workDir: wd, signal: ctx.signal });
    const snapshot = await ctx.artifacts.putFile(trainingSet.path);
    // The reference profile drift compares with: the training split, and the model's scores on it.
    const profile = await storeTrainingProfile(
      ctx.artifacts,
      model,
      trainingSet.path,
      seed,
      a.params.version,
      result.artifact,
    );
    return {
      model: model.name,
      version: a.params.version,
      reasons: a.reasons.map((r) => r.code),
      trainingSet,
      trainingSetUri: snapshot.uri,
      seed,
      result,
      checks: checks.figures,
      profile,
    };
  },
  lockAfter(lock, o, _a, meta) {
    const model = meta.desired.models.find((m) => m.name === o.model);
    if (!model) throw new Error(`model ${o.model} is not in the policies`);
    const views = meta.desired.featureViews.filter((v) => model.views.includes(v.name));
    return withLock(
      lock,
      modelLockWithCandidate(lock.models[o.model], {
        model,
        views,
        version: o.version,
        result: o.result,
        trainingSet: o.trainingSet,
        trainingSetUri: o.trainingSetUri,
        seed: o.seed,
        checks: { nullShare: o.checks.nullShare, coverage: o.checks.coverage },
        profile: o.profile,
        at: meta.at,
        prov: meta.prov,
        // The lock keeps the stable codes: tools read them.
        reason: `trained: ${o.reasons.join(', ')}`,
      }),
    );
  },
  summary(o) {
    const metrics = Object.entries(o.result.metrics)
      .map(([k, v]) => `${k} ${round(v)}`)
      .join(', ');
    const es = o.result.details?.earlyStopping;
    return `v${o.version} trained (${o.result.backend}): ${metrics}\n    data: ${renderDataChecks(o.checks)}${es ? `\n    early stopping: ${String(es)}` : ''}`;
  },
  subject: (o) =>
    `train ${o.model} v${o.version} (${[...new Set(o.reasons.map((r) => TRAIN_REASON_WORDS[r]))].join(', ')})`,
};

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
