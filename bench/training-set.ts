// Point-in-time training set: 1,000,000 label rows joined against two feature views of
// 10,000,000 rows each (different entity keys, TTLs of 2 and 30 days), through Rudder's
// DuckDB store, then the same join with pandas.merge_asof on the same files, in the same run.
// Target (issue 4): at least 5x faster than pandas.
//
// Debian 12 packages pandas but no Parquet engine for it (no python3-pyarrow), so the files
// both sides read are CSV (DuckDB writes them, with Parquet copies for Rudder's usual path),
// and both write CSV. Each side runs in its own process, so peak memory is its own.
//
//   npx tsx bench/training-set.ts          (data cached under bench/.out/training-set)
//   BENCH_SCALE=0.01 npx tsx bench/training-set.ts   (a quick run on 1% of the rows)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const LABELS = Math.round(1_000_000 * SCALE);
const VIEW_ROWS = Math.round(10_000_000 * SCALE);
const CUSTOMERS = Math.max(10, Math.round(100_000 * SCALE));
const MERCHANTS = Math.max(10, Math.round(10_000 * SCALE));
const PY = '/usr/bin/python3';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = join(HERE, '.out', 'training-set', SCALE === 1 ? 'full' : `scale-${SCALE}`);
const REPO = join(OUT, 'repo');
const DATA = join(REPO, 'data');

