// Identity of a holdout (which rows, so "evaluated on the same holdout" can be checked), and
// the rows a champion comparison may use: only rows neither version trained on.
import { createHash } from 'node:crypto';
import type { Model } from '../../compiler/desired-state.ts';
import { splitRows } from './split.ts';
import type { TrainResult } from '../trainer.ts';

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

/** What a version's lock says about the rows it saw: its cut-off, seed and holdout identity. */
export interface VersionRows {
  version: number;
  /** Point-in-time cut-off of its training set (ISO): it never saw a label after it. */
  cutoff: string;
  seed: number;
  holdout?: { digest: string; rows: number; from: string };
}

/**
 * The fewest rows a champion comparison may use: fewer and the verdict is noise (one row of 29
 * moves AUC by several points), so the comparison fails closed instead.
 */
export const MIN_COMPARISON_ROWS = 30;

export interface UnseenRows {
  /** Row indices (file order) the version never trained on. */
  rows: Set<number>;
  /** How they were found, for the report. */
  how: string;
}

/**
 * The rows of a training set (label times and entity keys in file order) that one version never
 * trained on: every row after its cut-off, plus its own holdout when that can be identified here
 * (the rows up to its cut-off are its training set again, and a time suffix or the split with
 * its seed hashes to the holdout digest its lock records). When the holdout cannot be
 * identified (late labels, quarantines, a changed split), only rows after the cut-off count.
 */
export function unseenRows(
  labelTs: Float64Array,
  entityKeys: readonly string[],
  version: VersionRows,
  split: Model['split'],
): UnseenRows {
  const cutoff = Date.parse(version.cutoff);
  const rows = new Set<number>();
  const seen: number[] = [];
  for (let i = 0; i < labelTs.length; i++) {
    if (labelTs[i]! > cutoff) rows.add(i);
    else seen.push(i);
  }
  const after = rows.size;
  const h = version.holdout;
  if (h && h.rows > 0 && h.rows <= seen.length) {
    const candidates: [string, number[]][] = [
      ['its time-split holdout', seen.slice(seen.length - h.rows)],
      [
        `its ${split.method} split with seed ${version.seed}`,
        splitRows(seen.length, split, version.seed).holdout.map((i) => seen[i]!),
      ],
    ];
    for (const [name, idx] of candidates) {
      if (idx.length !== h.rows) continue;
      if (describeHoldout(idx, labelTs, entityKeys).digest !== h.digest) continue;
      for (const i of idx) rows.add(i);
      return {
        rows,
        how: `v${version.version}: ${h.rows} holdout rows (${name}, digest verified) + ${after} after its cut-off`,
      };
    }
  }
  return {
    rows,
    how: `v${version.version}: ${after} rows after its cut-off ${version.cutoff} (its holdout ${h ? 'does not match these rows' : 'is not recorded'})`,
  };
}

/** Rows neither version trained on, ascending; with how each side's rows were found. */
export function comparisonRows(
  labelTs: Float64Array,
  entityKeys: readonly string[],
  candidate: VersionRows,
  champion: VersionRows,
  split: Model['split'],
): { rows: number[]; how: string[] } {
  const a = unseenRows(labelTs, entityKeys, candidate, split);
  const b = unseenRows(labelTs, entityKeys, champion, split);
  const rows = [...a.rows].filter((i) => b.rows.has(i)).sort((x, y) => x - y);
  return { rows, how: [a.how, b.how] };
}
