// `rudder serve` under load: autocannon against the churn model of the root project (features
// looked up in the online table, the prediction log on) and, in the same run, against a plain
// node:http server that returns a fixed JSON body — the floor any Node HTTP service sits on.
// Figures: p50, p99 and p99.9 at a steady 1,000 requests/s (target p99 ≤ 5 ms), from an open-loop
// paced generator that measures each request from when it was due (bench/load.ts says why not
// autocannon's rate limit), and the most requests/s each sustains under autocannon; the ratio of
// the two maxima. Each server runs in its own process and the load in another: on this 2-core
// machine the server and the generator get a core each.
//
//   npx tsx bench/serve.ts        (BENCH_SECONDS=10 for longer runs; default 6 s per measurement)
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { apply } from '../src/api/index.ts';
import { defaultChurnOptions, startForToday } from '../src/sample/churn-data.ts';
import { writeSampleData } from '../src/sample/write-sample-data.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'bench', '.out', 'serve');
const REPO = join(OUT, 'repo');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const execFileAsync = promisify(execFile);

function git(...args: string[]): void {
  execFileSync('git', args, {
    cwd: REPO,
    stdio: 'ignore',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  });
}

async function setUp(): Promise<string[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(REPO, { recursive: true });
  cpSync(join(ROOT, 'policies'), join(REPO, 'policies'), { recursive: true });
  cpSync(join(ROOT, 'rudder.yaml'), join(REPO, 'rudder.yaml'));
  writeFileSync(join(REPO, '.gitignore'), '/.rudder/\n/data/\n');
  await writeSampleData(join(REPO, 'data'), { ...defaultChurnOptions, start: startForToday(new Date()) });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'policies');
  const t0 = performance.now();
  const r = await apply({ cwd: REPO, actor: 'cli' });
  if (!r.ok) throw new Error(`apply failed: ${r.summary}`);
  console.log(
    `set-up: churn trained and promoted in ${((performance.now() - t0) / 1000).toFixed(1)} s (${r.summary})`,
  );
  const labels = readFileSync(join(REPO, 'data', 'churn_labels.csv'), 'utf8')
    .trim()
    .split('\n');
  const col = labels[0]!.split(',').indexOf('customer_id');
  return [...new Set(labels.slice(1).map((l) => l.split(',')[col]!))];
}

function startProcess(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const onData = (b: Buffer): void => {
      err += b.toString();
      const m = ready.exec(err);
      if (m) resolve({ proc, url: m[1]! });
    };
    proc.stderr!.on('data', onData);
    proc.stdout!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

const PLAIN = `
const http = require('node:http');
const body = JSON.stringify({ model: 'churn', version: 1, score: 0.5, label: 0 });
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
});
s.listen(0, '127.0.0.1', () => console.error('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => s.close(() => process.exit(0)));`;

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** Paced runs only. */
  p999?: number;
  max?: number;
  errors: number;
}

/**
 * Load from bench/load.ts in a process of its own (this one holds the set-up's heap: tfjs, DuckDB
 * and a trained model, whose garbage collection would land in the figures). `rate` paces an
 * open-loop generator at that many requests/s; without it autocannon runs closed-loop with 32
 * connections, as fast as the server answers.
 */
async function cannon(url: string, ids: string[], rate?: number): Promise<Figures> {
  const cfg = rate
    ? { mode: 'paced', url, path: '/v1/models/churn:predict', rate, seconds: SECONDS, ids }
    : { mode: 'max', url, path: '/v1/models/churn:predict', connections: 32, seconds: SECONDS, ids };
  // Asynchronously, so the servers' output pipes keep draining while the load runs.
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'load.ts'), JSON.stringify(cfg)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as Figures;
}

/** Cumulative counts of the server's own latency histogram (time inside the handler), by bucket bound. */
async function buckets(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(
    /^rudder_request_duration_seconds_bucket\{le="([^"]+)",model="churn",version="1"\} (\d+)$/gm,
  ))
    out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/** The smallest bucket bound (ms) holding quantile q of the requests between two scrapes. */
function quantileFromBuckets(a: Map<number, number>, b: Map<number, number>, q: number): number {
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  for (const le of bounds) if ((b.get(le) ?? 0) - (a.get(le) ?? 0) >= q * total) return le * 1000;
  return Infinity;
}

const row = (name: string, f: Figures): string =>
  `${name.padEnd(44)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${f.p50.toFixed(2).padStart(6)} ms   p99 ${f.p99.toFixed(2).padStart(6)} ms${f.p999 != null ? `   p99.9 ${f.p999.toFixed(2).padStart(6)} ms   max ${f.max!.toFixed(1).padStart(6)} ms` : ''}   errors ${f.errors}`;

const ids = await setUp();
const stop = (p: ChildProcess): Promise<void> =>
  new Promise((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });

const rudder = await startProcess(
  [join(ROOT, 'bin/rudder.js'), '-C', REPO, 'serve', '--port', '0'],
  /listening on (http:\/\/127\.0\.0\.1:\d+)/,
);
await cannon(rudder.url, ids, 500); // warm-up: JIT, tfjs kernels, the online snapshot
const before = await buckets(rudder.url);
const at1000 = await cannon(rudder.url, ids, 1000);
const after = await buckets(rudder.url);
const handler99 = quantileFromBuckets(before, after, 0.99);
const handler50 = quantileFromBuckets(before, after, 0.5);
const rudderMax = await cannon(rudder.url, ids);
await stop(rudder.proc);
const logged = execFileSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(':memory:'); const c = await i.connect(); const r = await c.runAndReadAll("SELECT count(*) AS n FROM read_parquet('${join(REPO, '.rudder/predictions/predictions/**/*.parquet')}')"); console.log(String(r.getRows()[0][0]));`,
  ],
  { cwd: ROOT, encoding: 'utf8' },
).trim();

const plain = await startProcess(['-e', PLAIN], /listening on (http:\/\/127\.0\.0\.1:\d+)/);
await cannon(plain.url, ids, 500);
const plainAt1000 = await cannon(plain.url, ids, 1000);
const plainMax = await cannon(plain.url, ids);
await stop(plain.proc);

console.log(
  `\n${SECONDS} s per measurement; churn model (tfjs), ${ids.length} customers, features from the online table, prediction log on`,
);
console.log(row('rudder serve at 1,000 req/s', at1000));
console.log(row('plain node:http at 1,000 req/s', plainAt1000));
console.log(row('rudder serve, as fast as it goes (32 conns)', rudderMax));
console.log(row('plain node:http, as fast as it goes', plainMax));
console.log(
  `\nat 1,000 req/s inside the server (its own latency histogram, bucket bounds): p50 ≤ ${handler50} ms, p99 ≤ ${handler99} ms`,
);
console.log(
  `\np99 at 1,000 req/s: ${at1000.p99.toFixed(2)} ms (target ≤ 5 ms): ${at1000.p99 <= 5 ? 'met' : 'NOT met'}; the plain server's in the same run: ${plainAt1000.p99.toFixed(2)} ms (rudder/plain ${(at1000.p99 / plainAt1000.p99).toFixed(2)}, +${(at1000.p99 - plainAt1000.p99).toFixed(2)} ms)`,
);
console.log(
  `most req/s sustained: rudder ${rudderMax.rps.toFixed(0)}, plain ${plainMax.rps.toFixed(0)}: ratio ${(rudderMax.rps / plainMax.rps).toFixed(3)}`,
);
console.log(`predictions in the log after shutdown: ${logged} (every answered request, flushed on SIGTERM)`);
