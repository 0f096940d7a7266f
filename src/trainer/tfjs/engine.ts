// The tfjs training loop. A hand-written forward and backward pass over the layer plan instead
// of `model.fit`/autograd: on the wasm backend per-op overhead dominates small MLPs, and
// transposed matMuls take a slow path there, so the backward pass uses explicit transposes,
// fused matMul+bias+ReLU, column sums as matMuls with a row of ones, and one optimizer update
// over a single flat parameter vector. test/unit/trainer/engine.test.ts checks it against
// tfjs `model.fit` step for step; the trained weights are exported to a tfjs LayersModel.
import { tf } from './tf.ts';
import { Rng } from '../../util/rng.ts';
import type { Activation, NetworkPlan } from '../model-spec.ts';
import { inputWidth } from '../model-spec.ts';
import { transposeOnes } from './kernels.ts';
import { shuffleInPlace } from '../evaluation/split.ts';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';

export interface TrainData {
  rows: number;
  /** rows × plan.denseInputs, row-major. */
  dense: Float32Array;
  /** One index column per embedding. */
  indices: Int32Array[];
  /** Class index (classification) or standardized value (regression). */
  target: Float32Array;
  /** Per-row loss weight (class weights); 1 when absent. */
  weight?: Float32Array;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  loss: number;
  metric?: { name: string; value: number };
  samplesPerSecond: number;
  learningRate: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Gradient accumulation: one optimizer step every `accumulate` batches. */
  accumulate: number;
  optimizer: OptimizerName;
  learningRate: (epoch: number) => number;
  seed: number;
  /** Shuffle the rows every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Early stopping on a validation metric; the best epoch's weights are restored. */
  earlyStopping?: {
    data: TrainData;
    metric: string;
    lowerIsBetter: boolean;
    patience: number;
    score: (net: Network, data: TrainData) => number;
    /** Never stop before this many epochs. */
    minEpochs?: number;
    /**
     * Lower is better; breaks ties of `score`. A saturated metric (validation AUC 1.0 on a few
     * rows) would otherwise keep the first epoch that reached it, however underfit.
     */
    tiebreak?: (net: Network, data: TrainData) => number;
  };
  onEpoch?: (e: EpochInfo) => void;
  signal?: AbortSignal;
}

export interface FitResult {
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Why training ended where it did, for the lock and the apply output. */
  stopReason: string;
  history: { epoch: number; loss: number; metric?: number }[];
  samplesPerSecond: number;
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

interface ParamSpec {
  name: string;
  shape: number[];
  size: number;
}

const BN_EPSILON = 1e-3; // tfjs-layers BatchNormalization defaults
const BN_MOMENTUM = 0.99;
const FUSABLE: ReadonlySet<Activation> = new Set(['relu', 'linear']);

/** Elementwise activations, as tfjs-layers defines them (so exported models agree). */
function activate(act: Activation, z: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(z);
    case 'linear':
      return z;
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'elu':
      return tf.elu(z);
    case 'selu':
      return tf.selu(z);
    case 'gelu':
      return tf.mul(z, tf.mul(0.5, tf.add(1, tf.erf(tf.div(z, Math.SQRT2)))));
    case 'swish':
      return tf.mul(tf.sigmoid(z), z);
  }
}

/** dL/dz from dL/dh for h = act(z). */
function activationGrad(act: Activation, z: tf.Tensor, h: tf.Tensor, dh: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.mul(dh, tf.step(h));
    case 'linear':
      return dh;
    case 'tanh':
      return tf.mul(dh, tf.sub(1, tf.square(h)));
    case 'sigmoid':
      return tf.mul(dh, tf.mul(h, tf.sub(1, h)));
    default:
      return tf.grad((x: tf.Tensor) => activate(act, x))(z, dh);
  }
}

/** Batch normalization's moving statistics of one layer, [1, units] each. */
interface BatchNormStats {
  mean: tf.Tensor2D;
  variance: tf.Tensor2D;
}

interface LayerCache {
  input: tf.Tensor2D;
  /** [input | 1]ᵀ when known without an op (the first layer's, built on the host). */
  inputT?: tf.Tensor2D;
  z?: tf.Tensor2D;
  zn?: tf.Tensor2D;
  invStd?: tf.Tensor2D;
  h: tf.Tensor2D;
  mask?: tf.Tensor2D;
}

