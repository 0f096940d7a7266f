// Generated from src/schema/lock.schema.json by `npm run schema:types`. Do not edit: change the schema and regenerate.
// The lockfile documents; src/state/types.ts re-exports them.

/**
 * The lockfile format this Rudder writes (LOCK_VERSION). Older files migrate (migrations.ts); newer ones are refused.
 */
export type LockVersion = 1;
export type Name = string;
/**
 * `sha256:<64 hex>`
 */
export type Digest = string;
export type VersionStatus = "candidate" | "champion" | "challenger" | "retired" | "rejected" | "held";
/**
 * ISO-8601 UTC, chosen by the caller: the serializer never reads the clock.
 */
export type IsoTime = string;
export type Text = string;
export type ActionId = string;
export type Count = number;
export type Uri = string;
export type Share = number;
export type MetricName = string;
export type Rule = string;
export type RolloutStatus = "idle" | "progressing" | "paused" | "promoted" | "rolled-back" | "aborted";
/**
 * A scanned source: a feature view, or a model's label source (`label:<model>`).
 */
export type ScannedSource = string;
export type Column = string;
export type ReservedKey = "__proto__" | "constructor" | "prototype" | "hasOwnProperty" | "toString" | "valueOf";

export interface ModelLock {
  kind: "ModelLock";
  lockVersion: LockVersion;
  name: Name;
  /**
   * Digest of the Model spec as last applied.
   */
  specDigest: Digest;
  /**
   * Ascending by `version`.
   */
  versions: ModelVersion[];
}
export interface ModelVersion {
  /**
   * 1, 2, 3, … in training order; never reused.
   */
  version: number;
  status: VersionStatus;
  /**
   * Every status this version has had, oldest first; the last entry equals `status`.
   *
   * @minItems 1
   */
  statusHistory: StatusChange[];
  /**
   * Digest of the Model spec it was trained from.
   */
  specDigest: Digest;
  /**
   * That spec (normalized, without name and origin), so a later plan can say which fields changed.
   */
  spec?: {
    [k: string]: unknown;
  };
  /**
   * view → viewDigest of each feature view read.
   */
  featureViewDigests: {
    [k: string]: Digest;
  };
  trainingSet: {
    digest: Digest;
    /**
     * Point-in-time cut-off: no feature value after it was read.
     */
    cutoff: IsoTime;
    rows: Count;
    /**
     * Where the snapshot lives in the artifact store, when it was kept.
     */
    uri?: Uri;
    /**
     * The data checks' figures before training: null share per feature ref, coverage per view.
     */
    checks?: {
      nullShare: {
        [k: string]: Share;
      };
      coverage: {
        [k: string]: Share;
      };
    };
  };
  /**
   * The holdout rows the metrics were computed on (so a champion can be re-scored on the same rows).
   */
  holdout?: {
    digest: Digest;
    rows: Count;
    from: IsoTime;
  };
  seed: number;
  /**
   * `tfjs` or `command`; backend as the trainer reported it (`tfjs/wasm`, `tfjs/cpu`, `command`).
   */
  trainer: {
    type: "tfjs" | "command";
    backend: string;
  };
  /**
   * Holdout metrics, by name; finite numbers.
   */
  metrics: {
    [k: string]: number;
  };
  gates?: GateResult[];
  artifact: ArtifactPointer;
  /**
   * Reference profile used for drift detection.
   */
  profile?: ArtifactPointer;
  trainedAt: IsoTime;
  /**
   * Digest of the plan that made the change.
   */
  plan?: Digest;
  /**
   * Id of the plan action that made the change.
   */
  action?: ActionId;
}
export interface StatusChange {
  status: VersionStatus;
  at: IsoTime;
  /**
   * Why, in words: `gates passed: auc 0.91 ≥ 0.85`, `rolled back: error_rate 0.07 > 0.05`.
   */
  reason: Text;
  /**
   * Digest of the plan that made the change.
   */
  plan?: Digest;
  /**
   * Id of the plan action that made the change.
   */
  action?: ActionId;
}
export interface GateResult {
  metric: MetricName;
  /**
   * `min`, `max`, `beatChampionBy`, `maxRegression`.
   */
  rule: Rule;
  value: number;
  threshold: number;
  passed: boolean;
}
export interface ArtifactPointer {
  digest: Digest;
  /**
   * `artifact://sha256/<hex>` (`?tree` for a directory).
   */
  uri: Uri;
}
export interface FeatureLock {
  kind: "FeatureLock";
  lockVersion: LockVersion;
  view: Name;
  /**
   * Digest of the FeatureView definition that was materialized.
   */
  viewDigest: Digest;
  /**
   * Newest event time materialized (null when the source was empty).
   */
  watermark: IsoTime | null;
  /**
   * Rows in the online table after the last run.
   */
  rows: Count;
  materializedAt: IsoTime;
  /**
   * Digest of the source files' content at materialization.
   */
  sourceDigest: Digest;
  /**
   * Digest of the plan that made the change.
   */
  plan?: Digest;
  /**
   * Id of the plan action that made the change.
   */
  action?: ActionId;
}
export interface RolloutLock {
  kind: "RolloutLock";
  lockVersion: LockVersion;
  model: Name;
  /**
   * Digest of the RolloutPolicy the rollout follows, when one applies.
   */
  policyDigest?: Digest;
  strategy: "direct" | "canary" | "abTest";
  status: RolloutStatus;
  /**
   * 0-based index into the canary steps (0 for direct and A/B).
   */
  step: Count;
  /**
   * Versions receiving traffic; weights in [0, 1] summing to 1 (or an empty list). Ascending by version.
   */
  versions: {
    version: number;
    weight: Share;
  }[];
  /**
   * Analysis results of the current rollout, oldest first.
   */
  analysis: AnalysisResult[];
  /**
   * Paired quality decisions (rollback or advance) reached in the rollout, oldest first: a later pass in the same step does not reverse one. Absent in locks written before paired analysis.
   */
  decisions?: RolloutDecision[];
  startedAt?: IsoTime;
  updatedAt: IsoTime;
  reason?: Text;
  /**
   * Digest of the plan that made the change.
   */
  plan?: Digest;
  /**
   * Id of the plan action that made the change.
   */
  action?: ActionId;
}
export interface AnalysisResult {
  at: IsoTime;
  step: Count;
  version: number;
  metric: MetricName;
  value: number;
  threshold: number;
  /**
   * `min`, `max`, `maxDegradation`, or a test name (`welch-t`) for A/B decisions.
   */
  rule: Rule;
  samples: Count;
  passed: boolean;
}
/**
 * The evidence of a paired canary decision: n labelled predictions scored by both versions, the confidence-sequence bound of the excess over maxDegradation, and alpha.
 */
