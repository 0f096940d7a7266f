import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalArtifactStore } from '../../../src/artifacts/local.ts';
import type { TrainingSet } from '../../../src/store/port.ts';
import { TfjsTrainer } from '../../../src/trainer/tfjs/trainer.ts';
import { TrainerError, type TrainProgress } from '../../../src/trainer/trainer.ts';
import { Rng } from '../../../src/util/rng.ts';
import {
  churnFeatures,
  churnRows,
  makeModel,
  tfjsSpec,
  writeTrainingSet,
  type FeatureDef,
} from './fixtures.ts';

let dir: string;
let store: LocalArtifactStore;
let churn: TrainingSet;
const quiet = { progress: 'none' as const };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rudder-tfjs-'));
  store = new LocalArtifactStore(join(dir, 'artifacts'));
  churn = await writeTrainingSet(dir, churnFeatures, churnRows(600, 1));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const workDir = (): string => join(dir, 'work');

describe('tfjs trainer', () => {
  test('slow: trains a binary classifier end to end, stores it, and re-scores it on the same holdout', async () => {
    // GIVEN a learnable churn training set (600 rows, a category, 5% missing spend)
    const model = makeModel({
      features: churnFeatures,
      metrics: ['auc', 'pr_auc', 'accuracy', 'f1', 'logloss', 'brier'],
      trainer: tfjsSpec({ epochs: 15, earlyStopping: { metric: 'auc', patience: 4 } }),
    });
    const progress: TrainProgress[] = [];
    // WHEN the tfjs trainer trains it
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: churn,
      seed: 42,
      workDir: workDir(),
      onProgress: (p) => progress.push(p),
    });
    // THEN the holdout is the most recent 20%, metrics are finite and the model learned the signal
    expect(r.backend).toBe('tfjs/wasm');
    expect(r.holdout.rows).toBe(120);
    expect(r.holdout.from).toBe(new Date(Date.UTC(2024, 0, 1) + 480 * 3_600_000).toISOString());
    expect(r.trainRows).toBe(432);
    expect(Object.keys(r.metrics).sort()).toEqual(['accuracy', 'auc', 'brier', 'f1', 'logloss', 'pr_auc']);
    expect(r.metrics.auc).toBeGreaterThan(0.8);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ model: 'churn', epoch: 1, epochs: 15, metric: { name: 'auc' } });
    expect(r.artifact.uri).toMatch(/^artifact:\/\/sha256\/[0-9a-f]{64}\?tree$/);
    // AND evaluating the stored artifact on the same training set reproduces the metrics exactly
    const again = await new TfjsTrainer({ store, ...quiet }).evaluate(model, r.artifact, churn, workDir());
    expect(again).toEqual(r.metrics);
    // AND the stored model loads only with its own feature schema
    const trainer = new TfjsTrainer({ store, ...quiet });
    const loaded = await trainer.load(r.artifact, churn.features);
    expect(loaded.features.map((f) => f.ref)).toEqual(churnFeatures.map((f) => `customers:${f.name}`));
    loaded.dispose();
    await expect(trainer.load(r.artifact, churn.features.slice(0, 2))).rejects.toThrow(
      /feature customers:plan is missing/,
    );
    await expect(
      trainer.load(
        r.artifact,
        churn.features.map((f) => (f.ref === 'customers:plan' ? { ...f, type: 'string' as const } : f)),
      ),
    ).rejects.toThrow(/customers:plan is string; the model was trained on category/);
  });

  test('same inputs and seed give the same weights digest; another seed does not', async () => {
    const model = makeModel({
      features: churnFeatures,
      trainer: tfjsSpec({
        epochs: 2,
        architecture: { type: 'mlp', hidden: [8], activation: 'relu', dropout: 0.2, batchNorm: true },
      }),
    });
    const t = new TfjsTrainer({ store, ...quiet });
    const a = await t.train({ model, trainingSet: churn, seed: 7, workDir: workDir() });
    const b = await t.train({ model, trainingSet: churn, seed: 7, workDir: workDir() });
    const c = await t.train({ model, trainingSet: churn, seed: 8, workDir: workDir() });
    expect(b.artifact.digest).toBe(a.artifact.digest);
    expect(b.details?.weightsDigest).toBe(a.details?.weightsDigest);
    expect(b.metrics).toEqual(a.metrics);
    expect(c.details?.weightsDigest).not.toBe(a.details?.weightsDigest);
  });

  test('multiclass with embeddings, balanced class weights, gradient accumulation and a cosine schedule', async () => {
    const rng = new Rng(5);
    const feats: FeatureDef[] = [
      { view: 'v', name: 'x', type: 'float' },
      { view: 'v', name: 'city', type: 'string' },
      { view: 'v', name: 'active', type: 'bool' },
      { view: 'v', name: 'seen_at', type: 'timestamp' },
    ];
    const cities = ['ams', 'ber', 'par', 'rom'];
    const rows = Array.from({ length: 300 }, (_, i) => {
      const x = rng.normal();
      const city = rng.pick(cities);
      const label = x > 0.8 ? 'high' : city === 'par' ? 'mid' : 'low';
      return {
        id: `r${i}`,
        ts: new Date(Date.UTC(2024, 1, 1) + i * 60_000),
        label,
        values: [
          x,
          city,
          rng.chance(0.5),
          rng.chance(0.1) ? null : new Date(Date.UTC(2023, 0, 1) + rng.int(0, 365) * 86_400_000),
        ],
      };
    });
    const ts = await writeTrainingSet(dir, feats, rows, 'VARCHAR', 'multi.parquet');
    const model = makeModel({
      task: 'multiclass-classification',
      features: feats,
      metrics: ['accuracy', 'f1', 'logloss'],
      trainer: tfjsSpec({
        epochs: 12,
        categorical: 'embedding',
        classWeights: 'balanced',
        accumulate: 2,
        batchSize: 'auto',
        schedule: { type: 'cosine' },
      }),
    });
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: ts,
      seed: 1,
      workDir: workDir(),
    });
    expect(r.metrics.accuracy).toBeGreaterThan(0.7);
    expect(r.details).toMatchObject({ accumulate: 2, batchSize: 32 });
    // AND the manifest records the preprocessing: a timestamp standardized in epoch seconds, with a missing indicator
    const m = await new TfjsTrainer({ store, ...quiet }).load(r.artifact, ts.features);
    const seen = m.manifest.preprocessing.numeric.find((n) => n.ref === 'v:seen_at')!;
    m.dispose();
    expect(seen.indicator).toBe(true);
    expect(seen.mean).toBeGreaterThan(Date.UTC(2023, 0, 1) / 1000);
    expect(seen.mean).toBeLessThan(Date.UTC(2024, 0, 1) / 1000);
  });

  test('regression predicts in the label units; an unseen category at scoring time is handled', async () => {
    const rng = new Rng(9);
    const feats: FeatureDef[] = [
      { view: 'h', name: 'sqft', type: 'float' },
      { view: 'h', name: 'zone', type: 'category' },
    ];
    const rows = Array.from({ length: 300 }, (_, i) => {
      const sqft = rng.normal(1500, 400);
      // The newest rows (the holdout) include a zone never seen in training.
      const zone = i >= 270 && i % 2 === 0 ? 'new-zone' : rng.pick(['a', 'b']);
      return {
        id: `h${i}`,
        ts: new Date(Date.UTC(2023, 0, 1) + i * 86_400_000),
        label: 100 * sqft + (zone === 'a' ? 20_000 : 0) + rng.normal(0, 5000),
        values: [sqft, zone],
      };
    });
    const ts = await writeTrainingSet(dir, feats, rows, 'DOUBLE', 'houses.parquet');
    const model = makeModel({
      task: 'regression',
      features: feats,
      metrics: ['r2', 'rmse', 'mae', 'mape'],
      trainer: tfjsSpec({
        epochs: 40,
        learningRate: 0.02,
        architecture: { type: 'linear', hidden: [], activation: 'relu', dropout: 0, batchNorm: false },
      }),
    });
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: ts,
      seed: 3,
      workDir: workDir(),
    });
    expect(r.metrics.r2).toBeGreaterThan(0.8);
    expect(r.metrics.rmse).toBeGreaterThan(1000); // label units, not standardized ones
  });

  test('progress goes to the stream as plain lines outside a terminal', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const model = makeModel({ features: churnFeatures, trainer: tfjsSpec({ epochs: 2 }) });
    await new TfjsTrainer({ store, progress: 'auto', progressStream: stream, env: { CI: 'true' } }).train({
      model,
      trainingSet: churn,
      seed: 1,
      workDir: workDir(),
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^churn: epoch 2\/2 loss \d\.\d{4} [\d.]+k? samples\/s\n$/);
  });
});