interface Batch {
  size: number;
  dense?: tf.Tensor2D;
  /** [dense | 1]ᵀ: (width + 1) × B. */
  denseT?: tf.Tensor2D;
  indices: tf.Tensor1D[];
  /** Binary / regression: [B, 1]; multiclass: one-hot [B, K]. */
  y: tf.Tensor2D;
  /** weight / B per row, [B, 1]; or the scalar 1 / B. */
  wB: tf.Tensor2D | number;
  ones: tf.Tensor2D;
}

/**
 * A network's parameters as one flat vector (so the optimizer is a handful of ops per step,
 * not a handful per weight matrix), plus batch-norm moving statistics.
 */
export class Network {
  readonly params: ParamSpec[] = [];
  flat: tf.Tensor1D;
  bnStats: BatchNormStats[] = [];

  constructor(
    readonly plan: NetworkPlan,
    init: Float32Array,
  ) {
    const add = (name: string, shape: number[]): void =>
      void this.params.push({ name, shape, size: shape.reduce((a, b) => a * b, 1) });
    plan.embeddings.forEach((e) => add(`${e.name}/embeddings`, [e.vocab, e.dim]));
    let width = inputWidth(plan);
    plan.hidden.forEach((h, i) => {
      add(`hidden_${i}/kernel`, [width, h.units]);
      if (h.batchNorm) {
        add(`bn_${i}/gamma`, [1, h.units]);
        add(`bn_${i}/beta`, [1, h.units]);
        this.bnStats.push({
          mean: tf.keep(tf.zeros([1, h.units])),
          variance: tf.keep(tf.ones([1, h.units])),
        });
      } else add(`hidden_${i}/bias`, [h.units]);
      width = h.units;
    });
    add('output/kernel', [width, plan.output.units]);
    add('output/bias', [plan.output.units]);
    const total = this.params.reduce((s, p) => s + p.size, 0);
    if (init.length !== total)
      throw new Error(`init has ${init.length} values; the network has ${total} parameters`);
    this.flat = tf.keep(tf.tensor1d(init));
  }

  get size(): number {
    return this.flat.size;
  }

  /** Seeded initialization: Glorot-uniform kernels, zero biases, U(−0.05, 0.05) embeddings
   *  (the Keras defaults); rows fed by an "other" category slot start at 0 so an unseen value
   *  contributes nothing unless training saw rare values there. */
  static initialValues(plan: NetworkPlan, seed: number, zeroInputRows: readonly number[] = []): Float32Array {
    const rng = new Rng(seed);
    const out: number[] = [];
    const uniform = (n: number, limit: number): void => {
      for (let i = 0; i < n; i++) out.push((rng.next() * 2 - 1) * limit);
    };
    for (const e of plan.embeddings) {
      const start = out.length;
      uniform(e.vocab * e.dim, 0.05);
      for (let d = 0; d < e.dim; d++) out[start + (e.vocab - 1) * e.dim + d] = 0;
    }
    let width = inputWidth(plan);
    let first = true;
    const kernel = (fanIn: number, fanOut: number): void => {
      const start = out.length;
      uniform(fanIn * fanOut, Math.sqrt(6 / (fanIn + fanOut)));
      if (first)
        for (const r of zeroInputRows) for (let c = 0; c < fanOut; c++) out[start + r * fanOut + c] = 0;
      first = false;
    };
    for (const h of plan.hidden) {
      kernel(width, h.units);
      if (h.batchNorm) out.push(...new Array<number>(h.units).fill(1), ...new Array<number>(h.units).fill(0));
      else out.push(...new Array<number>(h.units).fill(0));
      width = h.units;
    }
    kernel(width, plan.output.units);
    out.push(...new Array<number>(plan.output.units).fill(0));
    return Float32Array.from(out);
  }

  /** The parameters as shaped tensors (inside a tidy). */
  views(): tf.Tensor[] {
    return tf
      .split(
        this.flat,
        this.params.map((p) => p.size),
      )
      .map((t, i) => t.reshape(this.params[i]!.shape));
  }

