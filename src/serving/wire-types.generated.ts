// Generated from src/schema/serving.schema.json by `npm run schema:types`. Do not edit: change the schema and regenerate.
// The V1 predict, OIP v2 and labels wire formats; the routes in src/serving/routes/ use them.

export type ModelName = string;
export type Scalar = string | number | boolean;
/**
 * A feature value; null for missing.
 */
export type FeatureValue = string | number | boolean | null;
/**
 * `POST /v1/models/{name}:predict`: one instance, or `{"instances": [...]}`.
 */
export type V1PredictRequest = V1Instance | V1BatchRequest;
/**
 * The answer to one instance.
 */
export type V1PredictResponse = {model: ModelName} & V1Prediction;
/**
 * `POST /v1/labels`: one label, or `{"labels": [...]}`.
 */
export type LabelRequest = Label | LabelBatch;

/**
 * The entity's key columns, e.g. {"customer_id": "c000042"}: what the online table is looked up by and the traffic split hashes.
 */
export interface EntityKey {
  [k: string]: Scalar;
}
/**
 * Feature values by ref (`view:feature`); features not given come from the online table.
 */
export interface FeatureValues {
  [k: string]: FeatureValue;
}
/**
 * One thing to score: its entity (to look features up and split traffic by), the features given by hand, or both.
 */
export interface V1Instance {
  entity?: EntityKey;
  features?: FeatureValues;
}
export interface V1BatchRequest {
  /**
   * @minItems 1
   */
  instances: V1Instance[];
}
export interface V1Prediction {
  requestId: string;
  /**
   * The version that scored it.
   */
  version: number;
  /**
   * Binary: probability of the positive class; regression: the value; multiclass: the top class's probability.
   */
  score: number;
  /**
   * Multiclass and binary: the predicted class.
   */
  label?: Scalar;
  /**
   * Multiclass: probability per class, in the model's class order.
   */
  probabilities?: number[];
  /**
   * Features that were null (not given and not fresh in the online table): the model scored without them.
   */
  missingFeatures?: string[];
}
/**
 * The answer to `{"instances": [...]}`, in order.
 */
export interface V1BatchPredictResponse {
  model: ModelName;
  predictions: V1Prediction[];
}
/**
 * A delayed label: the outcome for an entity, joined to its predictions at or before `at`.
 */
export interface Label {
  model: ModelName;
  entity: EntityKey;
  label: Scalar;
  /**
   * ISO-8601 time of the outcome; default now.
   */
  at?: string;
}
export interface LabelBatch {
  labels: Label[];
}
export interface LabelsAccepted {
  accepted: number;
}
/**
 * Every 4xx and 5xx answer of the predict, infer and labels endpoints.
 */
export interface ErrorBody {
  error: string;
  /**
   * The request field at fault (`instances[0].features.a:b`, `inputs[1].shape`, `header.x-rudder-version`).
   */
  field?: string;
}
/**
 * One input: a feature (`view:feature`, `view__feature` or the bare name when unique) or an entity key, batch first.
 */
export interface OipInputTensor {
  name: string;
  /**
   * @minItems 1
   */
  shape: number[];
  datatype: string;
  /**
   * Row-major; nested arrays are flattened.
   */
  data: unknown[];
  parameters?: Record<string, unknown>;
}
/**
 * `POST /v2/models/{name}/infer`.
 */
export interface OipInferRequest {
  /**
   * Echoed in the response when it is a string.
   */
  id?: unknown;
  /**
   * @minItems 1
   */
  inputs: OipInputTensor[];
  parameters?: Record<string, unknown>;
  outputs?: unknown[];
}
export interface OipOutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string)[];
}
/**
 * Outputs `score` (FP64), `version` (INT32), `label` (BYTES) when every row has one, `missing_features` (BYTES, comma-separated per row) when any row was scored without some.
 */
export interface OipInferResponse {
  model_name: ModelName;
  /**
   * The versions that answered, comma-separated.
   */
  model_version: string;
  id?: string;
  outputs: OipOutputTensor[];
}
export interface OipTensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}
/**
 * `GET /v2/models/{name}`; `parameters` carries the traffic weights and the rollout.
 */
export interface OipModelMetadata {
  name: ModelName;
  versions: string[];
  /**
   * Each served version's runtime format, comma-separated.
   */
  platform: string;
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
  parameters: {
    weights: {
      [k: string]: number;
    };
    rollout: {
      status: string;
      step: number;
      strategy: string;
    };
  };
}
export interface OipModelReady {
  name: ModelName;
  ready: boolean;
}
export interface OipServerLive {
  live: boolean;
}
export interface LoadProblem {
  model: ModelName;
  version?: number;
  message: string;
}
/**
 * 200 when every rollout lock's model loaded; 503 with the problems otherwise.
 */
export interface OipServerReady {
  ready: boolean;
  problems?: LoadProblem[];
}
export interface ModelNameParams {
  name: string;
}
/**
 * `{name}:predict`: the router takes the segment whole.
 */
export interface V1TargetParams {
  target: string;
}