interface SideResult {
  seconds: number;
  maxRssMB: number;
  rows: number;
  nulls: Record<string, number>;
  detail?: Record<string, number>;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function generate(): Promise<void> {
  const manifest = join(DATA, 'manifest.json');
  const want = JSON.stringify({ LABELS, VIEW_ROWS, CUSTOMERS, MERCHANTS, v: 2 });
  if (existsSync(manifest) && readFileSync(manifest, 'utf8') === want) {
    console.log(`data: cached in ${DATA}`);
    return;
  }
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(join(DATA, 'parquet'), { recursive: true });
  const t = performance.now();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const start = `TIMESTAMPTZ '2025-01-01 00:00:00+00'`;
  // Distinct (entity, time) by construction: the k-th row of an entity is k periods later.
  // Customers report every 1, 2 or 3 days (so a 2-day TTL expires some values); a tenth of
  // the labels name customers the activity view has never seen (missing entities).
  await c.run(`CREATE TABLE activity AS SELECT i % ${CUSTOMERS} AS customer_id,
      ${start} + to_seconds((i // ${CUSTOMERS}) * 86400 * (1 + (i % ${CUSTOMERS}) % 3) + ((i % ${CUSTOMERS}) * 7919) % 86400) AS event_ts,
      ((i * 2654435761) % 100000) / 100.0 AS a_spend, (i * 40503) % 50 AS a_sessions
    FROM range(${VIEW_ROWS}) t(i)`);
  await c.run(`CREATE TABLE merchant AS SELECT i % ${MERCHANTS} AS merchant_id,
      ${start} + to_seconds((i // ${MERCHANTS}) * ${Math.floor((100 * 86400 * MERCHANTS) / VIEW_ROWS)} + ((i % ${MERCHANTS}) * 104729) % 8640) AS event_ts,
      ((i * 97) % 1000) / 1000.0 AS b_risk, (i * 31) % 10000 AS b_volume
    FROM range(${VIEW_ROWS}) t(i)`);
  const labelCustomers = Math.round(CUSTOMERS * 1.1);
  await c.run(`CREATE TABLE labels AS SELECT i % ${labelCustomers} AS customer_id, (i * 7) % ${MERCHANTS} AS merchant_id,
      ${start} + to_seconds(10 * 86400 + (i // ${labelCustomers}) * ${Math.floor((80 * 86400 * labelCustomers) / LABELS)} + ((i % ${labelCustomers}) * 31337) % 86400) AS label_ts,
      (i * 13) % 2 AS y
    FROM range(${LABELS}) t(i)`);
  for (const [name, ts] of [
    ['activity', 'event_ts'],
    ['merchant', 'event_ts'],
    ['labels', 'label_ts'],
  ] as const) {
    await c.run(`COPY ${name} TO ${q(join(DATA, 'parquet', `${name}.parquet`))} (FORMAT parquet)`);
    await c.run(
      `COPY (SELECT * REPLACE (strftime(${ts}, '%Y-%m-%dT%H:%M:%SZ') AS ${ts}) FROM ${name}) TO ${q(join(DATA, `${name}.csv`))} (FORMAT csv, HEADER true)`,
    );
  }
  c.closeSync();
  db.closeSync();
  writeFileSync(manifest, want);
  console.log(`data: generated in ${((performance.now() - t) / 1000).toFixed(1)} s (${DATA})`);
}

function writePolicies(): void {
  const view = (name: string, path: string, key: string, ttl: string, feats: string[]) =>
    `apiVersion: rudder.dev/v1alpha1\nkind: FeatureView\nmetadata: { name: ${name} }\nspec:\n  source: { path: ${path}, timestamp: event_ts }\n  entities: [${key}]\n  ttl: ${ttl}\n  features:\n${feats.map((f) => `    - { name: ${f} }`).join('\n')}\n`;
  const model = (name: string, labels: string, a: string, b: string) =>
    `apiVersion: rudder.dev/v1alpha1\nkind: Model\nmetadata: { name: ${name} }\nspec:\n  task: binary-classification\n  label: { source: { path: ${labels}, timestamp: label_ts }, entities: [customer_id, merchant_id], column: y, classes: [0, 1] }\n  features: [${a}:a_spend, ${a}:a_sessions, ${b}:b_risk, ${b}:b_volume]\n  trainer: { type: tfjs }\n`;
  const docs = [
    view('activity_csv', 'data/activity.csv', 'customer_id', '2d', [
      'a_spend, type: float',
      'a_sessions, type: int',
    ]),
    view('merchant_csv', 'data/merchant.csv', 'merchant_id', '30d', [
      'b_risk, type: float',
      'b_volume, type: int',
    ]),
    view('activity_pq', 'data/parquet/activity.parquet', 'customer_id', '2d', [
      'a_spend, type: float',
      'a_sessions, type: int',
    ]),
    view('merchant_pq', 'data/parquet/merchant.parquet', 'merchant_id', '30d', [
      'b_risk, type: float',
      'b_volume, type: int',
    ]),
    model('bench_csv', 'data/labels.csv', 'activity_csv', 'merchant_csv'),
    model('bench_parquet', 'data/parquet/labels.parquet', 'activity_pq', 'merchant_pq'),
  ];
  mkdirSync(join(REPO, 'policies'), { recursive: true });
  writeFileSync(
    join(REPO, 'rudder.yaml'),
    'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: bench }\n',
  );
  writeFileSync(join(REPO, 'policies', 'bench.yaml'), docs.join('---\n'));
}

/** Child process: build one training set with Rudder's API and report time and peak memory. */
async function rudderChild(model: string, out: string): Promise<void> {
  const { validate } = await import('../src/api/index.ts');
  const { openFeatureStore } = await import('../src/store/open-store.ts');
  const r = await validate({ cwd: REPO });
  if (!r.ok || !r.state) throw new Error(JSON.stringify(r.diagnostics));
  const m = r.state.models.find((x) => x.name === model)!;
  rmSync(join(REPO, '.rudder'), { recursive: true, force: true });
  const t = performance.now();
  const store = await openFeatureStore(REPO, r.state);
  const ts = await store.buildTrainingSet({ model: m, views: r.state.featureViews, outPath: out });
  await store.close();
  const seconds = (performance.now() - t) / 1000;
  const nulls = Object.fromEntries(Object.entries(ts.nullCounts).map(([k, v]) => [k.split(':')[1]!, v]));
  const res: SideResult = { seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: ts.rows, nulls };
  console.log(JSON.stringify(res));
}

function runRudder(model: string, out: string): SideResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', model, out],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`rudder child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as SideResult;
}

const PANDAS = `
import json, resource, sys, time
t0 = time.perf_counter()
import pandas as pd
p = json.loads(sys.argv[1])
t1 = time.perf_counter()
def load(path, ts):
    df = pd.read_csv(path)
    df[ts] = pd.to_datetime(df[ts], utc=True, format='%Y-%m-%dT%H:%M:%SZ')
    return df
labels = load(p['labels'], 'label_ts')
a = load(p['activity'], 'event_ts').rename(columns={'event_ts': 'a_ts'})
b = load(p['merchant'], 'event_ts').rename(columns={'event_ts': 'b_ts'})
t2 = time.perf_counter()
labels = labels.sort_values('label_ts', kind='stable')
a = a.sort_values('a_ts', kind='stable')
b = b.sort_values('b_ts', kind='stable')
out = pd.merge_asof(labels, a, left_on='label_ts', right_on='a_ts', by='customer_id', direction='backward', tolerance=pd.Timedelta(days=2))
out = pd.merge_asof(out, b, left_on='label_ts', right_on='b_ts', by='merchant_id', direction='backward', tolerance=pd.Timedelta(days=30))
out = out.drop(columns=['a_ts', 'b_ts']).sort_values(['label_ts', 'customer_id', 'merchant_id'], kind='stable')
t3 = time.perf_counter()
out.to_csv(p['out'], index=False)
t4 = time.perf_counter()
print(json.dumps({'seconds': t4 - t1, 'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'rows': len(out),
  'nulls': {c: int(out[c].isna().sum()) for c in ['a_spend', 'a_sessions', 'b_risk', 'b_volume']},
  'detail': {'import': t1 - t0, 'read': t2 - t1, 'sort+merge_asof': t3 - t2, 'write': t4 - t3}}))
`;

