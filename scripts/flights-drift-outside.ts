// The flights case's drift computed outside Rudder, per labelled flight: each label row takes
// each view's latest snapshot at or before its departure (within the 2 h TTL) in plain DuckDB
// SQL; the reference is the first `nTrain` labelled flights (the training split of the time
// split), the current window the labelled flights in (from, to]. Normed Wasserstein: exact W1
// between the two empirical distributions over the reference's standard deviation (ddof 0).
//   npx tsx scripts/flights-drift-outside.ts <case-dir> <nTrain> <from ISO> <to ISO>
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [dirArg, nTrainArg, from, to] = process.argv.slice(2);
if (!dirArg || !nTrainArg || !from || !to) {
  console.error('usage: tsx scripts/flights-drift-outside.ts <case-dir> <nTrain> <from> <to>');
  process.exit(2);
}
const data = join(resolve(dirArg), 'data');
const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const FEATURES = ['flights_24h', 'mean_delay_1h', 'delayed_share_1h'];

/** Exact W1 between two samples: the integral of |F − G| over the merged sorted values. */
function w1(a: Float64Array, b: Float64Array): number {
  a.sort();
  b.sort();
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let s = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    s += Math.abs(i / a.length - j / b.length) * (x - prev);
    prev = x;
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
  }
  return s;
}

function std(a: Float64Array): number {
  let m = 0;
  for (const x of a) m += x;
  m /= a.length;
  let v = 0;
  for (const x of a) v += (x - m) ** 2;
  return Math.sqrt(v / a.length);
}

async function main(): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE l AS SELECT *, row_number() OVER (ORDER BY "at", flight_id, network, origin) AS k
    FROM read_parquet(${q(join(data, 'labels.parquet'))})`);
  await c.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${q(join(data, 'airport_traffic.parquet'))})`);
  await c.run(`CREATE TABLE d AS SELECT * FROM read_parquet(${q(join(data, 'hourly_delays.parquet'))})`);
  await c.run(`CREATE TABLE x AS SELECT l.k, l."at",
      CASE WHEN l."at" - t."at" <= INTERVAL 2 HOUR THEN t.flights_24h END AS flights_24h,
      CASE WHEN l."at" - d."at" <= INTERVAL 2 HOUR THEN d.mean_delay_1h END AS mean_delay_1h,
      CASE WHEN l."at" - d."at" <= INTERVAL 2 HOUR THEN d.delayed_share_1h END AS delayed_share_1h
    FROM l ASOF LEFT JOIN t ON l.origin = t.origin AND l."at" >= t."at"
           ASOF LEFT JOIN d ON l.network = d.network AND l."at" >= d."at"`);
  const col = async (f: string, where: string): Promise<Float64Array> => {
    const r = await c.runAndReadAll(`SELECT ${f}::DOUBLE FROM x WHERE ${f} IS NOT NULL AND ${where}`);
    return Float64Array.from(r.getColumnsJS()[0] as number[]);
  };
  const ref = `k <= ${Number(nTrainArg)}`;
  const cur = `"at" > ${q(from!)}::TIMESTAMPTZ AND "at" <= ${q(to!)}::TIMESTAMPTZ`;
  for (const f of FEATURES) {
    const a = await col(f, ref);
    const b = await col(f, cur);
    console.log(`${f}\tref ${a.length}\tcurrent ${b.length}\tnormed W1 ${(w1(a, b) / std(a)).toFixed(4)}`);
  }
}

await main();
