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
}

/** A view whose source could not be read; the planner reports it instead of acting on it. */
export interface ViewObservationError {
  error: string;
}

/** Per-model observations. Drift and live quality arrive with the monitoring work; the planner ignores absent fields. */
export interface ModelObservation {
  /** Dataset drift between the champion's reference profile and the current window. */
  drift?: {
    drifted: number;
    features: number;
    share: number;
    details: { feature: string; method: string; statistic: number; threshold: number; drifted: boolean }[];
    samples: number;
  };
  /** Live quality from delayed labels joined to the prediction log. */
  quality?: { metric: string; value: number; labels: number; window: string };
  /** Label rows available for training, for dataVolume triggers. */
  labelRows?: number;
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
}

export function isViewError(
  o: ViewObservation | ViewObservationError | undefined,
): o is ViewObservationError {
  return o != null && 'error' in o;
}