  /** Forward pass; `training` uses batch statistics and dropout masks from `rng`. */
  forward(
    v: tf.Tensor[],
    batch: Pick<Batch, 'size' | 'dense' | 'denseT' | 'indices' | 'ones'>,
    training: boolean,
    rng?: Rng,
    updateStats = false,
  ): { logits: tf.Tensor2D; caches: LayerCache[]; input: tf.Tensor2D } {
    // Parameters come in the order the constructor declares them: the embeddings, then per hidden
    // layer its kernel and either gamma and beta (batch norm) or a bias, then the output layer.
    const input = this.inputOf(v, batch);
    let k = this.plan.embeddings.length;
    let a = input;
    // The first layer's [input | 1]ᵀ is built on the host when the input is the dense block alone.
    let aT = this.plan.embeddings.length === 0 ? batch.denseT : undefined;
    const caches: LayerCache[] = [];
    let bn = 0;
    for (const h of this.plan.hidden) {
      const w = v[k++] as tf.Tensor2D;
      const cache: LayerCache = { input: a, inputT: aT, h: a };
      if (h.batchNorm) {
        const gamma = v[k++] as tf.Tensor2D;
        const beta = v[k++] as tf.Tensor2D;
        const stats = this.bnStats[bn++]!;
        Object.assign(
          cache,
          batchNormLayer(h, a, w, gamma, beta, stats, batch, training && updateStats, training),
        );
      } else Object.assign(cache, denseLayer(h, a, w, v[k++]!));
      a = cache.h;
      if (training && h.dropout > 0 && rng) {
        cache.mask = dropoutMask(rng, h.dropout, batch.size, h.units);
        a = tf.mul(a, cache.mask);
      }
      // The next layer's input (for its weight gradient) is the post-dropout activation.
      aT = undefined;
      caches.push(cache);
    }
    const wOut = v[k++] as tf.Tensor2D;
    const bOut = v[k++]!;
    const logits = tf.fused.matMul({ a, b: wOut, bias: bOut }) as tf.Tensor2D;
    caches.push({ input: a, inputT: aT, h: logits });
    return { logits, caches, input };
  }

  /** The first layer's input: the dense block, then each embedding's rows, side by side. */
  private inputOf(v: tf.Tensor[], batch: Pick<Batch, 'dense' | 'indices'>): tf.Tensor2D {
    const parts: tf.Tensor2D[] = [];
    if (batch.dense) parts.push(batch.dense);
    for (const [i] of this.plan.embeddings.entries())
      parts.push(tf.gather(v[i]!, batch.indices[i]!) as tf.Tensor2D);
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
  }

  /**
   * Gradients in parameter order, given dL/dlogits. A dense layer's kernel and bias are adjacent
   * in the flat vector, so one matMul [aᵀ; 1] · dz yields both (its entry covers the two slots;
   * the bias slot stays undefined).
   */
  backward(
    v: tf.Tensor[],
    batch: Pick<Batch, 'size' | 'indices' | 'ones'>,
    caches: LayerCache[],
    dLogits: tf.Tensor2D,
  ): (tf.Tensor | undefined)[] {
    const grads: (tf.Tensor | undefined)[] = new Array<tf.Tensor | undefined>(v.length);
    const nEmb = this.plan.embeddings.length;
    const kernelIndex: number[] = [];
    let k = nEmb;
    for (const h of this.plan.hidden) {
      kernelIndex.push(k);
      k += h.batchNorm ? 3 : 2;
    }
    const outIndex = k;
    // dL/dinput is needed below a layer unless it is the first and there is no embedding to train.
    const needInputGrad = (layer: number): boolean => layer > 0 || nEmb > 0;
    const wT = (i: number): tf.Tensor2D => transposeOnes(v[i] as tf.Tensor2D, false);

    const outCache = caches[caches.length - 1]!;
    const last = this.plan.hidden.length;
    grads[outIndex] = tf.matMul(inputTranspose(outCache), dLogits);
    let d: tf.Tensor2D | undefined = needInputGrad(last)
      ? tf.matMul<tf.Tensor2D>(dLogits, wT(outIndex))
      : undefined;

    for (let i = last - 1; i >= 0; i--) {
      const h = this.plan.hidden[i]!;
      const c = caches[i]!;
      const dh = c.mask ? tf.mul<tf.Tensor2D>(d!, c.mask) : d!;
      const ki = kernelIndex[i]!;
      let dz: tf.Tensor2D;
      if (h.batchNorm) {
        const g = batchNormGrads(h, c, v[ki + 1] as tf.Tensor2D, batch, dh);
        [grads[ki], grads[ki + 1], grads[ki + 2], dz] = [g.kernel, g.gamma, g.beta, g.dz];
      } else {
        dz = activationGrad(h.activation, c.z ?? c.h, c.h, dh) as tf.Tensor2D;
        grads[ki] = tf.matMul(inputTranspose(c), dz);
      }
      d = needInputGrad(i) ? tf.matMul<tf.Tensor2D>(dz, wT(ki)) : undefined;
    }
    if (nEmb > 0) this.embeddingGrads(d!, batch).forEach((g, j) => (grads[j] = g));
    return grads;
  }

