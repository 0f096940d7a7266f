// The ModelRuntime for tfjs artifacts: load a stored version (every file digest-verified, its
// feature schema checked against the Model), apply the preprocessing stored with it, predict.
// Also the shared conversion of request feature values into the columns a model reads, with an
// error that names the field when a value has the wrong type.
import type { ArtifactRef, ArtifactStore } from '../../artifacts/port.ts';
import type { FeatureType, Model } from '../../compiler/desired-state.ts';
import { featureColumnName } from '../../store/port.ts';
import { tf } from './tf.ts';
import type { NetworkPlan } from '../model-spec.ts';
import { encodeRows, isNumericType, type ColumnTable, type FeatureRef } from './preprocess.ts';
import type { FeatureRow, LoadedModel, ModelRuntime, Prediction } from '../runtime.ts';
import { loadTfjsModel, type TfjsModel } from './artifact.ts';

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

const ACT: Record<string, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  swish: (x) => x / (1 + Math.exp(-x)),
  linear: (x) => x,
};

interface DenseWeights {
  kernel: Float32Array;
  bias?: Float32Array;
  inputs: number;
  units: number;
}

/**
 * The network of a tfjs artifact evaluated in plain JavaScript, for serving: the layers API costs
 * milliseconds per call in fixed overhead, a 30→32→16→1 network a few microseconds of arithmetic.
 * Built from the LayersModel's own weights and checked against tfjs's predictions at load
 * (`agreesWithTfjs`); a network it does not know (an activation it lacks) is left to tfjs.
 */
export class JsForward {
  private constructor(
    private readonly plan: NetworkPlan,
    private readonly embeddings: Float32Array[],
    private readonly hidden: {
      dense: DenseWeights;
      bn?: { scale: Float32Array; shift: Float32Array };
      act: (x: number) => number;
    }[],
    private readonly output: DenseWeights,
  ) {}

  static from(layers: tf.LayersModel, plan: NetworkPlan): JsForward | undefined {
    if (!plan.hidden.every((h) => h.activation in ACT)) return undefined;
    const w = (layer: string): Float32Array[] =>
      layers
        .getLayer(layer)
        .getWeights()
        .map((t) => t.dataSync() as Float32Array);
    const embeddings = plan.embeddings.map((e) => w(e.name)[0]!);
    let width = plan.denseInputs + plan.embeddings.reduce((n, e) => n + e.dim, 0);
    const hidden = plan.hidden.map((h, i) => {
      const [kernel, bias] = w(`hidden_${i}`);
      const dense: DenseWeights = {
        kernel: kernel!,
        ...(h.batchNorm ? {} : { bias: bias! }),
        inputs: width,
        units: h.units,
      };
      width = h.units;
      let bn: { scale: Float32Array; shift: Float32Array } | undefined;
      if (h.batchNorm) {
        const [gamma, beta, mean, variance] = w(`bn_${i}`);
        const scale = new Float32Array(h.units);
        const shift = new Float32Array(h.units);
        for (let j = 0; j < h.units; j++) {
          scale[j] = gamma![j]! / Math.sqrt(variance![j]! + 1e-3);
          shift[j] = beta![j]! - mean![j]! * scale[j]!;
        }
        bn = { scale, shift };
      }
      return { dense, ...(bn ? { bn } : {}), act: ACT[h.activation]! };
    });
    const [kernel, bias] = w('output');
    return new JsForward(plan, embeddings, hidden, {
      kernel: kernel!,
      bias: bias!,
      inputs: width,
      units: plan.output.units,
    });
  }

