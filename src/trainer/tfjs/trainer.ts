// The built-in trainer: TensorFlow.js on the best backend that loads (see backend.ts).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Model, TfjsTrainerSpec } from '../../compiler/desired-state.ts';
import { lowerIsBetter } from '../../schema/vocabulary.ts';
import { ArtifactError, type ArtifactRef, type ArtifactStore } from '../../artifacts/port.ts';
import { featureColumnName, type TrainingSet } from '../../store/port.ts';
import { requestedBackend, withBackend, type BackendChoice } from './backend.ts';
import { AbortedError, fit, Network, type FitOptions, type TrainData } from './engine.ts';
import { describeHoldout } from '../evaluation/holdout.ts';
import { builtinMetrics, computeMetrics, type Scores } from '../evaluation/metrics.ts';
import {
  classWeights,
  learningRateAt,
  ModelSpecError,
  planBatchSize,
  planNetwork,
  type NetworkPlan,
} from '../model-spec.ts';
import {
  checkFeatureSchema,
  encodeLabels,
  encodeRows,
  fitPreprocessing,
  labelTargets,
  PreprocessError,
  type FeatureRef,
  type Preprocessing,
} from './preprocess.ts';
import { createProgressReporter, type ProgressMode } from '../progress.ts';
import { readTrainingSet, type LoadedTrainingSet } from '../read-training-set.ts';
import { splitRows, type SplitIndices } from '../evaluation/split.ts';
import {
  buildLayersModel,
  loadTfjsModel,
  modelFromFiles,
  serializeLayersModel,
  setLayersWeights,
  sha256Digest,
  storeModelFiles,
  type ModelFiles,
  type TfjsModel,
} from './artifact.ts';
import {
  TrainerError,
  type EvaluateOptions,
  type Trainer,
  type TrainInput,
  type TrainResult,
} from '../trainer.ts';

