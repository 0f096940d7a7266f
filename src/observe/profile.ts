// Reference profiles: what drift detection keeps of a training split, so a later window can be
// compared with it without re-reading the training data. Pure: `profileFrom` takes the column
// values; reading the split and storing the profile are in profile-io.ts.
//
// Per feature: type, count, nulls. Numeric: mean and population std (for the normed
// Wasserstein), min/max, up to 64 distinct values with their counts (for `auto`, chi-square and
// the z-test on low-cardinality numbers), a 30-bin fixed-edge histogram over [min, max] (for
// charts), the decile edges and counts PSI uses, and a seeded uniform reservoir sample of at
// most `sampleCap` values. KS and Wasserstein are computed on the sample: exactly the full
// statistics while the split has at most `sampleCap` non-null values; above that, the sample's
// ECDF is within ε = √(ln(2/α)/(2·cap)) of the split's everywhere with probability 1−α (DKW),
// 0.0061 for the default cap of 50,000 at α = 0.05, so KS D is within that ε, and W1 within
// ε·(max−min). Categorical: the 100 most frequent values and an `other` count (chi-square and
// Jensen–Shannon are exact when there are at most 100 categories).
import { Rng } from '../util/rng.ts';
import { binCountsSorted, meanStd, psiEdges } from './stats/distances.ts';

export const PROFILE_VERSION = 1;
export const DEFAULT_SAMPLE_CAP = 50_000;
export const DISTINCT_CAP = 64;
export const TOP_K = 100;
export const FIXED_BINS = 30;

export type ProfileColumnType = 'int' | 'float' | 'bool' | 'category' | 'string' | 'timestamp' | 'score';

interface ColumnBase {
  type: ProfileColumnType;
  /** Non-null values. */
  count: number;
  nulls: number;
}

export interface NumericProfile extends ColumnBase {
  kind: 'numeric';
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Distinct non-null values, exact up to DISTINCT_CAP; DISTINCT_CAP + 1 means "more". */
  distinct: number;
  /** [value, count] ascending, when distinct ≤ DISTINCT_CAP. */
  values?: [number, number][];
  fixed: { edges: number[]; counts: number[] };
  quantile: { edges: number[]; counts: number[] };
  /** Ascending; all values when `exact`. */
  sample: { values: number[]; exact: boolean };
}

export interface CategoricalProfile extends ColumnBase {
  kind: 'categorical';
  distinct: number;
  /** [value, count], most frequent first (ties by value). */
  top: [string, number][];
  /** Values outside `top`. */
  other: number;
}

/** A column drift is not computed for (timestamps, or no value at all). */
export interface SkippedProfile extends ColumnBase {
  kind: 'skipped';
  reason: string;
}

export type ColumnProfile = NumericProfile | CategoricalProfile | SkippedProfile;

export interface ReferenceProfile {
  profileVersion: typeof PROFILE_VERSION;
  rows: number;
  sampleCap: number;
  seed: number;
  /** By feature ref (`view:feature`). */
  features: Record<string, ColumnProfile>;
  /** The model's scores on the split (positive-class probability or prediction), when known. */
  prediction?: ColumnProfile;
}

export type CellValue = number | string | boolean | bigint | Date | null | undefined;

export interface ProfileColumnInput {
  type: ProfileColumnType;
  values: ArrayLike<CellValue>;
}

export interface ProfileOptions {
  seed: number;
  sampleCap?: number;
}

const isNullish = (v: CellValue): v is null | undefined =>
  v == null || (typeof v === 'number' && Number.isNaN(v));

export function isNumericType(t: ProfileColumnType): boolean {
  return t === 'int' || t === 'float' || t === 'score';
}

