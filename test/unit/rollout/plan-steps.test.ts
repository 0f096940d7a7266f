import { describe, expect, test } from 'vitest';
import type { DesiredState, RolloutPolicy } from '../../../src/compiler/desired-state.ts';
import type { PlanContext } from '../../../src/planner/plan-context.ts';
import { planRolloutSteps } from '../../../src/planner/plan-rollout-steps.ts';
import { observeRollout, type RolloutObservation } from '../../../src/rollout/observation.ts';
import { canonicalJson } from '../../../src/util/canonical.ts';
import {
  advanceRollout,
  lockDecisions,
  promoteRollout,
  rollbackRollout,
} from '../../../src/rollout/transitions.ts';
import type { LabelRecord, PredictionRecord } from '../../../src/prediction-log/port.ts';
import { Rng } from '../../../src/util/rng.ts';
import { renderLockfile } from '../../../src/state/lockfile.ts';
import { emptyLockState, type LockState, type ModelVersion } from '../../../src/state/types.ts';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const H = 3_600_000;

function policy(strategy: RolloutPolicy['strategy'], automatic = true): RolloutPolicy {
  return {
    kind: 'RolloutPolicy',
    name: 'churn-rollout',
    origin: { file: 'policies/r.yaml', doc: 0 },
    digest: 'sha256:' + '1'.repeat(64),
    model: 'churn',
    strategy,
    analysis: {
      intervalMs: 300_000,
      minSamples: 100,
      failureLimit: 0,
      metrics: [{ metric: 'error_rate', max: 0.01 }],
    },
    rollback: { automatic, hold: true },
  } as RolloutPolicy;
}

const canary: RolloutPolicy['strategy'] = {
  type: 'canary',
  steps: [
    { weight: 0.1, holdMs: H },
    { weight: 0.5, holdMs: H },
    { weight: 1, holdMs: H },
  ],
};

function version(v: number, status: ModelVersion['status']): ModelVersion {
  const d = `sha256:${String(v).repeat(64)}`;
  return {
    version: v,
    status,
    statusHistory: [{ status, at: new Date(T0 - 10 * H).toISOString(), reason: 'test' }],
    specDigest: d,
    featureViewDigests: {},
    trainingSet: { digest: d, cutoff: new Date(T0 - 20 * H).toISOString(), rows: 10 },
    seed: 1,
    trainer: { type: 'tfjs', backend: 'tfjs/cpu' },
    metrics: { auc: 0.8 },
    artifact: { digest: d, uri: `artifact://sha256/${String(v).repeat(64)}?tree` },
    trainedAt: new Date(T0 - 10 * H).toISOString(),
  };
}

function lockAt(step: number, weight: number, updatedAt: number): LockState {
  const lock = emptyLockState();
  lock.models.churn = {
    kind: 'ModelLock',
    lockVersion: 1,
    name: 'churn',
    specDigest: 'sha256:' + '2'.repeat(64),
    versions: [version(1, 'champion'), version(2, 'challenger')],
  };
  lock.rollouts.churn = {
    kind: 'RolloutLock',
    lockVersion: 1,
    model: 'churn',
    strategy: 'canary',
    status: 'progressing',
    step,
    versions: [
      { version: 1, weight: Math.round((1 - weight) * 1e6) / 1e6 },
      { version: 2, weight },
    ],
    analysis: [],
    startedAt: new Date(T0 - 5 * H).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
  };
  return lock;
}

function obs(
  verdict: RolloutObservation['verdict'],
  extra: Partial<RolloutObservation> = {},
): RolloutObservation {
  return {
    version: 2,
    baselineVersion: 1,
    step: 0,
    stepStartedAt: new Date(T0 - 2 * H).toISOString(),
    verdict,
    reasons: [verdict === 'failed' ? 'error_rate 0.2 > max 0.01' : 'error_rate 0 ≤ max 0.01'],
    samples: 500,
    measurements: 4,
    results: [
      {
        metric: 'error_rate',
        value: verdict === 'failed' ? 0.2 : 0,
        threshold: 0.01,
        rule: 'max',
        samples: 500,
        passed: verdict !== 'failed',
        from: '',
        to: '',
      },
    ],
    ...extra,
  };
}