/** Label = tenure < 25: validation AUC is 1.0 from the first epoch on a couple of dozen rows. */
const separable = () => churnRows(300, 5).map((r) => ({ ...r, label: (r.values[0] as number) < 25 ? 1 : 0 }));

describe('tfjs trainer stops', () => {
  test('early when the validation metric stops improving, keeping the best epoch', async () => {
    // GIVEN labels that are pure noise: nothing generalizes to the validation rows
    const rows = churnRows(400, 11).map((r, i) => ({ ...r, label: (i * 7919) % 3 === 0 ? 1 : 0 }));
    const ts = await writeTrainingSet(dir, churnFeatures, rows, 'BIGINT', 'noise.parquet');
    const model = makeModel({
      features: churnFeatures,
      trainer: tfjsSpec({ epochs: 40, earlyStopping: { metric: 'logloss', patience: 2 } }),
    });
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: ts,
      seed: 1,
      workDir: workDir(),
    });
    expect(r.details?.stoppedEarly).toBe(true);
    expect(r.details?.epochs).toBeLessThan(40);
    expect(r.details?.bestEpoch).toBe((r.details?.epochs as number) - 2);
  });

  test('not on a sliver: a validation metric that saturates at epoch 1 does not keep an underfit model', async () => {
    // GIVEN an easy problem and a validation split of a few dozen rows, where AUC reaches 1.0 at once
    const rows = separable();
    const ts = await writeTrainingSet(dir, churnFeatures, rows, 'BIGINT', 'sliver.parquet');
    const model = makeModel({
      features: churnFeatures,
      trainer: tfjsSpec({
        epochs: 30,
        learningRate: 0.05,
        earlyStopping: { metric: 'auc', patience: 2, minEpochs: 5, minValidationRows: 100 },
      }),
    });
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: ts,
      seed: 1,
      workDir: workDir(),
    });
    // THEN the loss is monitored instead, training goes past the floor, and the output says why
    expect(r.details?.validationRows).toBeLessThan(100);
    expect(String(r.details?.earlyStopping)).toContain('monitored validation logloss instead of auc');
    expect(r.details?.epochs).toBeGreaterThanOrEqual(5);
    expect(r.details?.bestEpoch).toBeGreaterThan(2);
  });

  test('a saturated metric is broken by the validation loss, and never before minEpochs', async () => {
    const rows = separable();
    const ts = await writeTrainingSet(dir, churnFeatures, rows, 'BIGINT', 'sliver2.parquet');
    const model = makeModel({
      features: churnFeatures,
      trainer: tfjsSpec({
        epochs: 12,
        learningRate: 0.05,
        earlyStopping: { metric: 'auc', patience: 1, minEpochs: 8, minValidationRows: 1 },
      }),
    });
    const r = await new TfjsTrainer({ store, ...quiet }).train({
      model,
      trainingSet: ts,
      seed: 1,
      workDir: workDir(),
    });
    expect(r.details?.epochs).toBeGreaterThanOrEqual(8);
    expect(r.details?.bestEpoch).toBeGreaterThan(1);
    expect(String(r.details?.earlyStopping)).toMatch(/epoch/);
  });

  test('when aborted', async () => {
    const model = makeModel({ features: churnFeatures });
    const ac = new AbortController();
    ac.abort();
    await expect(
      new TfjsTrainer({ store, ...quiet }).train({
        model,
        trainingSet: churn,
        seed: 1,
        workDir: workDir(),
        signal: ac.signal,
      }),
    ).rejects.toThrow(/model churn: training was aborted/);
  });
});

