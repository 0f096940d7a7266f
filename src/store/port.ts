// The feature store port. The DuckDB adapter implements it today; a database server or a
// warehouse can implement it later without the planner, executor or trainers changing.
import type { DataPolicy, FeatureView, Model } from '../compiler/desired-state.ts';

/**
 * Column layout of a training-set Parquet file (the contract between store and trainers,
 * including external `command` trainers):
 * - the label's entity key columns, as named in `model.label.entities`;
 * - `__label_ts` (TIMESTAMP WITH TIME ZONE): the label's timestamp, the point-in-time bound;
 * - `__label`: the label value;
 * - one column per model feature, in `model.features` order, named `<view>__<feature>`.
 * Rows are ordered by `__label_ts`, then the entity keys, so a time split is a prefix/suffix.
 */
export const LABEL_TS_COLUMN = '__label_ts';
export const LABEL_COLUMN = '__label';
export const featureColumnName = (ref: string): string => ref.replace(':', '__');

export interface TrainingSet {
  /** Absolute path of the Parquet file. */
  path: string;
  rows: number;
  /** `sha256:…` of the content (stable across runs for the same inputs). */
  digest: string;
  /** ISO timestamp: no feature value after it was read; the newest label timestamp included. */
  cutoff: string;
  entityColumns: string[];
  features: { ref: string; column: string; type: FeatureView['features'][number]['type'] }[];
  /** Label rows whose entity had no value in a view (per feature ref), after TTL. */
  nullCounts: Record<string, number>;
}

export interface TrainingSetRequest {
  model: Model;
  views: readonly FeatureView[];
  /** Only labels at or before this instant. Default: all labels. */
  until?: Date;
  /** Where to write the Parquet file. */
  outPath: string;
}

export interface ViewFreshness {
  view: string;
  /** ISO timestamp of the newest event, or null when the source is empty. */
  newestEvent: string | null;
  rows: number;
  /** Digest of the source files' content (names, sizes, mtimes are not enough for provenance). */
  sourceDigest: string;
}

export interface MaterializeResult {
  view: string;
  /** Rows written to the online table in this run. */
  rows: number;
  /** Newest event time now materialized: the next incremental run starts after it. */
  watermark: string | null;
  viewDigest: string;
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
}

export interface FeatureStore {
  freshness(view: FeatureView): Promise<ViewFreshness>;
  buildTrainingSet(req: TrainingSetRequest): Promise<TrainingSet>;
  materialize(view: FeatureView, since: string | null): Promise<MaterializeResult>;
  scanPii(policy: DataPolicy, views: readonly FeatureView[]): Promise<PiiScanResult>;
  close(): Promise<void>;
}
