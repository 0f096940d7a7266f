// Drift on the model's unit (issue 19): a snapshot view of stores with very uneven traffic (one
// row per store-hour, every store alike) under a model whose rows are transactions (busy stores
// dominate). The reference profile is the training split, one row per transaction; the current
// window must count the same unit, or an unchanged world reads as drift.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import type { DesiredState, Model } from '../../../src/compiler/desired-state.ts';
import { observeModels } from '../../../src/observe/drift-observations.ts';
import { observeDrift, settingsFromTrigger } from '../../../src/observe/drift-observe.ts';
import { coverageOf, readSourceWindow, systematicResample } from '../../../src/observe/drift-window.ts';
import { driftReport } from '../../../src/observe/drift.ts';
import { buildProfile, storeProfile } from '../../../src/observe/profile-io.ts';
import { ParquetPredictionLog } from '../../../src/prediction-log/parquet-log.ts';
import type { ModelVersion } from '../../../src/state/types.ts';
import { openFeatureStore } from '../../../src/store/open-store.ts';
import type { FeatureStore } from '../../../src/store/port.ts';
import { validate } from '../../../src/source/validate.ts';
import { Rng } from '../../../src/util/rng.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-02T00:00:00Z');
const DAYS = 28;
const NOW = new Date(START + DAYS * DAY);
const TRAINED = new Date(START + 21 * DAY);
const STORES = 30;
const SHIFT = 0.5; // the planted shift of basket, in reference standard deviations

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const POLICIES = `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: stores }
spec:
  source: { path: data/stores.csv, timestamp: at }
  entities: [store_id]
  ttl: 2h
  features: [{ name: traffic_24h, type: float }, { name: basket, type: float }]
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: fraud }
spec:
  task: binary-classification
  label:
    source: { path: data/labels.csv, timestamp: at }
    entities: [store_id]
    column: y
  features: [stores:traffic_24h, stores:basket]
  trainer: { type: tfjs }
---
apiVersion: rudder.dev/v1alpha1
kind: RetrainPolicy
metadata: { name: fraud-retrain }
spec:
  model: fraud
  triggers:
    - drift: { method: wasserstein, threshold: 0.1, share: 0.5, window: 7d, minSamples: 200 }
`;

/**
 * Store k takes a share ∝ 1/(k+1)^1.5 of ~30 transactions an hour; its hourly snapshot holds its
 * traffic over the last 24 h and its mean basket that hour (a store-level level plus noise).
 * `shift`: every basket value in the last 7 days moves by that many reference sds.
 */
function writeData(root: string, shift: number): void {
  const rng = new Rng(19);
  const w = Array.from({ length: STORES }, (_, k) => 1 / (k + 1) ** 1.5);
  const sum = w.reduce((a, b) => a + b, 0);
  const rate = w.map((x) => (30 * x) / sum);
  const snaps = ['store_id,at,traffic_24h,basket'];
  const labels = ['store_id,at,y'];
  for (let h = 0; h < DAYS * 24; h++) {
    const t = START + h * HOUR;
    for (let k = 0; k < STORES; k++) {
      const late = t >= START + (DAYS - 7) * DAY;
      const basket = 40 + 4 * (k % 5) + rng.normal(0, 6) + (late ? shift * 8 : 0);
      const traffic = 24 * rate[k]! * (1 + rng.normal(0, 0.05));
      snaps.push(`s${k},${new Date(t).toISOString()},${traffic.toFixed(3)},${basket.toFixed(3)}`);
      const n = Math.floor(rate[k]!) + (rng.chance(rate[k]! % 1) ? 1 : 0);
      for (let i = 0; i < n; i++)
        labels.push(
          `s${k},${new Date(t + 60_000 + i * 7_000 + rng.int(0, 6) * 1000).toISOString()},${rng.chance(0.3) ? 1 : 0}`,
        );
    }
  }
  writeFileSync(join(root, 'data', 'stores.csv'), `${snaps.join('\n')}\n`);
  writeFileSync(join(root, 'data', 'labels.csv'), `${labels.join('\n')}\n`);
}

interface Case {
  root: string;
  desired: DesiredState;
  model: Model;
  store: FeatureStore;
  version: ModelVersion;
}

