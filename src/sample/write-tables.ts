// Sample data as files: tables generated in memory, written as CSV or (through DuckDB, with
// column types) Parquet, to a temporary folder and renamed into place, so an interrupted run
// never leaves a truncated file that a later run would mistake for complete. A marker records the
// scenario and options: same options, same data, no rewrite.
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withDuckDB } from '../store/duckdb/read-query.ts';

export interface SampleDataResult {
  files: { path: string; rows: number }[];
  skipped: boolean;
}

export type Row = Record<string, string | number | boolean>;
export type SqlType = 'VARCHAR' | 'TIMESTAMPTZ' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN';

export interface Table {
  /** Path under the data folder; `.csv` or `.parquet`. */
  file: string;
  rows: Row[];
  /** Column → DuckDB type for Parquet files (CSV is written as text). */
  types: Record<string, SqlType>;
  orderBy: string;
}

export async function writeTables(
  dir: string,
  scenario: string,
  outputs: readonly string[],
  opts: object,
  force: boolean,
  make: () => Table[],
): Promise<SampleDataResult> {
  // The marker records the scenario and options: same options, same data, no rewrite.
  const marker = join(dir, '.sample.json');
  const wanted = JSON.stringify({ scenario, ...opts });
  if (!force && (await allExist(dir, outputs)) && (await readFile(marker, 'utf8').catch(() => '')) === wanted)
    return { files: outputs.map((f) => ({ path: join(dir, f), rows: -1 })), skipped: true };
  await mkdir(dir, { recursive: true });
  const tables = make();
  const tmp = await mkdtemp(join(dir, '.tmp-'));
  const written: { path: string; rows: number }[] = [];
  try {
    await withDuckDB({ threads: 1 }, async (conn) => {
      for (const t of tables) {
        const dst = join(tmp, t.file);
        await mkdir(dirname(dst), { recursive: true });
        if (t.file.endsWith('.csv')) await writeFile(dst, csv(t.rows));
        else {
          const src = `${dst}.csv`;
          await writeFile(src, csv(t.rows));
          const cols = Object.entries(t.types)
            .map(([c, ty]) => `CAST(${c} AS ${ty}) AS ${c}`)
            .join(', ');
          await conn.run(
            `COPY (SELECT ${cols} FROM read_csv('${sql(src)}', header = true, all_varchar = true) ORDER BY ${t.orderBy})
               TO '${sql(dst)}' (FORMAT parquet)`,
          );
          await rm(src);
        }
        written.push({ path: join(dir, t.file), rows: t.rows.length });
      }
    });
    // Move into place: a folder output replaces the old folder whole (no stale partitions).
    await rm(marker, { force: true });
    for (const f of outputs) {
      const name = f.replace(/\/$/, '');
      if (f.endsWith('/')) await rm(join(dir, name), { recursive: true, force: true });
      await rename(join(tmp, name), join(dir, name));
    }
    await writeFile(marker, wanted);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  // A folder output is reported once, with the rows of all its files.
  const files = outputs.map((f) => ({
    path: join(dir, f.replace(/\/$/, '')),
    rows: written
      .filter((w) => (f.endsWith('/') ? w.path.startsWith(join(dir, f)) : w.path === join(dir, f)))
      .reduce((n, w) => n + w.rows, 0),
  }));
  return { skipped: false, files };
}

function csv(rows: Row[]): string {
  const cols = Object.keys(rows[0]!);
  const esc = (v: string | number | boolean) =>
    typeof v !== 'string' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  return `${cols.join(',')}\n${rows.map((r) => cols.map((c) => esc(r[c]!)).join(',')).join('\n')}\n`;
}

function sql(path: string): string {
  return path.replace(/'/g, "''");
}

async function allExist(dir: string, outputs: readonly string[]): Promise<boolean> {
  for (const f of outputs) {
    try {
      await stat(join(dir, f));
    } catch {
      return false;
    }
  }
  return true;
}
