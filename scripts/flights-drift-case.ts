// Builds the "drift on the model's unit" case of issue 19 from the US flights of 2001 (the
// flights-3m.parquet file of the vega-datasets npm package, read from the path given; nothing is
// downloaded): a Rudder project whose model predicts "delayed > 15 min" per flight, with
//   - airport_traffic: one snapshot row per airport-hour, flights_24h (departures in the last 24 h);
//   - hourly_delays: one row per hour for the network, mean delay and delayed share of the last hour;
//   - labels: one flight in ten (flight_id, origin, network, departure time, delayed).
// Flights from 2001-01-01 up to 2001-03-08.
//   npx tsx scripts/flights-drift-case.ts <flights-3m.parquet> <out-dir>
// Then: cd <out-dir> && git init -q && git add -A && git commit -qm case
//       rudder apply --now 2001-03-01T00:00:00Z; rudder drift delays --now 2001-03-08T00:00:00Z --json
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [input, outArg] = process.argv.slice(2);
if (!input || !outArg) {
  console.error('usage: tsx scripts/flights-drift-case.ts <flights-3m.parquet> <out-dir>');
  process.exit(2);
}
const out = resolve(outArg);
const FROM = '2001-01-01 00:00:00';
const TO = '2001-03-08 00:00:00';

const POLICIES = `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: airport_traffic }
spec:
  source: { path: data/airport_traffic.parquet, timestamp: at }
  entities: [origin]
  ttl: 2h
  features: [{ name: flights_24h, type: float }]
---
apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: hourly_delays }
spec:
  source: { path: data/hourly_delays.parquet, timestamp: at }
  entities: [network]
  ttl: 2h
  features: [{ name: mean_delay_1h, type: float }, { name: delayed_share_1h, type: float }]
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: delays }
spec:
  task: binary-classification
  label:
    source: { path: data/labels.parquet, timestamp: at }
    entities: [flight_id, origin, network]
    column: delayed
    classes: [0, 1]
  features: [airport_traffic:flights_24h, hourly_delays:mean_delay_1h, hourly_delays:delayed_share_1h]
  trainer:
    type: tfjs
    architecture: { type: linear }
    epochs: 1
    batchSize: 4096
    seed: 42
  split: { method: time, holdout: 20% }
  metrics: [auc]
---
apiVersion: rudder.dev/v1alpha1
kind: RetrainPolicy
metadata: { name: delays-retrain }
spec:
  model: delays
  triggers:
    - drift: { method: wasserstein, threshold: 0.1, share: 0.3, window: 7d, minSamples: 500 }
  approval: auto
`;

async function main(): Promise<void> {
  mkdirSync(join(out, 'policies'), { recursive: true });
  mkdirSync(join(out, 'data'), { recursive: true });
  writeFileSync(
    join(out, 'rudder.yaml'),
    'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: flights }\nspec:\n  git: { commit: false, push: false }\n',
  );
  writeFileSync(join(out, 'policies', 'delays.yaml'), POLICIES);
  writeFileSync(join(out, '.gitignore'), '/.rudder/\n');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  await c.run(`CREATE TABLE f AS SELECT row_number() OVER (ORDER BY date, origin, destination, delay, distance) AS id,
      timezone('UTC', CAST(date AS TIMESTAMP)) AS "at", origin, delay
    FROM read_parquet(${q(input!)}) WHERE date >= TIMESTAMP '${FROM}' AND date < TIMESTAMP '${TO}'`);
  await c.run(
    `CREATE TABLE hours AS SELECT unnest(generate_series(TIMESTAMPTZ '${FROM}+00', TIMESTAMPTZ '${TO}+00', INTERVAL 1 HOUR)) AS h`,
  );
  // One snapshot per airport-hour: departures in (h − 24 h, h].
  // Flights per airport and hour (h − 1 h, h], then the sum over the last 24 of them.
  await c.run(`CREATE TABLE per_hour AS SELECT origin, date_trunc('hour', "at" - INTERVAL 1 MICROSECOND) + INTERVAL 1 HOUR AS h,
      count(*) AS n FROM f GROUP BY ALL`);
  await c.run(`COPY (
      SELECT a.origin, hours.h AS "at",
        CAST(sum(coalesce(p.n, 0)) OVER (PARTITION BY a.origin ORDER BY hours.h ROWS 23 PRECEDING) AS DOUBLE) AS flights_24h
      FROM (SELECT DISTINCT origin FROM f) a CROSS JOIN hours LEFT JOIN per_hour p ON p.origin = a.origin AND p.h = hours.h
      ORDER BY "at", a.origin
    ) TO ${q(join(out, 'data', 'airport_traffic.parquet'))} (FORMAT parquet)`);
  await c.run(`COPY (
      SELECT 'us' AS network, hours.h AS "at",
        avg(f.delay)::DOUBLE AS mean_delay_1h, avg(CASE WHEN f.delay > 15 THEN 1.0 ELSE 0.0 END)::DOUBLE AS delayed_share_1h
      FROM hours LEFT JOIN f ON f."at" > hours.h - INTERVAL 1 HOUR AND f."at" <= hours.h
      GROUP BY hours.h ORDER BY "at"
    ) TO ${q(join(out, 'data', 'hourly_delays.parquet'))} (FORMAT parquet)`);
  // One flight in ten is labelled (the model's unit); ids keep two flights of a minute apart.
  await c.run(`COPY (
      SELECT 'f' || id AS flight_id, origin, 'us' AS network, "at", CASE WHEN delay > 15 THEN 1 ELSE 0 END AS delayed
      FROM f WHERE id % 10 = 0 ORDER BY "at", id
    ) TO ${q(join(out, 'data', 'labels.parquet'))} (FORMAT parquet)`);
  const n = await c.runAndReadAll(`SELECT count(*)::INT, count(DISTINCT origin)::INT FROM f`);
  console.log(`flights ${String(n.getRows()[0])} → ${out}`);
}

await main();
