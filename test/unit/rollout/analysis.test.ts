import { describe, expect, test } from 'vitest';
import {
  analyzeStep,
  joinLabels,
  perSampleValues,
  type AnalysisInput,
} from '../../../src/rollout/analysis.ts';
import type { LabelRecord, PredictionRecord } from '../../../src/prediction-log/port.ts';
import { Rng } from '../../../src/util/rng.ts';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const MIN = 60_000;

/** Traffic for [from, to): `rate` requests per minute, 10% to v2, the rest to v1. */
function traffic(opts: {
  fromMin: number;
  toMin: number;
  perMin: number;
  seed?: number;
  errorRate?: (version: number) => number;
  /** Probability the score ranks correctly (binary quality). */
  skill?: (version: number) => number;
  /** The champion (v1) shadow-scores v2's rows, as rudder serve does during a canary. Default true. */
  shadow?: boolean;
}): { predictions: PredictionRecord[]; labels: LabelRecord[] } {
  const rng = new Rng(opts.seed ?? 1);
  const predictions: PredictionRecord[] = [];
  const labels: LabelRecord[] = [];
  let id = 0;
  for (let m = opts.fromMin; m < opts.toMin; m++)
    for (let i = 0; i < opts.perMin; i++) {
      const at = T0 + m * MIN + Math.floor((i / opts.perMin) * MIN);
      const version = rng.chance(0.1) ? 2 : 1;
      const entity = { customer_id: `c${id}` };
      const y = rng.chance(0.3) ? 1 : 0;
      const good = rng.chance(opts.skill?.(version) ?? 0.9);
      const score = good ? (y === 1 ? 0.8 : 0.2) : y === 1 ? 0.2 : 0.8;
      const err = rng.chance(opts.errorRate?.(version) ?? 0);
      const champ = rng.chance(opts.skill?.(1) ?? 0.9);
      const shadow =
        version === 2 && !err && opts.shadow !== false
          ? { shadow: { version: 1, score: champ ? (y === 1 ? 0.8 : 0.2) : y === 1 ? 0.2 : 0.8 } }
          : {};
      predictions.push({
        requestId: `r${id++}`,
        at: new Date(at).toISOString(),
        model: 'churn',
        version,
        entity,
        features: {},
        score: err ? null : score,
        latencyMs: 1 + rng.next(),
        ...(err ? { error: 'boom' } : {}),
        ...shadow,
      });
      labels.push({ at: new Date(at + 1000).toISOString(), model: 'churn', entity, label: y });
    }
  return { predictions, labels };
}

const base = (over: Partial<AnalysisInput>): AnalysisInput => ({
  task: 'binary-classification',
  version: 2,
  baselineVersion: 1,
  stepStartedAt: new Date(T0),
  now: new Date(T0 + 10 * MIN),
  predictions: [],
  labels: [],
  settings: {
    intervalMs: 5 * MIN,
    minSamples: 50,
    failureLimit: 0,
    metrics: [
      { metric: 'error_rate', max: 0.05 },
      { metric: 'accuracy', maxDegradation: 0.1 },
    ],
  },
  ...over,
});

