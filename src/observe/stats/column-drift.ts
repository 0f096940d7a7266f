// Per-column and dataset drift between a reference profile and a current window, with
// `method: auto` choosing the test exactly as Evidently's `_get_default_stattest` does
// (evidently/legacy/calculations/stattests/registry.py):
//   - the size is the reference's non-null row count; distinct values count reference and
//     current together (non-null);
//   - reference ≤ 1000 rows: numeric with > 5 distinct values → KS (drift when p ≤ 0.05);
//     otherwise chi-square when > 2 distinct values (p < 0.05), else the z-test (p < 0.05);
//   - reference > 1000 rows: numeric with > 5 distinct values → Wasserstein normed by the
//     reference std (drift when ≥ 0.1); otherwise Jensen–Shannon distance (≥ 0.1).
// Nulls are dropped before testing (as Evidently does) and reported as counts. Pure: no I/O.
import type { CellValue, ColumnProfile, NumericProfile } from '../profile.ts';
import { categoryKey, DISTINCT_CAP, fixedEdgesFor, isNumericType } from '../profile.ts';
import {
  binCounts,
  binCountsSorted,
  chiSquare,
  jensenShannon,
  psiFromCounts,
  wasserstein1,
  wassersteinNormed,
  zTestProportions,
} from './distances.ts';
import { ks2samp } from './ks.ts';

export type DriftMethod = 'ks' | 'psi' | 'wasserstein' | 'chi-square' | 'jensen-shannon' | 'z-test';
export const DRIFT_METHODS: readonly DriftMethod[] = [
  'ks',
  'psi',
  'wasserstein',
  'chi-square',
  'jensen-shannon',
  'z-test',
];

/** Evidently's default thresholds; PSI uses the common 0.2 (Evidently's own PSI default is 0.1). */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  'chi-square': 0.05,
  'z-test': 0.05,
  wasserstein: 0.1,
  'jensen-shannon': 0.1,
  psi: 0.2,
};

/** p-value tests drift when the p-value is at or below (KS) / below (others) the threshold. */
export const isPValueMethod = (m: DriftMethod): boolean => m === 'ks' || m === 'chi-square' || m === 'z-test';

export interface DriftOptions {
  method: 'auto' | DriftMethod;
  /** Threshold for the chosen method when `method` is not auto. */
  threshold?: number;
  /** Per-method thresholds (override the defaults, and `threshold` for that method). */
  thresholds?: Partial<Record<DriftMethod, number>>;
  /** Fewer current non-null values than this: insufficient data, never a drift. */
  minSamples: number;
}

export interface ColumnDrift {
  feature: string;
  status: 'ok' | 'insufficient' | 'skipped';
  method?: DriftMethod;
  /** What is compared with the threshold: the p-value for ks/chi-square/z-test, the distance otherwise. */
  score?: number;
  /** The test statistic: KS D, χ², z, PSI, normed W1, JS distance. */
  statistic?: number;
  pvalue?: number;
  /** Raw Wasserstein-1 (for wasserstein). */
  w1?: number;
  threshold?: number;
  drifted: boolean;
  referenceCount: number;
  currentCount: number;
  currentNulls: number;
  /** Why skipped or insufficient; or a caveat (approximate above the sample cap). */
  note?: string;
}

export interface CurrentColumn {
  values: ArrayLike<CellValue>;
}

function thresholdFor(m: DriftMethod, opts: DriftOptions): number {
  return (
    opts.thresholds?.[m] ??
    (opts.method === m && opts.threshold != null ? opts.threshold : DEFAULT_THRESHOLDS[m])
  );
}

function driftedBy(m: DriftMethod, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false;
  if (m === 'ks') return score <= threshold;
  if (m === 'chi-square' || m === 'z-test') return score < threshold;
  return score >= threshold;
}

/** Evidently's default test for a column. */
export function autoMethod(numeric: boolean, referenceRows: number, distinctBoth: number): DriftMethod {
  if (referenceRows <= 1000) {
    if (numeric && distinctBoth > 5) return 'ks';
    return distinctBoth > 2 ? 'chi-square' : 'z-test';
  }
  if (numeric && distinctBoth > 5) return 'wasserstein';
  return 'jensen-shannon';
}

interface Counted {
  keys: string[];
  ref: number[];
  cur: number[];
}

