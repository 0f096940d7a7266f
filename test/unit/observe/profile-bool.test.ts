// The training profile scores the training split with the trained model; a bool feature (read
// as text for the profile) must reach the runtime as a boolean. Real tfjs, real DuckDB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LocalArtifactStore } from '../../../src/artifacts/local.ts';
import { loadProfile, storeTrainingProfile } from '../../../src/observe/profile-io.ts';
import { TfjsTrainer } from '../../../src/trainer/tfjs/trainer.ts';
import { Rng } from '../../../src/util/rng.ts';
import { makeModel, tfjsSpec, writeTrainingSet, type FeatureDef } from '../trainer/fixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rudder-profile-bool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a model with a bool feature gets a training profile with its scores', async () => {
  // GIVEN a training set whose label follows a bool feature
  const features: FeatureDef[] = [
    { view: 'listing', name: 'area', type: 'float' },
    { view: 'listing', name: 'has_garden', type: 'bool' },
  ];
  const rng = new Rng(3);
  const rows = Array.from({ length: 120 }, (_, i) => {
    const garden = rng.chance(0.5);
    return {
      id: `c${i}`,
      ts: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000),
      label: garden ? (rng.chance(0.85) ? 1 : 0) : rng.chance(0.15) ? 1 : 0,
      values: [rng.normal(80, 20), garden],
    };
  });
  const ts = await writeTrainingSet(dir, features, rows);
  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  const model = makeModel({ features, trainer: tfjsSpec({ epochs: 2 }) });
  const r = await new TfjsTrainer({ store, progress: 'none' }).train({
    model,
    trainingSet: ts,
    seed: 1,
    workDir: join(dir, 'work'),
  });
  // WHEN the training profile is stored (as model.train does)
  const ref = await storeTrainingProfile(store, model, ts.path, 1, 1, r.artifact);
  // THEN it profiles the bool column and the version's scores on the training split
  const profile = await loadProfile(store, ref.digest);
  expect(profile.prediction?.count).toBeGreaterThan(0);
  expect(profile.features['listing:has_garden']).toBeDefined();
});
