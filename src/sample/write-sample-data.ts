// Writer for the root project's churn sample data: activity as Parquet, profile and labels as
// CSV, through the shared table writer (temporary folder, renamed into place; a marker so the
// same options are not written twice).
import { generateChurnData, type ChurnDataOptions } from './churn-data.ts';
import { writeTables, type SampleDataResult, type Table } from './write-tables.ts';

export type { SampleDataResult } from './write-tables.ts';

export const SAMPLE_FILES = [
  'customer_activity.parquet',
  'customer_profile.csv',
  'churn_labels.csv',
] as const;

/** Write the churn sample data under `dir`. */
export function writeSampleData(
  dir: string,
  opts: ChurnDataOptions,
  force = false,
): Promise<SampleDataResult> {
  return writeTables(dir, 'churn', SAMPLE_FILES, opts, force, (): Table[] => {
    const data = generateChurnData(opts);
    return [
      {
        file: 'customer_activity.parquet',
        rows: data.activity,
        types: {
          customer_id: 'VARCHAR',
          event_ts: 'TIMESTAMPTZ',
          sessions_7d: 'INTEGER',
          spend_30d: 'DOUBLE',
          plan: 'VARCHAR',
          support_tickets_30d: 'INTEGER',
          days_since_login: 'INTEGER',
          notes: 'VARCHAR',
          email: 'VARCHAR',
        },
        orderBy: 'event_ts, customer_id',
      },
      { file: 'customer_profile.csv', rows: data.profile, types: {}, orderBy: '' },
      { file: 'churn_labels.csv', rows: data.labels, types: {}, orderBy: '' },
    ];
  });
}
