// The lockfile documents: what `state/` holds, one file per resource. Pure types; the JSON
// Schemas in lock-schema.ts check them on every read and write.
//
// Timestamps are ISO-8601 UTC strings (`2026-05-01T12:00:00.000Z`) chosen by the caller — the
// serializer never reads the clock, so re-rendering an unchanged lock is byte-identical.

/** The lockfile format this Rudder writes. Older files migrate (migrations.ts); newer ones are refused. */
export const LOCK_VERSION = 1;

export type Digest = string; // `sha256:<64 hex>`
export type IsoTime = string;

/** Who caused a change: the CLI, CI, an MCP client (`mcp:<client>`) or the reconcile loop. */
export type Actor = 'cli' | 'ci' | 'reconcile' | `mcp:${string}`;

/** Provenance of a change: the plan digest and the action id that produced it. */
export interface Provenance {
  plan?: Digest;
  action?: string;
}

export const versionStatuses = [
  'candidate',
  'champion',
  'challenger',
  'retired',
  'rejected',
  'held',
] as const;
export type VersionStatus = (typeof versionStatuses)[number];

export interface StatusChange extends Provenance {
  status: VersionStatus;
  at: IsoTime;
  /** Why, in words: `gates passed: auc 0.91 ≥ 0.85`, `rolled back: error_rate 0.07 > 0.05`. */
  reason: string;
}

export interface GateResult {
  metric: string;
  /** `min`, `max`, `beatChampionBy`, `maxRegression`. */
  rule: string;
  value: number;
  threshold: number;
  passed: boolean;
}

export interface ArtifactPointer {
  digest: Digest;
  /** `artifact://sha256/<hex>` (`?tree` for a directory). */
  uri: string;
}

export interface ModelVersion extends Provenance {
  /** 1, 2, 3, … in training order; never reused. */
  version: number;
  status: VersionStatus;
  /** Every status this version has had, oldest first; the last entry equals `status`. */
  statusHistory: StatusChange[];
  /** Digest of the Model spec it was trained from. */
  specDigest: Digest;
  /** That spec (normalized, without name and origin), so a later plan can say which fields changed. */
  spec?: Record<string, unknown>;
  /** view → viewDigest of each feature view read. */
  featureViewDigests: Record<string, Digest>;
  trainingSet: {
    digest: Digest;
    /** Point-in-time cut-off: no feature value after it was read. */
    cutoff: IsoTime;
    rows: number;
    /** Where the snapshot lives in the artifact store, when it was kept. */
    uri?: string;
    /** The data checks' figures before training: null share per feature ref, coverage per view. */
    checks?: { nullShare: Record<string, number>; coverage: Record<string, number> };
  };
  /** The holdout rows the metrics were computed on (so a champion can be re-scored on the same rows). */
  holdout?: { digest: Digest; rows: number; from: IsoTime };
  seed: number;
  /** `tfjs` or `command`; backend as the trainer reported it (`tfjs/wasm`, `tfjs/cpu`, `command`). */
  trainer: { type: 'tfjs' | 'command'; backend: string };
  /** Holdout metrics, by name; finite numbers. */
  metrics: Record<string, number>;
  gates?: GateResult[];
  artifact: ArtifactPointer;
  /** Reference profile used for drift detection. */
  profile?: ArtifactPointer;
  trainedAt: IsoTime;
}

export interface ModelLock {
  kind: 'ModelLock';
  lockVersion: number;
  name: string;
  /** Digest of the Model spec as last applied. */
  specDigest: Digest;
  /** Ascending by `version`. */
  versions: ModelVersion[];
}

export interface FeatureLock extends Provenance {
  kind: 'FeatureLock';
  lockVersion: number;
  view: string;
  /** Digest of the FeatureView definition that was materialized. */
  viewDigest: Digest;
  /** Newest event time materialized (null when the source was empty). */
  watermark: IsoTime | null;
  /** Rows in the online table after the last run. */
  rows: number;
  materializedAt: IsoTime;
  /** Digest of the source files' content at materialization. */
  sourceDigest: Digest;
}

export const rolloutStatuses = [
  'idle',
  'progressing',
  'paused',
  'promoted',
  'rolled-back',
  'aborted',
] as const;
export type RolloutStatus = (typeof rolloutStatuses)[number];

export interface AnalysisResult {
  at: IsoTime;
  step: number;
  version: number;
  metric: string;
  value: number;
  threshold: number;
  /** `min`, `max`, `maxDegradation`, or a test name (`welch-t`) for A/B decisions. */
  rule: string;
  samples: number;
  passed: boolean;
}

export interface RolloutLock extends Provenance {
  kind: 'RolloutLock';
  lockVersion: number;
  model: string;
  /** Digest of the RolloutPolicy the rollout follows, when one applies. */
  policyDigest?: Digest;
  strategy: 'direct' | 'canary' | 'abTest';
  status: RolloutStatus;
  /** 0-based index into the canary steps (0 for direct and A/B). */
  step: number;
  /** Versions receiving traffic; weights in [0, 1] summing to 1 (or an empty list). Ascending by version. */
  versions: { version: number; weight: number }[];
  /** Analysis results of the current rollout, oldest first. */
  analysis: AnalysisResult[];
  startedAt?: IsoTime;
  updatedAt: IsoTime;
  reason?: string;
}

export interface ScanFinding {
  column: string;
  detector: string;
  /** Matching rows; values are never recorded. */
  rows: number;
  allowed: boolean;
}

export interface DataScan {
  view: string;
  at: IsoTime;
  scannedRows: number;
  sourceDigest: Digest;
  findings: ScanFinding[];
}

export interface Quarantine extends Provenance {
  /** Stable id: `q-<12 hex>` derived by the caller from the view, detector and row digest. */
  id: string;
  view: string;
  column?: string;
  detector: string;
  rows: number;
  /** Digest of the quarantined row keys. */
  digest: Digest;
  at: IsoTime;
  reason?: string;
  released?: { at: IsoTime; reason: string } & Provenance;
}

export interface DataLock {
  kind: 'DataLock';
  lockVersion: number;
  policy: string;
  /** Digest of the DataPolicy as last applied. */
  policyDigest: Digest;
  /** The latest scan per view, ascending by view. */
  scans: DataScan[];
  /** Every quarantine ever made (released ones keep their record), ascending by id. */
  quarantines: Quarantine[];
}

export type AnyLock = ModelLock | FeatureLock | RolloutLock | DataLock;
export type LockKind = AnyLock['kind'];

/** The whole state/ folder, by resource name. */
export interface LockState {
  models: Record<string, ModelLock>;
  features: Record<string, FeatureLock>;
  rollouts: Record<string, RolloutLock>;
  data: Record<string, DataLock>;
}

/** Records without a prototype: `state.models['constructor']` is undefined, as it should be. */
export const emptyLockState = (): LockState => ({
  models: record(),
  features: record(),
  rollouts: record(),
  data: record(),
});

export function record<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** One file change of a state transaction; `content: null` deletes the file. */
export interface LockChange {
  /** Repository-relative POSIX path (`state/models/churn.lock.yaml`). */
  path: string;
  content: string | null;
}
