// Train / validation / holdout split of a training set's rows. Pure: the same row count, split
// spec and seed always give the same indices, so a champion is re-scored on exactly the rows
// its challenger was measured on.
import type { Model } from '../../compiler/desired-state.ts';
import { Rng } from '../../util/rng.ts';

export interface SplitIndices {
  /** Ascending row indices (file order). */
  train: number[];
  validation: number[];
  holdout: number[];
}

/**
 * `time` (default): rows are ordered by label time, so the holdout is the most recent
 * `holdout` share and the validation set the most recent `validation` share of what is left.
 * `random`: a seeded permutation. Each part gets at least one row when its share is positive
 * and there are rows to spare; training always keeps at least one.
 */
export function splitRows(rows: number, split: Model['split'], seed: number): SplitIndices {
  const nHoldout = share(rows, split.holdout, rows - 1);
  const nValidation = share(rows - nHoldout, split.validation, rows - nHoldout - 1);
  const nTrain = rows - nHoldout - nValidation;
  if (split.method === 'time') {
    return {
      train: range(0, nTrain),
      validation: range(nTrain, nTrain + nValidation),
      holdout: range(nTrain + nValidation, rows),
    };
  }
  const perm = permutation(rows, seed);
  const asc = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  return {
    holdout: asc(perm.slice(0, nHoldout)),
    validation: asc(perm.slice(nHoldout, nHoldout + nValidation)),
    train: asc(perm.slice(nHoldout + nValidation)),
  };
}

function share(n: number, fraction: number, max: number): number {
  if (fraction <= 0 || max <= 0) return 0;
  return Math.min(max, Math.max(1, Math.round(n * fraction)));
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** Fisher–Yates with the project's seeded generator. */
export function permutation(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const out = range(0, n);
  shuffleInPlace(out, rng);
  return out;
}

export function shuffleInPlace<T>(xs: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
}
