// Live quality and label volume on real components: a real Parquet prediction log with
// predictions and delayed labels, joined by entity and time; minLabels honoured; the planner's
// performance trigger fires on dropBy and floors from the observation, and the label count feeds
// dataVolume. No training: the monitored version is a lock entry.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { countLabelRows, monitoredVersion, observeModels } from '../../src/observe/drift-observations.ts';
import { observeQuality } from '../../src/observe/quality.ts';
import { openArtifactStore } from '../../src/artifacts/local.ts';
import { openPredictionLog } from '../../src/prediction-log/parquet-log.ts';
import type { ModelVersion } from '../../src/state/types.ts';
import { computeMetrics } from '../../src/trainer/evaluation/metrics.ts';
import { Rng } from '../../src/util/rng.ts';
import { loadWorkspace, openStore } from '../../src/compose/workspace.ts';
import type { Workspace } from '../../src/state/workspace.ts';
import { churnRepo } from '../helpers/churn-repo.ts';
import { cleanupTemp, isolateGitConfig } from '../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
const DAY = 86_400_000;
let repo = '';
let ws: Workspace;

const version = (over: Partial<ModelVersion> = {}): ModelVersion =>
  ({
    version: 1,
    status: 'champion',
    statusHistory: [],
    specDigest: 'sha256:x',
    featureViewDigests: {},
    trainingSet: { digest: 'sha256:t', cutoff: '2026-06-01T00:00:00Z', rows: 1000 },
    seed: 42,
    trainer: { type: 'tfjs', backend: 'tfjs/cpu' },
    metrics: { auc: 0.9 },
    artifact: { digest: 'sha256:a', uri: `artifact://sha256/${'0'.repeat(64)}` },
    trainedAt: '2026-06-01T00:00:00Z',
    ...over,
  }) as ModelVersion;

beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 300 });
  const w = await loadWorkspace({ cwd: repo });
  if (!w.ok) throw new Error(JSON.stringify(w.diagnostics));
  ws = w.value;
}, 120_000);
afterAll(() => cleanupTemp());

test('labels join the latest prediction of the version for the same entity at or before the label', async () => {
  const log = openPredictionLog(repo, { dir: mkdtempSync(join(tmpdir(), 'rudder-log-')) });
  const model = ws.desired.models[0]!;
  const r = new Rng(11);
  const y: number[] = [];
  const p: number[] = [];
  const preds = [];
  const labels = [];
  for (let i = 0; i < 250; i++) {
    const entity = { customer_id: `c${i}` };
    const at = NOW.getTime() - (1 + (i % 10)) * DAY;
    const churned = r.chance(0.3) ? 1 : 0;
    const score = Math.min(1, Math.max(0, churned * 0.3 + r.next() * 0.7));
    // An older prediction, the one that counts, one after the label, and one of another version.
    preds.push({
      requestId: `a${i}`,
      at: new Date(at - 3 * DAY).toISOString(),
      model: 'churn',
      version: 1,
      entity,
      features: {},
      score: 0.5,
      latencyMs: 1,
    });
    preds.push({
      requestId: `b${i}`,
      at: new Date(at - DAY).toISOString(),
      model: 'churn',
      version: 1,
      entity,
      features: {},
      score,
      latencyMs: 1,
    });
    preds.push({
      requestId: `c${i}`,
      at: new Date(at + 3600_000).toISOString(),
      model: 'churn',
      version: 1,
      entity,
      features: {},
      score: 1 - score,
      latencyMs: 1,
    });
    preds.push({
      requestId: `d${i}`,
      at: new Date(at - 3600_000).toISOString(),
      model: 'churn',
      version: 2,
      entity,
      features: {},
      score: 0.01,
      latencyMs: 1,
    });
    labels.push({ at: new Date(at).toISOString(), model: 'churn', entity, label: churned });
    y.push(churned);
    p.push(score);
  }
  await log.append(preds);
  await log.appendLabels(labels);
  await log.flush();
  const store = await openStore(ws);
  try {
    const ctx = { root: repo, lock: ws.lock, artifacts: openArtifactStore(repo), log, workDir: repo };
    const trigger = {
      type: 'performance' as const,
      metric: 'auc',
      dropBy: 0.03,
      windowMs: 14 * DAY,
      minLabels: 200,
    };
    const q = await observeQuality({
      desired: ws.desired,
      model,
      version: version(),
      store,
      ctx,
      now: NOW,
      trigger,
    });
    const expected = computeMetrics(['auc'], { task: 'binary-classification', y, p }).auc!;
    expect(q.quality).toEqual({
      metric: 'auc',
      value: expected,
      labels: 250,
      window: '14d',
      source: 'prediction-log',
    });

    const few = await observeQuality({
      desired: ws.desired,
      model,
      version: version(),
      store,
      ctx,
      now: NOW,
      trigger: { ...trigger, minLabels: 1000 },
    });
    expect(few).toEqual({ note: '250 labels in the last 14d < minLabels 1000: not assessed' });

    // Through observeModels with the policy's performance trigger, its window and minimum set as
    // above (the shipped policy asks for 500 labels over 28d, more than this log holds).
    const lock = {
      ...ws.lock,
      models: {
        churn: {
          kind: 'ModelLock',
          lockVersion: 1,
          name: 'churn',
          specDigest: 'sha256:x',
          versions: [version()],
        },
      },
    } as typeof ws.lock;
    const obs = await observeModels(
      {
        ...ws.desired,
        retrainPolicies: ws.desired.retrainPolicies.map((rp) => ({
          ...rp,
          triggers: rp.triggers
            .filter((t) => t.type === 'performance')
            .map((t) => ({ ...t, windowMs: 14 * DAY, minLabels: 200 })),
        })),
      },
      store,
      { ...ctx, lock },
      NOW,
    );
    expect(obs.churn?.quality?.value).toBe(expected);
  } finally {
    await store.close();
    await log.close();
  }
});

test('without predictions or a runtime, quality is a note; label rows are counted up to the clock', async () => {
  const store = await openStore(ws);
  try {
    const model = ws.desired.models[0]!;
    const ctx = { root: repo, lock: ws.lock, artifacts: openArtifactStore(repo), workDir: repo };
    const trigger = {
      type: 'performance' as const,
      metric: 'auc',
      min: 0.8,
      windowMs: 14 * DAY,
      minLabels: 10,
    };
    const q = await observeQuality({
      desired: ws.desired,
      model,
      version: version(),
      store,
      ctx,
      now: NOW,
      trigger,
    });
    expect(q.note).toMatch(/no labelled predictions in the last 14d and no runtime to re-score churn v1/);
    const all = await countLabelRows(repo, model, new Date('2100-01-01T00:00:00Z'));
    const early = await countLabelRows(repo, model, new Date('2026-04-01T00:00:00Z'));
    expect(all).toBe(300);
    expect(early).toBeLessThan(all);
  } finally {
    await store.close();
  }
});

test('the monitored version is the champion, else the newest neither rejected nor retired', () => {
  expect(
    monitoredVersion([
      version({ version: 1, status: 'champion' }),
      version({ version: 2, status: 'candidate' }),
    ])?.version,
  ).toBe(1);
  expect(
    monitoredVersion([
      version({ version: 1, status: 'retired' }),
      version({ version: 2, status: 'rejected' }),
      version({ version: 3, status: 'candidate' }),
    ])?.version,
  ).toBe(3);
  expect(monitoredVersion([version({ version: 1, status: 'rejected' })])).toBeUndefined();
});