describe('rollout analysis (Argo semantics)', () => {
  test('GIVEN a healthy challenger WHEN two intervals complete THEN a measurement per operational metric per interval, one paired decision for the step, and it passes', () => {
    const t = traffic({ fromMin: 0, toMin: 10, perMin: 600 });
    const r = analyzeStep(base(t));
    expect(r.measurements.map((m) => [m.metric, m.phase, m.partial])).toEqual([
      ['error_rate', 'Successful', false],
      ['error_rate', 'Successful', false],
      ['accuracy', 'Successful', false],
    ]);
    const paired = r.measurements.at(-1)!;
    expect([paired.from, paired.to]).toEqual([
      new Date(T0).toISOString(),
      new Date(T0 + 10 * MIN).toISOString(),
    ]);
    expect(paired.paired).toMatchObject({ decision: 'advance', alpha: 0.05, maxDegradation: 0.1 });
    expect(paired.paired!.bound[1]).toBeLessThan(0);
    expect(paired.samples).toBe(paired.paired!.n);
    expect(r.verdict).toBe('passed');
    expect(r.reasons.at(-1)).toMatch(
      /^accuracy 0\.\d+ vs champion 0\.\d+ on the same \d+ labelled predictions: .* < 0, within the allowance$/,
    );
  });

  test('GIVEN a challenger that errors THEN error_rate fails and the analysis fails (failureLimit 0)', () => {
    const t = traffic({ fromMin: 0, toMin: 5, perMin: 300, errorRate: (v) => (v === 2 ? 0.5 : 0) });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 5 * MIN) }));
    expect(r.verdict).toBe('failed');
    expect(r.reasons[0]).toMatch(/^error_rate 0\.\d+ > max 0\.05 .*failureLimit 0$/);
  });

  test('GIVEN failureLimit 1 THEN one failed interval is tolerated and a second fails', () => {
    const t1 = traffic({ fromMin: 0, toMin: 5, perMin: 600, errorRate: (v) => (v === 2 ? 0.5 : 0) });
    const t2 = traffic({ fromMin: 5, toMin: 10, perMin: 600, seed: 2 });
    const settings = { ...base({}).settings, failureLimit: 1 };
    const healthy = analyzeStep(
      base({
        predictions: [...t1.predictions, ...t2.predictions],
        labels: [...t1.labels, ...t2.labels],
        settings,
      }),
    );
    expect(healthy.verdict).toBe('passed');
    const t3 = traffic({
      fromMin: 5,
      toMin: 10,
      perMin: 600,
      seed: 3,
      errorRate: (v) => (v === 2 ? 0.5 : 0),
    });
    const bad = analyzeStep(
      base({
        predictions: [...t1.predictions, ...t3.predictions],
        labels: [...t1.labels, ...t3.labels],
        settings,
      }),
    );
    expect(bad.verdict).toBe('failed');
  });

  test('GIVEN a challenger whose quality is far worse than the champion on the same rows THEN the paired bound excludes "within maxDegradation" and it fails', () => {
    const t = traffic({ fromMin: 0, toMin: 5, perMin: 300, skill: (v) => (v === 2 ? 0.4 : 0.9) });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 5 * MIN) }));
    expect(r.verdict).toBe('failed');
    const m = r.measurements.find((x) => x.metric === 'accuracy')!;
    expect(m.rule).toBe('maxDegradation');
    expect(m.baseline!).toBeGreaterThan(0.8);
    expect(m.value!).toBeLessThan(0.5);
    expect(m.paired).toMatchObject({ decision: 'rollback', n: m.samples, alpha: 0.05 });
    expect(m.paired!.bound[0]).toBeGreaterThan(0);
    expect(r.reasons).toEqual([m.message]);
    expect(m.message).toMatch(/on the same \d+ labelled predictions: .* > 0, worse than allowed$/);
  });

  test('GIVEN few paired rows THEN the paired decision waits and says how many more it likely needs', () => {
    const t = traffic({ fromMin: 0, toMin: 10, perMin: 60, skill: (v) => (v === 2 ? 0.85 : 0.9) });
    const r = analyzeStep(base(t));
    const m = r.measurements.find((x) => x.metric === 'accuracy')!;
    expect(m.phase).toBe('Inconclusive');
    expect(m.paired?.decision).toBe('wait');
    expect(m.message).toMatch(
      /^accuracy: waiting — \d+ paired labelled predictions, excess bound \[-?[\d.]+, -?[\d.]+\] includes 0 at α 0\.05; ~\d+ more likely needed$/,
    );
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons).toContain(m.message);
  });

  test('GIVEN challenger rows without the champion shadow score THEN they never count: inconclusive, and it says the shadow scores are missing', () => {
    const t = traffic({ fromMin: 0, toMin: 10, perMin: 600, shadow: false });
    const r = analyzeStep(base(t));
    const m = r.measurements.find((x) => x.metric === 'accuracy')!;
    expect(m.phase).toBe('Inconclusive');
    expect(m.samples).toBe(0);
    expect(m.message).toMatch(
      /carries the champion v1's shadow score; the champion's shadow scores are missing/,
    );
    expect(r.verdict).toBe('inconclusive');
  });

  test('GIVEN customers that differ between the slices THEN disjoint slices would roll a healthy challenger back, while the paired analysis does not (it waits or advances)', () => {
    // The challenger's 10% slice happens to hold the hard customers: on them both versions rank
    // worse. Comparing its slice with the champion's 90% (the old rule) sees a 20% drop; on the
    // same rows the two are as good as each other.
    const rng = new Rng(7);
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    for (let i = 0; i < 6000; i++) {
      const at = T0 + Math.floor((i / 6000) * 10 * MIN);
      const version = i % 10 === 0 ? 2 : 1;
      const skill = version === 2 ? 0.7 : 0.9; // the slice's customers are harder for any model
      const y = rng.chance(0.3) ? 1 : 0;
      const s = (good: boolean) => (good ? (y === 1 ? 0.8 : 0.2) : y === 1 ? 0.2 : 0.8);
      const entity = { customer_id: `c${i}` };
      predictions.push({
        requestId: `r${i}`,
        at: new Date(at).toISOString(),
        model: 'churn',
        version,
        entity,
        features: {},
        score: s(rng.chance(skill)),
        latencyMs: 1,
        ...(version === 2 ? { shadow: { version: 1, score: s(rng.chance(skill)) } } : {}),
      });
      labels.push({ at: new Date(at + 1000).toISOString(), model: 'churn', entity, label: y });
    }
    const r = analyzeStep(base({ predictions, labels }));
    const m = r.measurements.find((x) => x.metric === 'accuracy')!;
    expect(m.phase).not.toBe('Failed');
    expect(r.verdict).not.toBe('failed');
    // The old rule on the same data: the champion's slice against the challenger's, per interval.
    const disjoint = analyzeStep(base({ predictions, labels, baselineVersion: undefined }));
    const acc = (v: number) => {
      const rows = joinLabels(
        predictions.filter((p) => p.version === v),
        labels,
      );
      return rows.filter((x) => (x.prediction.score! >= 0.5 ? 1 : 0) === x.label).length / rows.length;
    };
    expect(1 - acc(2) / acc(1)).toBeGreaterThan(0.1); // > maxDegradation: the old rule failed it
    expect(disjoint.verdict).toBe('passed'); // (no champion: thresholds only)
    expect(m.value! / m.baseline!).toBeGreaterThan(0.9);
  });

  test('GIVEN too few samples THEN measurements are inconclusive and nothing is decided', () => {
    const t = traffic({ fromMin: 0, toMin: 10, perMin: 20 });
    const r = analyzeStep(base(t));
    expect(r.verdict).toBe('inconclusive');
    expect(r.measurements.every((m) => m.phase === 'Inconclusive')).toBe(true);
    expect(r.measurements[0]!.message).toMatch(/< minSamples 50/);
  });

  test('GIVEN a bad challenger WHEN the running interval already has minSamples THEN it fails before the interval ends', () => {
    const t = traffic({ fromMin: 0, toMin: 3, perMin: 300, errorRate: (v) => (v === 2 ? 0.5 : 0) });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 3 * MIN) }));
    expect(r.verdict).toBe('failed');
    expect(r.measurements.filter((m) => m.metric === 'error_rate').every((m) => m.partial)).toBe(true);
  });

  test('GIVEN a healthy running interval THEN it is not counted until it completes', () => {
    const t = traffic({ fromMin: 0, toMin: 3, perMin: 300 });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 3 * MIN) }));
    expect(r.measurements.filter((m) => !m.paired)).toEqual([]);
    expect(r.verdict).toBe('inconclusive');
  });

  test('labels join the latest prediction of the entity at or before them, once', () => {
    const p = (id: string, at: number, version: number): PredictionRecord => ({
      requestId: id,
      at: new Date(at).toISOString(),
      model: 'm',
      version,
      entity: { k: 1 },
      features: {},
      score: 0.5,
      latencyMs: 1,
    });
    const pairs = joinLabels(
      [p('a', T0, 1), p('b', T0 + 10, 2), p('c', T0 + 100, 1)],
      [
        { at: new Date(T0 + 50).toISOString(), model: 'm', entity: { k: '1' }, label: 1 },
        { at: new Date(T0 + 60).toISOString(), model: 'm', entity: { k: 1 }, label: 0 },
      ],
    );
    expect(pairs.map((x) => x.prediction.requestId)).toEqual(['b']);
  });

  test('A/B per-sample values refuse metrics that are not means', () => {
    expect(perSampleValues('auc', 'binary-classification', [], [])).toHaveProperty('error');
    expect(
      perSampleValues(
        'error_rate',
        'binary-classification',
        traffic({ fromMin: 0, toMin: 1, perMin: 10 }).predictions,
        [],
      ),
    ).toEqual({
      values: Array(10).fill(0),
    });
  });
});
