// The ModelRuntime for tfjs artifacts: load a stored version (every file digest-verified, its
// feature schema checked against the Model), apply the preprocessing stored with it, predict.
// Also the shared conversion of request feature values into the columns a model reads, with an
// error that names the field when a value has the wrong type.
import type { ArtifactRef, ArtifactStore } from '../artifacts/port.ts';
import type { FeatureType, Model } from '../compiler/desired-state.ts';
import { featureColumnName } from '../store/port.ts';
import { isNumericType, type ColumnTable, type FeatureRef } from './preprocess.ts';
import type { FeatureRow, LoadedModel, ModelRuntime, Prediction } from './runtime.ts';
import { loadTfjsModel, type TfjsModel } from './tfjs-artifact.ts';

/** A request's feature value of the wrong type (or unknown): serving answers 400 naming `field`. */
export class FeatureValueError extends Error {
  override name = 'FeatureValueError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The feature schema a Model is served with: ref, training-set column, type, in model order. */
export function modelFeatureRefs(model: Model): FeatureRef[] {
  return model.features.map((f) => ({ ref: f.ref, column: featureColumnName(f.ref), type: f.type }));
}

/**
 * One numeric input as training read it: int/float as the number, bool as 0/1, timestamp as
 * epoch seconds (ISO text or a number of seconds), null/absent as NaN (imputed downstream).
 */
export function numericValue(ref: string, type: FeatureType, v: unknown, row: number): number {
  if (v == null) return Number.NaN;
  const bad = (): never => {
    throw new FeatureValueError(
      ref,
      `feature ${ref}${row > 0 ? ` (instance ${row})` : ''} must be ${type === 'timestamp' ? 'an ISO-8601 time or epoch seconds' : `a ${type}`}; got ${JSON.stringify(v)}`,
    );
  };
  if (type === 'bool') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v === 0 || v === 1) return v;
    return bad();
  }
  if (type === 'timestamp') {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t / 1000;
    }
    return bad();
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (type === 'int' && !Number.isInteger(v)) return bad();
    return v;
  }
  return bad();
}

/** A category/string input as training read it (DuckDB's CAST AS VARCHAR); null when absent. */
export function textValue(ref: string, v: unknown, row: number): string | null {
  if (v == null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FeatureValueError(
    ref,
    `feature ${ref}${row > 0 ? ` (instance ${row})` : ''} must be text; got ${JSON.stringify(v)}`,
  );
}

/** Rows of feature values → the column table the preprocessing reads. */
export function toColumnTable(
  features: readonly FeatureRef[],
  rows: readonly FeatureRow[],
): Pick<ColumnTable, 'numeric' | 'text'> {
  const numeric = new Map<string, Float64Array>();
  const text = new Map<string, (string | null)[]>();
  for (const f of features) {
    if (isNumericType(f.type)) {
      const col = new Float64Array(rows.length);
      rows.forEach((r, i) => (col[i] = numericValue(f.ref, f.type, r[f.ref], i)));
      numeric.set(f.column, col);
    } else
      text.set(
        f.column,
        rows.map((r, i) => textValue(f.ref, r[f.ref], i)),
      );
  }
  return { numeric, text };
}

class LoadedTfjs implements LoadedModel {
  readonly features: readonly { ref: string; type: string }[];
  private readonly rowIndex: number[] = [];
  constructor(
    readonly model: string,
    readonly version: number,
    readonly digest: string,
    private readonly tfjs: TfjsModel,
  ) {
    this.features = tfjs.features.map((f) => ({ ref: f.ref, type: f.type }));
  }

  predict(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    try {
      return Promise.resolve(this.predictSync(rows));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** Synchronous: serving calls it in the request's own tick. */
  predictSync(rows: readonly FeatureRow[]): Prediction[] {
    if (rows.length === 0) return [];
    while (this.rowIndex.length < rows.length) this.rowIndex.push(this.rowIndex.length);
    const table = toColumnTable(this.tfjs.features, rows);
    const out = this.tfjs.predict(table, this.rowIndex.slice(0, rows.length));
    const label = this.tfjs.manifest.preprocessing.label;
    if (label.kind === 'multiclass') {
      const k = label.classes.length;
      return rows.map((_, i) => {
        const probabilities = Array.from(out.subarray(i * k, i * k + k));
        let best = 0;
        for (let j = 1; j < k; j++) if (probabilities[j]! > probabilities[best]!) best = j;
        return { score: probabilities[best]!, label: label.classes[best]!, probabilities };
      });
    }
    if (label.kind === 'binary')
      return rows.map((_, i) => {
        const p = out[i]!;
        return { score: p, label: label.classes[p >= 0.5 ? 1 : 0] };
      });
    return rows.map((_, i) => ({ score: out[i]! }));
  }

  dispose(): void {
    this.tfjs.dispose();
  }
}

export class TfjsRuntime implements ModelRuntime {
  constructor(private readonly store: ArtifactStore) {}

  async load(
    model: Model,
    version: number,
    artifact: ArtifactRef,
  ): Promise<LoadedModel & { predictSync(rows: readonly FeatureRow[]): Prediction[] }> {
    const tfjs = await loadTfjsModel(this.store, artifact, modelFeatureRefs(model));
    return new LoadedTfjs(model.name, version, artifact.digest, tfjs);
  }
}
