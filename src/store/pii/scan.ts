// Scan a staged source's text columns with PII detectors. DuckDB runs each detector's RE2
// prefilter over the whole column; only the rows it lets through reach the precise JS checks.
import type { DataPolicy, Detector } from '../../compiler/desired-state.ts';
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import { type Db, ident, lit, num } from '../duckdb/sql.ts';
import type { Staged } from '../duckdb/stage.ts';
import { DETECTORS } from './detectors.ts';

/** One row that a detector matched: where it is and its identity, never its value. */
export interface Hit {
  file: number;
  row: number;
  /** JSON array of the entity key values as text. */
  key: string;
  /** ISO event time. */
  ts: string;
}

export interface ColumnHits {
  /** Source column name (what users and allow entries name). */
  column: string;
  detector: Detector;
  allowed: boolean;
  hits: Hit[];
}

export interface StagedScan {
  scannedRows: number;
  results: ColumnHits[];
}

/** Columns of the stage that hold text, with their source names. */
export function textColumns(staged: Staged): { stage: string; column: string; names: string[] }[] {
  const out: { stage: string; column: string; names: string[] }[] = [];
  for (const k of staged.keys)
    if (k.type === 'VARCHAR') out.push({ stage: k.stage, column: k.name, names: [k.name] });
  for (const f of staged.features)
    if (f.type === 'string' || f.type === 'category')
      out.push({ stage: f.stage, column: f.column, names: [f.column, f.name] });
  if (staged.labelType === 'VARCHAR' && staged.labelColumn)
    out.push({ stage: '__label', column: staged.labelColumn, names: [staged.labelColumn] });
  return out;
}

export function isAllowed(
  policy: DataPolicy,
  view: string,
  names: readonly string[],
  detector: Detector,
): boolean {
  return policy.allow.some(
    (a) => a.view === view && names.includes(a.column) && (a.detector == null || a.detector === detector),
  );
}

/**
 * The rows the policy's sample covers: every row, a deterministic fraction, or a fixed number
 * of rows picked by a hash of their position (same data, same sample).
 */
function sampleFrom(staged: Staged, sample: DataPolicy['sample']): string {
  const t = ident(staged.table);
  if (sample.type === 'fraction')
    return `(SELECT * FROM ${t} WHERE hash(__file, __row) % 1000000 < ${Math.round(sample.fraction * 1_000_000)})`;
  if (sample.type === 'rows')
    return `(SELECT * FROM ${t} ORDER BY hash(__file, __row), __file, __row LIMIT ${Math.floor(sample.rows)})`;
  return t;
}

export async function scanStaged(
  db: Db,
  staged: Staged,
  view: string,
  policy: DataPolicy,
): Promise<StagedScan> {
  const from = sampleFrom(staged, policy.sample);
  const scannedRows = num((await db.one(`SELECT count(*) AS n FROM ${from}`)).n);
  const found: { column: string; names: string[]; detector: Detector; positions: bigint[] }[] = [];
  for (const col of textColumns(staged)) {
    const detectors = policy.detectors;
    const c = ident(col.stage);
    const flags = detectors.map((d, i) => `regexp_matches(${c}, ${lit(DETECTORS[d].prefilter)}) AS __d${i}`);
    // Columnar reads: converting row objects costs more than the scan itself on wide matches.
    const reader = await db.conn.runAndReadAll(
      `SELECT __file::BIGINT * 4294967296 + __row AS __pos, ${c} AS __v, ${flags.join(', ')} FROM ${from}
       WHERE ${detectors.map((d) => `regexp_matches(${c}, ${lit(DETECTORS[d].prefilter)})`).join(' OR ')}`,
    );
    if (reader.currentRowCount === 0) continue;
    const cols = reader.getColumnsJS() as unknown[][];
    const pos = cols[0] as bigint[];
    const values = cols[1] as string[];
    detectors.forEach((d, i) => {
      const flag = cols[2 + i] as boolean[];
      const hits: bigint[] = [];
      for (let r = 0; r < values.length; r++)
        if (flag[r] && DETECTORS[d].find(values[r]!).length > 0) hits.push(pos[r]!);
      if (hits.length > 0)
        found.push({
          column: col.column,
          names: col.names,
          detector: d,
          positions: hits.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        });
    });
  }
  const results: ColumnHits[] = [];
  for (const f of found) {
    const allowed = isAllowed(policy, view, f.names, f.detector);
    // Identities (keys, event time) are needed only for rows a quarantine may hold.
    const hits = allowed ? f.positions.map(fromPosition) : await identify(db, staged, f.positions);
    results.push({ column: f.column, detector: f.detector, allowed, hits });
  }
  results.sort((a, b) =>
    a.column < b.column
      ? -1
      : a.column > b.column
        ? 1
        : a.detector < b.detector
          ? -1
          : a.detector > b.detector
            ? 1
            : 0,
  );
  return { scannedRows, results };
}

function fromPosition(p: bigint): Hit {
  return { file: Number(p / 4294967296n), row: Number(p % 4294967296n), key: '', ts: '' };
}

async function identify(db: Db, staged: Staged, positions: readonly bigint[]): Promise<Hit[]> {
  const keyJson = `to_json([${staged.keys.map((k) => `CAST(${ident(k.stage)} AS VARCHAR)`).join(', ')}])`;
  const reader = await db.conn.runAndReadAll(
    `SELECT __file, __row, ${keyJson} AS __key, epoch_us(__ts) AS __us FROM ${ident(staged.table)}
     WHERE __file::BIGINT * 4294967296 + __row IN (SELECT unnest($1)) ORDER BY __file, __row`,
    [listValue([...positions])],
    [LIST(BIGINT)],
  );
  if (reader.currentRowCount === 0) return [];
  const [files, rows, keys, us] = reader.getColumnsJS() as [number[], bigint[], string[], bigint[]];
  return files.map((f, i) => ({
    file: Number(f),
    row: Number(rows[i]!),
    key: keys[i]!,
    ts: isoMicros(us[i]!),
  }));
}

/** ISO-8601 with microseconds, exact (a Date would round to milliseconds). */
function isoMicros(us: bigint): string {
  const ms = us / 1000n;
  const rest = Number(((us % 1000n) + 1000n) % 1000n);
  const base = new Date(Number(us < 0n && rest !== 0 ? ms - 1n : ms)).toISOString();
  return `${base.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}
