/* eslint-disable */
// Generated from src/schema/*.schema.json by `npm run schema:types`. Do not edit.
// These are the documents as written (PolicyDoc); the compiler normalizes them into Policy types.

/**
 * A resource name: lowercase letters, digits, '-' and '_', starting with a letter, at most 63 characters.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "name".
 */
export type Name = string;
/**
 * A path relative to the repository root, POSIX separators; globs (*, **, ?) allowed where noted.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "relativePath".
 */
export type RelativePath = string;
/**
 * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration = string;
/**
 * A column or feature name: letters, digits and '_', starting with a letter or '_'.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "identifier".
 */
export type Identifier = string;
/**
 * Entity key columns.
 *
 * @minItems 1
 * @maxItems 8
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "entities".
 */
export type Entities = Identifier[];
/**
 * A model quality metric: auc, pr_auc, accuracy, f1, precision, recall, logloss, brier (classification); rmse, mae, r2, mape (regression).
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "metric".
 */
export type Metric = string;
/**
 * A share: a number in [0, 1] or a string such as "25%".
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "percentage".
 */
export type Percentage = number | string;
/**
 * A rollout analysis metric: a model quality metric, an operational one (error_rate, latency_p50, latency_p95, latency_p99) or a business metric named custom:<name>.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "analysisMetric".
 */
export type AnalysisMetric = string;

export interface PolicyDocs {
  Project?: ProjectDoc;
  FeatureView?: FeatureViewDoc;
  Model?: ModelDoc;
  RetrainPolicy?: RetrainPolicyDoc;
  RolloutPolicy?: RolloutPolicyDoc;
  DataPolicy?: DataPolicyDoc;
}
/**
 * rudder.yaml at the repository root: where policies and state live, the stores, git behaviour and trainer defaults.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "Project".
 */
export interface ProjectDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "Project";
  metadata: Metadata;
  spec?: {
    /**
     * Policy folder. Default: policies
     */
    policies?: string;
    /**
     * Lockfile folder. Default: state
     */
    state?: string;
    /**
     * The feature store. Default: embedded DuckDB at .rudder/store.duckdb
     */
    store?: {
      type?: "duckdb";
      path?: RelativePath;
    };
    /**
     * The content-addressed artifact store (models, training-set snapshots). Default: local, .rudder/artifacts. Use s3, or a local path on a shared mount, so that every checkout (CI included) can reach the champion's artifacts. Credentials never go here: they come from the standard AWS chain.
     */
    artifacts?: {
      /**
       * local (a folder) or s3 (any S3-compatible endpoint). Default: local
       */
      type?: "local" | "s3";
      /**
       * local only: the store's folder, relative to the repository root or absolute (a shared mount). Default: .rudder/artifacts
       */
      path?: string;
      /**
       * s3 only: the bucket.
       */
      bucket?: string;
      /**
       * s3 only: key prefix inside the bucket, e.g. rudder/acme-churn. Default: none
       */
      prefix?: string;
      /**
       * s3 only: the endpoint URL for S3-compatible stores (MinIO, R2, Ceph, ...), without credentials. Default: AWS S3 for the region
       */
      endpoint?: string;
      /**
       * s3 only: the region. Default: AWS_REGION from the environment, else us-east-1
       */
      region?: string;
      /**
       * s3 only: address buckets as endpoint/bucket/key (MinIO and most S3-compatible stores need it). Default: true with an endpoint, false without
       */
      forcePathStyle?: boolean;
      /**
       * s3 only: the local read-through cache folder (every read verifies the digest). Default: .rudder/cache/artifacts
       */
      cache?: string;
    };
    git?: {
      /**
       * Commit state changes. Default: true
       */
      commit?: boolean;
      /**
       * Push state commits. Default: false
       */
      push?: boolean;
      /**
       * Default: origin
       */
      remote?: string;
      /**
       * Default: the current branch
       */
      branch?: string;
      author?: {
        name: string;
        email: string;
      };
      pullRequest?: {
        enabled?: boolean;
        base?: string;
        /**
         * owner/name on GitHub
         */
        repository?: string;
      };
    };
    /**
     * Defaults for every model's trainer.
     */
    trainer?: {
      backend?: "auto" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
      timeout?: Duration;
      concurrency?: number;
    };
  };
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "metadata".
 */
