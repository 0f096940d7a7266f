import type { Task } from '../schema/vocabulary.ts';

/** Where a resource was written: for diagnostics and `rudder explain`, never part of a digest. */
export interface Origin {
  file: string;
  doc: number;
}

interface ResourceBase {
  name: string;
  /** `sha256:…` of the canonical normalized meaning: changes when and only when behaviour changes. */
  digest: string;
  owner?: string;
  origin: Origin;
}

export interface SourceSpec {
  path: string;
  format: 'csv' | 'parquet';
  timestamp: string;
}

export interface Project {
  name: string;
  origin?: Origin;
  policiesDir: string;
  stateDir: string;
  store: { type: 'duckdb'; path: string };
  artifacts: ArtifactsSpec;
  git: {
    commit: boolean;
    push: boolean;
    remote: string;
    branch?: string;
    author?: { name: string; email: string };
    pullRequest: { enabled: boolean; base?: string; repository?: string };
  };
  trainer: { backend: Backend; timeoutMs: number; concurrency: number };
}

/** Where content-addressed artifacts live. Credentials are never part of it (standard AWS chain). */
export type ArtifactsSpec =
  | { type: 'local'; path: string }
  | {
      type: 's3';
      bucket: string;
      /** Key prefix without leading or trailing slash ('' for none). */
      prefix: string;
      endpoint?: string;
      region?: string;
      forcePathStyle: boolean;
      /** The read-through cache folder. */
      cache: string;
    };

export type Backend = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type FeatureType = 'int' | 'float' | 'bool' | 'category' | 'string' | 'timestamp';

export interface Feature {
  name: string;
  type: FeatureType;
  column: string;
  pii: boolean;
}

export interface FeatureView extends ResourceBase {
  kind: 'FeatureView';
  source: SourceSpec;
  entities: string[];
  ttlMs: number;
  freshness: { maxAgeMs: number; refresh: 'auto' | 'manual' };
  features: Feature[];
}

export interface ModelFeature extends Feature {
  /** `view:feature` */
  ref: string;
  view: string;
}

export interface TfjsTrainerSpec {
  type: 'tfjs';
  architecture: {
    type: 'linear' | 'mlp';
    hidden: number[];
    activation: string;
    dropout: number;
    batchNorm: boolean;
  };
  epochs: number;
  batchSize: number | 'auto';
  learningRate: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
  schedule: { type: 'constant' | 'step' | 'exponential' | 'cosine'; decay?: number; every?: number };
  earlyStopping?: { metric: string; patience: number; minEpochs: number; minValidationRows: number };
  accumulate: number;
  classWeights?: 'balanced' | Record<string, number>;
  categorical: 'onehot' | 'embedding';
  backend: Backend;
  seed: number;
}

export interface CommandTrainerSpec {
  type: 'command';
  command: string[];
  workdir: string;
  timeoutMs: number;
  env: Record<string, string>;
  fromEnv: string[];
  params: Record<string, unknown>;
  seed: number;
}

export type TrainerSpec = TfjsTrainerSpec | CommandTrainerSpec;

export interface Model extends ResourceBase {
  kind: 'Model';
  task: Task;
  label: { source: SourceSpec; entities: string[]; column: string; classes?: (string | number | boolean)[] };
  features: ModelFeature[];
  /** Views the model reads, sorted. */
  views: string[];
  trainer: TrainerSpec;
  split: { method: 'time' | 'random'; holdout: number; validation: number };
  /** Checks on the training set before training (shares in [0, 1]). */
  dataChecks: { maxNullShare: number; minCoverage: number; minRows: number };
  metrics: string[];
  primaryMetric: string;
}

export type Trigger =
  | {
      type: 'drift';
      method: 'auto' | 'ks' | 'psi' | 'wasserstein' | 'chi-square' | 'jensen-shannon' | 'z-test';
      threshold?: number;
      /** Per-method thresholds (src/observe/stats/column-drift.ts has the defaults). */
      thresholds?: Partial<
        Record<'ks' | 'psi' | 'wasserstein' | 'chi-square' | 'jensen-shannon' | 'z-test', number>
      >;
      share: number;
      windowMs: number;
      minSamples: number;
      features: string[];
    }
  | {
      type: 'performance';
      metric: string;
      min?: number;
      dropBy?: number;
      windowMs: number;
      minLabels: number;
    }
  | { type: 'schedule'; everyMs: number }
  | { type: 'featureChange'; views: string[] }
  | { type: 'dataVolume'; newRows?: number; growth?: number };

export interface Gate {
  metric: string;
  min?: number;
  max?: number;
  beatChampionBy?: number;
  maxRegression?: number;
  /** When a champion exists but cannot be compared with: `fail` (the default, fail closed) or `skip`. */
  whenChampionUnavailable?: 'fail' | 'skip';
}

export interface RetrainPolicy extends ResourceBase {
  kind: 'RetrainPolicy';
  model: string;
  triggers: Trigger[];
  cooldownMs: number;
  gates: Gate[];
  approval: 'auto' | 'manual';
}

export type RolloutStrategy =
  | { type: 'direct' }
  | { type: 'canary'; steps: { weight: number; holdMs: number }[] }
  | {
      type: 'abTest';
      split: number;
      metric: string;
      minSamplesPerArm: number;
      significance: {
        method: 'msprt' | 'two-proportion-z' | 'welch-t' | 'mann-whitney';
        alpha: number;
        /** msprt: N*, the total sample size the mixture is tuned for. */
        tuning: number;
      };
      maxDurationMs: number;
    };

export interface RolloutPolicy extends ResourceBase {
  kind: 'RolloutPolicy';
  model: string;
  strategy: RolloutStrategy;
  analysis: {
    intervalMs: number;
    minSamples: number;
    /** Failed measurements tolerated per metric (Argo's failureLimit). */
    failureLimit: number;
    metrics: { metric: string; min?: number; max?: number; maxDegradation?: number }[];
  };
  rollback: { automatic: boolean; hold: boolean };
}

export type Detector = 'email' | 'phone' | 'ssn' | 'credit-card' | 'ip' | 'iban';

export interface DataPolicy extends ResourceBase {
  kind: 'DataPolicy';
  views: string[];
  scanLabels: boolean;
  detectors: Detector[];
  sample: { type: 'all' } | { type: 'rows'; rows: number } | { type: 'fraction'; fraction: number };
  action: 'quarantine' | 'drop-column' | 'hash' | 'block';
  allow: { view: string; column: string; detector?: Detector; training: boolean; reason: string }[];
}

export type Resource = FeatureView | Model | RetrainPolicy | RolloutPolicy | DataPolicy;

/** The compiled policies: every reference resolved, defaults applied, each list sorted by name. */
export interface DesiredState {
  project: Project;
  featureViews: FeatureView[];
  models: Model[];
  retrainPolicies: RetrainPolicy[];
  rolloutPolicies: RolloutPolicy[];
  dataPolicies: DataPolicy[];
  /** Digest over every resource digest and the project settings that affect plans. */
  digest: string;
}