  /** Row-major n × output units. */
  run(rows: number, dense: Float32Array, indices: readonly Int32Array[]): Float32Array {
    const p = this.plan;
    const width0 = p.denseInputs + p.embeddings.reduce((n, e) => n + e.dim, 0);
    const out = new Float32Array(rows * p.output.units);
    let a = new Float64Array(width0);
    for (let r = 0; r < rows; r++) {
      if (a.length !== width0) a = new Float64Array(width0);
      for (let j = 0; j < p.denseInputs; j++) a[j] = dense[r * p.denseInputs + j]!;
      let off = p.denseInputs;
      p.embeddings.forEach((e, k) => {
        const idx = indices[k]![r]!;
        const table = this.embeddings[k]!;
        for (let d = 0; d < e.dim; d++) a[off + d] = table[idx * e.dim + d]!;
        off += e.dim;
      });
      let x: Float64Array = a;
      for (const h of this.hidden) {
        const y = dense1(x, h.dense);
        for (let j = 0; j < y.length; j++) {
          const v = h.bn ? y[j]! * h.bn.scale[j]! + h.bn.shift[j]! : y[j]!;
          y[j] = h.act(v);
        }
        x = y;
      }
      const z = dense1(x, this.output);
      if (p.output.activation === 'sigmoid')
        for (let j = 0; j < z.length; j++) z[j] = 1 / (1 + Math.exp(-z[j]!));
      else if (p.output.activation === 'softmax') {
        let m = -Infinity;
        for (const v of z) m = Math.max(m, v);
        let sum = 0;
        for (let j = 0; j < z.length; j++) sum += z[j] = Math.exp(z[j]! - m);
        for (let j = 0; j < z.length; j++) z[j] = z[j]! / sum;
      }
      out.set(z, r * p.output.units);
    }
    return out;
  }
}

function dense1(x: Float64Array, d: DenseWeights): Float64Array {
  const y = new Float64Array(d.units);
  if (d.bias) for (let j = 0; j < d.units; j++) y[j] = d.bias[j]!;
  for (let i = 0; i < d.inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * d.units;
    for (let j = 0; j < d.units; j++) y[j] = y[j]! + xi * d.kernel[row + j]!;
  }
  return y;
}

/** Compare the JS forward pass with tfjs on random inputs; true when every output is within 1e-4. */
export function agreesWithTfjs(fwd: JsForward, model: TfjsModel, seed = 1): boolean {
  const plan = model.manifest.plan;
  const n = 32;
  let s = seed >>> 0;
  const rand = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const dense = Float32Array.from({ length: n * plan.denseInputs }, () => (rand() - 0.5) * 4);
  const indices = plan.embeddings.map((e) =>
    Int32Array.from({ length: n }, () => Math.floor(rand() * e.vocab)),
  );
  const expected = tf.tidy(() => {
    const inputs: tf.Tensor[] = [];
    if (plan.denseInputs > 0) inputs.push(tf.tensor2d(dense, [n, plan.denseInputs]));
    for (const idx of indices) inputs.push(tf.tensor2d(idx, [n, 1], 'int32'));
    return (
      model.layers.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor
    ).dataSync() as Float32Array;
  });
  const got = fwd.run(n, dense, indices);
  return (
    got.length === expected.length &&
    got.every((v, i) => Math.abs(v - expected[i]!) <= 1e-4 * Math.max(1, Math.abs(expected[i]!)))
  );
}

class LoadedTfjs implements LoadedModel {
  readonly format = 'tfjs';
  readonly features: readonly { ref: string; type: string }[];
  private readonly rowIndex: number[] = [];
  constructor(
    readonly model: string,
    readonly version: number,
    readonly digest: string,
    private readonly tfjs: TfjsModel,
    /** The plain-JS forward pass, when it agreed with tfjs at load. */
    readonly fast: JsForward | undefined,
  ) {
    this.features = tfjs.features.map((f) => ({ ref: f.ref, type: f.type }));
  }

  predict(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    try {
      return Promise.resolve(this.predictSync(rows));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Synchronous: serving calls it in the request's own tick. */
  predictSync(rows: readonly FeatureRow[]): Prediction[] {
    if (rows.length === 0) return [];
    while (this.rowIndex.length < rows.length) this.rowIndex.push(this.rowIndex.length);
    const table = toColumnTable(this.tfjs.features, rows);
    const index = this.rowIndex.slice(0, rows.length);
    const pre = this.tfjs.manifest.preprocessing;
    let out: Float32Array;
    if (this.fast) {
      const enc = encodeRows(pre, table, index);
      out = this.fast.run(enc.rows, enc.dense, enc.indices);
      if (pre.label.kind === 'regression')
        for (let i = 0; i < out.length; i++) out[i] = out[i]! * pre.label.std + pre.label.mean;
    } else out = this.tfjs.predict(table, index);
    const label = pre.label;
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
    const fwd = JsForward.from(tfjs.layers, tfjs.manifest.plan);
    return new LoadedTfjs(
      model.name,
      version,
      artifact.digest,
      tfjs,
      fwd && agreesWithTfjs(fwd, tfjs) ? fwd : undefined,
    );
  }
}