export interface TfjsTrainerOptions {
  store: ArtifactStore;
  /** Progress on stderr: a bar in a terminal, lines in CI (`auto`, the default). */
  progress?: ProgressMode;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment for `RUDDER_TF_BACKEND` and `CI`. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export class TfjsTrainer implements Trainer {
  constructor(private readonly opts: TfjsTrainerOptions) {}

  async train(input: TrainInput): Promise<TrainResult> {
    const { model } = input;
    const spec = tfjsSpec(model);
    const started = performance.now();
    const requested = requestedBackend(spec.backend, this.opts.env);
    return withBackend(requested, (backend) =>
      guard(model, 'training', () => this.trainOn(backend, input, spec, started)),
    );
  }

  private async trainOn(
    backend: BackendChoice,
    input: TrainInput,
    spec: TfjsTrainerSpec,
    started: number,
  ): Promise<TrainResult> {
    const { model, trainingSet, seed } = input;
    const features = modelFeatures(model);
    const { data, split } = await readForTraining(model, trainingSet, features, seed);
    const pre = fitPreprocessing(model, features, data.table, split.train, spec.categorical);
    const plan = planNetwork(model, spec, pre);
    const train = weightedTrainData(model, spec, pre, data, split.train);
    const { files, details } = await this.fitAndExport(backend, input, spec, {
      pre,
      plan,
      data,
      split,
      train,
    });

    // Score what is stored, through the exported LayersModel, not the training network.
    const loaded = await modelFromFiles(files);
    let metrics: Record<string, number>;
    try {
      metrics = scoreHoldout(model, loaded, data, split.holdout);
    } finally {
      loaded.dispose();
    }
    const dir = join(input.workDir, 'tfjs-artifact');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const artifact = await storeModelFiles(this.opts.store, dir, files);
    return {
      metrics,
      artifact,
      backend: backend.label,
      holdout: describeHoldout(split.holdout, data.labelTs, data.entityKeys),
      trainRows: split.train.length,
      durationMs: Math.round(performance.now() - started),
      details,
    };
  }

  /** Fit the network (with early stopping when configured) and export it as a LayersModel. */
  private async fitAndExport(
    backend: BackendChoice,
    input: TrainInput,
    spec: TfjsTrainerSpec,
    t: Prepared,
  ): Promise<{ files: ModelFiles; details: Record<string, string | number | boolean> }> {
    const { model, seed } = input;
    const batchSize = planBatchSize(spec.batchSize, t.train.rows, t.plan);
    const net = new Network(t.plan, Network.initialValues(t.plan, seed, otherSlotRows(t.pre)));
    const reporter = input.onProgress
      ? undefined
      : createProgressReporter(this.opts.progress ?? 'auto', this.opts.progressStream, this.opts.env);
    try {
      const es = earlyStopping(model, spec, t);
      const result = await fit(net, t.train, {
        epochs: spec.epochs,
        batchSize,
        accumulate: spec.accumulate,
        optimizer: spec.optimizer,
        learningRate: (epoch) => learningRateAt(spec, epoch),
        seed,
        signal: input.signal,
        earlyStopping: es.options,
        onEpoch: (e) => {
          const p = {
            model: model.name,
            epoch: e.epoch,
            epochs: e.epochs,
            loss: e.loss,
            metric: e.metric,
            samplesPerSecond: e.samplesPerSecond,
          };
          input.onProgress?.(p);
          reporter?.update(p);
        },
      });
      const files = await exportModel(model, net, t.plan, t.pre, seed, backend.label);
      const details: Record<string, string | number | boolean> = {
        epochs: result.epochs,
        bestEpoch: result.bestEpoch,
        stoppedEarly: result.stoppedEarly,
        batchSize,
        accumulate: spec.accumulate,
        validationRows: t.split.validation.length,
        parameters: net.size,
        weightsDigest: files.manifest.weightsDigest,
        samplesPerSecond: Math.round(result.samplesPerSecond),
      };
      if (spec.earlyStopping)
        details.earlyStopping = !es.validation
          ? 'skipped: the validation split is empty'
          : [es.note, result.stopReason].filter(Boolean).join('; ');
      return { files, details };
    } finally {
      reporter?.stop();
      net.dispose();
    }
  }

  async evaluate(
    model: Model,
    artifact: ArtifactRef,
    trainingSet: TrainingSet,
    _workDir: string,
    options: EvaluateOptions = {},
  ): Promise<Record<string, number>> {
    const spec = tfjsSpec(model);
    checkMetrics(model);
    return withBackend(requestedBackend(spec.backend, this.opts.env), () =>
      guard(model, 'scoring', async () => {
        const loaded = await loadTfjsModel(this.opts.store, artifact, trainingSet.features);
        try {
          if (loaded.manifest.task !== model.task)
            throw new TrainerError(
              `model ${model.name}: artifact ${artifact.digest} was trained for ${loaded.manifest.task}, not ${model.task}`,
            );
          const data = await readTrainingSet(trainingSet, loaded.features);
          const holdout = options.rows
            ? [...options.rows]
            : splitRows(data.table.rows, model.split, options.seed ?? spec.seed).holdout;
          if (holdout.length === 0)
            throw new TrainerError(`model ${model.name}: the holdout of ${trainingSet.path} is empty`);
          if (holdout.some((r) => !(Number.isInteger(r) && r >= 0 && r < data.table.rows)))
            throw new TrainerError(
              `model ${model.name}: rows to score are outside training set ${trainingSet.path} (${data.table.rows} rows)`,
            );
          return scoreHoldout(model, loaded, data, holdout);
        } finally {
          loaded.dispose();
        }
      }),
    );
  }

  /** Load a stored model for scoring; throws unless its feature schema equals `features`. */
  async load(
    artifact: ArtifactRef | string,
    features: readonly FeatureRef[],
    backend: TfjsTrainerSpec['backend'] = 'auto',
  ): Promise<TfjsModel> {
    return withBackend(requestedBackend(backend, this.opts.env), () =>
      loadTfjsModel(this.opts.store, artifact, features),
    );
  }
}

function tfjsSpec(model: Model): TfjsTrainerSpec {
  if (model.trainer.type !== 'tfjs')
    throw new TrainerError(`model ${model.name} uses the ${model.trainer.type} trainer, not tfjs`);
  return model.trainer;
}

function modelFeatures(model: Model): FeatureRef[] {
  return model.features.map((f) => ({ ref: f.ref, column: featureColumnName(f.ref), type: f.type }));
}

function checkMetrics(model: Model): void {
  const custom = model.metrics.filter((m) => !builtinMetrics.has(m));
  if (custom.length)
    throw new TrainerError(
      `model ${model.name}: the tfjs trainer computes built-in metrics only; ${custom.join(', ')} must come from a command trainer`,
    );
}

/** Turn bad input and internal failures into TrainerErrors naming the model. */
async function guard<T>(model: Model, stage: 'training' | 'scoring', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // An unreadable artifact is the store's failure, not the model's: callers decide on its reason.
    if (e instanceof TrainerError || e instanceof ArtifactError) throw e;
    if (e instanceof PreprocessError || e instanceof ModelSpecError || e instanceof AbortedError)
      throw new TrainerError(`model ${model.name}: ${e.message}`, undefined, { cause: e });
    const message = e instanceof Error ? e.message : String(e);
    throw new TrainerError(`model ${model.name}: ${stage} failed: ${message.split('\n')[0]}`, undefined, {
      cause: e,
    });
  }
}

