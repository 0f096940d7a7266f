// The model-runtime port: load a stored version and predict with it. Serving, rollout analysis
// and drift (prediction-score profiles) use it; each trainer type has one (tfjs artifacts
// natively, command-trainer artifacts as ONNX).
import type { ArtifactRef } from '../artifacts/port.ts';
import type { Model } from '../compiler/desired-state.ts';

/** Feature values by feature ref (`view:feature`); null for missing. */
export type FeatureRow = Record<string, number | string | boolean | null>;

export interface Prediction {
  /** Binary: probability of the positive class; regression: the value; multiclass: the top class's probability. */
  score: number;
  /** Multiclass and binary: the predicted class. */
  label?: string | number | boolean;
  /** Multiclass: probability per class, in the model's class order. */
  probabilities?: number[];
}

/** The artifact format a runtime executes; what OIP metadata reports as the model's platform. */
export type RuntimeFormat = 'tfjs' | 'onnx';

export interface LoadedModel {
  readonly format: RuntimeFormat;
  readonly model: string;
  readonly version: number;
  /** The artifact's digest, verified when loaded. */
  readonly digest: string;
  /** Feature refs and types, in the order the model was trained with. */
  readonly features: readonly { ref: string; type: string }[];
  predict(rows: readonly FeatureRow[]): Promise<Prediction[]>;
  dispose(): Promise<void> | void;
}

export interface ModelRuntime {
  /** Load a version's artifact (digest-verified) for prediction. */
  load(model: Model, version: number, artifact: ArtifactRef): Promise<LoadedModel>;
}
