// The feature store port. The DuckDB adapter implements it today; a database server or a
// warehouse can implement it later without the planner, executor or trainers changing.
import type { DataPolicy, Detector, FeatureView, Model } from '../compiler/desired-state.ts';

/**
 * Column layout of a training-set Parquet file (the contract between store and trainers,
 * including external `command` trainers):
 * - the label's entity key columns, as named in `model.label.entities`;
 * - `__label_ts` (TIMESTAMP WITH TIME ZONE): the label's timestamp, the point-in-time bound;
 * - `__label`: the label value;
 * - one column per model feature, in `model.features` order (sorted by `view:feature`), named `<view>__<feature>`.
 * Rows are ordered by `__label_ts`, then the entity keys, so a time split is a prefix/suffix.
 *
 * Feature column types: int → BIGINT, float → DOUBLE, bool → BOOLEAN, category and string →
 * VARCHAR, timestamp → TIMESTAMP WITH TIME ZONE. `__label` is DOUBLE for regression; for
 * classification BIGINT when the classes (or, without declared classes, all values) are
 * integers, BOOLEAN when they are booleans, VARCHAR otherwise. A feature with no value for the
 * label's entity at or before `__label_ts` within the view's TTL is NULL.
 */
export const LABEL_TS_COLUMN = '__label_ts';
export const LABEL_COLUMN = '__label';
export const featureColumnName = (ref: string): string => ref.replace(':', '__');

export interface TrainingSet {
  /** Absolute path of the Parquet file (or CSV file when asked for one). */
  path: string;
  rows: number;
  /**
   * `sha256:…` of the file's bytes: anyone can check a file against the lock with `sha256sum`.
   * Stable across runs for the same inputs, output format and DuckDB version.
   */
  digest: string;
  /** ISO timestamp: no feature value after it was read; the newest label timestamp included. */
  cutoff: string;
  entityColumns: string[];
  features: { ref: string; column: string; type: FeatureView['features'][number]['type'] }[];
  /** Label rows whose entity had no value in a view (per feature ref), after TTL. */
  nullCounts: Record<string, number>;
  /** Output format; absent means parquet. */
  format?: 'parquet' | 'csv';
  /** Per view: how the label rows joined (additive to the original port). */
  views?: TrainingSetViewStats[];
  /** Label rows read, and those left out (quarantined, after `until`). */
  labelRows?: { read: number; quarantined: number; afterUntil: number };
  /** Data policies applied while building the set. */
  policies?: AppliedPolicies;
}

export interface TrainingSetViewStats {
  view: string;
  viewDigest: string;
  sourceDigest: string;
  /** Rows the view's source holds, and those left out because a quarantine holds them. */
  sourceRows: number;
  quarantinedRows: number;
  /** Label rows that got a value from this view. */
  matched: number;
  /** Label rows whose entity has no value at or before the label time. */
  missing: number;
  /** Label rows whose latest value was older than the view's TTL. */
  expired: number;
}

/** What data policies did to a training set or an online table. */
export interface AppliedPolicies {
  /** Quarantines whose rows were left out (new or already recorded), ascending by id. */
  quarantines: QuarantineRecord[];
  /** `<view>:<column>` whose values were replaced by a salted hash. */
  hashedColumns: string[];
  /** `<view>:<column>` whose values were dropped (the column is all NULL). */
  droppedColumns: string[];
}

export interface TrainingSetRequest {
  model: Model;
  views: readonly FeatureView[];
  /** Only labels at or before this instant. Default: all labels. */
  until?: Date;
  /** Where to write the Parquet file (a `.csv` name writes CSV). */
  outPath: string;
  /** Data policies to enforce. Default: the ones the store was opened with. */
  policies?: readonly DataPolicy[];
}

export interface ViewFreshness {
  view: string;
  /** ISO timestamp of the newest event, or null when the source is empty. */
  newestEvent: string | null;
  rows: number;
  /** Digest of the source files' content (names, sizes, mtimes are not enough for provenance). */
  sourceDigest: string;
  /** Repository-relative files read, sorted. */
  files?: string[];
  /** With `now`: age of the newest event, and whether it exceeds `freshness.maxAge`. */
  ageMs?: number | null;
  stale?: boolean;
}

export interface MaterializeResult {
  view: string;
  /** Rows written to the online table in this run. */
  rows: number;
  /** Newest event time now materialized: the next incremental run starts after it. */
  watermark: string | null;
  viewDigest: string;
  /** Rows in the online table after this run (one per entity). */
  onlineRows?: number;
  sourceDigest?: string;
  /** True when the table was rebuilt (first run, `since` null, or a new view digest). */
  full?: boolean;
  policies?: AppliedPolicies;
}

export interface PiiFinding {
  view: string;
  column: string;
  detector: string;
  /** Matching rows; values are never reported. */
  rows: number;
  allowed: boolean;
}

export interface PiiScanResult {
  policy: string;
  scannedRows: number;
  findings: PiiFinding[];
  /** Per scanned source (a view, or `label:<model>`), for the data lock. */
  scans?: PiiViewScan[];
}

export interface PiiViewScan {
  view: string;
  scannedRows: number;
  sourceDigest: string;
  findings: { column: string; detector: Detector; rows: number; allowed: boolean }[];
}

