// The prediction-log port: what `rudder serve` writes for every prediction and delayed label,
// and what monitoring (drift, live quality) and rollout analysis read back by window.
export type EntityKey = Record<string, string | number | boolean>;

/**
 * One text per entity: keys sorted, values as text (`customer_id=42`), so 42 and "42" are the
 * same customer. Joins labels to predictions and drives the sticky traffic split.
 */
export function entityKeyString(entity: EntityKey): string {
  return Object.keys(entity)
    .sort()
    .map((k) => `${k}=${String(entity[k])}`)
    .join('\u001f');
}

export interface PredictionRecord {
  requestId: string;
  /** ISO time the prediction was made. */
  at: string;
  model: string;
  version: number;
  entity: EntityKey;
  /** The feature values the model saw, by feature ref (`view:feature`). */
  features: Record<string, number | string | boolean | null>;
  /** See Prediction.score; null when the request failed. */
  score: number | null;
  latencyMs: number;
  /** Set when the model failed for this request (counts toward the error rate). */
  error?: string;
  /**
   * During a canary, a challenger's row also carries the champion's score on the same feature
   * row (scored off the caller's path, never returned): the paired evidence canary analysis
   * decides on. Absent when there was no champion to ask, the shadow queue was full, or the log
   * row was written before shadow scoring existed.
   */
  shadow?: ShadowScore;
}

export interface ShadowScore {
  version: number;
  score: number;
}

export interface LabelRecord {
  /** ISO time the labelled outcome happened (joined to predictions at or before it). */
  at: string;
  model: string;
  entity: EntityKey;
  label: number | string | boolean;
}

export interface LogWindow {
  model: string;
  /** Inclusive lower bound, exclusive upper bound. */
  from: Date;
  to: Date;
  /** Only this version. */
  version?: number;
}

export interface PredictionLog {
  /** Buffered; durable after flush() or close(). */
  append(records: readonly PredictionRecord[]): Promise<void>;
  appendLabels(labels: readonly LabelRecord[]): Promise<void>;
  readPredictions(window: LogWindow): Promise<PredictionRecord[]>;
  readLabels(window: LogWindow): Promise<LabelRecord[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Rows appended but not yet written, where the adapter buffers them (the server exports it as rudder_prediction_log_buffered). */
  readonly buffered?: number;
}
