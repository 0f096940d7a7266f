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
  test('GIVEN a healthy challenger WHEN two intervals complete THEN a measurement per metric per interval, and it passes', () => {
    const t = traffic({ fromMin: 0, toMin: 10, perMin: 300 });
    const r = analyzeStep(base(t));
    expect(r.measurements.map((m) => [m.metric, m.phase, m.partial])).toEqual([
      ['error_rate', 'Successful', false],
      ['accuracy', 'Successful', false],
      ['error_rate', 'Successful', false],
      ['accuracy', 'Successful', false],
    ]);
    expect(r.verdict).toBe('passed');
    expect(r.metrics.every((s) => s.successful === 2)).toBe(true);
  });

  test('GIVEN a challenger that errors THEN error_rate fails and the analysis fails (failureLimit 0)', () => {
    const t = traffic({ fromMin: 0, toMin: 5, perMin: 300, errorRate: (v) => (v === 2 ? 0.5 : 0) });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 5 * MIN) }));
    expect(r.verdict).toBe('failed');
    expect(r.reasons[0]).toMatch(/^error_rate 0\.\d+ > max 0\.05 .*failureLimit 0$/);
  });

  test('GIVEN failureLimit 1 THEN one failed interval is tolerated and a second fails', () => {
    const t1 = traffic({ fromMin: 0, toMin: 5, perMin: 300, errorRate: (v) => (v === 2 ? 0.5 : 0) });
    const t2 = traffic({ fromMin: 5, toMin: 10, perMin: 300, seed: 2 });
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
      perMin: 300,
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

  test('GIVEN a challenger whose quality is far worse than the champion on the same window THEN maxDegradation fails it', () => {
    const t = traffic({ fromMin: 0, toMin: 5, perMin: 300, skill: (v) => (v === 2 ? 0.4 : 0.9) });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 5 * MIN) }));
    expect(r.verdict).toBe('failed');
    const m = r.measurements.find((x) => x.metric === 'accuracy')!;
    expect(m.rule).toBe('maxDegradation');
    expect(m.baseline!).toBeGreaterThan(0.8);
    expect(m.value!).toBeLessThan(0.5);
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
    expect(r.measurements.every((m) => m.partial)).toBe(true);
  });

  test('GIVEN a healthy running interval THEN it is not counted until it completes', () => {
    const t = traffic({ fromMin: 0, toMin: 3, perMin: 300 });
    const r = analyzeStep(base({ ...t, now: new Date(T0 + 3 * MIN) }));
    expect(r.measurements).toEqual([]);
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