export interface Metadata {
  name: Name;
  /**
   * Team or person accountable for the resource.
   */
  owner?: string;
  description?: string;
  labels?: {
    [k: string]: string | undefined;
  };
}
/**
 * Typed features read from a source, keyed by entities, with a TTL and a freshness objective.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "FeatureView".
 */
export interface FeatureViewDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "FeatureView";
  metadata: Metadata;
  spec: {
    source: Source;
    entities: Entities;
    /**
     * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
     */
    ttl?: string;
    freshness?: {
      /**
       * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
       */
      maxAge?: string;
      /**
       * Materialize automatically when stale. Default: auto
       */
      refresh?: "auto" | "manual";
    };
    /**
     * @minItems 1
     * @maxItems 2000
     */
    features: {
      name: Identifier;
      type: "int" | "float" | "bool" | "category" | "string" | "timestamp";
      /**
       * Source column, when it differs from name: any header, spaces and punctuation included ("spend 30d").
       */
      column?: string;
      /**
       * Sensitive: never in a training set unless a DataPolicy allows it.
       */
      pii?: boolean;
      description?: string;
    }[];
  };
}
/**
 * Files read directly by the feature store: CSV or Parquet, one path or a glob.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "source".
 */
export interface Source {
  path: RelativePath;
  /**
   * Defaults to the file extension.
   */
  format?: "csv" | "parquet";
  /**
   * The event-time column used for point-in-time joins.
   */
  timestamp: string;
}
/**
 * A model: its task, label, features, trainer, split and metrics.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "Model".
 */
export interface ModelDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "Model";
  metadata: Metadata;
  spec: {
    task: "binary-classification" | "multiclass-classification" | "regression";
    label: {
      source: Source;
      entities: Entities;
      column: Identifier;
      /**
       * Class labels, for classification; the first is the negative class of a binary task.
       *
       * @minItems 2
       * @maxItems 1000
       */
      classes?: (string | number | boolean)[];
    };
    /**
     * Features as view:feature, or view:* for every non-PII feature of a view. The model reads them sorted by view:feature, whatever order they are written in (reordering changes neither the spec digest nor the training set).
     *
     * @minItems 1
     * @maxItems 5000
     */
    features: string[];
    trainer: TfjsTrainer | CommandTrainer;
    /**
     * Checks on the point-in-time training set before training; a failed check fails the train action with the figures.
     */
    dataChecks?: {
      /**
       * Largest share of label rows a feature may be null for (missing or older than the view's ttl). Default: 0.9 (an all-null feature always fails).
       */
      maxNullShare?: number | string;
      /**
       * Smallest share of label rows each feature view must give a value to. Default: 0.5
       */
      minCoverage?: number | string;
      /**
       * Fewest label rows to train on. Default: 20
       */
      minRows?: number;
    };
    split?: {
      /**
       * Default: time (the most recent rows are the holdout)
       */
      method?: "time" | "random";
      /**
       * Holdout share. Default: 0.2
       */
      holdout?: number | string;
      /**
       * Validation share of the training rows, for early stopping. Default: 0.1
       */
      validation?: number | string;
    };
    /**
     * Metrics computed on the holdout; the first is the primary metric. Default by task.
     *
     * @minItems 1
     * @maxItems 20
     */
    metrics?: Metric[];
  };
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "tfjsTrainer".
 */