/** What training reads, fitted and encoded: preprocessing, network plan, split and training rows. */
interface Prepared {
  pre: Preprocessing;
  plan: NetworkPlan;
  data: LoadedTrainingSet;
  split: SplitIndices;
  train: TrainData;
}

/** Read the training set after checking it fits the model, and split it; refuses a tiny or holdout-less set. */
async function readForTraining(
  model: Model,
  trainingSet: TrainingSet,
  features: readonly FeatureRef[],
  seed: number,
): Promise<{ data: LoadedTrainingSet; split: SplitIndices }> {
  checkMetrics(model);
  const mismatch = checkFeatureSchema(features, trainingSet.features);
  if (mismatch)
    throw new TrainerError(
      `model ${model.name}: training set ${trainingSet.path} does not match the model's features: ${mismatch}`,
    );
  const data = await readTrainingSet(trainingSet, features);
  if (data.table.rows < 3)
    throw new TrainerError(
      `model ${model.name}: training set ${trainingSet.path} has ${data.table.rows} rows; at least 3 are needed to train and hold out`,
    );
  const split = splitRows(data.table.rows, model.split, seed);
  if (split.holdout.length === 0)
    throw new TrainerError(
      `model ${model.name}: the holdout is empty (split.holdout is ${model.split.holdout}); metrics need held-out rows`,
    );
  return { data, split };
}

/** The training rows encoded, weighted per class when the spec sets classWeights. */
function weightedTrainData(
  model: Model,
  spec: TfjsTrainerSpec,
  pre: Preprocessing,
  data: LoadedTrainingSet,
  rows: readonly number[],
): TrainData {
  const train = trainData(pre, data, rows);
  if (pre.label.kind === 'regression' && spec.classWeights)
    throw new TrainerError(`model ${model.name}: classWeights apply to classification, not regression`);
  const cw =
    pre.label.kind === 'regression'
      ? undefined
      : classWeights(spec.classWeights, pre.label.classes, train.target);
  if (cw) train.weight = Float32Array.from(train.target, (t) => cw[t]!);
  return train;
}

/** Early-stopping options for fit (undefined without the spec's earlyStopping or validation rows). */
function earlyStopping(
  model: Model,
  spec: TfjsTrainerSpec,
  t: Prepared,
): { validation?: TrainData; note?: string; options: FitOptions['earlyStopping'] } {
  const es = spec.earlyStopping;
  const { pre, data, split } = t;
  const validation = es && split.validation.length > 0 ? trainData(pre, data, split.validation) : undefined;
  // A handful of validation rows makes a ranking metric jump to its bound (AUC 1.0 on 34 rows
  // at epoch 1) and stop an underfit model: below the floor, monitor the validation loss.
  const lossName = model.task === 'regression' ? 'rmse' : 'logloss';
  const monitor = es && validation && split.validation.length < es.minValidationRows ? lossName : es?.metric;
  const note =
    es && monitor !== es.metric
      ? `monitored validation ${monitor} instead of ${es.metric}: only ${split.validation.length} validation rows (minValidationRows ${es.minValidationRows})`
      : undefined;
  const targets = validation ? labelTargets(pre, data.table.label, split.validation) : undefined;
  const options =
    es && validation && targets
      ? {
          data: validation,
          metric: monitor!,
          lowerIsBetter: lowerIsBetter.has(monitor!),
          patience: es.patience,
          minEpochs: es.minEpochs,
          score: (n: Network, d: TrainData) => scoreMetric(monitor!, model, pre, n.predict(d), targets),
          tiebreak:
            monitor === lossName
              ? undefined
              : (n: Network, d: TrainData) => scoreMetric(lossName, model, pre, n.predict(d), targets),
        }
      : undefined;
  return { validation, note, options };
}

