// Holdout metrics, defined to agree with scikit-learn (test/fixtures/trainer/sklearn-metrics.json
// pins them): roc_auc_score, average_precision_score (PR-AUC), accuracy_score, f1/precision/
// recall (binary: positive class; multiclass: macro average, zero_division=0), log_loss
// (probabilities clipped to [ε, 1 − ε], ε = float64 machine epsilon, sklearn's eps='auto'), brier_score_loss (multiclass: mean over rows
// of the squared distance to the one-hot label), mean_squared_error (root), mean_absolute_error,
// r2_score, mean_absolute_percentage_error (a fraction, not a percentage). Pure.
import { modelMetrics } from '../../schema/vocabulary.ts';

export type Scores =
  | { task: 'binary-classification'; y: ArrayLike<number>; p: ArrayLike<number> }
  /** `p` is row-major n × k probabilities; `y` holds class indices. */
  | { task: 'multiclass-classification'; y: ArrayLike<number>; p: ArrayLike<number>; classes: number }
  | { task: 'regression'; y: ArrayLike<number>; p: ArrayLike<number> };

/** numpy's float64 machine epsilon: sklearn's floor for |y| in MAPE and its log-loss clip. */
const F64_EPS = 2.220446049250313e-16;

/** The decision threshold for binary accuracy, F1, precision and recall: p ≥ 0.5 is positive. */
export const BINARY_THRESHOLD = 0.5;

/**
 * Compute the named metrics. A metric that is undefined on these rows (AUC with one class in
 * the holdout, R² of a constant label) is NaN: the caller turns that into an error naming it.
 */
export function computeMetrics(names: readonly string[], s: Scores): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) out[name] = metric(name, s);
  return out;
}

function metric(name: string, s: Scores): number {
  if (s.y.length === 0) return Number.NaN;
  switch (s.task) {
    case 'binary-classification':
      return binaryMetric(name, s.y, s.p);
    case 'multiclass-classification':
      return multiclassMetric(name, s.y, s.p, s.classes);
    case 'regression':
      return regressionMetric(name, s.y, s.p);
  }
}

function binaryMetric(name: string, y: ArrayLike<number>, p: ArrayLike<number>): number {
  switch (name) {
    case 'auc':
      return rocAuc(y, p);
    case 'pr_auc':
      return averagePrecision(y, p);
    case 'logloss': {
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        const q = clip(p[i]!);
        s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
      }
      return s / y.length;
    }
    case 'brier': {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
      return s / y.length;
    }
    default: {
      const c = confusion(y, p);
      return fromConfusion(name, c.tp, c.fp, c.fn, c.tn);
    }
  }
}

function confusion(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
): { tp: number; fp: number; fn: number; tn: number } {
  let tp = 0,
    fp = 0,
    fn = 0,
    tn = 0;
  for (let i = 0; i < y.length; i++) {
    const pred = p[i]! >= BINARY_THRESHOLD;
    if (y[i] === 1) {
      if (pred) tp++;
      else fn++;
    } else if (pred) fp++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}

function fromConfusion(name: string, tp: number, fp: number, fn: number, tn: number): number {
  switch (name) {
    case 'accuracy':
      return (tp + tn) / (tp + fp + fn + tn);
    case 'precision':
      return tp + fp === 0 ? 0 : tp / (tp + fp);
    case 'recall':
      return tp + fn === 0 ? 0 : tp / (tp + fn);
    case 'f1':
      return 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    default:
      return Number.NaN;
  }
}

/** Rows sorted by descending score, as index order (stable for equal scores). */
function byScoreDesc(p: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => p[b]! - p[a]! || a - b);
}

/**
 * Walk the scores from high to low and call `at(tp, fp)` once per distinct threshold, with the
 * true and false positives counted at or above it. Ties share one step, as in scikit-learn.
 */
function forEachThreshold(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  at: (tp: number, fp: number) => void,
): void {
  const order = byScoreDesc(p);
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || p[next] !== p[i]) at(tp, fp);
  }
}

function positives(y: ArrayLike<number>): number {
  let pos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) pos++;
  return pos;
}

/** Area under the ROC curve, trapezoids over distinct thresholds (ties count half). */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const pos = positives(y);
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  let prevTp = 0;
  let prevFp = 0;
  let area = 0;
  forEachThreshold(y, p, (tp, fp) => {
    area += ((fp - prevFp) * (tp + prevTp)) / 2;
    prevTp = tp;
    prevFp = fp;
  });
  return area / (pos * neg);
}

/** sklearn's average_precision_score: Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds, no interpolation. */
export function averagePrecision(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const pos = positives(y);
  if (pos === 0) return Number.NaN;
  let prevRecall = 0;
  let ap = 0;
  forEachThreshold(y, p, (tp, fp) => {
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  });
  return ap;
}

function multiclassMetric(name: string, y: ArrayLike<number>, p: ArrayLike<number>, k: number): number {
  const n = y.length;
  if (name === 'logloss' || name === 'brier') {
    let s = 0;
    for (let i = 0; i < n; i++) {
      // sklearn renormalizes rows after clipping; rows here already sum to 1 up to rounding.
      let rowSum = 0;
      for (let c = 0; c < k; c++) rowSum += name === 'logloss' ? clip(p[i * k + c]!) : p[i * k + c]!;
      for (let c = 0; c < k; c++) {
        const t = y[i] === c ? 1 : 0;
        if (name === 'logloss') s -= t === 1 ? Math.log(clip(p[i * k + c]!) / rowSum) : 0;
        else s += (p[i * k + c]! - t) ** 2;
      }
    }
    return s / n;
  }
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
    pred[i] = best;
  }
  if (name === 'accuracy') {
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === y[i]) ok++;
    return ok / n;
  }
  // Macro average over the labels present in y or in the predictions (sklearn's label set).
  const present = new Set<number>();
  for (let i = 0; i < n; i++) present.add(y[i]!).add(pred[i]!);
  let sum = 0;
  for (const c of present) {
    let tp = 0,
      fp = 0,
      fn = 0;
    for (let i = 0; i < n; i++) {
      if (pred[i] === c && y[i] === c) tp++;
      else if (pred[i] === c) fp++;
      else if (y[i] === c) fn++;
    }
    sum += fromConfusion(name, tp, fp, fn, 0);
  }
  return sum / present.size;
}

function regressionMetric(name: string, y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  let se = 0,
    ae = 0,
    ape = 0,
    mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i]! - p[i]!;
    se += e * e;
    ae += Math.abs(e);
    ape += Math.abs(e) / Math.max(Math.abs(y[i]!), F64_EPS);
    ss += (y[i]! - mean) ** 2;
  }
  switch (name) {
    case 'rmse':
      return Math.sqrt(se / n);
    case 'mae':
      return ae / n;
    case 'mape':
      return ape / n;
    case 'r2':
      // sklearn: a constant label gives 1 for a perfect fit, 0 otherwise; we refuse instead.
      return ss === 0 ? Number.NaN : 1 - se / ss;
    default:
      return Number.NaN;
  }
}

function clip(q: number): number {
  return Math.min(Math.max(q, F64_EPS), 1 - F64_EPS);
}

/** Metrics Rudder computes itself (the rest, `custom:*`, only come from command trainers). */
export const builtinMetrics: ReadonlySet<string> = new Set<string>(modelMetrics);