  /** Split dL/dinput into the dense block and each embedding's columns; scatter-add the rows. */
  private embeddingGrads(dInput: tf.Tensor2D, batch: Pick<Batch, 'size' | 'indices'>): tf.Tensor[] {
    const widths = [this.plan.denseInputs, ...this.plan.embeddings.map((e) => e.dim)].filter(
      (w, i) => i > 0 || w > 0,
    );
    const parts = widths.length === 1 ? [dInput] : tf.split(dInput, widths, 1);
    const offset = this.plan.denseInputs > 0 ? 1 : 0;
    return this.plan.embeddings.map((e, j) =>
      tf.scatterND(batch.indices[j]!.reshape([batch.size, 1]), parts[j + offset]!, [e.vocab, e.dim]),
    );
  }

  /** Output probabilities (classification) or standardized values (regression), row-major. */
  predict(data: Pick<TrainData, 'rows' | 'dense' | 'indices'>, chunk = 8192): Float32Array {
    const out = new Float32Array(data.rows * this.plan.output.units);
    for (let start = 0; start < data.rows; start += chunk) {
      const n = Math.min(chunk, data.rows - start);
      const vals = tf.tidy(() => {
        const v = this.views();
        const batch = makeBatchTensors(this.plan, data, null, start, n);
        const { logits } = this.forward(v, batch, false);
        return outputActivation(this.plan, logits).dataSync() as Float32Array;
      });
      out.set(vals, start * this.plan.output.units);
    }
    return out;
  }

  /** Host copies of every tensor, by name (parameters, then batch-norm statistics). */
  weights(): Map<string, { shape: number[]; values: Float32Array }> {
    const flat = this.flat.dataSync() as Float32Array;
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    let off = 0;
    for (const p of this.params) {
      out.set(p.name, { shape: p.shape, values: flat.slice(off, off + p.size) });
      off += p.size;
    }
    let bn = 0;
    this.plan.hidden.forEach((h, i) => {
      if (!h.batchNorm) return;
      const s = this.bnStats[bn++]!;
      out.set(`bn_${i}/moving_mean`, { shape: [h.units], values: s.mean.dataSync() as Float32Array });
      out.set(`bn_${i}/moving_variance`, { shape: [h.units], values: s.variance.dataSync() as Float32Array });
    });
    return out;
  }

  snapshot(): { flat: tf.Tensor1D; bn: BatchNormStats[] } {
    return {
      flat: tf.keep(this.flat.clone()),
      bn: this.bnStats.map((s) => ({ mean: tf.keep(s.mean.clone()), variance: tf.keep(s.variance.clone()) })),
    };
  }

  restore(s: { flat: tf.Tensor1D; bn: BatchNormStats[] }): void {
    this.flat.dispose();
    this.flat = s.flat;
    this.bnStats.forEach((b) => (b.mean.dispose(), b.variance.dispose()));
    this.bnStats = s.bn;
  }

  dispose(): void {
    this.flat.dispose();
    this.bnStats.forEach((b) => (b.mean.dispose(), b.variance.dispose()));
  }
}

function outputActivation(plan: NetworkPlan, logits: tf.Tensor2D): tf.Tensor {
  switch (plan.output.activation) {
    case 'sigmoid':
      return tf.sigmoid(logits);
    case 'softmax':
      return tf.softmax(logits);
    case 'linear':
      return logits;
  }
}

type HiddenLayer = NetworkPlan['hidden'][number];

/** [input | 1]ᵀ for a layer's weight gradient: the host-built one when there is one. */
function inputTranspose(c: LayerCache): tf.Tensor2D {
  return c.inputT ?? transposeOnes(c.input, true);
}

/** A dense layer: one fused matMul + bias (+ ReLU when the activation fuses). */
function denseLayer(
  h: HiddenLayer,
  a: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor,
): Pick<LayerCache, 'z' | 'h'> {
  if (FUSABLE.has(h.activation))
    return {
      h: tf.fused.matMul({
        a,
        b: w,
        bias: b,
        activation: h.activation === 'relu' ? 'relu' : 'linear',
      }) as tf.Tensor2D,
    };
  const z = tf.fused.matMul({ a, b: w, bias: b }) as tf.Tensor2D;
  return { z, h: activate(h.activation, z) as tf.Tensor2D };
}

/**
 * A dense layer with batch normalization (no bias: beta takes its place). Training normalizes
 * with the batch's statistics; inference with the moving ones.
 */
