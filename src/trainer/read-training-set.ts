// Read a training-set Parquet file (layout in src/store/port.ts) into columns, with DuckDB.
import { withDuckDB, type DuckDBConnection } from '../store/duckdb/read-query.ts';
import { LABEL_COLUMN, LABEL_TS_COLUMN, type TrainingSet } from '../store/port.ts';
import { isNumericType, type ColumnTable, type FeatureRef } from './tfjs/preprocess.ts';
import { TrainerError } from './trainer.ts';

export interface LoadedTrainingSet {
  table: ColumnTable;
  /** Label timestamps, epoch milliseconds, in file order. */
  labelTs: Float64Array;
  /** Entity key values per row, joined with U+001F (for the holdout's identity). */
  entityKeys: string[];
  features: FeatureRef[];
}

const NUMERIC_SQL_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * A cell as text, as String() writes it. The file's columns are scalars (see the layout in
 * store/port.ts: integers, doubles, booleans, text, timestamps); anything else is shown as JSON.
 */
function cellText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (
    v == null ||
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean' ||
    v instanceof Date
  )
    return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Columns of the file, by name → DuckDB type. */
async function describe(conn: DuckDBConnection, path: string): Promise<Map<string, string>> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
  const rows = r.getRowObjectsJS();
  return new Map(rows.map((row) => [cellText(row.column_name), cellText(row.column_type)]));
}

export async function readTrainingSet(
  ts: TrainingSet,
  features: readonly FeatureRef[] = ts.features,
): Promise<LoadedTrainingSet> {
  return withDuckDB({ threads: 2 }, async (conn) => {
    let columns: Map<string, string>;
    try {
      columns = await describe(conn, ts.path);
    } catch (e) {
      throw new TrainerError(`cannot read training set ${ts.path}: ${firstLine(e)}`, undefined, { cause: e });
    }
    const need = (name: string, what: string): string => {
      const t = columns.get(name);
      if (t === undefined)
        throw new TrainerError(
          `training set ${ts.path} has no column ${JSON.stringify(name)} (${what}); it has ${[...columns.keys()].join(', ')}`,
        );
      return t;
    };
    for (const k of ts.entityColumns) need(k, 'entity key');
    need(LABEL_TS_COLUMN, 'label timestamp');
    const labelType = need(LABEL_COLUMN, 'label');
    const select: string[] = [
      `epoch_ms(${ident(LABEL_TS_COLUMN)})::DOUBLE AS "t"`,
      labelType === 'BOOLEAN'
        ? `${ident(LABEL_COLUMN)} AS "l"`
        : NUMERIC_SQL_TYPES.test(labelType)
          ? `CAST(${ident(LABEL_COLUMN)} AS DOUBLE) AS "l"`
          : `CAST(${ident(LABEL_COLUMN)} AS VARCHAR) AS "l"`,
      ...ts.entityColumns.map((k, i) => `CAST(${ident(k)} AS VARCHAR) AS "k${i}"`),
    ];
    features.forEach((f, i) => {
      const t = need(f.column, `feature ${f.ref}`);
      const c = ident(f.column);
      if (f.type === 'timestamp')
        select.push(
          `epoch(${/^(TIMESTAMP|DATE)/.test(t) ? c : `CAST(${c} AS TIMESTAMPTZ)`})::DOUBLE AS "f${i}"`,
        );
      else if (isNumericType(f.type)) select.push(`CAST(${c} AS DOUBLE) AS "f${i}"`);
      else select.push(`CAST(${c} AS VARCHAR) AS "f${i}"`);
    });
    let cols: unknown[][];
    try {
      const r = await conn.runAndReadAll(
        `SELECT ${select.join(', ')} FROM read_parquet(${literal(ts.path)})`,
      );
      cols = r.getColumnsJS();
    } catch (e) {
      throw new TrainerError(
        `cannot read the features of training set ${ts.path}: ${firstLine(e)}`,
        undefined,
        { cause: e },
      );
    }
    const rows = cols[0]?.length ?? 0;
    const labelTs = Float64Array.from(cols[0] ?? [], (v) => (v == null ? Number.NaN : Number(v)));
    const label = cols[1] ?? [];
    const nk = ts.entityColumns.length;
    const entityKeys: string[] = new Array<string>(rows);
    for (let r = 0; r < rows; r++) {
      let key = '';
      for (let j = 0; j < nk; j++) key += (j ? '\u001f' : '') + cellText(cols[2 + j]![r] ?? '');
      entityKeys[r] = key;
    }
    const numeric = new Map<string, Float64Array>();
    const text = new Map<string, (string | null)[]>();
    features.forEach((f, i) => {
      const src = cols[2 + nk + i]!;
      if (isNumericType(f.type))
        numeric.set(
          f.column,
          Float64Array.from(src, (v) => (v == null ? Number.NaN : Number(v))),
        );
      else
        text.set(
          f.column,
          src.map((v) => (v == null ? null : cellText(v))),
        );
    });
    return { table: { rows, numeric, text, label }, labelTs, entityKeys, features: [...features] };
  });
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