function ctx(p: RolloutPolicy, lock: LockState, o: RolloutObservation | undefined, now = T0): PlanContext {
  return {
    desired: {
      rolloutPolicies: [p],
      retrainPolicies: [],
      models: [],
      featureViews: [],
      dataPolicies: [],
      project: { stateDir: 'state' },
    } as unknown as DesiredState,
    lock,
    obs: {
      version: 1,
      at: new Date(now).toISOString(),
      views: {},
      models: {},
      ...(o ? { rollouts: { churn: o } } : {}),
    },
    now,
    stateDir: 'state',
    forced: new Set(),
    notes: [],
    deferredModels: new Set(),
  } as unknown as PlanContext;
}

describe('rollout step planner', () => {
  test('GIVEN a failed analysis THEN rollback, held, without approval', () => {
    const c = ctx(policy(canary), lockAt(0, 0.1, T0 - 2 * H), obs('failed'));
    const [a, ...rest] = planRolloutSteps(c, []);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      type: 'rollout.rollback',
      id: 'rollout.rollback:churn@v2',
      requiresApproval: false,
      params: { hold: true, status: 'rolled-back' },
    });
    expect(a!.reasons[0]).toEqual({ code: 'analysis-failed', message: 'error_rate 0.2 > max 0.01' });
  });

  test('GIVEN rollback.automatic false THEN only a note', () => {
    const c = ctx(policy(canary, false), lockAt(0, 0.1, T0 - 2 * H), obs('failed'));
    expect(planRolloutSteps(c, [])).toEqual([]);
    expect(c.notes[0]).toMatch(/rollback\.automatic is false/);
  });

  test('GIVEN a passed analysis and the hold elapsed THEN advance to the next weight', () => {
    const a = planRolloutSteps(ctx(policy(canary), lockAt(0, 0.1, T0 - 2 * H), obs('passed')), []);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ type: 'rollout.advance', params: { from: 0, to: 1, weight: 0.5 } });
  });

  test('GIVEN a passed analysis within the hold THEN wait', () => {
    const c = ctx(policy(canary), lockAt(0, 0.1, T0 - H / 2), obs('passed'));
    expect(planRolloutSteps(c, [])).toEqual([]);
    expect(c.notes[0]).toMatch(/hold 60m has 30m left/);
  });

  test('GIVEN an inconclusive analysis THEN nothing is decided', () => {
    const c = ctx(
      policy(canary),
      lockAt(0, 0.1, T0 - 2 * H),
      obs('inconclusive', { reasons: ['12 predictions < minSamples 100'] }),
    );
    expect(planRolloutSteps(c, [])).toEqual([]);
    expect(c.notes[0]).toMatch(/waits: 12 predictions < minSamples 100/);
  });

  test('GIVEN the last step passed THEN promote', () => {
    const a = planRolloutSteps(ctx(policy(canary), lockAt(2, 1, T0 - 2 * H), obs('passed')), []);
    expect(a[0]).toMatchObject({ type: 'rollout.promote', reasons: [{ code: 'last-step' }] });
  });

  test('GIVEN no rollout observation (log unreadable) THEN fail closed with a note', () => {
    const c = ctx(policy(canary), lockAt(0, 0.1, T0 - 2 * H), undefined);
    expect(planRolloutSteps(c, [])).toEqual([]);
    expect(c.notes[0]).toMatch(/was not analysed/);
  });

  const ab: RolloutPolicy['strategy'] = {
    type: 'abTest',
    split: 0.5,
    metric: 'accuracy',
    minSamplesPerArm: 100,
    significance: { method: 'msprt', alpha: 0.05, tuning: 5000 },
    maxDurationMs: 24 * H,
  };
  const abObs = (decision: NonNullable<RolloutObservation['ab']>['decision']): RolloutObservation =>
    obs('inconclusive', {
      ab: {
        metric: 'accuracy',
        method: 'msprt',
        samples: [500, 500],
        effect: 0.05,
        interval: [0.01, 0.09],
        pValue: 0.01,
        decision,
        message: 'accuracy: …',
      },
    });

  test('A/B: the sequential test decides: winner promoted, loser rolled back and held', () => {
    expect(
      planRolloutSteps(ctx(policy(ab), lockAt(0, 0.5, T0 - 2 * H), abObs('challenger-better')), [])[0],
    ).toMatchObject({ type: 'rollout.promote', reasons: [{ code: 'ab-winner' }] });
    expect(
      planRolloutSteps(ctx(policy(ab), lockAt(0, 0.5, T0 - 2 * H), abObs('champion-better')), [])[0],
    ).toMatchObject({ type: 'rollout.rollback', params: { hold: true }, reasons: [{ code: 'ab-loser' }] });
  });

  test('A/B: undecided after maxDuration stops with the champion (not held)', () => {
    const a = planRolloutSteps(
      ctx(policy(ab), lockAt(0, 0.5, T0 - 2 * H), abObs('continue'), T0 + 30 * H),
      [],
    );
    expect(a[0]).toMatchObject({
      type: 'rollout.rollback',
      params: { hold: false },
      reasons: [{ code: 'max-duration' }],
    });
  });
});