function batchNormLayer(
  h: HiddenLayer,
  a: tf.Tensor2D,
  w: tf.Tensor2D,
  gamma: tf.Tensor2D,
  beta: tf.Tensor2D,
  stats: BatchNormStats,
  batch: Pick<Batch, 'size' | 'ones'>,
  training: boolean,
  updateStats: boolean,
): Pick<LayerCache, 'z' | 'zn' | 'invStd' | 'h'> {
  const z = tf.matMul<tf.Tensor2D>(a, w);
  const { mean, variance } = training ? batchStatistics(z, stats, batch, updateStats) : stats;
  const invStd = tf.rsqrt(tf.add<tf.Tensor2D>(variance, BN_EPSILON));
  const zn = tf.mul<tf.Tensor2D>(tf.sub(z, mean), invStd);
  const y = tf.add<tf.Tensor2D>(tf.mul(zn, gamma), beta);
  return { z: y, zn, invStd, h: activate(h.activation, y) as tf.Tensor2D };
}

/** The batch's mean and variance; with `updateStats`, moves the moving statistics toward them. */
function batchStatistics(
  z: tf.Tensor2D,
  stats: BatchNormStats,
  batch: Pick<Batch, 'size' | 'ones'>,
  updateStats: boolean,
): BatchNormStats {
  const mean = tf.mul<tf.Tensor2D>(tf.matMul(batch.ones, z), 1 / batch.size);
  const centered = tf.sub(z, mean);
  const variance = tf.mul<tf.Tensor2D>(tf.matMul(batch.ones, tf.square(centered)), 1 / batch.size);
  if (updateStats) {
    // Kept: the moving statistics outlive the tidy the forward pass runs in.
    const m = tf.keep(tf.sub<tf.Tensor2D>(stats.mean, tf.mul(tf.sub(stats.mean, mean), 1 - BN_MOMENTUM)));
    const s = tf.keep(
      tf.sub<tf.Tensor2D>(stats.variance, tf.mul(tf.sub(stats.variance, variance), 1 - BN_MOMENTUM)),
    );
    stats.mean.dispose();
    stats.variance.dispose();
    stats.mean = m;
    stats.variance = s;
  }
  return { mean, variance };
}

/** Inverted dropout: each unit is kept with probability 1 − rate and scaled by 1 / (1 − rate). */
function dropoutMask(rng: Rng, rate: number, rows: number, units: number): tf.Tensor2D {
  const keep = 1 - rate;
  const m = new Float32Array(rows * units);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < keep ? 1 / keep : 0;
  return tf.tensor2d(m, [rows, units]);
}

/** A batch-norm layer's gradients (kernel, gamma, beta) and dL/dz, given dL/dh. */
function batchNormGrads(
  h: HiddenLayer,
  c: LayerCache,
  gamma: tf.Tensor2D,
  batch: Pick<Batch, 'size' | 'ones'>,
  dh: tf.Tensor2D,
): { kernel: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor; dz: tf.Tensor2D } {
  const dy = activationGrad(h.activation, c.z!, c.h, dh) as tf.Tensor2D;
  const dGamma = tf.matMul(batch.ones, tf.mul(dy, c.zn!));
  const dBeta = tf.matMul(batch.ones, dy);
  const dzn = tf.mul<tf.Tensor2D>(dy, gamma);
  const sumDzn = tf.matMul(batch.ones, dzn);
  const sumDznZn = tf.matMul(batch.ones, tf.mul(dzn, c.zn!));
  const dz = tf.mul<tf.Tensor2D>(
    tf.mul(tf.sub(tf.sub(tf.mul(dzn, batch.size), sumDzn), tf.mul(c.zn!, sumDznZn)), c.invStd!),
    1 / batch.size,
  );
  const aT = inputTranspose(c);
  // The host-built transpose carries a ones row; a batch-norm layer has no bias to use it.
  const kernel = tf.matMul(
    aT.shape[0] === c.input.shape[1] ? aT : tf.slice(aT, [0, 0], [c.input.shape[1], batch.size]),
    dz,
  );
  return { kernel, gamma: dGamma, beta: dBeta, dz };
}