/** Aligned reference/current counts over the union of categories (ref `other` absorbs unseen tails). */
function alignCategories(ref: [string, number][], refOther: number, cur: Map<string, number>): Counted {
  const keys: string[] = [];
  const r: number[] = [];
  const c: number[] = [];
  const known = new Set<string>();
  for (const [k, n] of ref) {
    keys.push(k);
    r.push(n);
    c.push(cur.get(k) ?? 0);
    known.add(k);
  }
  let curOther = 0;
  const unseen = [...cur.keys()].filter((k) => !known.has(k)).sort();
  if (refOther > 0) {
    for (const k of unseen) curOther += cur.get(k)!;
    keys.push('(other)');
    r.push(refOther);
    c.push(curOther);
  } else
    for (const k of unseen) {
      keys.push(k);
      r.push(0);
      c.push(cur.get(k)!);
    }
  return { keys, ref: r, cur: c };
}

function numericValueCounts(p: NumericProfile, cur: Float64Array): Counted | undefined {
  if (!p.values) return undefined;
  const m = new Map<string, number>();
  for (const v of cur) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
  return alignCategories(
    p.values.map(([v, n]) => [String(v), n]),
    0,
    m,
  );
}

function zFromCounts(c: Counted): { statistic: number; pvalue: number } {
  const nr = c.ref.reduce((s, x) => s + x, 0);
  const nc = c.cur.reduce((s, x) => s + x, 0);
  const present = c.keys.map((_, i) => i).filter((i) => c.ref[i]! + c.cur[i]! > 0);
  // One shared value on both sides: identical (Evidently returns p = 1).
  if (present.length <= 1) return { statistic: 0, pvalue: 1 };
  const order = [...present].sort((a, b) => (c.keys[a]! < c.keys[b]! ? -1 : 1));
  const k = order[0]!;
  return zTestProportions(c.ref[k]!, nr, c.cur[k]!, nc);
}

/** Drift of one column: the reference profile against the current window's values. */
export function columnDrift(
  feature: string,
  ref: ColumnProfile,
  current: CurrentColumn,
  opts: DriftOptions,
): ColumnDrift {
  const values = current.values;
  let nulls = 0;
  const base = { feature, referenceCount: ref.count, drifted: false };
  if (ref.kind === 'skipped') {
    for (let i = 0; i < values.length; i++) if (values[i] == null) nulls++;
    return {
      ...base,
      status: 'skipped',
      currentCount: values.length - nulls,
      currentNulls: nulls,
      note: ref.reason,
    };
  }
  if (ref.kind === 'numeric') {
    const xs: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v == null || (typeof v === 'number' && Number.isNaN(v))) nulls++;
      else xs.push(Number(v));
    }
    const cur = Float64Array.from(xs).sort();
    return numericDrift(feature, ref, cur, nulls, opts);
  }
  const m = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || (typeof v === 'number' && Number.isNaN(v))) nulls++;
    else {
      const k = categoryKey(v);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }
  const currentCount = values.length - nulls;
  const head = { ...base, currentCount, currentNulls: nulls };
  if (currentCount < opts.minSamples)
    return {
      ...head,
      status: 'insufficient',
      note: `${currentCount} current values < minSamples ${opts.minSamples}`,
    };
  const c = alignCategories(ref.top, ref.other, m);
  const distinctBoth = c.keys.filter((_, i) => c.ref[i]! + c.cur[i]! > 0).length;
  const method = opts.method === 'auto' ? autoMethod(false, ref.count, distinctBoth) : opts.method;
  if (method === 'ks' || method === 'wasserstein' || method === 'psi')
    return { ...head, status: 'skipped', note: `${method} needs a numeric column` };
  return finish(
    head,
    method,
    countsTest(method, c),
    opts,
    ref.other > 0 ? 'categories beyond the top 100 compared as one' : undefined,
  );
}

function countsTest(method: 'chi-square' | 'jensen-shannon' | 'z-test', c: Counted) {
  if (method === 'chi-square') {
    const r = chiSquare(c.ref, c.cur);
    return { score: r.pvalue, statistic: r.statistic, pvalue: r.pvalue };
  }
  if (method === 'z-test') {
    const r = zFromCounts(c);
    return { score: r.pvalue, statistic: r.statistic, pvalue: r.pvalue };
  }
  const js = jensenShannon(c.ref, c.cur);
  return { score: js, statistic: js };
}

