// Builders for the store tests: a temporary repository with policies and data files, compiled
// with the real compiler, and a real DuckDB store over it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { compilePolicies } from '../../../src/compiler/compile.ts';
import type { DesiredState } from '../../../src/compiler/desired-state.ts';
import { DuckDBFeatureStore, type DuckDBStoreOptions } from '../../../src/store/duckdb/duckdb-store.ts';
import { docsOf } from '../../helpers/docs.ts';

export const FIXTURES = new URL('../../fixtures/store/', import.meta.url).pathname;

export interface Repo {
  root: string;
  write(rel: string, text: string): void;
  state(): DesiredState;
  open(opts?: Partial<DuckDBStoreOptions>): Promise<DuckDBFeatureStore>;
  cleanup(): void;
}

/** A temporary repository, optionally seeded with a fixture folder; `policies.yaml` at its root. */
export function tempRepo(fixture?: string): Repo {
  const root = mkdtempSync(join(tmpdir(), 'rudder-store-'));
  if (fixture) cpSync(join(FIXTURES, fixture), root, { recursive: true });
  return {
    root,
    write(rel, text) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    },
    state() {
      const r = compilePolicies({
        projectDocs: [],
        docs: docsOf('policies.yaml', readFileSync(join(root, 'policies.yaml'), 'utf8')),
      });
      if (!r.ok)
        throw new Error(`fixture policies do not compile: ${JSON.stringify(r.diagnostics, null, 1)}`);
      return r.value;
    },
    open(opts = {}) {
      const state = this.state();
      return DuckDBFeatureStore.open({
        root,
        path: ':memory:',
        policies: state.dataPolicies,
        models: state.models,
        env: { RUDDER_PII_SALT: 'test-salt-0123456789' },
        threads: 1,
        ...opts,
      });
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Run SQL in a throwaway in-memory DuckDB (writing Parquet fixtures, reading results back). */
export async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  try {
    await c.run(`SET TimeZone = 'UTC'`);
    const r = await c.runAndReadAll(sql);
    return r.getRowObjectsJS() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

export const q = (p: string): string => `'${p.replace(/'/g, "''")}'`;

/** Every cell of a CSV or Parquet file as text ('' for NULL), header first: what expected.csv holds. */
export async function readAsText(path: string): Promise<string[][]> {
  const read = path.endsWith('.csv')
    ? `read_csv(${q(path)}, header = true, all_varchar = true)`
    : `read_parquet(${q(path)})`;
  const cols = (await duck<{ column_name: string }>(`DESCRIBE SELECT * FROM ${read}`)).map(
    (r) => r.column_name,
  );
  const rows = await duck(
    `SELECT ${cols.map((c) => `coalesce(CAST("${c}" AS VARCHAR), '')`).join(', ')} FROM ${read}`,
  );
  return [cols, ...rows.map((r) => Object.values(r).map(String))];
}

export function readExpected(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
}

/** Write `csvRel` as Parquet at `parquetRel`, with the SELECT list given (casts decide the Parquet types). */
export async function csvToParquet(
  root: string,
  csvRel: string,
  parquetRel: string,
  select: string,
): Promise<void> {
  mkdirSync(dirname(join(root, parquetRel)), { recursive: true });
  await duck(
    `COPY (SELECT ${select} FROM read_csv(${q(join(root, csvRel))}, header = true, all_varchar = true)) TO ${q(join(root, parquetRel))} (FORMAT parquet)`,
  );
}