describe('rollout lock transitions (pure) write valid lockfiles', () => {
  const at = { at: new Date(T0).toISOString(), prov: { plan: 'sha256:' + 'a'.repeat(64), action: 'x' } };
  const results = obs('passed').results;

  test('advance moves the weights and records the evidence', () => {
    const l = advanceRollout(
      lockAt(0, 0.1, T0 - 2 * H),
      { model: 'churn', version: 2, to: 1, weight: 0.5, results, reason: 'ok' },
      at,
    );
    expect(l.rollouts.churn!.versions).toEqual([
      { version: 1, weight: 0.5 },
      { version: 2, weight: 0.5 },
    ]);
    expect(l.rollouts.churn!.step).toBe(1);
    expect(l.rollouts.churn!.analysis).toHaveLength(1);
    expect(() => renderLockfile(l.rollouts.churn!)).not.toThrow();
  });

  test('promote makes the challenger champion and retires the old one', () => {
    const l = promoteRollout(
      lockAt(2, 1, T0 - 2 * H),
      { model: 'churn', version: 2, results, reason: 'done' },
      at,
    );
    expect(l.models.churn!.versions.map((v) => v.status)).toEqual(['retired', 'champion']);
    expect(l.rollouts.churn!).toMatchObject({ status: 'promoted', versions: [{ version: 2, weight: 1 }] });
    expect(() => renderLockfile(l.models.churn!)).not.toThrow();
    expect(() => renderLockfile(l.rollouts.churn!)).not.toThrow();
  });

  test('rollback sends all traffic to the champion and holds the challenger', () => {
    const l = rollbackRollout(
      lockAt(0, 0.1, T0 - 2 * H),
      { model: 'churn', version: 2, hold: true, status: 'rolled-back', results, reason: 'bad' },
      at,
    );
    expect(l.models.churn!.versions.map((v) => v.status)).toEqual(['champion', 'held']);
    expect(l.rollouts.churn!.versions).toEqual([
      { version: 1, weight: 1 },
      { version: 2, weight: 0 },
    ]);
    expect(() => renderLockfile(l.rollouts.churn!)).not.toThrow();
    expect(() => renderLockfile(l.models.churn!)).not.toThrow();
  });
});

describe('A/B observation with too little data', () => {
  test('no labels yet: the observation is plain JSON (no ±Infinity), so a plan can carry it', () => {
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    const predictions = [1, 2].flatMap((v) =>
      Array.from({ length: 3 }, (_, i) => ({
        requestId: `r${v}-${i}`,
        at: at(i),
        model: 'churn',
        version: v,
        entity: { customer_id: `c${v}${i}` },
        features: {},
        score: 0.5,
        latencyMs: 1,
      })),
    );
    const lock = lockAt(0, 0.5, T0 - 60_000).rollouts.churn!;
    const o = observeRollout({
      policy: policy({
        type: 'abTest',
        split: 0.5,
        metric: 'logloss',
        minSamplesPerArm: 100,
        significance: { method: 'msprt', alpha: 0.05, tuning: 5000 },
        maxDurationMs: 24 * H,
      }),
      lock: { ...lock, startedAt: new Date(T0 - 60_000).toISOString(), strategy: 'abTest' },
      task: 'binary-classification',
      challenger: 2,
      champion: 1,
      now: new Date(T0 + 10_000),
      predictions,
      labels: [],
    });
    expect(o.ab?.decision).toBe('insufficient');
    expect(() => canonicalJson(o)).not.toThrow();
    expect(o.ab!.interval.every((b) => b === null || Number.isFinite(b))).toBe(true);
  });
});