/** A project, its data, and v1 trained at TRAINED: its reference profile is the training split. */
async function project(shift: number): Promise<Case> {
  const root = mkdtempSync(join(tmpdir(), 'rudder-unit-'));
  dirs.push(root);
  mkdirSync(join(root, 'policies'));
  mkdirSync(join(root, 'data'));
  writeFileSync(
    join(root, 'rudder.yaml'),
    'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: t }\nspec: {}\n',
  );
  writeFileSync(join(root, 'policies', 'p.yaml'), POLICIES);
  writeData(root, shift);
  const v = await validate({ cwd: root, checkPaths: false });
  expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const desired = v.state!;
  const model = desired.models[0]!;
  const store = await openFeatureStore(root, desired);
  const ts = await store.buildTrainingSet({
    model,
    views: desired.featureViews,
    until: TRAINED,
    outPath: join(root, 'train.parquet'),
  });
  const profile = await buildProfile({ model, path: ts.path, seed: 42 });
  const ref = await storeProfile(openArtifactStore(root), profile);
  const version = {
    version: 1,
    status: 'champion',
    statusHistory: [],
    seed: 42,
    trainedAt: TRAINED.toISOString(),
    trainingSet: { digest: ts.digest, cutoff: ts.cutoff, rows: ts.rows },
    artifact: { digest: 'sha256:a', uri: `artifact://sha256/${'0'.repeat(64)}` },
    profile: { digest: ref.digest },
  } as unknown as ModelVersion;
  return { root, desired, model, store, version };
}

const drift = (c: Case, over: { store?: FeatureStore; log?: ParquetPredictionLog } = {}) =>
  observeDrift({
    root: c.root,
    desired: c.desired,
    model: c.model,
    version: c.version,
    artifacts: openArtifactStore(c.root),
    now: NOW,
    windowMs: 7 * DAY,
    settings: settingsFromTrigger(c.desired.retrainPolicies[0]!.triggers[0] as never).settings,
    historyWindows: 1,
    workDir: c.root,
    ...(over.store ? { store: over.store } : {}),
    ...(over.log ? { log: over.log } : {}),
  });

const stat = (r: Awaited<ReturnType<typeof drift>>, f: string): number =>
  r.dataset.columns.find((c) => c.feature === `stores:${f}`)!.score!;

let same: Case;
let shifted: Case;
beforeAll(async () => {
  same = await project(0);
  shifted = await project(SHIFT);
}, 120_000);
afterAll(async () => {
  await same?.store.close();
  await shifted?.store.close();
});

describe('an unchanged world, a snapshot view of stores with uneven traffic', () => {
  test('the old window (every store-hour alike) reads drift; the label window does not', async () => {
    const { settings } = settingsFromTrigger(same.desired.retrainPolicies[0]!.triggers[0] as never);
    const profile = (await import('../../../src/observe/profile-io.ts')).loadProfile;
    const ref = await profile(openArtifactStore(same.root), same.version.profile!.digest);
    const old = await readSourceWindow(
      same.root,
      same.model,
      same.desired.featureViews,
      new Date(NOW.getTime() - 7 * DAY),
      NOW,
    );
    const oldReport = driftReport(ref, old, settings, {
      model: 'fraud',
      version: 1,
      reference: { rows: ref.rows, source: 'stored', sampleCap: ref.sampleCap },
      windowMs: 7 * DAY,
      historyWindows: 1,
    });
    expect(oldReport.window.rows).toBe((7 * 24 - 1) * STORES); // store-hours in (from, to]
    // Per store-hour the quiet stores weigh as much as the busy ones: "drift" far past 0.1.
    expect(stat(oldReport, 'traffic_24h')).toBeGreaterThan(0.5);
    expect(oldReport.dataset.datasetDrift).toBe(true);

    const now = await drift(same, { store: same.store });
    expect(now.window.source).toBe('labels');
    expect(now.window.rows).toBeGreaterThan(4000); // ~30 transactions an hour
    expect(now.window.note).toBeUndefined();
    expect(stat(now, 'traffic_24h')).toBeLessThan(0.05);
    expect(stat(now, 'basket')).toBeLessThan(0.05);
    expect(now.dataset.datasetDrift).toBe(false);
  });

  test('without label rows to spine on, entity rows weighted by label use do not read drift either', async () => {
    const w = await drift(same);
    expect(w.window.source).toBe('feature-sources-weighted');
    expect(w.window.note).toMatch(/entity rows, each weighted by how often the label source uses its entity/);
    expect(stat(w, 'traffic_24h')).toBeLessThan(0.05);
    expect(w.dataset.datasetDrift).toBe(false);
    // Worth its effective sample size, not its 5040 store-hours.
    expect(w.window.rows).toBeLessThan(7 * 24 * STORES);
    expect(w.window.rows).toBeGreaterThan(200);
  });

  test('a label window below minSamples falls back to the weighted rows, and says why', async () => {
    const c = { ...same, version: same.version };
    const r = await observeDrift({
      root: c.root,
      desired: c.desired,
      model: c.model,
      version: c.version,
      artifacts: openArtifactStore(c.root),
      now: NOW,
      windowMs: 7 * DAY,
      settings: { method: 'wasserstein', threshold: 0.1, share: 0.5, minSamples: 100_000 },
      historyWindows: 1,
      store: same.store,
      workDir: same.root,
    });
    expect(r.window.source).toBe('feature-sources-weighted');
    expect(r.window.note).toMatch(/^\d+ label rows in the last 7d < minSamples 100000: /);
  });
});