function trainData(pre: Preprocessing, data: LoadedTrainingSet, rows: readonly number[]): TrainData {
  const enc = encodeRows(pre, data.table, rows);
  return {
    rows: enc.rows,
    dense: enc.dense,
    indices: enc.indices,
    target: encodeLabels(pre, data.table.label, rows),
  };
}

/** Dense-input rows fed by an "other" category slot (one-hot mode). */
function otherSlotRows(pre: Preprocessing): number[] {
  if (pre.categorical !== 'onehot') return [];
  const out: number[] = [];
  let col = pre.numeric.length + pre.numeric.filter((n) => n.indicator).length;
  for (const c of pre.categories) {
    col += c.categories.length;
    out.push(col);
    col += 1;
  }
  return out;
}

function scores(model: Model, pre: Preprocessing, predictions: Float32Array, targets: Float64Array): Scores {
  if (model.task === 'multiclass-classification')
    return {
      task: model.task,
      y: targets,
      p: predictions,
      classes: pre.label.kind === 'multiclass' ? pre.label.classes.length : 2,
    };
  return { task: model.task, y: targets, p: predictions };
}

/** A metric on the network's own predictions (validation, for early stopping). */
function scoreMetric(
  name: string,
  model: Model,
  pre: Preprocessing,
  raw: Float32Array,
  targets: Float64Array,
): number {
  const p =
    pre.label.kind === 'regression'
      ? raw.map((x) => x * (pre.label as { std: number }).std + (pre.label as { mean: number }).mean)
      : raw;
  const v = computeMetrics([name], scores(model, pre, p, targets))[name]!;
  // An undefined validation metric (one class in a tiny validation set) must not stop training.
  return Number.isFinite(v)
    ? v
    : lowerIsBetter.has(name)
      ? Number.POSITIVE_INFINITY
      : Number.NEGATIVE_INFINITY;
}

function scoreHoldout(
  model: Model,
  loaded: TfjsModel,
  data: LoadedTrainingSet,
  holdout: readonly number[],
): Record<string, number> {
  const pre = loaded.manifest.preprocessing;
  const p = loaded.predict(data.table, holdout);
  const metrics = computeMetrics(
    model.metrics,
    scores(model, pre, p, labelTargets(pre, data.table.label, holdout)),
  );
  const bad = Object.entries(metrics).filter(([, v]) => !Number.isFinite(v));
  if (bad.length)
    throw new TrainerError(
      `model ${model.name}: ${bad.map(([k]) => k).join(', ')} ${bad.length === 1 ? 'is' : 'are'} undefined on the ${holdout.length}-row holdout (a single class, or a constant label?); widen split.holdout or check the labels`,
    );
  return metrics;
}

async function exportModel(
  model: Model,
  net: Network,
  plan: NetworkPlan,
  pre: Preprocessing,
  seed: number,
  backend: string,
): Promise<ModelFiles> {
  const layers = buildLayersModel(plan);
  try {
    setLayersWeights(layers, plan, net.weights());
    const { modelJson, weights } = await serializeLayersModel(layers);
    return {
      modelJson,
      weights,
      manifest: {
        kind: 'rudder.model',
        version: 1,
        format: 'tfjs-layers',
        model: model.name,
        task: model.task,
        features: pre.features,
        preprocessing: pre,
        plan,
        seed,
        backend,
        weightsDigest: sha256Digest(weights),
      },
    };
  } finally {
    layers.dispose();
  }
}
