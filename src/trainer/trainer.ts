// The trainer port: a point-in-time training set and a Model in, an evaluated, stored,
// reproducible artifact out. `tfjs` (built in) and `command` (external program) implement it.
import type { Model } from '../compiler/desired-state.ts';
import type { ArtifactRef } from '../artifacts/port.ts';
import type { TrainingSet } from '../store/port.ts';

export interface TrainProgress {
  model: string;
  epoch: number;
  epochs: number;
  loss: number;
  /** Validation metric, when computed. */
  metric?: { name: string; value: number };
  samplesPerSecond: number;
}

export interface TrainInput {
  model: Model;
  trainingSet: TrainingSet;
  /** Seed for weights, shuffling and the split: same inputs + seed ⇒ same artifact on one backend. */
  seed: number;
  /** Scratch directory the trainer may use; removed by the caller. */
  workDir: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  /** Holdout metrics, by name (every metric in `model.metrics`); all finite. */
  metrics: Record<string, number>;
  artifact: ArtifactRef;
  /** e.g. `tfjs/wasm`, `tfjs/tensorflow`, `command`. */
  backend: string;
  /** Identifies the holdout rows, so a champion can be re-scored on the same ones. */
  holdout: { rows: number; from: string; digest: string };
  trainRows: number;
  durationMs: number;
  /**
   * Trainer-specific facts worth recording with the version (epochs run, best epoch, batch size,
   * weights digest, samples/s, ...). Deterministic ones only belong in a lockfile; `durationMs`
   * and `samplesPerSecond` are not.
   */
  details?: Record<string, string | number | boolean>;
}

export interface EvaluateOptions {
  /** Seed of the split; defaults to the model's `trainer.seed` (what `train` is given by default). */
  seed?: number;
  /**
   * Score exactly these rows (indices in file order) instead of the split's holdout: a champion
   * comparison passes the rows neither version trained on (holdout.ts).
   */
  rows?: readonly number[];
  signal?: AbortSignal;
}

export interface Trainer {
  train(input: TrainInput): Promise<TrainResult>;
  /** Score a stored artifact on the holdout of a training set (for champion comparison). */
  evaluate(
    model: Model,
    artifact: ArtifactRef,
    trainingSet: TrainingSet,
    workDir: string,
    options?: EvaluateOptions,
  ): Promise<Record<string, number>>;
}

export class TrainerError extends Error {
  override name = 'TrainerError';
  constructor(
    message: string,
    readonly logTail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
