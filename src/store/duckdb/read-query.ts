// Ad-hoc DuckDB reads outside the feature store: drift windows, reference profiles, training-set
// files, sample tables. Each read gets a database of its own (in memory unless a path is given)
// that is closed whatever happens, so no caller opens or closes DuckDB by hand.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { SourceSpec } from '../../compiler/desired-state.ts';
import { resolveSource } from './files.ts';
import { lit } from './sql.ts';

export type { DuckDBConnection };

export interface ScratchDbOptions {
  /** A database file; default an in-memory database. */
  path?: string;
  /** DuckDB worker threads. Default 1. */
  threads?: number;
}

/** Open a database, run `fn` on a connection to it, and close both. */
export async function withDuckDB<T>(
  opts: ScratchDbOptions,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(opts.path ?? ':memory:', {
    threads: String(opts.threads ?? 1),
  });
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** One query's result as columns (JS values), in a database of its own. */
export function readColumns(sql: string, opts: ScratchDbOptions = {}): Promise<unknown[][]> {
  return withDuckDB(opts, async (conn) => (await conn.runAndReadAll(sql)).getColumnsJS());
}

/**
 * The table function that reads a source's files under `root` (CSV as text, columns matched by
 * name across files); refuses what `resolveSource` refuses (nothing matched, paths leaving the
 * repository), naming `what`.
 */
export async function sourceReader(root: string, spec: SourceSpec, what: string): Promise<string> {
  const src = await resolveSource(root, spec, what);
  const files = `[${src.files.map((f) => lit(f.abs)).join(', ')}]`;
  return spec.format === 'parquet'
    ? `read_parquet(${files}, union_by_name = true)`
    : `read_csv(${files}, header = true, all_varchar = true, union_by_name = true)`;
}