describe('paired canary decisions across reconcile passes (no flip-flop)', () => {
  /** v2's labelled rows since the step began, each with v1's shadow score on the same features. */
  function paired(n: number, challengerGood: boolean, seed: number, fromS = 0) {
    const rng = new Rng(seed);
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    for (let i = 0; i < n; i++) {
      const y = rng.chance(0.3) ? 1 : 0;
      const champion = 0.5 * y + 0.5 * rng.next();
      const own = 0.5 * y + 0.5 * rng.next();
      const at = T0 - H + (fromS + i) * 1000;
      const entity = { customer_id: `c${seed}-${i}` };
      predictions.push({
        requestId: `r${seed}-${i}`,
        at: new Date(at).toISOString(),
        model: 'churn',
        version: 2,
        entity,
        features: {},
        score: challengerGood ? own : 1 - own,
        latencyMs: 1,
        shadow: { version: 1, score: champion },
      });
      labels.push({ at: new Date(at + 500).toISOString(), model: 'churn', entity, label: y });
    }
    return { predictions, labels };
  }
  const p = {
    ...policy(canary),
    analysis: {
      intervalMs: 300_000,
      minSamples: 50,
      failureLimit: 0,
      metrics: [{ metric: 'auc', maxDegradation: 0.05 }],
    },
  } as RolloutPolicy;
  const observe = (lock: LockState, rows: ReturnType<typeof paired>) =>
    observeRollout({
      policy: p,
      lock: lock.rollouts.churn!,
      task: 'binary-classification',
      challenger: 2,
      champion: 1,
      now: new Date(T0),
      ...rows,
    });

  test('GIVEN an advance recorded at pass k THEN pass k+1, on fewer and worse rows, keeps it; without the record it would roll back', () => {
    const lock = lockAt(0, 0.1, T0 - H);
    const k = observe(lock, paired(800, true, 1));
    const auc = k.results.find((r) => r.metric === 'auc')!;
    expect(auc.paired).toMatchObject({ decision: 'advance', n: 800, alpha: 0.05 });
    // The lock records it (as the advance of this step would; here the step is still running).
    const recorded = lockDecisions(0, 2, k.results, new Date(T0).toISOString());
    expect(recorded).toEqual([
      expect.objectContaining({ step: 0, version: 2, metric: 'auc', decision: 'advance', n: 800 }),
    ]);
    lock.rollouts.churn!.decisions = recorded;
    const fewer = paired(120, false, 2);
    const fresh = observe(lockAt(0, 0.1, T0 - H), fewer);
    expect(fresh.verdict).toBe('failed'); // what this pass alone would say
    const next = observe(lock, fewer);
    expect(next.verdict).toBe('passed');
    expect(next.results.find((r) => r.metric === 'auc')!.paired).toMatchObject({
      decision: 'advance',
      n: 800,
      recorded: true,
    });
    expect(next.reasons[0]).toMatch(
      /^auc: advance decided at .* on 800 paired labelled predictions .*; kept for this step \(120 now\)$/,
    );
    // A decision of another step or version is not this step's.
    lock.rollouts.churn!.decisions = [{ ...recorded[0]!, step: 1 }];
    expect(observe(lock, fewer).verdict).toBe('failed');
  });

  test('GIVEN a paired rollback THEN the plan, the lock and the commit summary carry metric, n, bound and α', () => {
    const lock = lockAt(0, 0.1, T0 - H);
    const o = observe(lock, paired(300, false, 3));
    expect(o.verdict).toBe('failed');
    const actions = planRolloutSteps(ctx(p, lock, o), []);
    expect(actions.map((a) => a.type)).toEqual(['rollout.rollback']);
    const a = actions[0]!;
    expect(a.reasons[0]!.message).toMatch(
      /^auc [\d.]+ vs champion [\d.]+ on the same 300 labelled predictions: excess over maxDegradation 5\.0% in \[[\d.]+, [\d.]+\] \(95% confidence sequence\) > 0, worse than allowed$/,
    );
    expect(a.params.results[0]!.paired).toMatchObject({ decision: 'rollback', n: 300, alpha: 0.05 });
    const l = rollbackRollout(
      lock,
      {
        model: 'churn',
        version: 2,
        hold: true,
        status: 'rolled-back',
        results: a.params.results,
        reason: 'bad',
      },
      { at: new Date(T0).toISOString(), prov: {} },
    );
    expect(l.rollouts.churn!.decisions).toEqual([
      expect.objectContaining({
        step: 0,
        version: 2,
        metric: 'auc',
        decision: 'rollback',
        n: 300,
        alpha: 0.05,
      }),
    ]);
    expect(() => renderLockfile(l.rollouts.churn!)).not.toThrow();
  });
});