/** Category key of a value, as profiles and current windows both write it. */
export function categoryKey(v: CellValue): string {
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** Profile one column. */
export function profileColumn(col: ProfileColumnInput, opts: ProfileOptions): ColumnProfile {
  const n = col.values.length;
  if (col.type === 'timestamp') {
    let nulls = 0;
    for (let i = 0; i < n; i++) if (isNullish(col.values[i])) nulls++;
    return {
      kind: 'skipped',
      type: col.type,
      count: n - nulls,
      nulls,
      reason: 'timestamps are not monitored',
    };
  }
  if (isNumericType(col.type)) {
    const xs: number[] = [];
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      if (isNullish(v)) nulls++;
      else xs.push(Number(v));
    }
    if (xs.length === 0)
      return { kind: 'skipped', type: col.type, count: 0, nulls, reason: 'no non-null value' };
    return profileNumeric(col.type, Float64Array.from(xs), nulls, opts);
  }
  const counts = new Map<string, number>();
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = col.values[i];
    if (isNullish(v)) nulls++;
    else {
      const k = categoryKey(v);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  if (counts.size === 0)
    return { kind: 'skipped', type: col.type, count: 0, nulls, reason: 'no non-null value' };
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const top = sorted.slice(0, TOP_K);
  const other = sorted.slice(TOP_K).reduce((s, [, c]) => s + c, 0);
  return { kind: 'categorical', type: col.type, count: n - nulls, nulls, distinct: counts.size, top, other };
}

/** Numeric profile from the non-null values (any order; sorted in place). */
export function profileNumeric(
  type: ProfileColumnType,
  xs: Float64Array,
  nulls: number,
  opts: ProfileOptions,
): NumericProfile {
  const cap = opts.sampleCap ?? DEFAULT_SAMPLE_CAP;
  // Sample before sorting: reservoir over the input order (Algorithm R, seeded).
  let sample: Float64Array;
  if (xs.length <= cap) sample = Float64Array.from(xs);
  else {
    const rng = new Rng(opts.seed);
    sample = xs.slice(0, cap);
    for (let i = cap; i < xs.length; i++) {
      const j = Math.floor(rng.next() * (i + 1));
      if (j < cap) sample[j] = xs[i]!;
    }
  }
  sample.sort();
  xs.sort();
  const { mean, std } = meanStd(xs);
  const min = xs[0]!;
  const max = xs[xs.length - 1]!;
  const values: [number, number][] = [];
  let distinct = 0;
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    distinct++;
    if (distinct <= DISTINCT_CAP) values.push([xs[i]!, j - i]);
    if (distinct > DISTINCT_CAP) break;
    i = j;
  }
  const fixedEdges = fixedEdgesFor(min, max);
  const qEdges = psiEdges(xs);
  return {
    kind: 'numeric',
    type,
    count: xs.length,
    nulls,
    mean,
    std,
    min,
    max,
    distinct,
    ...(distinct <= DISTINCT_CAP ? { values } : {}),
    fixed: { edges: fixedEdges, counts: binCountsSorted(xs, fixedEdges.slice(1, -1)) },
    quantile: { edges: qEdges, counts: binCountsSorted(xs, qEdges) },
    sample: { values: Array.from(sample), exact: xs.length <= cap },
  };
}

/** FIXED_BINS + 1 equal-width edges over [min, max] (numpy `histogram_bin_edges`). */
export function fixedEdgesFor(min: number, max: number, bins = FIXED_BINS): number[] {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) edges.push(lo + ((hi - lo) * i) / bins);
  return edges;
}

/** `profileFrom(rows)`: a reference profile from row objects, one column per declared feature. */
export function profileFrom(
  rows: readonly Record<string, CellValue>[],
  columns: Record<string, ProfileColumnType>,
  opts: ProfileOptions & { prediction?: string },
): ReferenceProfile {
  const features: Record<string, ColumnProfile> = {};
  let prediction: ColumnProfile | undefined;
  for (const [name, type] of Object.entries(columns)) {
    const p = profileColumn({ type, values: rows.map((r) => r[name]) }, opts);
    if (name === opts.prediction) prediction = p;
    else features[name] = p;
  }
  return {
    profileVersion: PROFILE_VERSION,
    rows: rows.length,
    sampleCap: opts.sampleCap ?? DEFAULT_SAMPLE_CAP,
    seed: opts.seed,
    features,
    ...(prediction ? { prediction } : {}),
  };
}
