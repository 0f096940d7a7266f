// compareWithChampion with real tfjs training on tiny data: both versions are scored on the rows
// neither trained on, and an unreachable champion or too few such rows fail closed with a reason
// and a next step (never an exception, never a silent skip).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalArtifactStore } from '../../../src/artifacts/local.ts';
import type { ModelVersion } from '../../../src/state/types.ts';
import { compareWithChampion } from '../../../src/trainer/evaluation/champion-comparison.ts';
import { TfjsTrainer } from '../../../src/trainer/tfjs/trainer.ts';
import type { TrainResult } from '../../../src/trainer/trainer.ts';
import type { TrainingSet } from '../../../src/store/port.ts';
import { churnFeatures, churnRows, makeModel, tfjsSpec, writeTrainingSet } from './fixtures.ts';

let dir: string;
let trainer: TfjsTrainer;
const model = makeModel({ features: churnFeatures, trainer: tfjsSpec({ epochs: 3 }) });
let all: TrainingSet;
let champion: ModelVersion;
let candidate: ModelVersion;

const version = (v: number, ts: TrainingSet, r: TrainResult): ModelVersion =>
  ({
    version: v,
    status: v === 1 ? 'champion' : 'candidate',
    trainingSet: { digest: ts.digest, cutoff: ts.cutoff, rows: ts.rows },
    holdout: r.holdout,
    seed: 42,
    trainer: { type: 'tfjs', backend: r.backend },
    metrics: r.metrics,
    artifact: { digest: r.artifact.digest, uri: r.artifact.uri },
  }) as ModelVersion;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rudder-compare-'));
  trainer = new TfjsTrainer({ store: new LocalArtifactStore(join(dir, 'artifacts')), progress: 'none' });
  const rows = churnRows(600, 1);
  // v1 saw the first 300 label rows (its holdout: rows 240..299); v2 all 600 (holdout 480..599).
  const first = await writeTrainingSet(dir, churnFeatures, rows.slice(0, 300), 'BIGINT', 'v1.parquet');
  all = await writeTrainingSet(dir, churnFeatures, rows, 'BIGINT', 'v2.parquet');
  const wd = join(dir, 'work');
  champion = version(1, first, await trainer.train({ model, trainingSet: first, seed: 42, workDir: wd }));
  candidate = version(2, all, await trainer.train({ model, trainingSet: all, seed: 42, workDir: wd }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const compare = (over: Partial<Parameters<typeof compareWithChampion>[0]> = {}) =>
  compareWithChampion({
    model,
    trainingSet: all,
    candidate,
    champion,
    trainerFor: () => trainer,
    workDir: join(dir, 'work'),
    storeDescription: `local store at ${join(dir, 'artifacts')}`,
    ...over,
  });

describe('compare with the champion', () => {
  test('scores both on the same rows neither trained on, and says how they were found', async () => {
    const r = await compare();
    if (!r.ok) throw new Error(r.note);
    expect(r.rows).toBe(120);
    expect(r.how).toEqual([
      'v2: 120 holdout rows (its time-split holdout, digest verified) + 0 after its cut-off',
      'v1: 60 holdout rows (its time-split holdout, digest verified) + 300 after its cut-off',
    ]);
    // The candidate's metrics on these rows are those of its own holdout: the same rows.
    expect(r.candidate.auc).toBeCloseTo(candidate.metrics.auc!, 10);
    expect(Number.isFinite(r.champion.auc)).toBe(true);
  });

  test('too few rows neither trained on: fail closed, stating the minimum', async () => {
    const r = await compare({ minRows: 200 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.note).toMatch(
      /^only 120 of 600 rows were trained on by neither v2 nor champion v1; at least 200 are needed/,
    );
    expect(r.next).toMatch(/whenChampionUnavailable: skip/);
  });

  test("a champion whose artifact is not in the store: fail closed with 'rudder artifacts pull'", async () => {
    const gone = {
      ...champion,
      artifact: { digest: `sha256:${'e'.repeat(64)}`, uri: `artifact://sha256/${'e'.repeat(64)}?tree` },
    };
    const r = await compare({ champion: gone });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.note).toMatch(
      /^champion v1's artifact cannot be read: artifact sha256:e{64} is not in the store at /,
    );
    expect(r.next).toMatch(/^run `rudder artifacts pull`, or configure a shared artifact store/);
  });
});
