// Preprocessing learned on the training split only and saved with the model: standardization
// of numeric features, missing values imputed with the training mean plus an indicator column,
// categories as one-hot columns or embedding indices with an "other" slot for rare and unseen
// values, and the label's encoding. Pure: it works on columns already read into memory.
import type { FeatureType, Model } from '../../compiler/desired-state.ts';

/** A training set's columns in memory. Numeric columns use NaN for null. */
export interface ColumnTable {
  rows: number;
  numeric: ReadonlyMap<string, Float64Array>;
  text: ReadonlyMap<string, readonly (string | null)[]>;
  /** The raw `__label` values. */
  label: readonly unknown[];
}

export interface FeatureRef {
  ref: string;
  column: string;
  type: FeatureType;
}

export interface NumericEncoding extends FeatureRef {
  kind: 'numeric';
  mean: number;
  /** Never 0: a constant feature keeps std 1 and encodes to 0. */
  std: number;
  /** A 0/1 "was missing" column follows the numeric block when the training split had nulls. */
  indicator: boolean;
}

export interface CategoryEncoding extends FeatureRef {
  kind: 'category';
  /** Known values; index i encodes as slot i, anything else (rare, unseen, null) as slot `categories.length`. */
  categories: string[];
  /** Embedding width when `categorical` is `embedding`. */
  embeddingDim?: number;
}

export type LabelEncoding =
  | { kind: 'binary'; classes: [ClassValue, ClassValue] }
  | { kind: 'multiclass'; classes: ClassValue[] }
  | { kind: 'regression'; mean: number; std: number };

export type ClassValue = string | number | boolean;

export interface Preprocessing {
  version: 1;
  categorical: 'onehot' | 'embedding';
  /** Every model feature, in `model.features` order: the schema a model is served with. */
  features: FeatureRef[];
  numeric: NumericEncoding[];
  categories: CategoryEncoding[];
  label: LabelEncoding;
  /** Width of the dense input: numeric, indicators, and one-hot blocks when categorical is onehot. */
  denseWidth: number;
}

/** Encoded rows: a row-major dense matrix, and one index column per embedded category. */
export interface EncodedRows {
  rows: number;
  dense: Float32Array;
  indices: Int32Array[];
}

export class PreprocessError extends Error {
  override name = 'PreprocessError';
}

/** Categories kept per feature (most frequent first); the rest share the "other" slot. */
export const MAX_CATEGORIES = 256;

export const isNumericType = (t: FeatureType): boolean =>
  t === 'int' || t === 'float' || t === 'bool' || t === 'timestamp';

/** Learn the preprocessing from the training rows of `table`. */
export function fitPreprocessing(
  model: Model,
  features: readonly FeatureRef[],
  table: ColumnTable,
  trainRows: readonly number[],
  categorical: 'onehot' | 'embedding',
): Preprocessing {
  if (trainRows.length === 0) throw new PreprocessError('the training split is empty');
  const numeric: NumericEncoding[] = [];
  const categories: CategoryEncoding[] = [];
  for (const f of features) {
    if (isNumericType(f.type)) {
      const col = table.numeric.get(f.column);
      if (!col) throw new PreprocessError(`column ${f.column} (feature ${f.ref}) was not read as numeric`);
      let n = 0,
        sum = 0,
        missing = 0;
      for (const r of trainRows) {
        const v = col[r]!;
        if (Number.isNaN(v)) missing++;
        else {
          n++;
          sum += v;
        }
      }
      const mean = n === 0 ? 0 : sum / n;
      let ss = 0;
      for (const r of trainRows) {
        const v = col[r]!;
        if (!Number.isNaN(v)) ss += (v - mean) ** 2;
      }
      // Population std, like sklearn's StandardScaler.
      const std = n === 0 ? 1 : Math.sqrt(ss / n);
      numeric.push({
        ...pick(f),
        kind: 'numeric',
        mean,
        std: std > 1e-12 && Number.isFinite(std) ? std : 1,
        indicator: missing > 0,
      });
    } else {
      const col = table.text.get(f.column);
      if (!col) throw new PreprocessError(`column ${f.column} (feature ${f.ref}) was not read as text`);
      const counts = new Map<string, number>();
      for (const r of trainRows) {
        const v = col[r];
        if (v != null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const kept = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, MAX_CATEGORIES)
        .map(([v]) => v);
      const enc: CategoryEncoding = { ...pick(f), kind: 'category', categories: kept };
      if (categorical === 'embedding') enc.embeddingDim = embeddingDim(kept.length + 1);
      categories.push(enc);
    }
  }
  const label = fitLabel(model, table.label, trainRows);
  const indicators = numeric.filter((n) => n.indicator).length;
  const oneHot = categorical === 'onehot' ? categories.reduce((s, c) => s + c.categories.length + 1, 0) : 0;
  return {
    version: 1,
    categorical,
    features: features.map(pick),
    numeric,
    categories,
    label,
    denseWidth: numeric.length + indicators + oneHot,
  };
}

function pick(f: FeatureRef): FeatureRef {
  return { ref: f.ref, column: f.column, type: f.type };
}

/** fastai's rule of thumb, capped at 50. */
export function embeddingDim(cardinality: number): number {
  return Math.max(2, Math.min(50, Math.round(1.6 * cardinality ** 0.56)));
}

function fitLabel(model: Model, values: readonly unknown[], trainRows: readonly number[]): LabelEncoding {
  if (model.task === 'regression') {
    let sum = 0,
      n = 0;
    for (const r of trainRows) {
      sum += regressionTarget(values[r], r);
      n++;
    }
    const mean = sum / n;
    let ss = 0;
    for (const r of trainRows) ss += (regressionTarget(values[r], r) - mean) ** 2;
    const std = Math.sqrt(ss / n);
    return { kind: 'regression', mean, std: std > 1e-12 ? std : 1 };
  }
  let classes: ClassValue[];
  if (model.label.classes) classes = [...model.label.classes];
  else {
    const seen = new Map<string, ClassValue>();
    for (const r of trainRows) {
      const v = classValue(values[r], r);
      seen.set(classKey(v), v);
    }
    classes = [...seen.values()].sort(compareClass);
  }
  if (model.task === 'binary-classification') {
    if (classes.length !== 2)
      throw new PreprocessError(
        `a binary-classification label needs exactly 2 classes; the training split has ${classes.length}: ${classes
          .slice(0, 5)
          .map((c) => JSON.stringify(c))
          .join(', ')}`,
      );
    return { kind: 'binary', classes: [classes[0]!, classes[1]!] };
  }
  if (classes.length < 2)
    throw new PreprocessError(
      `a multiclass-classification label needs at least 2 classes; the training split has ${classes.length}`,
    );
  return { kind: 'multiclass', classes };
}

function compareClass(a: ClassValue, b: ClassValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a),
    y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Label values compare by their text, so 1 (int) and 1.0 (double) and "1" are one class. */
export function classKey(v: ClassValue): string {
  return String(v);
}

function classValue(v: unknown, row: number): ClassValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new PreprocessError(`row ${row}: label is ${v == null ? 'null' : typeof v}; every row needs a label`);
}