export interface TfjsTrainer {
  type: "tfjs";
  architecture?: {
    type: "linear" | "mlp";
    /**
     * @maxItems 16
     */
    hidden?: number[];
    activation?: "relu" | "elu" | "selu" | "tanh" | "sigmoid" | "gelu" | "swish";
    dropout?: number;
    batchNorm?: boolean;
  };
  epochs?: number;
  /**
   * An integer, or auto to size batches to the data and memory.
   */
  batchSize?: number | string;
  learningRate?: number;
  optimizer?: "adam" | "sgd" | "rmsprop" | "adagrad";
  /**
   * Learning-rate schedule.
   */
  schedule?: {
    type: "constant" | "step" | "exponential" | "cosine";
    decay?: number;
    every?: number;
  };
  earlyStopping?: {
    metric?: Metric;
    patience?: number;
    /**
     * Never stop before this many epochs (default: 5, or epochs when fewer).
     */
    minEpochs?: number;
    /**
     * Below this many validation rows the metric is too coarse to stop on: validation loss is monitored instead (default 100).
     */
    minValidationRows?: number;
  };
  /**
   * Gradient accumulation steps.
   */
  accumulate?: number;
  /**
   * balanced, or a weight per class label.
   */
  classWeights?:
    | string
    | {
        [k: string]: number | undefined;
      };
  /**
   * How categories are encoded. Default: onehot
   */
  categorical?: "onehot" | "embedding";
  backend?: "auto" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
  seed?: number;
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "commandTrainer".
 */
export interface CommandTrainer {
  type: "command";
  /**
   * The program and its arguments (no shell).
   *
   * @minItems 1
   * @maxItems 200
   */
  command: string[];
  workdir?: RelativePath;
  /**
   * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
   */
  timeout?: string;
  /**
   * Extra environment. Values are literal; use fromEnv to pass a secret without writing it down.
   */
  env?: {
    [k: string]: string | undefined;
  };
  /**
   * Names of variables passed through from Rudder's own environment (secrets stay out of git).
   */
  fromEnv?: string[];
  /**
   * Free-form hyper-parameters written to params.json.
   */
  params?: {};
  seed?: number;
}
/**
 * When a model is retrained, and which gates a candidate must pass to be promoted.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "RetrainPolicy".
 */
export interface RetrainPolicyDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "RetrainPolicy";
  metadata: Metadata;
  spec: {
    model: Name;
    /**
     * @maxItems 20
     */
    triggers?: {
      drift?: {
        /**
         * auto (Evidently's defaults: KS / chi-square / z-test up to 1,000 reference rows, normed Wasserstein / Jensen-Shannon above) or one test for every feature. Default: auto
         */
        method?: "auto" | "ks" | "psi" | "wasserstein" | "chi-square" | "jensen-shannon" | "z-test";
        /**
         * Threshold of the chosen method (p-value for ks/chi-square/z-test, distance otherwise). Defaults: ks, chi-square, z-test 0.05; wasserstein (normed), jensen-shannon 0.1; psi 0.2.
         */
        threshold?: number;
        /**
         * Per-method thresholds, for auto or any method (override threshold for that method).
         */
        thresholds?: {
          ks?: number;
          "chi-square"?: number;
          "z-test"?: number;
          wasserstein?: number;
          "jensen-shannon"?: number;
          psi?: number;
        };
        /**
         * The dataset drifts when this share of features drifts. Default: 0.5
         */
        share?: number | string;
        /**
         * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
         */
        window?: string;
        /**
         * Fewer rows in the window (or values of a feature) than this: insufficient data, a note and never a retrain. Default: 200
         */
        minSamples?: number;
        /**
         * Restrict to these model features (view:feature). Default: all.
         */
        features?: string[];
      };
      performance?: {
        metric: Metric;
        /**
         * Absolute floor (ceiling for error metrics).
         */
        min?: number;
        /**
         * Drop of the live metric (labels joined to predictions over window) from the champion's holdout value.
         */
        dropBy?: number;
        /**
         * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
         */
        window?: string;
        /**
         * Default: 100
         */
        minLabels?: number;
      };
      schedule?: {
        every: Duration;
      };
      /**
       * Retrain when a feature view definition changes.
       */
      featureChange?: {
        views?: Name[];
      };
      dataVolume?: {
        newRows?: number;
        growth?: Percentage;
      };
    }[];
    /**
     * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
     */
    cooldown?: string;
    /**
     * @maxItems 50
     */
    gates?: {
      metric: Metric;
      min?: number;
      max?: number;
      /**
       * Must beat the champion by this margin (may be 0), both scored on the same rows: rows neither version trained on.
       */
      beatChampionBy?: number;
      /**
       * May be worse than the champion by at most this much.
       */
      maxRegression?: number;
      /**
       * What beatChampionBy and maxRegression do when a champion exists but cannot be compared with (its artifact is missing or unreachable, it cannot be scored, too few rows neither version trained on): fail (the default: the candidate stays a candidate, with the reason and the next step) or skip (promote on the other gates). Without any champion yet, comparative gates are always skipped.
       */
      whenChampionUnavailable?: "fail" | "skip";
    }[];
    /**
     * Default: auto
     */
    approval?: "auto" | "manual";
  };
}
/**
 * How a promoted version reaches traffic: direct, canary steps with analysis, or an A/B test.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "RolloutPolicy".
 */
