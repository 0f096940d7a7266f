import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateChurnData, type ChurnDataOptions } from './churn-data.ts';

export interface SampleDataResult {
  files: { path: string; rows: number }[];
  skipped: boolean;
}

export const SAMPLE_FILES = [
  'customer_activity.parquet',
  'customer_profile.csv',
  'churn_labels.csv',
] as const;

/**
 * Write the churn sample data under `dir`: activity as Parquet (through DuckDB), profile and
 * labels as CSV. Each file is written to a temporary name and renamed, so an interrupted run
 * never leaves a truncated file that a later run would mistake for complete.
 */
export async function writeSampleData(
  dir: string,
  opts: ChurnDataOptions,
  force = false,
): Promise<SampleDataResult> {
  // The marker records the options the files were made with: same options, same data, no rewrite.
  const marker = join(dir, '.sample.json');
  const wanted = JSON.stringify(opts);
  if (!force && (await allExist(dir)) && (await readFile(marker, 'utf8').catch(() => '')) === wanted)
    return { files: SAMPLE_FILES.map((f) => ({ path: join(dir, f), rows: -1 })), skipped: true };
  await mkdir(dir, { recursive: true });
  const data = generateChurnData(opts);
  const tmp = await mkdtemp(join(dir, '.tmp-'));
  try {
    const csv = (rows: Record<string, string | number>[]) => {
      const cols = Object.keys(rows[0]!);
      const esc = (v: string | number) =>
        typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
      return `${cols.join(',')}\n${rows.map((r) => cols.map((c) => esc(r[c]!)).join(',')).join('\n')}\n`;
    };
    await writeFile(join(tmp, 'customer_profile.csv'), csv(data.profile));
    await writeFile(join(tmp, 'churn_labels.csv'), csv(data.labels));
    const activityCsv = join(tmp, 'activity.csv');
    await writeFile(activityCsv, csv(data.activity));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const src = activityCsv.replace(/'/g, "''");
      const dst = join(tmp, 'customer_activity.parquet').replace(/'/g, "''");
      await conn.run(
        `COPY (SELECT customer_id, CAST(event_ts AS TIMESTAMPTZ) AS event_ts, CAST(sessions_7d AS INTEGER) AS sessions_7d,
                CAST(spend_30d AS DOUBLE) AS spend_30d, plan, CAST(support_tickets_30d AS INTEGER) AS support_tickets_30d,
                CAST(days_since_login AS INTEGER) AS days_since_login, notes, email
           FROM read_csv('${src}', header = true, all_varchar = true) ORDER BY event_ts, customer_id)
         TO '${dst}' (FORMAT parquet)`,
      );
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    await rm(activityCsv);
    for (const f of SAMPLE_FILES) await rename(join(tmp, f), join(dir, f));
    await writeFile(marker, wanted);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return {
    skipped: false,
    files: [
      { path: join(dir, 'customer_activity.parquet'), rows: data.activity.length },
      { path: join(dir, 'customer_profile.csv'), rows: data.profile.length },
      { path: join(dir, 'churn_labels.csv'), rows: data.labels.length },
    ],
  };
}

async function allExist(dir: string): Promise<boolean> {
  for (const f of SAMPLE_FILES) {
    try {
      await stat(join(dir, f));
    } catch {
      return false;
    }
  }
  return true;
}