describe('tfjs trainer refuses bad input with a clear error', () => {
  test('a feature column missing from the training set', async () => {
    const model = makeModel({
      features: [...churnFeatures, { view: 'customers', name: 'age', type: 'int' }],
    });
    const err = await new TfjsTrainer({ store, ...quiet })
      .train({ model, trainingSet: churn, seed: 1, workDir: workDir() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as Error).message).toMatch(
      /model churn: training set .*training-set\.parquet does not match the model's features: feature customers:age is missing/,
    );
  });

  test('a binary label with three values', async () => {
    const rows = churnRows(30, 2).map((r, i) => ({ ...r, label: i % 3 }));
    const ts = await writeTrainingSet(dir, churnFeatures, rows, 'BIGINT', 'three.parquet');
    await expect(
      new TfjsTrainer({ store, ...quiet }).train({
        model: makeModel({ features: churnFeatures }),
        trainingSet: ts,
        seed: 1,
        workDir: workDir(),
      }),
    ).rejects.toThrow(
      /model churn: a binary-classification label needs exactly 2 classes; the training split has 3: 0, 1, 2/,
    );
  });

  test('a forced native backend that is not installed', async () => {
    const model = makeModel({ features: churnFeatures });
    await expect(
      new TfjsTrainer({ store, ...quiet, env: { RUDDER_TF_BACKEND: 'tensorflow' } }).train({
        model,
        trainingSet: churn,
        seed: 1,
        workDir: workDir(),
      }),
    ).rejects.toThrow(
      /backend tensorflow was requested but cannot be used: .*install @tensorflow\/tfjs-node/,
    );
  });
});
