// Model → layer plan and the training schedule (batch size, learning rate per epoch, class
// weights). Pure: no tfjs here, so the plan can be tested and shown without a backend.
import type { Model, TfjsTrainerSpec } from '../compiler/desired-state.ts';
import { classKey, type ClassValue, type Preprocessing } from './tfjs/preprocess.ts';

export type Activation = 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'gelu' | 'swish' | 'linear';
export type Loss = 'binary-crossentropy' | 'categorical-crossentropy' | 'mse';

export interface HiddenLayerPlan {
  units: number;
  activation: Activation;
  dropout: number;
  /** Dense (no bias) → batch norm → activation, instead of dense → activation. */
  batchNorm: boolean;
}

export interface NetworkPlan {
  /** Width of the dense input block. */
  denseInputs: number;
  /** One embedding per category feature when `categorical` is `embedding`. */
  embeddings: { name: string; vocab: number; dim: number }[];
  hidden: HiddenLayerPlan[];
  output: { units: number; activation: 'sigmoid' | 'softmax' | 'linear'; loss: Loss };
}

export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
}

const ACTIVATIONS: ReadonlySet<string> = new Set([
  'relu',
  'elu',
  'selu',
  'tanh',
  'sigmoid',
  'gelu',
  'swish',
  'linear',
]);

/** The layers for a model, given the fitted preprocessing (which fixes the input widths). */
export function planNetwork(model: Model, spec: TfjsTrainerSpec, pre: Preprocessing): NetworkPlan {
  const a = spec.architecture;
  if (!ACTIVATIONS.has(a.activation))
    throw new ModelSpecError(
      `model ${model.name}: activation ${JSON.stringify(a.activation)} is not supported (use ${[...ACTIVATIONS].join(', ')})`,
    );
  const hidden =
    a.type === 'linear'
      ? []
      : a.hidden.map((units) => ({
          units,
          activation: a.activation as Activation,
          dropout: a.dropout,
          batchNorm: a.batchNorm,
        }));
  const output: NetworkPlan['output'] =
    pre.label.kind === 'binary'
      ? { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' }
      : pre.label.kind === 'multiclass'
        ? { units: pre.label.classes.length, activation: 'softmax', loss: 'categorical-crossentropy' }
        : { units: 1, activation: 'linear', loss: 'mse' };
  const embeddings =
    pre.categorical === 'embedding'
      ? pre.categories.map((c, i) => ({
          name: `emb_${i}`,
          vocab: c.categories.length + 1,
          dim: c.embeddingDim ?? 2,
        }))
      : [];
  if (pre.denseWidth + embeddings.length === 0)
    throw new ModelSpecError(`model ${model.name} has no input features`);
  return { denseInputs: pre.denseWidth, embeddings, hidden, output };
}

/** Width of the first dense layer's input: the dense block plus every embedding. */
export function inputWidth(plan: NetworkPlan): number {
  return plan.denseInputs + plan.embeddings.reduce((s, e) => s + e.dim, 0);
}

export function parameterCount(plan: NetworkPlan): number {
  let n = plan.embeddings.reduce((s, e) => s + e.vocab * e.dim, 0);
  let width = inputWidth(plan);
  for (const h of plan.hidden) {
    n += width * h.units + (h.batchNorm ? 4 * h.units : h.units);
    width = h.units;
  }
  return n + width * plan.output.units + plan.output.units;
}

/**
 * `auto`: about 50 batches per epoch, a power of two in [32, 1024], and no larger than keeps a
 * batch's activations under ~32 MB.
 */
export function planBatchSize(batchSize: number | 'auto', trainRows: number, plan: NetworkPlan): number {
  if (batchSize !== 'auto') return Math.max(1, Math.min(batchSize, Math.max(1, trainRows)));
  const widest = Math.max(inputWidth(plan), ...plan.hidden.map((h) => h.units), plan.output.units);
  const byMemory = Math.floor((32 * 2 ** 20) / (4 * 4 * widest));
  let b = 32;
  while (b * 2 <= Math.min(1024, byMemory) && b * 2 * 50 <= trainRows) b *= 2;
  return Math.max(1, Math.min(b, trainRows));
}

/**
 * Learning rate for an epoch (0-based). `step`: × decay (default 0.5) every `every` (default 10)
 * epochs; `exponential`: × decay (default 0.95) per `every` (default 1) epochs; `cosine`: from
 * the base rate to 0 over the run.
 */
export function learningRateAt(
  spec: Pick<TfjsTrainerSpec, 'learningRate' | 'schedule' | 'epochs'>,
  epoch: number,
): number {
  const s = spec.schedule;
  const lr = spec.learningRate;
  switch (s.type) {
    case 'constant':
      return lr;
    case 'step':
      return lr * (s.decay ?? 0.5) ** Math.floor(epoch / (s.every ?? 10));
    case 'exponential':
      return lr * (s.decay ?? 0.95) ** (epoch / (s.every ?? 1));
    case 'cosine':
      return spec.epochs <= 1 ? lr : 0.5 * lr * (1 + Math.cos((Math.PI * epoch) / spec.epochs));
  }
}

/**
 * Per-class loss weights (index → weight). `balanced` is sklearn's n / (k · n_c); a map gives a
 * weight per class label (unlisted classes weigh 1).
 */
export function classWeights(
  spec: TfjsTrainerSpec['classWeights'],
  classes: readonly ClassValue[],
  targets: ArrayLike<number>,
): number[] | undefined {
  if (spec == null) return undefined;
  if (spec === 'balanced') {
    const counts = new Array<number>(classes.length).fill(0);
    for (let i = 0; i < targets.length; i++) counts[targets[i]!]!++;
    return counts.map((c) => (c === 0 ? 1 : targets.length / (classes.length * c)));
  }
  const known = new Map(classes.map((c, i) => [classKey(c), i]));
  for (const k of Object.keys(spec))
    if (!known.has(k))
      throw new ModelSpecError(
        `classWeights names ${JSON.stringify(k)}, which is not a class (classes: ${classes.map((c) => JSON.stringify(c)).join(', ')})`,
      );
  return classes.map((c) => spec[classKey(c)] ?? 1);
}
