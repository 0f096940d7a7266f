import { describe, expect, test } from 'vitest';
import { diffSpecs } from '../../../src/compiler/spec-diff.ts';

describe('spec diffs name the fields', () => {
  test('changed, added and removed fields, nested and in lists', () => {
    const before = {
      trainer: { epochs: 50, hidden: [64, 32] },
      split: { holdout: 0.2 },
      features: [{ ref: 'a:x' }],
    };
    const after = {
      trainer: { epochs: 1, hidden: [64, 32], dropout: 0.1 },
      split: { holdout: 0.2 },
      features: [{ ref: 'a:y' }],
    };
    expect(diffSpecs(before, after)).toEqual([
      'features[0].ref a:x → a:y',
      'trainer.dropout (unset) → 0.1',
      'trainer.epochs 50 → 1',
    ]);
  });

  test('identical specs give nothing; long lists are cut with a count', () => {
    expect(diffSpecs({ a: 1 }, { a: 1 })).toEqual([]);
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i]));
    const other = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i + 1]));
    expect(diffSpecs(many, other, 3)).toEqual(['k0 0 → 1', 'k1 1 → 2', 'k2 2 → 3', '… and 5 more']);
  });
});