/**
 * Rows a `quarantine` policy keeps out of training and the online table. One record per policy,
 * view, source file, column and detector; the id (`q-<12 hex>`) is a digest of those and of the
 * quarantined row keys, so a fresh checkout recomputes the same ids from the same data.
 */
export interface QuarantineRecord {
  id: string;
  policy: string;
  view: string;
  /** Repository-relative source file. */
  file: string;
  column: string;
  detector: Detector;
  rows: number;
  /** `sha256:…` of the quarantined row keys (entity keys and event time), never of values. */
  digest: string;
  status: 'active' | 'released';
}

export interface ReleaseResult {
  record: QuarantineRecord;
  /** False when it was already released. */
  changed: boolean;
}

/** A value read from the online table, for serving. */
export interface OnlineRow {
  /** Entity key values as given. */
  entity: Record<string, string | number | bigint | boolean>;
  /** ISO event time of the values, or null when the entity has none (or it expired). */
  eventTime: string | null;
  /** By feature name; null when missing or expired. */
  values: Record<string, unknown>;
}

/** What a model's label source holds (a plan input, like a view's freshness). */
export interface LabelFreshness {
  model: string;
  rows: number;
  /** ISO time of the newest label, or null when there is none. */
  newestLabel: string | null;
  /** Digest of the label files' content. */
  sourceDigest: string;
}

/**
 * The core of a feature store: what observing, training and materializing need. An engine
 * implements this, plus the capabilities below that it supports (`DataPolicyStore`,
 * `OnlineStore`), and declares them in its type (`implements FeatureStore, OnlineStore`);
 * consumers ask for the capabilities they use in their types (`FeatureStore & DataPolicyStore`),
 * never probe for methods at run time. test/unit/store/feature-store-contract.ts holds each
 * capability's promises as a suite any adapter can run.
 *
 * Errors: bad input is refused with a `StoreError` naming the file, column and row. Calls may be
 * made concurrently; an adapter runs them as if one at a time, in call order.
 */
export interface FeatureStore {
  /** Rows, newest event and content digest of a view's source; with `now`, its age and staleness. */
  freshness(view: FeatureView, opts?: { now?: Date }): Promise<ViewFreshness>;
  /** What the online table of a view holds now, or null when there is none. */
  onlineState(
    view: FeatureView,
  ): Promise<{ viewDigest: string; watermark: string | null; rows: number } | null>;
  /** Rows, newest label and content digest of a model's label source (checked like any read). */
  labelFreshness(model: Model): Promise<LabelFreshness>;
  /**
   * Write a point-in-time training set (layout above): per label row, each feature's latest value
   * at or before the label time within the view's TTL, never a later one.
   */
  buildTrainingSet(req: TrainingSetRequest): Promise<TrainingSet>;
  /**
   * Bring the view's online table up to date: the latest value per entity. With `since` (the
   * previous watermark) only newer events are applied, unless the view's digest changed; null
   * rebuilds the table.
   */
  materialize(view: FeatureView, since: string | null): Promise<MaterializeResult>;
  /** Waits for calls in flight; later calls are refused. */
  close(): Promise<void>;
}

/**
 * Data policies: PII detection and quarantines, behind their own seam. DuckDB runs the
 * detectors as SQL over the sources today; another engine can bring its own scanner.
 */
export interface DataPolicyStore {
  /** Read-only: what the policy's detectors find. Persists nothing. */
  scanPii(policy: DataPolicy, views: readonly FeatureView[]): Promise<PiiScanResult>;
  /** Scan and record quarantines (action `quarantine`); other actions are enforced when data is read. */
  applyDataPolicy(
    policy: DataPolicy,
    views: readonly FeatureView[],
  ): Promise<PiiScanResult & { quarantines: QuarantineRecord[] }>;
  releaseQuarantine(id: string): Promise<ReleaseResult>;
  listQuarantines(): Promise<QuarantineRecord[]>;
}

/**
 * Point reads from the online table that `materialize` writes, for serving. A capability of its
 * own: an engine whose online table lives elsewhere leaves it out, and serving asks for it in its
 * type (`OnlineStore`), so a store without it does not compile there.
 */
export interface OnlineStore {
  /**
   * One row per entity, in order. Values older than the view's TTL at `now` (default: the
   * store's clock) read as missing; an unknown entity reads as missing; a view that was never
   * materialized is refused.
   */
  readOnline(
    view: FeatureView,
    entities: readonly Record<string, string | number | bigint | boolean>[],
    opts?: { now?: Date },
  ): Promise<OnlineRow[]>;
}

/** Everything the embedded engine offers: what `openFeatureStore` returns. */
export type FullFeatureStore = FeatureStore & DataPolicyStore & OnlineStore;

/** Why a store operation refused bad input; the message names the file, column and row. */
export type StoreErrorCode =
  | 'store/no-files'
  | 'store/read-failed'
  | 'store/corrupt-file'
  | 'store/missing-column'
  | 'store/wrong-type'
  | 'store/not-a-timestamp'
  | 'store/mixed-time-zones'
  | 'store/empty-key'
  | 'store/duplicate-row'
  | 'store/not-finite'
  | 'store/bad-label'
  | 'store/empty-source'
  | 'store/no-matching-entities'
  | 'store/no-labels'
  | 'store/pii-refused'
  | 'store/blocked'
  | 'store/unknown-quarantine'
  | 'store/bad-output'
  | 'store/salt'
  | 'store/locked';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly where: { file?: string; column?: string; row?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
