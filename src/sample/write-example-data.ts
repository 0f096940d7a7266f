// Writers for the examples' sample data (examples/fraud-abtest, examples/house-prices): the
// rows come from the pure generators; CSV is written here, Parquet through DuckDB. Everything is
// written into a temporary folder first and moved into place, so an interrupted run never
// leaves a truncated file that a later run would mistake for complete.
import { generateFraudData, type FraudDataOptions } from './fraud-data.ts';
import { generateHouseData, type HouseDataOptions } from './house-data.ts';
import { writeTables, type Row, type SampleDataResult, type SqlType, type Table } from './write-tables.ts';

export const FRAUD_SAMPLE_FILES = ['card_velocity/', 'merchant_risk.csv', 'fraud_labels.parquet'] as const;
export const HOUSE_SAMPLE_FILES = ['listings.csv', 'district_stats.parquet', 'sales.csv'] as const;

const VELOCITY_TYPES: Record<string, SqlType> = {
  card_id: 'VARCHAR',
  computed_at: 'TIMESTAMPTZ',
  txn_count_1h: 'INTEGER',
  txn_amount_1h: 'DOUBLE',
  distinct_merchants_24h: 'INTEGER',
  declined_24h: 'INTEGER',
  card_number: 'VARCHAR',
  last_ip: 'VARCHAR',
};

/** Write the fraud example's data under `dir` (the example's `data/`). */
export async function writeFraudSampleData(
  dir: string,
  opts: FraudDataOptions,
  force = false,
): Promise<SampleDataResult> {
  return writeTables(dir, 'fraud', FRAUD_SAMPLE_FILES, opts, force, (): Table[] => {
    const data = generateFraudData(opts);
    // One Parquet file per UTC day of computed_at, as a partitioned feature pipeline writes them.
    const byDay = new Map<string, Row[]>();
    for (const r of data.velocity) {
      const day = String(r.computed_at).slice(0, 10);
      const rows = byDay.get(day) ?? [];
      rows.push(r);
      byDay.set(day, rows);
    }
    return [
      ...[...byDay].map(([day, rows]) => ({
        file: `card_velocity/${day}.parquet`,
        rows,
        types: VELOCITY_TYPES,
        orderBy: 'computed_at, card_id',
      })),
      { file: 'merchant_risk.csv', rows: data.merchants, types: {}, orderBy: '' },
      {
        file: 'fraud_labels.parquet',
        rows: data.labels,
        types: {
          card_id: 'VARCHAR',
          merchant_id: 'VARCHAR',
          authorized_at: 'TIMESTAMPTZ',
          is_fraud: 'INTEGER',
        },
        orderBy: 'authorized_at, card_id, merchant_id',
      },
    ];
  });
}

/** Write the house-price example's data under `dir` (the example's `data/`). */
export async function writeHouseSampleData(
  dir: string,
  opts: HouseDataOptions,
  force = false,
): Promise<SampleDataResult> {
  return writeTables(dir, 'house-prices', HOUSE_SAMPLE_FILES, opts, force, (): Table[] => {
    const data = generateHouseData(opts);
    return [
      { file: 'listings.csv', rows: data.listings, types: {}, orderBy: '' },
      {
        file: 'district_stats.parquet',
        rows: data.districtStats,
        types: {
          listing_id: 'VARCHAR',
          month: 'TIMESTAMPTZ',
          median_price_m2: 'DOUBLE',
          sales_90d: 'INTEGER',
        },
        orderBy: 'month, listing_id',
      },
      { file: 'sales.csv', rows: data.sales, types: {}, orderBy: '' },
    ];
  });
}