export interface RolloutDecision {
  at: IsoTime;
  step: Count;
  version: number;
  metric: MetricName;
  decision: "rollback" | "advance";
  n: Count;
  /**
   * @minItems 2
   * @maxItems 2
   */
  bound: number[];
  alpha: number;
  excess: number;
  /**
   * The challenger's metric on the paired rows.
   */
  challenger: number;
  /**
   * The champion's metric on the same rows.
   */
  champion: number;
  maxDegradation: number;
}
export interface DataLock {
  kind: "DataLock";
  lockVersion: LockVersion;
  policy: Name;
  /**
   * Digest of the DataPolicy as last applied.
   */
  policyDigest: Digest;
  /**
   * The latest scan per view, ascending by view.
   */
  scans: DataScan[];
  /**
   * Every quarantine ever made (released ones keep their record), ascending by id.
   */
  quarantines: Quarantine[];
}
export interface DataScan {
  view: ScannedSource;
  at: IsoTime;
  scannedRows: Count;
  sourceDigest: Digest;
  findings: ScanFinding[];
}
export interface ScanFinding {
  column: Column;
  detector: Name;
  /**
   * Matching rows; values are never recorded.
   */
  rows: Count;
  allowed: boolean;
}
export interface Quarantine {
  /**
   * Stable id: `q-<12 hex>` derived by the caller from the view, detector and row digest.
   */
  id: string;
  view: ScannedSource;
  column?: Column;
  detector: Name;
  rows: Count;
  /**
   * Digest of the quarantined row keys.
   */
  digest: Digest;
  at: IsoTime;
  reason?: Text;
  released?: {
    at: IsoTime;
    reason: Text;
    /**
     * Digest of the plan that made the change.
     */
    plan?: Digest;
    /**
     * Id of the plan action that made the change.
     */
    action?: ActionId;
  };
  /**
   * Digest of the plan that made the change.
   */
  plan?: Digest;
  /**
   * Id of the plan action that made the change.
   */
  action?: ActionId;
}

/** The lockfile format this Rudder writes. Older files migrate (migrations.ts); newer ones are refused. */
export const LOCK_VERSION = 1;

/** Every VersionStatus, in schema order. */
export const versionStatuses = ["candidate", "champion", "challenger", "retired", "rejected", "held"] as const;

/** Every RolloutStatus, in schema order. */
export const rolloutStatuses = ["idle", "progressing", "paused", "promoted", "rolled-back", "aborted"] as const;
