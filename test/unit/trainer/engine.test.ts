import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { selectBackend } from '../../../src/trainer/tfjs/backend.ts';
import { fit, Network, type OptimizerName, type TrainData } from '../../../src/trainer/tfjs/engine.ts';
import type { NetworkPlan } from '../../../src/trainer/model-spec.ts';
import { buildLayersModel, setLayersWeights } from '../../../src/trainer/tfjs/artifact.ts';
import { Rng } from '../../../src/util/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

function data(plan: NetworkPlan, rows: number, seed: number): TrainData {
  const rng = new Rng(seed);
  const dense = Float32Array.from({ length: rows * plan.denseInputs }, () => rng.normal());
  const indices = plan.embeddings.map((e) =>
    Int32Array.from({ length: rows }, () => rng.int(0, e.vocab - 1)),
  );
  const target = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const s =
      dense[i * plan.denseInputs]! -
      (dense[i * plan.denseInputs + 1] ?? 0) +
      (indices[0] ? indices[0][i]! / 3 : 0);
    target[i] =
      plan.output.loss === 'mse'
        ? s + 0.1 * rng.normal()
        : plan.output.loss === 'binary-crossentropy'
          ? s > 0
            ? 1
            : 0
          : Math.min(plan.output.units - 1, Math.max(0, Math.floor(s + 1.5)));
  }
  return { rows, dense, indices, target };
}

/** The straightforward implementation: the same network as a tfjs LayersModel trained with model.fit. */
async function fitWithLayers(
  plan: NetworkPlan,
  init: Float32Array,
  d: TrainData,
  opts: { epochs: number; batchSize: number; lr: number; optimizer: OptimizerName },
) {
  const ref = new Network(plan, init);
  const model = buildLayersModel(plan);
  setLayersWeights(model, plan, ref.weights());
  ref.dispose();
  const loss =
    plan.output.loss === 'mse'
      ? 'meanSquaredError'
      : plan.output.loss === 'binary-crossentropy'
        ? 'binaryCrossentropy'
        : 'categoricalCrossentropy';
  model.compile({ optimizer: tf.train[opts.optimizer](opts.lr), loss });
  const xs: tf.Tensor[] = [];
  if (plan.denseInputs > 0) xs.push(tf.tensor2d(d.dense, [d.rows, plan.denseInputs]));
  for (const idx of d.indices) xs.push(tf.tensor2d(idx, [d.rows, 1], 'int32'));
  const ys =
    plan.output.activation === 'softmax'
      ? tf.oneHot(tf.tensor1d(d.target, 'int32'), plan.output.units).toFloat()
      : tf.tensor2d(d.target, [d.rows, 1]);
  await model.fit(xs.length === 1 ? xs[0]! : xs, ys, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    shuffle: false,
    verbose: 0,
  });
  const byName = new Map<string, Float32Array>();
  for (const w of model.weights) byName.set(w.originalName, w.read().dataSync() as Float32Array);
  model.dispose();
  return byName;
}

// tfjs has no UnsortedSegmentSum kernel on wasm, so model.fit cannot train an Embedding layer
// there; that case is compared on the pure-JS cpu backend (the engine itself uses scatterND).
const cases: [string, NetworkPlan, 'wasm' | 'cpu', OptimizerName][] = [
  [
    'binary MLP, fused ReLU',
    {
      denseInputs: 5,
      embeddings: [],
      hidden: [
        { units: 8, activation: 'relu', dropout: 0, batchNorm: false },
        { units: 6, activation: 'relu', dropout: 0, batchNorm: false },
      ],
      output: { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' },
    },
    'wasm',
    'adam',
  ],
  [
    'multiclass with batch norm and tanh',
    {
      denseInputs: 4,
      embeddings: [],
      hidden: [{ units: 7, activation: 'tanh', dropout: 0, batchNorm: true }],
      output: { units: 3, activation: 'softmax', loss: 'categorical-crossentropy' },
    },
    'wasm',
    'rmsprop',
  ],
  [
    'regression with an embedding and GELU',
    {
      denseInputs: 3,
      embeddings: [{ name: 'emb_0', vocab: 5, dim: 3 }],
      hidden: [{ units: 6, activation: 'gelu', dropout: 0, batchNorm: false }],
      output: { units: 1, activation: 'linear', loss: 'mse' },
    },
    'cpu',
    'adam',
  ],
  [
    'logistic regression (no hidden layer)',
    {
      denseInputs: 6,
      embeddings: [],
      hidden: [],
      output: { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' },
    },
    'wasm',
    'adagrad',
  ],
  [
    'SGD on a sigmoid MLP',
    {
      denseInputs: 4,
      embeddings: [],
      hidden: [{ units: 5, activation: 'sigmoid', dropout: 0, batchNorm: false }],
      output: { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' },
    },
    'wasm',
    'sgd',
  ],
];

describe('the hand-written training loop matches tfjs model.fit', () => {
  test.each(cases.map(([n, p, b, o]) => [`${n}, ${o}, on ${b}`, p, b, o] as const))(
    '%s',
    async (_name, plan, backend, optimizer) => {
      await selectBackend(backend);
      // GIVEN one network initialization and one batch order
      const init = Network.initialValues(plan, 7);
      const d = data(plan, 90, 3);
      // WHEN both implementations train 3 epochs of batches of 16 (the last one partial)
      const net = new Network(plan, init);
      await fit(net, d, {
        epochs: 3,
        batchSize: 16,
        accumulate: 1,
        optimizer,
        learningRate: () => 0.01,
        seed: 1,
        shuffle: false,
      });
      const ours = net.weights();
      const theirs = await fitWithLayers(plan, init, d, { epochs: 3, batchSize: 16, lr: 0.01, optimizer });
      net.dispose();
      // THEN every weight agrees (float32 rounding only), and training moved them
      for (const [name, w] of ours) {
        const other = theirs.get(name);
        expect(other, `${name} in the LayersModel`).toBeDefined();
        const maxDiff = Math.max(...Array.from(w.values, (x, i) => Math.abs(x - other![i]!)));
        expect(maxDiff, name).toBeLessThan(2e-4);
      }
      const moved = Math.max(
        ...Array.from(ours.get('output/kernel')!.values, (x, i) =>
          Math.abs(
            x -
              init[
                init.length -
                  plan.output.units *
                    (1 +
                      (plan.hidden.at(-1)?.units ??
                        plan.denseInputs + plan.embeddings.reduce((s, e) => s + e.dim, 0))) +
                  i
              ]!,
          ),
        ),
      );
      expect(moved).toBeGreaterThan(1e-3);
    },
  );
});