export interface RolloutPolicyDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "RolloutPolicy";
  metadata: Metadata;
  spec: {
    model: Name;
    strategy: Direct | Canary | AbTest;
    analysis?: {
      /**
       * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
       */
      interval?: string;
      /**
       * Samples a measurement needs; fewer make it inconclusive (nothing decided). Default: 100
       */
      minSamples?: number;
      /**
       * Failed measurements tolerated per metric before the rollout rolls back (Argo Rollouts' failureLimit). Default: 0
       */
      failureLimit?: number;
      /**
       * @maxItems 20
       */
      metrics?: {
        metric: AnalysisMetric;
        min?: number;
        max?: number;
        /**
         * Relative to the baseline version, e.g. 0.1 = 10% worse.
         */
        maxDegradation?: number;
      }[];
    };
    rollback?: {
      /**
       * Default: true
       */
      automatic?: boolean;
      /**
       * Mark a rolled-back version held so it is not promoted again. Default: true
       */
      hold?: boolean;
    };
  };
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "direct".
 */
export interface Direct {
  type: "direct";
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "canary".
 */
export interface Canary {
  type: "canary";
  /**
   * @minItems 1
   * @maxItems 20
   */
  steps: {
    weight: Percentage;
    /**
     * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
     */
    hold?: string;
  }[];
}
/**
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "abTest".
 */
export interface AbTest {
  type: "abTest";
  /**
   * A share: a number in [0, 1] or a string such as "25%".
   */
  split?: number | string;
  metric: AnalysisMetric;
  /**
   * Default: 1000
   */
  minSamplesPerArm?: number;
  significance?: {
    /**
     * msprt: an always-valid sequential test (mixture SPRT), safe to check at every reconcile. The others are fixed-horizon tests, decided once, when both arms reach minSamplesPerArm. Default: msprt
     */
    method?: "msprt" | "two-proportion-z" | "welch-t" | "mann-whitney";
    /**
     * False-positive rate. Default: 0.05
     */
    alpha?: number;
    /**
     * msprt only: the total sample size (both arms) the test is tuned for; it is most sensitive near it. Default: 5000
     */
    tuning?: number;
  };
  /**
   * A duration: a positive integer and a unit, e.g. 90s, 15m, 24h, 30d, 2w.
   */
  maxDuration?: string;
}
/**
 * PII detection on declared sources, and what to do with what is found.
 *
 * This interface was referenced by `PolicyDocs`'s JSON-Schema
 * via the `definition` "DataPolicy".
 */
export interface DataPolicyDoc {
  apiVersion: "rudder.dev/v1alpha1";
  kind: "DataPolicy";
  metadata: Metadata;
  spec: {
    scope: {
      /**
       * Feature views to scan.
       *
       * @minItems 1
       */
      views: Name[];
      /**
       * Also scan the label sources of models reading these views. Default: false
       */
      labels?: boolean;
    };
    /**
     * @minItems 1
     */
    detectors: ("email" | "phone" | "ssn" | "credit-card" | "ip" | "iban")[];
    /**
     * Scan every row (default) or a deterministic sample.
     */
    sample?: {
      rows?: number;
      fraction?: Percentage;
    };
    action: "quarantine" | "drop-column" | "hash" | "block";
    /**
     * Exceptions: a column that may hold PII, optionally for one detector, optionally allowed in training sets.
     */
    allow?: {
      view: Name;
      column: Identifier;
      detector?: "email" | "phone" | "ssn" | "credit-card" | "ip" | "iban";
      /**
       * Allow this pii: true feature in training sets. Default: false
       */
      training?: boolean;
      reason: string;
    }[];
  };
}