function ensurePandas(): void {
  const probe = spawnSync(PY, ['-c', 'import pandas'], { encoding: 'utf8' });
  if (probe.status === 0) return;
  if (!process.argv.includes('--install-references'))
    throw new Error(
      'the pandas reference needs /usr/bin/python3 with pandas: apt-get install -y python3-pandas, or run with --install-references',
    );
  console.log('pandas: installing python3-pandas with apt-get (Debian has no python3-pyarrow; CSV is used)');
  const r = spawnSync(
    'sh',
    [
      '-c',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pandas || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pandas)',
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('could not install python3-pandas');
}

function runPandas(out: string): SideResult {
  ensurePandas();
  const args = JSON.stringify({
    labels: join(DATA, 'labels.csv'),
    activity: join(DATA, 'activity.csv'),
    merchant: join(DATA, 'merchant.csv'),
    out,
  });
  const r = spawnSync(PY, ['-c', PANDAS, args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`pandas failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as SideResult;
}

async function main(): Promise<void> {
  console.log(
    `training set: ${LABELS.toLocaleString('en')} labels x 2 views of ${VIEW_ROWS.toLocaleString('en')} rows (${CUSTOMERS.toLocaleString('en')} customers, ${MERCHANTS.toLocaleString('en')} merchants)`,
  );
  await generate();
  writePolicies();
  const res = join(OUT, 'results');
  mkdirSync(res, { recursive: true });

  const csv = runRudder('bench_csv', join(res, 'rudder.csv'));
  const pq = runRudder('bench_parquet', join(res, 'rudder.parquet'));
  const pd = runPandas(join(res, 'pandas.csv'));

  const fmt = (r: SideResult) =>
    `${r.seconds.toFixed(2).padStart(7)} s   peak ${r.maxRssMB.toFixed(0).padStart(5)} MB   ${r.rows.toLocaleString('en')} rows`;
  console.log(`rudder  (CSV in, CSV out):         ${fmt(csv)}`);
  console.log(`rudder  (Parquet in, Parquet out): ${fmt(pq)}`);
  console.log(`pandas  (CSV in, CSV out):         ${fmt(pd)}`);
  console.log(
    `  pandas detail: ${Object.entries(pd.detail ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
      .join(', ')}`,
  );
  console.log(
    `ratio   pandas / rudder, same CSV files: ${(pd.seconds / csv.seconds).toFixed(1)}x   (target >= 5x)`,
  );
  console.log(`        pandas / rudder on Parquet:      ${(pd.seconds / pq.seconds).toFixed(1)}x`);
  console.log(
    `        pandas sort+merge_asof only / rudder end to end on CSV: ${((pd.detail?.['sort+merge_asof'] ?? 0) / csv.seconds).toFixed(1)}x`,
  );
  const norm = (n: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(n).sort()));
  const same =
    norm(csv.nulls) === norm(pd.nulls) &&
    norm(pq.nulls) === norm(pd.nulls) &&
    csv.rows === pd.rows &&
    pq.rows === pd.rows;
  console.log(
    `results agree (rows and nulls per feature): ${same ? 'yes' : 'NO'} ${norm(csv.nulls)}${same ? '' : ` vs pandas ${norm(pd.nulls)}`}`,
  );
  if (!same) process.exitCode = 1;
}

if (process.argv[2] === '--child') await rudderChild(process.argv[3]!, process.argv[4]!);
else if (process.argv[2] === '--rudder-only') {
  // Profiling aid: the Rudder side alone (no pandas run).
  await generate();
  writePolicies();
  mkdirSync(join(OUT, 'results'), { recursive: true });
  for (const m of ['bench_csv', 'bench_parquet'])
    console.log(
      m,
      JSON.stringify(runRudder(m, join(OUT, 'results', m === 'bench_csv' ? 'rudder.csv' : 'rudder.parquet'))),
    );
} else await main();
