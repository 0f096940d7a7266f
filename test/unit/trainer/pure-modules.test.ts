import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  classWeights,
  learningRateAt,
  planBatchSize,
  planNetwork,
  parameterCount,
} from '../../../src/trainer/model-spec.ts';
import {
  checkFeatureSchema,
  encodeRows,
  fitPreprocessing,
  type ColumnTable,
} from '../../../src/trainer/tfjs/preprocess.ts';
import { permutation, splitRows } from '../../../src/trainer/evaluation/split.ts';
import { makeModel, tfjsSpec } from './fixtures.ts';

const PURE = [
  'evaluation/split.ts',
  'evaluation/metrics.ts',
  'model-spec.ts',
  'tfjs/preprocess.ts',
  'evaluation/gates.ts',
];
test.each(PURE)('src/trainer/%s imports no I/O', (f) => {
  expect(readFileSync(join(import.meta.dirname, '../../../src/trainer', f), 'utf8')).not.toMatch(
    /from ['"](node:|@tensorflow|@duckdb|simple-git)/,
  );
});

describe('split', () => {
  test('time: the most recent rows are the holdout, validation just before it', () => {
    expect(splitRows(10, { method: 'time', holdout: 0.2, validation: 0.25 }, 1)).toEqual({
      train: [0, 1, 2, 3, 4, 5],
      validation: [6, 7],
      holdout: [8, 9],
    });
  });
  test('random: seeded, disjoint, covering, and stable for a seed', () => {
    const a = splitRows(100, { method: 'random', holdout: 0.2, validation: 0.1 }, 7);
    expect(splitRows(100, { method: 'random', holdout: 0.2, validation: 0.1 }, 7)).toEqual(a);
    expect(splitRows(100, { method: 'random', holdout: 0.2, validation: 0.1 }, 8).holdout).not.toEqual(
      a.holdout,
    );
    expect([...a.train, ...a.validation, ...a.holdout].sort((x, y) => x - y)).toEqual(
      permutation(100, 1).sort((x, y) => x - y),
    );
    expect([a.holdout.length, a.validation.length, a.train.length]).toEqual([20, 8, 72]);
  });
  test('tiny sets keep a training row', () => {
    expect(splitRows(2, { method: 'time', holdout: 0.5, validation: 0.5 }, 1)).toEqual({
      train: [0],
      validation: [],
      holdout: [1],
    });
  });
});

describe('preprocessing', () => {
  const model = makeModel({
    features: [
      { view: 'v', name: 'x', type: 'float' },
      { view: 'v', name: 'c', type: 'category' },
    ],
  });
  const feats = [
    { ref: 'v:x', column: 'v__x', type: 'float' as const },
    { ref: 'v:c', column: 'v__c', type: 'category' as const },
  ];
  const table: ColumnTable = {
    rows: 6,
    numeric: new Map([['v__x', Float64Array.from([1, 3, Number.NaN, 5, 100, Number.NaN])]]),
    text: new Map([['v__c', ['a', 'b', 'a', null, 'zzz', 'never-seen']]]),
    label: [0, 1, 0, 1, 1, 0],
  };
  const pre = fitPreprocessing(model, feats, table, [0, 1, 2, 3], 'onehot');

  test('is fitted on the training rows only', () => {
    expect(pre.numeric[0]).toMatchObject({ mean: 3, std: Math.sqrt(8 / 3), indicator: true });
    expect(pre.categories[0]!.categories).toEqual(['a', 'b']);
    expect(pre.label).toEqual({ kind: 'binary', classes: [0, 1] });
    expect(pre.denseWidth).toBe(1 + 1 + 3);
  });

  test('imputes the mean with an indicator; unseen and null categories go to the other slot', () => {
    const enc = encodeRows(pre, table, [2, 4, 5]);
    const rows = [0, 1, 2].map((i) => Array.from(enc.dense.subarray(i * 5, i * 5 + 5)));
    expect(rows[0]).toEqual([0, 1, 1, 0, 0]);
    expect(rows[1]![0]).toBeCloseTo(97 / Math.sqrt(8 / 3), 4);
    expect(rows[1]!.slice(1)).toEqual([0, 0, 0, 1]);
    expect(rows[2]).toEqual([0, 1, 0, 0, 1]);
  });

  test('the feature schema check names the difference', () => {
    expect(checkFeatureSchema(feats, feats)).toBeUndefined();
    expect(checkFeatureSchema(feats, [feats[0]!])).toMatch(/feature v:c is missing/);
    expect(checkFeatureSchema(feats, [...feats, { ref: 'v:y', column: 'v__y', type: 'int' }])).toMatch(
      /unexpected feature\(s\) v:y/,
    );
  });

  test('the layer plan follows the spec and the fitted widths', () => {
    const plan = planNetwork(
      model,
      tfjsSpec({
        architecture: { type: 'mlp', hidden: [8, 4], activation: 'tanh', dropout: 0.1, batchNorm: false },
      }),
      pre,
    );
    expect(plan).toEqual({
      denseInputs: 5,
      embeddings: [],
      hidden: [
        { units: 8, activation: 'tanh', dropout: 0.1, batchNorm: false },
        { units: 4, activation: 'tanh', dropout: 0.1, batchNorm: false },
      ],
      output: { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' },
    });
    expect(parameterCount(plan)).toBe(5 * 8 + 8 + 8 * 4 + 4 + 4 + 1);
  });
});

describe('training schedule', () => {
  test('learning-rate schedules', () => {
    const base = { learningRate: 0.1, epochs: 10 };
    expect(learningRateAt({ ...base, schedule: { type: 'constant' } }, 7)).toBe(0.1);
    expect(learningRateAt({ ...base, schedule: { type: 'step', decay: 0.5, every: 3 } }, 7)).toBeCloseTo(
      0.025,
      12,
    );
    expect(learningRateAt({ ...base, schedule: { type: 'exponential', decay: 0.9 } }, 2)).toBeCloseTo(
      0.081,
      12,
    );
    expect(learningRateAt({ ...base, schedule: { type: 'cosine' } }, 0)).toBe(0.1);
    expect(learningRateAt({ ...base, schedule: { type: 'cosine' } }, 5)).toBeCloseTo(0.05, 12);
  });
  test('automatic batch size: about 50 batches, a power of two in [32, 1024]', () => {
    const plan = {
      denseInputs: 20,
      embeddings: [],
      hidden: [{ units: 64, activation: 'relu' as const, dropout: 0, batchNorm: false }],
      output: { units: 1, activation: 'sigmoid' as const, loss: 'binary-crossentropy' as const },
    };
    expect(planBatchSize('auto', 1000, plan)).toBe(32);
    expect(planBatchSize('auto', 13_000, plan)).toBe(256);
    expect(planBatchSize('auto', 10_000_000, plan)).toBe(1024);
    expect(planBatchSize(512, 100, plan)).toBe(100);
  });
  test('class weights: balanced like sklearn, or by class label', () => {
    expect(classWeights('balanced', [0, 1], [0, 0, 0, 1])).toEqual([4 / 6, 2]);
    expect(classWeights({ yes: 5 }, ['no', 'yes'], [0, 1])).toEqual([1, 5]);
    expect(() => classWeights({ maybe: 2 }, ['no', 'yes'], [0, 1])).toThrow(
      /classWeights names "maybe", which is not a class/,
    );
  });
});
