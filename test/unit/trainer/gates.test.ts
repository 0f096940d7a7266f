import { describe, expect, test } from 'vitest';
import { evaluateGates } from '../../../src/trainer/evaluation/gates.ts';

describe('promotion gates', () => {
  test('passes when every floor holds and the candidate beats the champion by the margin', () => {
    const d = evaluateGates({
      gates: [{ metric: 'auc', min: 0.7, beatChampionBy: 0.01 }],
      candidate: { auc: 0.83 },
      champion: { auc: 0.81 },
    });
    expect(d.decision).toBe('passed');
    expect(d.checks).toEqual([
      {
        metric: 'auc',
        kind: 'min',
        threshold: 0.7,
        candidate: 0.83,
        champion: 0.81,
        improvement: expect.closeTo(0.02, 12),
        status: 'passed',
        reason: 'auc 0.83 ≥ min 0.7',
      },
      expect.objectContaining({
        kind: 'beatChampionBy',
        status: 'passed',
        reason: 'auc 0.83 vs champion 0.81: better by 0.02 (higher is better), needs to beat it by 0.01',
      }),
    ]);
  });

  test('rejects a candidate that does not beat the champion by enough, with the numbers', () => {
    const d = evaluateGates({
      gates: [{ metric: 'auc', beatChampionBy: 0.01 }],
      candidate: { auc: 0.815 },
      champion: { auc: 0.81 },
    });
    expect(d.decision).toBe('rejected');
    expect(d.failures).toEqual([
      'beatChampionBy auc: auc 0.815 vs champion 0.81: better by 0.005 (higher is better), needs to beat it by 0.01',
    ]);
  });

  test('lower-is-better metrics flip the comparison', () => {
    const better = evaluateGates({
      gates: [{ metric: 'rmse', max: 30000, beatChampionBy: 500 }],
      candidate: { rmse: 24000 },
      champion: { rmse: 25000 },
    });
    expect(better.decision).toBe('passed');
    expect(better.checks[1]!.improvement).toBe(1000);
    const worse = evaluateGates({
      gates: [{ metric: 'logloss', maxRegression: 0.01 }],
      candidate: { logloss: 0.45 },
      champion: { logloss: 0.42 },
    });
    expect(worse.decision).toBe('rejected');
    expect(worse.failures[0]).toMatch(
      /logloss 0\.45 vs champion 0\.42: regressed by 0\.03 \(lower is better\), tolerance 0\.01/,
    );
  });

  test('maxRegression tolerates a small regression', () => {
    expect(
      evaluateGates({
        gates: [{ metric: 'accuracy', maxRegression: 0.02 }],
        candidate: { accuracy: 0.89 },
        champion: { accuracy: 0.9 },
      }).decision,
    ).toBe('passed');
  });

  test('without a champion yet the comparative gates are skipped, floors still apply', () => {
    const d = evaluateGates({
      gates: [{ metric: 'auc', min: 0.9, beatChampionBy: 0.01 }],
      candidate: { auc: 0.85 },
    });
    expect(d.decision).toBe('rejected');
    expect(d.checks.map((c) => [c.kind, c.status, c.reason])).toEqual([
      ['min', 'failed', 'auc 0.85 < min 0.9'],
      ['beatChampionBy', 'skipped', 'no champion yet: nothing to compare with'],
    ]);
    expect(d.undecided).toBe(false);
  });

  test('fail closed: a champion that cannot be compared with fails the comparative gates, with the next step', () => {
    const d = evaluateGates({
      gates: [
        { metric: 'auc', min: 0.7, beatChampionBy: 0.002 },
        { metric: 'logloss', maxRegression: 0.02 },
      ],
      candidate: { auc: 0.966, logloss: 0.2 },
      championNote: 'artifact sha256:ab12 of v1 is not in the store at /repo/.rudder/artifacts',
      championNextStep: 'run `rudder artifacts pull` or configure a shared artifact store',
    });
    expect(d.decision).toBe('rejected');
    // No verdict on the candidate: only comparisons that could not be made failed.
    expect(d.undecided).toBe(true);
    expect(d.checks.map((c) => [c.kind, c.status])).toEqual([
      ['min', 'passed'],
      ['beatChampionBy', 'failed'],
      ['maxRegression', 'failed'],
    ]);
    expect(d.failures[0]).toBe(
      'beatChampionBy auc: the champion cannot be compared with: artifact sha256:ab12 of v1 is not in the store at /repo/.rudder/artifacts; the candidate stays a candidate. Next: run `rudder artifacts pull` or configure a shared artifact store',
    );
  });

  test('whenChampionUnavailable: skip is the only way to skip an unavailable champion', () => {
    const d = evaluateGates({
      gates: [{ metric: 'auc', beatChampionBy: 0.002, whenChampionUnavailable: 'skip' }],
      candidate: { auc: 0.9 },
      championNote: 'v1 cannot be scored: its features no longer exist',
    });
    expect(d.decision).toBe('passed');
    expect(d.checks[0]!.reason).toBe(
      'the champion cannot be compared with: v1 cannot be scored: its features no longer exist (skipped: the gate says whenChampionUnavailable: skip)',
    );
    expect(
      evaluateGates({
        gates: [{ metric: 'auc', beatChampionBy: 0.002, whenChampionUnavailable: 'fail' }],
        candidate: { auc: 0.9 },
        championNote: 'x',
      }).decision,
    ).toBe('rejected');
  });

  test('comparative gates use the metrics on the rows neither version trained on; floors use the holdout', () => {
    const d = evaluateGates({
      gates: [{ metric: 'auc', min: 0.9, beatChampionBy: 0.01 }],
      candidate: { auc: 0.984 },
      candidateCompared: { auc: 0.95 },
      champion: { auc: 0.97 },
      comparedRows: 120,
    });
    expect(d.checks.map((c) => [c.kind, c.status, c.candidate, c.reason])).toEqual([
      ['min', 'passed', 0.984, 'auc 0.984 ≥ min 0.9'],
      [
        'beatChampionBy',
        'failed',
        0.95,
        'auc 0.95 vs champion 0.97 on 120 rows neither trained on: worse by 0.02 (higher is better), needs to beat it by 0.01',
      ],
    ]);
  });

  test('a metric the candidate lacks fails its gate', () => {
    expect(evaluateGates({ gates: [{ metric: 'f1', min: 0.5 }], candidate: { auc: 0.9 } }).failures).toEqual([
      'min f1: the candidate has no f1',
    ]);
  });

  test('no gates: passed', () => {
    expect(evaluateGates({ gates: [], candidate: { auc: 0.5 } })).toEqual({
      decision: 'passed',
      checks: [],
      failures: [],
      undecided: false,
    });
  });
});
