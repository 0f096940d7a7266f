// Checks on a point-in-time training set before anything trains on it. Labels 45 days after the
// newest features with a 30-day ttl give all-null features: a model trained on that is noise
// with an AUC of 0.5, and only `rudder dataset` would have shown it. Pure.
import type { Model } from '../../compiler/desired-state.ts';
import type { TrainingSet } from '../../store/port.ts';

export interface DataCheckFigures {
  rows: number;
  /** Feature ref → share of label rows with no value (missing, or older than the view's ttl). */
  nullShare: Record<string, number>;
  /** View → share of label rows that got a value from it. */
  coverage: Record<string, number>;
}

export interface DataCheckResult {
  ok: boolean;
  figures: DataCheckFigures;
  /** One sentence per failed check, with the figure and the threshold. */
  failures: string[];
  /** What probably caused the failures, when the store's statistics tell (ttl expiry, no match). */
  causes: string[];
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

export function checkTrainingSet(model: Model, ts: TrainingSet): DataCheckResult {
  const c = model.dataChecks;
  const rows = ts.rows;
  const failures: string[] = [];
  const causes: string[] = [];
  if (rows < c.minRows) failures.push(`${rows} label rows, fewer than minRows ${c.minRows}`);
  const nullShare: Record<string, number> = {};
  for (const f of model.features) {
    const share = rows > 0 ? (ts.nullCounts[f.ref] ?? 0) / rows : 1;
    nullShare[f.ref] = round4(share);
    if (share > c.maxNullShare)
      failures.push(`${f.ref} is null for ${pct(share)} of rows (maxNullShare ${pct(c.maxNullShare)})`);
  }
  const coverage: Record<string, number> = {};
  for (const v of ts.views ?? []) {
    const share = rows > 0 ? v.matched / rows : 0;
    coverage[v.view] = round4(share);
    if (share < c.minCoverage) {
      failures.push(
        `view ${v.view} gives a value to ${pct(share)} of label rows (minCoverage ${pct(c.minCoverage)})`,
      );
      if (v.expired > 0)
        causes.push(
          `${v.expired} label row(s) found only values older than ${v.view}'s ttl: are the labels later than the feature data?`,
        );
      if (v.missing > 0)
        causes.push(`${v.missing} label row(s) have no ${v.view} row at or before the label time`);
    }
  }
  return { ok: failures.length === 0, figures: { rows, nullShare, coverage }, failures, causes };
}

/** One line for the apply output: `569 rows; coverage customer_activity 100%; max null 2.1% (spend_30d)`. */
export function renderDataChecks(f: DataCheckFigures): string {
  const cov = Object.entries(f.coverage).map(([v, s]) => `${v} ${pct(s)}`);
  const worst = Object.entries(f.nullShare).sort((a, b) => b[1] - a[1])[0];
  return [
    `${f.rows} rows`,
    cov.length ? `coverage ${cov.join(', ')}` : undefined,
    worst ? `max null ${pct(worst[1])} (${worst[0]})` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}
