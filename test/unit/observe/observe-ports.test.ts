// observe() reads the world only through its ports: with stand-ins for the feature store, the
// artifact store and the prediction log it returns the whole snapshot — labels, the champion and
// challenger whose artifacts the store no longer holds, and the progressing rollout's analysis.
import { describe, expect, test } from 'vitest';
import type { ArtifactStore } from '../../../src/artifacts/port.ts';
import type { DesiredState, Model, RolloutPolicy } from '../../../src/compiler/desired-state.ts';
import { observe, type ObservePorts } from '../../../src/observe/observe.ts';
import type { LogWindow, PredictionLog, PredictionRecord } from '../../../src/prediction-log/port.ts';
import { emptyLockState, type LockState, type ModelVersion } from '../../../src/state/types.ts';
import type { FeatureStore } from '../../../src/store/port.ts';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const H = 3_600_000;
const NOW = new Date(T0);

const model = {
  name: 'churn',
  task: 'binary-classification',
  label: { classes: [0, 1], entities: ['customer_id'] },
} as unknown as Model;

const policy = {
  kind: 'RolloutPolicy',
  name: 'churn-rollout',
  model: 'churn',
  strategy: { type: 'canary', steps: [{ weight: 0.1, holdMs: H }] },
  analysis: {
    intervalMs: 300_000,
    minSamples: 5,
    failureLimit: 0,
    metrics: [{ metric: 'error_rate', max: 0.01 }],
  },
  rollback: { automatic: true, hold: true },
} as unknown as RolloutPolicy;

const desired = {
  featureViews: [],
  models: [model],
  retrainPolicies: [],
  rolloutPolicies: [policy],
} as unknown as DesiredState;

function version(v: number, status: ModelVersion['status']): ModelVersion {
  const hex = String(v).repeat(64);
  return {
    version: v,
    status,
    artifact: { digest: `sha256:${hex}`, uri: `artifact://sha256/${hex}?tree` },
  } as ModelVersion;
}

function lock(): LockState {
  const l = emptyLockState();
  l.models.churn = {
    kind: 'ModelLock',
    lockVersion: 1,
    name: 'churn',
    specDigest: 'sha256:' + '2'.repeat(64),
    versions: [version(1, 'champion'), version(2, 'challenger'), version(3, 'retired')],
  };
  l.rollouts.churn = {
    kind: 'RolloutLock',
    lockVersion: 1,
    model: 'churn',
    strategy: 'canary',
    status: 'progressing',
    step: 0,
    versions: [
      { version: 1, weight: 0.9 },
      { version: 2, weight: 0.1 },
    ],
    analysis: [],
    startedAt: new Date(T0 - 2 * H).toISOString(),
    updatedAt: new Date(T0 - 2 * H).toISOString(),
  };
  return l;
}

const store = {
  labelFreshness: () =>
    Promise.resolve({ rows: 40, newestLabel: '2026-06-01T00:00:00.000Z', sourceDigest: 'sha256:x' }),
} as unknown as FeatureStore;

/** Only the champion's artifact is still there. */
const artifacts = {
  description: 'test store',
  has: (digest: string) => Promise.resolve(digest === `sha256:${'1'.repeat(64)}`),
} as unknown as ArtifactStore;

function predictions(n: number): PredictionRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: `r${i}`,
    at: new Date(T0 - H + i * 1000).toISOString(),
    model: 'churn',
    version: i % 2 ? 2 : 1,
    entity: { customer_id: `c${i}` },
    features: {},
    score: 0.5,
    latencyMs: 1,
  }));
}

function log(read: (w: LogWindow) => Promise<PredictionRecord[]>): PredictionLog {
  return {
    readPredictions: read,
    readLabels: () => Promise.resolve([]),
  } as unknown as PredictionLog;
}

const ports = (predictionLog: PredictionLog): ObservePorts => ({ store, artifacts, predictionLog });

describe('observe through its ports', () => {
  test('labels, missing artifacts of active versions and the progressing rollout, read since it started', async () => {
    const windows: LogWindow[] = [];
    const o = await observe(
      desired,
      lock(),
      ports(
        log((w) => {
          windows.push(w);
          return Promise.resolve(predictions(40));
        }),
      ),
      NOW,
    );
    expect(o.at).toBe(NOW.toISOString());
    expect(o.labels).toEqual({
      churn: { rows: 40, newestLabel: '2026-06-01T00:00:00.000Z', sourceDigest: 'sha256:x' },
    });
    // The challenger is gone; the champion is there; a retired version is not asked about.
    expect(o.models).toEqual({
      churn: { missingArtifacts: [{ version: 2, digest: `sha256:${'2'.repeat(64)}`, store: 'test store' }] },
    });
    expect(windows).toEqual([{ model: 'churn', from: new Date(T0 - 2 * H), to: NOW }]);
    const r = o.rollouts?.churn;
    if (!r || 'error' in r) throw new Error(`no rollout observation: ${JSON.stringify(r)}`);
    expect(r.version).toBe(2);
    expect(r.baselineVersion).toBe(1);
    expect(r.samples).toBe(20);
    expect(Object.keys(o)).toEqual(['version', 'at', 'views', 'labels', 'models', 'rollouts']);
  });

  test('an unreadable log is an error observation for the rollout; no progressing rollout, no rollouts key', async () => {
    const broken = await observe(
      desired,
      lock(),
      ports(log(() => Promise.reject(new Error('disk gone\nmore')))),
      NOW,
    );
    expect(broken.rollouts).toEqual({ churn: { error: 'prediction log unreadable: disk gone' } });

    const done = lock();
    done.rollouts.churn!.status = 'promoted';
    const calm = await observe(desired, done, ports(log(() => Promise.reject(new Error('not read')))), NOW);
    expect('rollouts' in calm).toBe(false);
  });
});
