/** Metric names Rudder computes, by task. The first of each list is the default primary metric. */
export const classificationMetrics = [
  'auc',
  'pr_auc',
  'accuracy',
  'f1',
  'precision',
  'recall',
  'logloss',
  'brier',
] as const;
export const regressionMetrics = ['rmse', 'mae', 'r2', 'mape'] as const;
export const modelMetrics = [...classificationMetrics, ...regressionMetrics] as const;
export type ModelMetric = (typeof modelMetrics)[number];

export const operationalMetrics = ['error_rate', 'latency_p50', 'latency_p95', 'latency_p99'] as const;
export const analysisMetricNames = [...modelMetrics, ...operationalMetrics] as const;

/** Metrics where lower is better: gates and triggers flip their comparison for these. */
export const lowerIsBetter: ReadonlySet<string> = new Set([
  'logloss',
  'brier',
  'rmse',
  'mae',
  'mape',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
]);

export const multiclassMetrics: ReadonlySet<string> = new Set([
  'accuracy',
  'f1',
  'precision',
  'recall',
  'logloss',
  'brier',
]);

export type Task = 'binary-classification' | 'multiclass-classification' | 'regression';

export function metricsForTask(task: Task): readonly string[] {
  if (task === 'regression') return regressionMetrics;
  if (task === 'multiclass-classification')
    return classificationMetrics.filter((m) => multiclassMetrics.has(m));
  return classificationMetrics;
}

export const defaultMetrics: Record<Task, string[]> = {
  'binary-classification': ['auc', 'accuracy', 'logloss'],
  'multiclass-classification': ['accuracy', 'logloss'],
  regression: ['rmse', 'mae', 'r2'],
};

export const CUSTOM_METRIC = /^custom:[a-z][a-z0-9_]{0,62}$/;

const DURATION = /^(0|[1-9][0-9]{0,11})(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s` → 90000. Undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Render milliseconds back in the largest exact unit (`86400000` → `1d`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const u = UNIT_MS[unit]!;
    if (ms !== 0 && ms % u === 0) return `${ms / u}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

const PERCENT = /^([0-9]{1,3})(\.[0-9]{1,6})?%$/;

/** `25%` or `0.25` → 0.25. Undefined when out of [0, 1] or malformed. */
export function parsePercentage(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
  const m = PERCENT.exec(v);
  if (!m) return undefined;
  const n = Number(`${m[1]}${m[2] ?? ''}`);
  // Round through the string form so "10%" is exactly 0.1 and digests stay stable.
  return n <= 100 ? Number((n / 100).toFixed(8)) : undefined;
}
