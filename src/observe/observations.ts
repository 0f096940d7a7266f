// What the planner knows of the world, snapshotted by `observe` and embedded in the plan so a
// plan can be reviewed and re-rendered later without touching the store. Pure types.
import type { RolloutObservation } from '../rollout/observation.ts';

export const OBSERVATIONS_VERSION = 1;

export interface ViewObservation {
  /** Newest event time in the source (ISO), or null when the source is empty. */
  newestEvent: string | null;
  rows: number;
  /** Digest of the source files' content. */
  sourceDigest: string;
  /**
   * What the store's online table actually holds (null: no table — the store was deleted or is
   * another copy). Absent where the store was not asked (older plans).
   */
  online?: { viewDigest: string; watermark: string | null; rows: number } | null;
}

/** A view whose source could not be read; the planner reports it instead of acting on it. */
export interface ViewObservationError {
  error: string;
}

/** Per-model observations. Drift and live quality arrive with the monitoring work; the planner ignores absent fields. */
export interface ModelObservation {
  /**
   * Active versions (champion, challenger) whose artifact the artifact store does not hold:
   * serving, drift and champion comparisons cannot use them.
   */
  missingArtifacts?: { version: number; digest: string; store: string }[];
  /** Dataset drift between the champion's reference profile and the current window. */
  drift?: {
    drifted: number;
    features: number;
    share: number;
    /** Tested features, most drifted first (score against threshold). */
    details: {
      feature: string;
      method: string;
      /** What is compared with the threshold: the p-value for ks/chi-square/z-test, the distance otherwise. */
      statistic: number;
      threshold: number;
      drifted: boolean;
      /** "customer_activity:spend_30d Wasserstein (normed) 1.2 ≥ 0.1": the comparison, in words. */
      evidence?: string;
    }[];
    samples: number;
    /** Version whose reference profile was compared, and where the current window came from. */
    version?: number;
    /**
     * How the window was built: the prediction log, the label rows in it (a training set), the
     * views' entity rows weighted by label use, or (older plans) the views' entity rows.
     */
    source?: 'prediction-log' | 'labels' | 'feature-sources-weighted' | 'feature-sources';
    window?: string;
    /** The prediction rows are a sliver of the window (one batch): no verdict, a note. */
    narrow?: boolean;
    /** Why the window was built as it was or gives no verdict; the plan shows it. */
    note?: string;
    /** No feature had enough current values: a note, never an action. */
    insufficient?: boolean;
  };
  /** Drift could not be observed (no profile, unreadable source): the planner says so and does not act on drift. */
  driftError?: string;
  /** Live quality from delayed labels joined to the predictions (prediction log, or the version re-scored point in time). */
  quality?: {
    metric: string;
    value: number;
    labels: number;
    window: string;
    source?: 'prediction-log' | 'rescored';
  };
  /** Live quality could not be observed, or had fewer labels than minLabels. */
  qualityNote?: string;
  /** Label rows available for training, for dataVolume triggers. */
  labelRows?: number;
}

/** A model's label source: a plan input (changed labels make a saved plan stale). */
export interface LabelObservation {
  rows: number;
  newestLabel: string | null;
  sourceDigest: string;
}

export interface Observations {
  version: typeof OBSERVATIONS_VERSION;
  /** The clock, as passed in: every age and due-date is computed from it. */
  at: string;
  views: Record<string, ViewObservation | ViewObservationError>;
  models: Record<string, ModelObservation>;
  /**
   * Analysis of progressing rollouts, by model (src/rollout/observation.ts). Not part of the
   * plan's input digest: new predictions arrive every second, and the rollout handlers check the
   * rollout lock is still where the plan saw it instead.
   */
  rollouts?: Record<string, RolloutObservation | { error: string }>;
  /** Per model: its label source, or why it could not be read. Absent in plans made before labels were observed. */
  labels?: Record<string, LabelObservation | ViewObservationError>;
}

export function isViewError<T extends object>(
  o: T | ViewObservationError | undefined,
): o is ViewObservationError {
  return o != null && 'error' in o;
}