describe('a planted per-row shift of known size', () => {
  test(`basket moved by ${SHIFT} reference sd in the window: the label window measures it`, async () => {
    const r = await drift(shifted, { store: shifted.store });
    expect(r.window.source).toBe('labels');
    const basket = r.dataset.columns.find((c) => c.feature === 'stores:basket')!;
    expect(basket.drifted).toBe(true);
    // Normed Wasserstein of a location shift is the shift over the reference sd.
    expect(basket.score!).toBeGreaterThan(0.35);
    expect(basket.score!).toBeLessThan(0.6);
    expect(stat(r, 'traffic_24h')).toBeLessThan(0.05);
  });
});

describe('a narrow prediction window', () => {
  test('one batch at one instant is flagged, gives no verdict, and the observation says so', async () => {
    const log = new ParquetPredictionLog({ dir: join(shifted.root, 'log'), flushIntervalMs: 1e9 });
    const at = new Date(NOW.getTime() - DAY).toISOString();
    await log.append(
      Array.from({ length: 400 }, (_, i) => ({
        requestId: `r${i}`,
        at,
        model: 'fraud',
        version: 1,
        entity: { store_id: `s${i % STORES}` },
        features: { 'stores:traffic_24h': 1000, 'stores:basket': 100 + i },
        score: 0.5,
        latencyMs: 1,
      })),
    );
    await log.flush();
    const r = await drift(shifted, { store: shifted.store, log });
    expect(r.window.source).toBe('prediction-log');
    expect(r.window.narrow).toBe(true);
    expect(r.window.coverage).toMatchObject({ instants: 1, narrow: true });
    expect(r.window.note).toMatch(
      /400 prediction rows in the last 7d are a narrow window, all at one instant/,
    );
    expect(r.dataset.datasetDrift).toBe(false);

    const lock = {
      models: { fraud: { name: 'fraud', versions: [shifted.version] } },
    } as never;
    const obs = await observeModels(
      shifted.desired,
      shifted.store,
      { root: shifted.root, lock, artifacts: openArtifactStore(shifted.root), log, workDir: shifted.root },
      NOW,
    );
    expect(obs.fraud?.drift).toMatchObject({
      narrow: true,
      drifted: 0,
      features: 0,
      source: 'prediction-log',
    });
    expect(obs.fraud?.drift?.note).toMatch(/narrow window/);
    await log.close();
  });

  test('coverage: the span of the prediction times against the window', () => {
    const w = { from: 0, to: 1000 };
    expect(coverageOf([500, 500, 500], w.from, w.to)).toEqual({ instants: 1, share: 0, narrow: true });
    expect(coverageOf([500, 550], w.from, w.to)).toMatchObject({ share: 0.05, narrow: true });
    expect(coverageOf([100, 900], w.from, w.to)).toEqual({ instants: 2, share: 0.8, narrow: false });
    // Times outside (from, to] are not counted.
    expect(coverageOf([0, 400, 1500], w.from, w.to)).toMatchObject({ instants: 1, narrow: true });
  });
});

test('systematic resampling keeps order and draws each row in proportion to its weight', () => {
  expect(systematicResample([1, 1, 1, 1])).toEqual([0, 1, 2, 3]);
  expect(systematicResample([0, 0])).toEqual([]);
  // (Σw)²/Σw² = 16/10 → 2 rows, at 1 and 3 on the cumulative weights [0, 3) [3, 4).
  expect(systematicResample([3, 1])).toEqual([0, 1]);
  const w = [10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const pick = systematicResample(w);
  expect(pick).toEqual([...pick].sort((a, b) => a - b));
  expect(pick.filter((i) => i === 0).length / pick.length).toBeCloseTo(10 / 20, 1);
});