function finish(
  head: Omit<ColumnDrift, 'status'>,
  method: DriftMethod,
  r: { score: number; statistic: number; pvalue?: number; w1?: number },
  opts: DriftOptions,
  note?: string,
): ColumnDrift {
  const threshold = thresholdFor(method, opts);
  return {
    ...head,
    status: 'ok',
    method,
    score: r.score,
    statistic: r.statistic,
    ...(r.pvalue != null ? { pvalue: r.pvalue } : {}),
    ...(r.w1 != null ? { w1: r.w1 } : {}),
    threshold,
    drifted: driftedBy(method, r.score, threshold),
    ...(note ? { note } : {}),
  };
}

/** Numeric drift on an ascending, NaN-free current sample. */
export function numericDrift(
  feature: string,
  ref: NumericProfile,
  cur: Float64Array,
  currentNulls: number,
  opts: DriftOptions,
): ColumnDrift {
  const head = { feature, referenceCount: ref.count, drifted: false, currentCount: cur.length, currentNulls };
  if (cur.length < opts.minSamples)
    return {
      ...head,
      status: 'insufficient',
      note: `${cur.length} current values < minSamples ${opts.minSamples}`,
    };
  let distinctBoth: number;
  if (ref.values) {
    const seen = new Set<number>(ref.values.map(([v]) => v));
    for (let i = 0; i < cur.length && seen.size <= DISTINCT_CAP + 1; i++) seen.add(cur[i]!);
    distinctBoth = seen.size;
  } else distinctBoth = DISTINCT_CAP + 1;
  const method = opts.method === 'auto' ? autoMethod(true, ref.count, distinctBoth) : opts.method;
  const sample = Float64Array.from(ref.sample.values);
  const approx = ref.sample.exact ? undefined : `KS/Wasserstein on a ${sample.length}-value reference sample`;
  switch (method) {
    case 'ks': {
      const r = ks2samp(sample, cur);
      return finish(
        head,
        method,
        { score: r.pvalue, statistic: r.statistic, pvalue: r.pvalue },
        opts,
        approx,
      );
    }
    case 'wasserstein': {
      const w1 = wasserstein1(sample, cur);
      const s = wassersteinNormed(w1, ref.std);
      return finish(head, method, { score: s, statistic: s, w1 }, opts, approx);
    }
    case 'psi': {
      const psi = psiFromCounts(ref.quantile.counts, binCountsSorted(cur, ref.quantile.edges));
      return finish(head, method, { score: psi, statistic: psi }, opts);
    }
    case 'chi-square':
    case 'z-test':
    case 'jensen-shannon': {
      let c = numericValueCounts(ref, cur);
      // Evidently: value counts when the reference has ≤ 20 distinct values (always, for
      // chi-square and z); otherwise 30 equal-width bins over the pooled range.
      if (method === 'jensen-shannon' && ref.distinct > 20) c = undefined;
      if (!c) {
        const lo = Math.min(ref.min, cur[0]!);
        const hi = Math.max(ref.max, cur[cur.length - 1]!);
        const edges = fixedEdgesFor(lo, hi).slice(1, -1);
        const refCounts = binCounts(sample, edges);
        const scale = ref.count / sample.length;
        c = {
          keys: edges.map(String).concat('max'),
          ref: refCounts.map((x) => x * scale),
          cur: binCountsSorted(cur, edges),
        };
      }
      return finish(head, method, countsTest(method, c), opts, approx);
    }
  }
}

export interface DatasetDrift {
  /** Features with a result (not skipped or insufficient). */
  features: number;
  drifted: number;
  share: number;
  /** The share at which the dataset drifts. */
  threshold: number;
  datasetDrift: boolean;
  /** True when no feature had enough current values: a note, never an action. */
  insufficient: boolean;
  columns: ColumnDrift[];
}

/** Dataset drift: drifted share of the tested features ≥ `share` (Evidently's drift_share). */
export function datasetDrift(columns: ColumnDrift[], share: number): DatasetDrift {
  const tested = columns.filter((c) => c.status === 'ok');
  const drifted = tested.filter((c) => c.drifted).length;
  const s = tested.length === 0 ? 0 : drifted / tested.length;
  const insufficient = tested.length === 0 && columns.some((c) => c.status === 'insufficient');
  return {
    features: tested.length,
    drifted,
    share: s,
    threshold: share,
    datasetDrift: tested.length > 0 && s >= share,
    insufficient,
    columns,
  };
}

export { isNumericType };