const onesCache = new Map<string, tf.Tensor2D>();
function onesRow(n: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${n}`;
  let t = onesCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.ones<tf.Rank.R2>([1, n]));
    onesCache.set(key, t);
  }
  return t;
}

/** Copy rows `order[start..start+n)` (or `start..start+n` when order is null) into batch tensors. */
function makeBatchTensors(
  plan: NetworkPlan,
  data: Pick<TrainData, 'dense' | 'indices'>,
  order: Int32Array | null,
  start: number,
  n: number,
  withTranspose = false,
): Pick<Batch, 'size' | 'dense' | 'denseT' | 'indices' | 'ones'> {
  const w = plan.denseInputs;
  let dense: tf.Tensor2D | undefined;
  let denseT: tf.Tensor2D | undefined;
  if (w > 0) {
    if (order === null && !withTranspose)
      dense = tf.tensor2d(data.dense.subarray(start * w, (start + n) * w), [n, w]);
    else {
      const x = new Float32Array(n * w);
      const xt = withTranspose ? new Float32Array((w + 1) * n) : undefined;
      for (let i = 0; i < n; i++) {
        const r = order ? order[start + i]! : start + i;
        const src = r * w;
        for (let j = 0; j < w; j++) {
          const val = data.dense[src + j]!;
          x[i * w + j] = val;
          if (xt) xt[j * n + i] = val;
        }
      }
      dense = tf.tensor2d(x, [n, w]);
      if (xt) {
        xt.fill(1, w * n);
        denseT = tf.tensor2d(xt, [w + 1, n]);
      }
    }
  }
  const indices = data.indices.map((col) => {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = col[order ? order[start + i]! : start + i]!;
    return tf.tensor1d(idx, 'int32');
  });
  return { size: n, dense, denseT, indices, ones: onesRow(n) };
}

function makeTargets(
  plan: NetworkPlan,
  data: TrainData,
  order: Int32Array,
  start: number,
  n: number,
): Pick<Batch, 'y' | 'wB'> {
  const k = plan.output.units;
  const y = new Float32Array(n * (plan.output.activation === 'softmax' ? k : 1));
  for (let i = 0; i < n; i++) {
    const t = data.target[order[start + i]!]!;
    if (plan.output.activation === 'softmax') y[i * k + t] = 1;
    else y[i] = t;
  }
  let wB: tf.Tensor2D | number = 1 / n;
  if (data.weight) {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = data.weight[order[start + i]!]! / n;
    wB = tf.tensor2d(w, [n, 1]);
  }
  return { y: tf.tensor2d(y, [n, plan.output.activation === 'softmax' ? k : 1]), wB };
}

/** dL/dlogits and the batch's summed loss (weighted mean over the batch, like Keras). */
function lossAndGrad(
  plan: NetworkPlan,
  logits: tf.Tensor2D,
  y: tf.Tensor2D,
  wB: tf.Tensor2D | number,
): { dLogits: tf.Tensor2D; loss: tf.Scalar } {
  switch (plan.output.loss) {
    case 'binary-crossentropy': {
      const dLogits = tf.mul<tf.Tensor2D>(tf.sub(tf.sigmoid(logits), y), wB);
      const loss = tf.sum<tf.Scalar>(tf.mul(tf.sub(tf.softplus(logits), tf.mul(logits, y)), wB));
      return { dLogits, loss };
    }
    case 'categorical-crossentropy': {
      const dLogits = tf.mul<tf.Tensor2D>(tf.sub(tf.softmax(logits), y), wB);
      const perRow = tf.sub(tf.logSumExp(logits, 1, true), tf.sum(tf.mul(logits, y), 1, true));
      return { dLogits, loss: tf.sum<tf.Scalar>(tf.mul(perRow, wB)) };
    }
    case 'mse': {
      const diff = tf.sub(logits, y);
      return {
        dLogits: tf.mul<tf.Tensor2D>(diff, tf.mul(wB, 2)),
        loss: tf.sum<tf.Scalar>(tf.mul(tf.square(diff), wB)),
      };
    }
  }
}

/** Flat-vector optimizers with tfjs's update rules (tf.train.adam / sgd / rmsprop / adagrad defaults). */
class FlatOptimizer {
  private t = 0;
  private s1?: tf.Tensor1D;
  private s2?: tf.Tensor1D;
  constructor(
    readonly name: OptimizerName,
    size: number,
  ) {
    if (name === 'adam') {
      this.s1 = tf.keep(tf.zeros([size]));
      this.s2 = tf.keep(tf.zeros([size]));
    } else if (name === 'rmsprop') this.s1 = tf.keep(tf.zeros([size]));
    else if (name === 'adagrad') this.s1 = tf.keep(tf.fill([size], 0.1));
  }

  /** The new parameter vector (kept); the old one and old state are disposed. */
  step(params: tf.Tensor1D, g: tf.Tensor1D, lr: number): tf.Tensor1D {
    const eps = 1e-7;
    this.t++;
    const [next, s1, s2] = tf.tidy(() => {
      switch (this.name) {
        case 'sgd':
          return [tf.sub(params, tf.mul(g, lr)), undefined, undefined];
        case 'adam': {
          const b1 = 0.9,
            b2 = 0.999;
          const m = tf.add(tf.mul(this.s1!, b1), tf.mul(g, 1 - b1));
          const v = tf.add(tf.mul(this.s2!, b2), tf.mul(tf.square(g), 1 - b2));
          const mHat = tf.mul(m, lr / (1 - b1 ** this.t));
          const vHat = tf.mul(v, 1 / (1 - b2 ** this.t));
          return [tf.sub(params, tf.div(mHat, tf.add(tf.sqrt(vHat), eps))), m, v];
        }
        case 'rmsprop': {
          const ms = tf.add(tf.mul(this.s1!, 0.9), tf.mul(tf.square(g), 0.1));
          return [tf.sub(params, tf.div(tf.mul(g, lr), tf.sqrt(tf.add(ms, eps)))), ms, undefined];
        }
        case 'adagrad': {
          const acc = tf.add(this.s1!, tf.square(g));
          return [tf.sub(params, tf.mul(tf.div(g, tf.sqrt(tf.add(acc, eps))), lr)), acc, undefined];
        }
      }
    }) as [tf.Tensor1D, tf.Tensor1D | undefined, tf.Tensor1D | undefined];
    params.dispose();
    if (s1) {
      this.s1!.dispose();
      this.s1 = s1;
    }
    if (s2) {
      this.s2!.dispose();
      this.s2 = s2;
    }
    return next;
  }

  dispose(): void {
    this.s1?.dispose();
    this.s2?.dispose();
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Train `net` in place: epochs of (shuffled) batches, with early stopping when asked. */
export async function fit(net: Network, data: TrainData, opts: FitOptions): Promise<FitResult> {
  const rng = new Rng(opts.seed ^ 0x5bd1e995);
  const order = new Int32Array(data.rows);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const opt = new FlatOptimizer(opts.optimizer, net.size);
  const es = opts.earlyStopping;
  const best = new BestEpoch();
  const history: FitResult['history'] = [];
  let stoppedEarly = false;
  let totalMs = 0;
  let epoch = 0;
  try {
    for (; epoch < opts.epochs; epoch++) {
      if (opts.shuffle ?? true) shuffleInPlace(order, rng);
      const lr = opts.learningRate(epoch);
      const { loss, ms } = await runEpoch({ net, data, order, rng, opt, opts }, lr);
      totalMs += ms;
      if (!Number.isFinite(loss))
        throw new Error(
          `training diverged: the loss is ${loss} at epoch ${epoch + 1} (lower the learning rate?)`,
        );
      const metric = es ? best.score(es, net, epoch) : undefined;
      history.push({ epoch: epoch + 1, loss, metric });
      opts.onEpoch?.({
        epoch: epoch + 1,
        epochs: opts.epochs,
        loss,
        metric: es && metric !== undefined ? { name: es.metric, value: metric } : undefined,
        samplesPerSecond: (data.rows / ms) * 1000,
        learningRate: lr,
      });
      await yieldToEventLoop();
      if (es && epoch + 1 >= (es.minEpochs ?? 1) && epoch - best.epoch >= es.patience) {
        stoppedEarly = true;
        epoch++;
        break;
      }
    }
  } finally {
    opt.dispose();
  }
  best.restoreInto(net);
  const ran = Math.min(epoch, opts.epochs);
  return {
    epochs: ran,
    bestEpoch: es ? best.epoch + 1 : ran,
    stoppedEarly,
    stopReason: stopReason(es, ran, stoppedEarly, best),
    history,
    samplesPerSecond: totalMs > 0 ? ((ran * data.rows) / totalMs) * 1000 : 0,
  };
}

interface EpochContext {
  net: Network;
  data: TrainData;
  /** The row order of this epoch. */
  order: Int32Array;
  /** Dropout masks. */
  rng: Rng;
  opt: FlatOptimizer;
  opts: Pick<FitOptions, 'batchSize' | 'accumulate' | 'signal'>;
}

/**
 * One pass over the rows: a gradient per batch, summed over `accumulate` batches and averaged
 * into one optimizer step. Returns the mean batch loss and the time the pass took.
 */
async function runEpoch(ctx: EpochContext, lr: number): Promise<{ loss: number; ms: number }> {
  const { data, opts } = ctx;
  const accumulate = Math.max(1, opts.accumulate);
  const t0 = performance.now();
  let lastYield = t0;
  let lossSum: tf.Scalar = tf.keep(tf.scalar(0));
  let gAcc: tf.Tensor1D | undefined;
  let inAcc = 0;
  for (let start = 0; start < data.rows; start += opts.batchSize) {
    if (opts.signal?.aborted) throw new AbortedError('training was aborted');
    const n = Math.min(opts.batchSize, data.rows - start);
    const sums = tf.tidy(() => {
      const { grad, loss } = batchGradient(ctx, start, n);
      return { g: gAcc ? tf.add<tf.Tensor1D>(gAcc, grad) : grad, loss: tf.add<tf.Scalar>(lossSum, loss) };
    });
    gAcc?.dispose();
    lossSum.dispose();
    lossSum = sums.loss;
    gAcc = sums.g;
    inAcc++;
    if (inAcc === accumulate || start + n >= data.rows) {
      optimizerStep(ctx, gAcc, inAcc, lr);
      gAcc = undefined;
      inAcc = 0;
    }
    // Let timers and I/O run (progress output, an abort signal) during a long epoch.
    if (performance.now() - lastYield > 200) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  const ms = performance.now() - t0;
  const batches = Math.ceil(data.rows / opts.batchSize);
  const loss = (lossSum.dataSync()[0] ?? Number.NaN) / batches;
  lossSum.dispose();
  return { loss, ms };
}

/** Rows `order[start..start+n)`: their summed weighted loss and its gradient as one flat vector (in a tidy). */
function batchGradient(ctx: EpochContext, start: number, n: number): { grad: tf.Tensor1D; loss: tf.Scalar } {
  const { net, data, order } = ctx;
  const batch = {
    ...makeBatchTensors(net.plan, data, order, start, n, true),
    ...makeTargets(net.plan, data, order, start, n),
  };
  const v = net.views();
  const { logits, caches } = net.forward(v, batch, true, ctx.rng, true);
  const { dLogits, loss } = lossAndGrad(net.plan, logits, batch.y, batch.wB);
  const grads = net.backward(v, batch, caches, dLogits);
  const grad = tf.concat(grads.filter((x) => x !== undefined).map((x) => x.reshape([-1]))) as tf.Tensor1D;
  return { grad, loss };
}

/** One optimizer update with the mean of `batches` accumulated gradients; disposes `gradSum`. */
function optimizerStep(ctx: EpochContext, gradSum: tf.Tensor1D, batches: number, lr: number): void {
  const step = batches === 1 ? gradSum : tf.tidy(() => tf.mul<tf.Tensor1D>(gradSum, 1 / batches));
  ctx.net.flat = ctx.opt.step(ctx.net.flat, step, lr);
  if (step !== gradSum) step.dispose();
  gradSum.dispose();
}

/** Early stopping's memory: the best epoch by the validation metric, and a copy of its weights. */
class BestEpoch {
  epoch = -1;
  value = Number.NaN;
  tie = Number.POSITIVE_INFINITY;
  private snap?: ReturnType<Network['snapshot']>;

  /** Score the network after `epoch`; keep its weights when it is the best so far. */
  score(es: NonNullable<FitOptions['earlyStopping']>, net: Network, epoch: number): number {
    const metric = es.score(net, es.data);
    const tie = es.tiebreak ? es.tiebreak(net, es.data) : Number.POSITIVE_INFINITY;
    const strictly = es.lowerIsBetter ? metric < this.value : metric > this.value;
    const better = Number.isNaN(this.value) || strictly || (metric === this.value && tie < this.tie);
    if (better) {
      this.snap?.flat.dispose();
      this.snap?.bn.forEach((b) => (b.mean.dispose(), b.variance.dispose()));
      this.epoch = epoch;
      this.value = metric;
      this.tie = tie;
      this.snap = net.snapshot();
    }
    return metric;
  }

  /** Put the best epoch's weights back (nothing when no epoch was scored). */
  restoreInto(net: Network): void {
    if (this.snap) net.restore(this.snap);
    this.snap = undefined;
  }
}

/** Why training ended where it did, for the lock and the apply output. */
function stopReason(
  es: FitOptions['earlyStopping'],
  ran: number,
  stoppedEarly: boolean,
  best: BestEpoch,
): string {
  if (!es) return `ran all ${ran} epochs`;
  const kept = `kept epoch ${best.epoch + 1}`;
  return stoppedEarly
    ? `stopped after epoch ${ran}: validation ${es.metric} did not improve for ${es.patience} epoch(s); ${kept} (${es.metric} ${round6(best.value)})`
    : `ran all ${ran} epochs; ${kept} (validation ${es.metric} ${round6(best.value)})`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