function regressionTarget(v: unknown, row: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n))
    throw new PreprocessError(
      `row ${row}: regression label ${JSON.stringify(String(v))} is not a finite number`,
    );
  return n;
}

/**
 * Targets for the rows: class index (classification) or the standardized value (regression).
 * A label outside the known classes is an error naming the row.
 */
export function encodeLabels(
  pre: Preprocessing,
  values: readonly unknown[],
  rows: readonly number[],
): Float32Array {
  const out = new Float32Array(rows.length);
  const l = pre.label;
  if (l.kind === 'regression') {
    rows.forEach((r, i) => (out[i] = (regressionTarget(values[r], r) - l.mean) / l.std));
    return out;
  }
  const index = new Map(l.classes.map((c, i) => [classKey(c), i]));
  rows.forEach((r, i) => {
    const v = classValue(values[r], r);
    const k = index.get(classKey(v));
    if (k === undefined)
      throw new PreprocessError(
        `row ${r}: label ${JSON.stringify(v)} is not one of the classes ${l.classes.map((c) => JSON.stringify(c)).join(', ')}`,
      );
    out[i] = k;
  });
  return out;
}

/** Raw label values for metrics: class indices, or the value itself for regression. */
export function labelTargets(
  pre: Preprocessing,
  values: readonly unknown[],
  rows: readonly number[],
): Float64Array {
  if (pre.label.kind === 'regression') return Float64Array.from(rows, (r) => regressionTarget(values[r], r));
  return Float64Array.from(encodeLabels(pre, values, rows));
}

/** Encode rows for the network. Works on any table with the feature columns (training or serving). */
export function encodeRows(
  pre: Preprocessing,
  table: Pick<ColumnTable, 'numeric' | 'text'>,
  rows: readonly number[],
): EncodedRows {
  const n = rows.length;
  const w = pre.denseWidth;
  const dense = new Float32Array(n * w);
  let col = 0;
  const indicatorBase = pre.numeric.length;
  let ind = 0;
  for (const e of pre.numeric) {
    const src = table.numeric.get(e.column);
    if (!src) throw new PreprocessError(`column ${e.column} (feature ${e.ref}) is missing`);
    const indCol = e.indicator ? indicatorBase + ind++ : -1;
    for (let i = 0; i < n; i++) {
      const v = src[rows[i]!]!;
      if (Number.isNaN(v)) {
        dense[i * w + col] = 0; // the training mean, standardized
        if (indCol >= 0) dense[i * w + indCol] = 1;
      } else dense[i * w + col] = (v - e.mean) / e.std;
    }
    col++;
  }
  col = indicatorBase + ind;
  const indices: Int32Array[] = [];
  for (const e of pre.categories) {
    const src = table.text.get(e.column);
    if (!src) throw new PreprocessError(`column ${e.column} (feature ${e.ref}) is missing`);
    const slot = new Map(e.categories.map((c, i) => [c, i]));
    const other = e.categories.length;
    if (pre.categorical === 'onehot') {
      for (let i = 0; i < n; i++) {
        const v = src[rows[i]!];
        dense[i * w + col + (v == null ? other : (slot.get(v) ?? other))] = 1;
      }
      col += other + 1;
    } else {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[rows[i]!];
        idx[i] = v == null ? other : (slot.get(v) ?? other);
      }
      indices.push(idx);
    }
  }
  return { rows: n, dense, indices };
}

/**
 * The serving-side check: a model is only ever fed the features it was trained on. Returns a
 * message naming the first difference, or undefined when the schemas agree.
 */
export function checkFeatureSchema(
  expected: readonly FeatureRef[],
  actual: readonly FeatureRef[],
): string | undefined {
  const byRef = new Map(actual.map((f) => [f.ref, f]));
  for (const f of expected) {
    const a = byRef.get(f.ref);
    if (!a)
      return `feature ${f.ref} is missing (the model was trained on ${expected.map((e) => e.ref).join(', ')})`;
    if (a.type !== f.type) return `feature ${f.ref} is ${a.type}; the model was trained on ${f.type}`;
  }
  if (actual.length !== expected.length) {
    const extra = actual.filter((a) => !expected.some((e) => e.ref === a.ref)).map((a) => a.ref);
    return `unexpected feature(s) ${extra.join(', ')}: the model was trained on ${expected.map((e) => e.ref).join(', ')}`;
  }
  return undefined;
}
