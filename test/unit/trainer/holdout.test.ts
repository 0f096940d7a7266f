import { describe, expect, test } from 'vitest';
import { comparisonRows, describeHoldout, unseenRows } from '../../../src/trainer/evaluation/holdout.ts';
import { splitRows } from '../../../src/trainer/evaluation/split.ts';

// 100 label rows, one a day, ordered by label time (the training-set layout).
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const labelTs = Float64Array.from({ length: 100 }, (_, i) => T0 + i * DAY);
const keys = Array.from({ length: 100 }, (_, i) => `c${i % 37}`);
const iso = (i: number) => new Date(T0 + i * DAY).toISOString();

/** A version trained on rows 0..n-1 with a split: what its lock records. */
function trained(
  version: number,
  n: number,
  split: { method: 'time' | 'random'; holdout: number },
  seed = 42,
) {
  const s = splitRows(n, { ...split, validation: 0 }, seed);
  return {
    version,
    cutoff: iso(n - 1),
    seed,
    holdout: describeHoldout(s.holdout, labelTs, keys),
  };
}

describe('rows neither version trained on', () => {
  test('after a split change the candidate holdout overlaps the champion training rows: only the champion holdout counts', () => {
    // GIVEN a champion trained with a 20% time holdout on rows 0..79 (holdout 64..79)
    const champion = trained(1, 80, { method: 'time', holdout: 0.2 });
    // AND a candidate trained on all 100 rows after the split changed to a 50% holdout (50..99)
    const split = { method: 'time' as const, holdout: 0.5, validation: 0 };
    const candidate = trained(2, 100, split);
    // WHEN the comparison rows are chosen
    const r = comparisonRows(labelTs, keys, candidate, champion, split);
    // THEN rows 50..63 (the champion trained on them) are left out; 64..99 remain
    expect(r.rows).toEqual(Array.from({ length: 36 }, (_, i) => 64 + i));
    expect(r.how[1]).toBe(
      `v1: 16 holdout rows (its time-split holdout, digest verified) + 20 after its cut-off`,
    );
  });

  test('a holdout that cannot be identified here leaves only the rows after the cut-off', () => {
    const champion = {
      ...trained(1, 80, { method: 'time', holdout: 0.2 }),
      holdout: { digest: 'sha256:' + '0'.repeat(64), rows: 16, from: iso(64) },
    };
    const u = unseenRows(labelTs, keys, champion, { method: 'time', holdout: 0.2, validation: 0 });
    expect([...u.rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect(u.how).toMatch(/20 rows after its cut-off .* \(its holdout does not match these rows\)/);
  });

  test('a random split is recognised from its seed', () => {
    const split = { method: 'random' as const, holdout: 0.2, validation: 0 };
    const champion = trained(1, 80, split, 7);
    const u = unseenRows(labelTs, keys, champion, split);
    const expected = new Set([
      ...splitRows(80, split, 7).holdout,
      ...Array.from({ length: 20 }, (_, i) => 80 + i),
    ]);
    expect(u.rows).toEqual(expected);
    expect(u.how).toMatch(/its random split with seed 7, digest verified/);
  });

  test('the same training set and split: the whole candidate holdout is comparable', () => {
    const split = { method: 'time' as const, holdout: 0.2, validation: 0 };
    const v1 = trained(1, 100, split);
    const v2 = trained(2, 100, split);
    expect(comparisonRows(labelTs, keys, v2, v1, split).rows).toEqual(splitRows(100, split, 42).holdout);
  });
});
