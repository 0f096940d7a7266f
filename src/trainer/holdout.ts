// Identity of a holdout: which rows, so "evaluated on the same holdout" can be checked.
import { createHash } from 'node:crypto';
import type { TrainResult } from './trainer.ts';

export function describeHoldout(
  rows: readonly number[],
  labelTs: Float64Array,
  entityKeys: readonly string[],
): TrainResult['holdout'] {
  const h = createHash('sha256');
  let from = Number.POSITIVE_INFINITY;
  for (const r of rows) {
    const t = labelTs[r]!;
    if (t < from) from = t;
    h.update(`${entityKeys[r]}\t${t}\n`);
  }
  return {
    rows: rows.length,
    from: Number.isFinite(from) ? new Date(from).toISOString() : '',
    digest: `sha256:${h.digest('hex')}`,
  };
}
