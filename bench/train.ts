// bench/train: the same MLP (20 inputs, 64-64 hidden, ReLU, binary output, Adam 1e-3) on the
// same 200,000 synthetic rows, with the tfjs trainer's training loop and with PyTorch on CPU
// (Debian's python3-torch, bench/train_torch.py), at batch 256 and 1024, in one run.
// Prints samples/s for both, the ratio, the backend, and holdout metrics, plus the reference
// tfjs configurations (model.fit; an autograd loop with fused ops) for comparison.
//
//   npx tsx bench/train.ts [--quick] [--no-reference] [--epochs N] [--cpu] [--workers] [--e2e]
//
// Throughput is samples per second over whole epochs after one warm-up epoch, data already in
// memory on both sides (a random permutation per epoch; batches gathered per step). The trainer's
// holdout metrics are compared with the straightforward model.fit implementation trained the
// same way: they must agree (AUC within 0.01).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/trainer/tfjs/backend.ts';
import { fit, Network, type TrainData } from '../src/trainer/tfjs/engine.ts';
import { computeMetrics } from '../src/trainer/evaluation/metrics.ts';
import type { NetworkPlan } from '../src/trainer/model-spec.ts';
import { buildLayersModel, setLayersWeights } from '../src/trainer/tfjs/artifact.ts';
import { Rng } from '../src/util/rng.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const ROWS = QUICK ? 20_000 : 200_000;
const HOLDOUT = QUICK ? 4_000 : 20_000;
const D = 20;
const argEpochs = process.argv.indexOf('--epochs');
const TIMED_EPOCHS = argEpochs > 0 ? Number(process.argv[argEpochs + 1]) : 2;
const BATCHES = [256, 1024];
const PLAN: NetworkPlan = {
  denseInputs: D,
  embeddings: [],
  hidden: [
    { units: 64, activation: 'relu', dropout: 0, batchNorm: false },
    { units: 64, activation: 'relu', dropout: 0, batchNorm: false },
  ],
  output: { units: 1, activation: 'sigmoid', loss: 'binary-crossentropy' },
};

/** ROWS + HOLDOUT rows: a nonlinear, learnable, noisy binary problem. */
function makeData(n = ROWS + HOLDOUT): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(2024);
  const x = new Float32Array(n * D);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) x[i * D + j] = rng.normal();
    const r = x.subarray(i * D, i * D + D);
    const s =
      r[0]! +
      r[1]! * r[2]! -
      0.5 * r[3]! * r[3]! +
      0.8 * Math.sin(3 * r[4]!) +
      0.3 * (r[5]! + r[6]! - r[7]!) +
      rng.normal(0, 0.5);
    y[i] = s > -0.3 ? 1 : 0;
  }
  return { x, y };
}

interface Run {
  impl: string;
  backend: string;
  batch: number;
  samplesPerSecond: number;
  /** Samples per CPU-second of this process (robust to other load on a shared machine). */
  perCpuSecond?: number;
  auc?: number;
  logloss?: number;
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function holdoutMetrics(p: Float32Array, y: Float32Array): { auc: number; logloss: number } {
  const m = computeMetrics(['auc', 'logloss'], { task: 'binary-classification', y, p });
  return { auc: m.auc!, logloss: m.logloss! };
}

/** The trainer's loop (src/trainer/tfjs/engine.ts), exactly as TfjsTrainer runs it. */
async function runEngine(
  train: TrainData,
  hold: TrainData,
  batch: number,
  backend: string,
  epochs = 1 + TIMED_EPOCHS,
): Promise<Run> {
  const net = new Network(PLAN, Network.initialValues(PLAN, 1));
  const rates: number[] = [];
  const cpu: number[] = [];
  let c0 = cpuMs();
  await fit(net, train, {
    epochs,
    batchSize: batch,
    accumulate: 1,
    optimizer: 'adam',
    learningRate: () => 1e-3,
    seed: 1,
    onEpoch: (e) => {
      rates.push(e.samplesPerSecond);
      const c = cpuMs();
      cpu.push((train.rows / (c - c0)) * 1000);
      c0 = c;
    },
  });
  const m = holdoutMetrics(net.predict(hold), hold.target);
  net.dispose();
  return {
    impl: 'trainer (engine)',
    backend,
    batch,
    samplesPerSecond: median(rates.slice(1).length ? rates.slice(1) : rates),
    perCpuSecond: median(cpu.slice(1).length ? cpu.slice(1) : cpu),
    ...m,
  };
}

/** The straightforward implementation: a LayersModel and model.fit (shuffled by tfjs). */
async function runLayersFit(train: TrainData, hold: TrainData, batch: number, epochs: number): Promise<Run> {
  const model = buildLayersModel(PLAN);
  const init = new Network(PLAN, Network.initialValues(PLAN, 1));
  setLayersWeights(model, PLAN, init.weights());
  init.dispose();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const xs = tf.tensor2d(train.dense, [train.rows, D]);
  const ys = tf.tensor2d(train.target, [train.rows, 1]);
  const rates: number[] = [];
  const cpu: number[] = [];
  let t0 = 0;
  let c0 = 0;
  await model.fit(xs, ys, {
    epochs,
    batchSize: batch,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => void ((t0 = performance.now()), (c0 = cpuMs())),
      onEpochEnd: async () =>
        void (
          rates.push((train.rows / (performance.now() - t0)) * 1000),
          cpu.push((train.rows / (cpuMs() - c0)) * 1000)
        ),
    },
  });
  const p = tf.tidy(
    () => (model.predict(tf.tensor2d(hold.dense, [hold.rows, D])) as tf.Tensor).dataSync() as Float32Array,
  );
  xs.dispose();
  ys.dispose();
  model.dispose();
  return {
    impl: 'model.fit (straightforward)',
    backend: `tfjs/${tf.getBackend()}`,
    batch,
    samplesPerSecond: median(rates.slice(1).length ? rates.slice(1) : rates),
    perCpuSecond: median(cpu.slice(1).length ? cpu.slice(1) : cpu),
    ...holdoutMetrics(p, hold.target),
  };
}

/** The previous best hand-rolled loop: optimizer.minimize (autograd), fused matMul+bias+ReLU, pre-split batches. */
function runAutogradFused(train: TrainData, batch: number): Run {
  const init = new Network(PLAN, Network.initialValues(PLAN, 1));
  const w = init.weights();
  init.dispose();
  const v = [
    'hidden_0/kernel',
    'hidden_0/bias',
    'hidden_1/kernel',
    'hidden_1/bias',
    'output/kernel',
    'output/bias',
  ].map((k) => tf.variable(tf.tensor(w.get(k)!.values, w.get(k)!.shape)));
  const [w1, b1, w2, b2, w3, b3] = v as tf.Variable<tf.Rank.R2>[];
  const opt = tf.train.adam(1e-3);
  const nb = Math.floor(train.rows / batch);
  const xb = Array.from({ length: nb }, (_, i) =>
    tf.tensor2d(train.dense.subarray(i * batch * D, (i + 1) * batch * D), [batch, D]),
  );
  const yb = Array.from({ length: nb }, (_, i) =>
    tf.tensor2d(train.target.subarray(i * batch, (i + 1) * batch), [batch, 1]),
  );
  const rates: number[] = [];
  const cpu: number[] = [];
  for (let e = 0; e < 2; e++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    for (let i = 0; i < nb; i++)
      opt.minimize(() => {
        const h1 = tf.fused.matMul({ a: xb[i]!, b: w1!, bias: b1, activation: 'relu' });
        const h2 = tf.fused.matMul({ a: h1, b: w2!, bias: b2, activation: 'relu' });
        return tf.losses.sigmoidCrossEntropy(
          yb[i]!,
          tf.fused.matMul({ a: h2, b: w3!, bias: b3 }),
        ) as tf.Scalar;
      });
    rates.push(((nb * batch) / (performance.now() - t0)) * 1000);
    cpu.push(((nb * batch) / (cpuMs() - c0)) * 1000);
  }
  [...xb, ...yb, ...v].forEach((t) => t.dispose());
  opt.dispose();
  return {
    impl: 'autograd loop, fused ops',
    backend: `tfjs/${tf.getBackend()}`,
    batch,
    samplesPerSecond: rates[1]!,
    perCpuSecond: cpu[1]!,
  };
}

function torchRun(dataDir: string, batch: number): Run & { threads?: number; version?: string } {
  const script = join(import.meta.dirname, 'train_torch.py');
  const r = spawnSync(
    '/usr/bin/python3',
    [script, dataDir, String(ROWS), String(HOLDOUT), String(batch), String(1 + TIMED_EPOCHS)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`train_torch.py failed: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    samples_per_second: number[];
    samples_per_cpu_second: number[];
    auc: number;
    logloss: number;
    threads: number;
    version: string;
  };
  return {
    impl: `PyTorch ${out.version}`,
    backend: `cpu (${out.threads} thread${out.threads > 1 ? 's' : ''})`,
    batch,
    samplesPerSecond: median(out.samples_per_second.slice(1)),
    perCpuSecond: median(out.samples_per_cpu_second.slice(1)),
    auc: out.auc,
    logloss: out.logloss,
    threads: out.threads,
    version: out.version,
  };
}

function ensureTorch(): boolean {
  const ok = (): boolean =>
    spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  if (ok()) return true;
  // A benchmark installs nothing unless asked.
  if (!process.argv.includes('--install-references')) {
    console.error(
      'PyTorch reference: /usr/bin/python3 cannot import torch; apt-get install -y python3-torch python3-numpy, or run with --install-references',
    );
    return false;
  }
  if (process.getuid?.() !== 0) return false;
  console.error('installing python3-torch (apt-get) ...');
  spawnSync('sh', ['-c', 'flock /tmp/apt.lock apt-get install -y python3-torch python3-numpy'], {
    stdio: 'ignore',
  });
  return ok();
}

/**
 * The whole TfjsTrainer.train on a training-set Parquet file of the same rows: read (DuckDB),
 * split, preprocess, train (3 epochs, batch 256), export, store, re-load and score the holdout.
 */
async function runEndToEnd(x: Float32Array, y: Float32Array, dataDir: string): Promise<Run> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { LocalArtifactStore } = await import('../src/artifacts/local.ts');
  const { TfjsTrainer } = await import('../src/trainer/tfjs/trainer.ts');
  const n = ROWS + HOLDOUT;
  const csv = join(dataDir, 'rows.csv');
  const lines = [`id,__label_ts,__label,${Array.from({ length: D }, (_, j) => `bench__f${j}`).join(',')}`];
  for (let i = 0; i < n; i++)
    lines.push(
      `r${i},${new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString()},${y[i]},${Array.from(x.subarray(i * D, i * D + D)).join(',')}`,
    );
  writeFileSync(csv, lines.join('\n'));
  const path = join(dataDir, 'training-set.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT id, CAST(__label_ts AS TIMESTAMPTZ) AS __label_ts, CAST(__label AS BIGINT) AS __label, * EXCLUDE (id, __label_ts, __label) FROM read_csv('${csv}', header = true)) TO '${path}' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  const features = Array.from({ length: D }, (_, j) => ({
    name: `f${j}`,
    type: 'float' as const,
    column: `f${j}`,
    pii: false,
    ref: `bench:f${j}`,
    view: 'bench',
  }));
  const model = {
    kind: 'Model' as const,
    name: 'bench',
    digest: '',
    origin: { file: 'bench', doc: 0 },
    task: 'binary-classification' as const,
    label: { source: { path: 'x', format: 'csv' as const, timestamp: 't' }, entities: ['id'], column: 'y' },
    features,
    views: ['bench'],
    trainer: {
      type: 'tfjs' as const,
      architecture: {
        type: 'mlp' as const,
        hidden: [64, 64],
        activation: 'relu',
        dropout: 0,
        batchNorm: false,
      },
      epochs: 3,
      batchSize: 256,
      learningRate: 1e-3,
      optimizer: 'adam' as const,
      schedule: { type: 'constant' as const },
      accumulate: 1,
      categorical: 'onehot' as const,
      backend: 'wasm' as const,
      seed: 1,
    },
    dataChecks: { maxNullShare: 0.9, minCoverage: 0.5, minRows: 20 },
    split: { method: 'time' as const, holdout: HOLDOUT / n, validation: 0 },
    metrics: ['auc', 'logloss'],
    primaryMetric: 'auc',
  };
  const ts = {
    path,
    rows: n,
    digest: '',
    cutoff: '',
    entityColumns: ['id'],
    features: features.map((f) => ({ ref: f.ref, column: `bench__${f.name}`, type: f.type })),
    nullCounts: {},
  };
  const r = await new TfjsTrainer({
    store: new LocalArtifactStore(join(dataDir, 'artifacts')),
    progress: 'none',
  }).train({ model, trainingSet: ts, seed: 1, workDir: join(dataDir, 'work') });
  console.error(
    `end to end: ${r.trainRows} training rows, 3 epochs, ${(r.durationMs / 1000).toFixed(1)} s in all (read, preprocess, train, export, score)`,
  );
  return {
    impl: `TfjsTrainer.train end to end (${(r.durationMs / 1000).toFixed(1)} s)`,
    backend: r.backend,
    batch: 256,
    samplesPerSecond: ((3 * r.trainRows) / r.durationMs) * 1000,
    auc: r.metrics.auc,
    logloss: r.metrics.logloss,
  };
}

/** Parallel trials: N independent trainings in worker threads (aggregate throughput). */
async function runWorkers(n: number, batch: number): Promise<number> {
  const results = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<{ rows: number; start: number; end: number }>((res, rej) => {
          // A worker does not inherit tsx's loader: register it, then load this file.
          const src = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)});`;
          const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), {
            workerData: { trial: true, batch },
          });
          w.once(
            'message',
            (r: { rows: number; start: number; end: number }) => (res(r), void w.terminate()),
          );
          w.once('error', rej);
        }),
    ),
  );
  // Training time only (from the first fit's start to the last one's end), not worker start-up.
  const span = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
  return (results.reduce((a, r) => a + r.rows, 0) / span) * 1000;
}

/** One trial inside a worker: its own wasm instance, 2 epochs on 50k rows (timed: the second). */
async function workerTrial(batch: number): Promise<{ rows: number; start: number; end: number }> {
  await selectBackend('wasm');
  const rows = QUICK ? 10_000 : 50_000;
  const { x, y } = makeData(rows);
  const train: TrainData = { rows, dense: x, indices: [], target: y };
  const net = new Network(PLAN, Network.initialValues(PLAN, 1));
  await fit(net, train, {
    epochs: 1,
    batchSize: batch,
    accumulate: 1,
    optimizer: 'adam',
    learningRate: () => 1e-3,
    seed: 1,
  });
  const start = performance.timeOrigin + performance.now();
  await fit(net, train, {
    epochs: 1,
    batchSize: batch,
    accumulate: 1,
    optimizer: 'adam',
    learningRate: () => 1e-3,
    seed: 2,
  });
  const end = performance.timeOrigin + performance.now();
  net.dispose();
  return { rows, start, end };
}

async function main(): Promise<void> {
  const load0 = loadavg();
  const { x, y } = makeData();
  const train: TrainData = {
    rows: ROWS,
    dense: x.subarray(0, ROWS * D),
    indices: [],
    target: y.subarray(0, ROWS),
  };
  const hold: TrainData = {
    rows: HOLDOUT,
    dense: x.subarray(ROWS * D),
    indices: [],
    target: y.subarray(ROWS),
  };
  const dataDir = join(tmpdir(), 'rudder-bench-train');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'x.f32'), new Uint8Array(x.buffer));
  writeFileSync(join(dataDir, 'y.f32'), new Uint8Array(y.buffer));

  const backend = await selectBackend((process.env.RUDDER_TF_BACKEND as 'wasm' | undefined) ?? 'auto');
  const cpuModel = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], {
    encoding: 'utf8',
  }).trim();
  console.log(
    `bench/train: ${ROWS} rows × ${D} features, MLP 64-64 ReLU, Adam 1e-3; ${TIMED_EPOCHS} timed epochs after 1 warm-up`,
  );
  console.log(
    `machine: ${cpuModel}, ${(await import('node:os')).cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}; tfjs backend ${backend.label}${backend.skipped.length ? ` (skipped: ${backend.skipped.map((s) => s.name).join(', ')})` : ''}`,
  );

  const torchOk = ensureTorch();
  const rows: Run[] = [];
  const summary: string[] = [];
  for (const batch of BATCHES) {
    const ours = await runEngine(train, hold, batch, backend.label);
    rows.push(ours);
    let torch: (Run & { threads?: number }) | undefined;
    if (torchOk) {
      torch = torchRun(dataDir, batch);
      rows.push(torch);
    }
    if (!args.has('--no-reference') && batch === 256) {
      rows.push(runAutogradFused(train, batch));
      rows.push(await runLayersFit(train, hold, batch, 1 + TIMED_EPOCHS));
    }
    summary.push(
      torch
        ? `batch ${batch}: tfjs trainer ${fmtRate(ours.samplesPerSecond)} vs PyTorch ${fmtRate(torch.samplesPerSecond)} → ${(ours.samplesPerSecond / torch.samplesPerSecond).toFixed(2)}× wall-clock, ${(ours.perCpuSecond! / torch.perCpuSecond!).toFixed(2)}× per CPU-second (target ≥ 0.25×) on ${backend.label}`
        : `batch ${batch}: tfjs trainer ${fmtRate(ours.samplesPerSecond)} on ${backend.label} (PyTorch not available)`,
    );
  }
  if (args.has('--cpu')) {
    await selectBackend('cpu');
    const small: TrainData = {
      rows: 20_000,
      dense: train.dense.subarray(0, 20_000 * D),
      indices: [],
      target: train.target.subarray(0, 20_000),
    };
    rows.push({
      ...(await runEngine(small, hold, 256, 'tfjs/cpu', 2)),
      impl: 'trainer (engine), 20k rows',
      auc: undefined,
      logloss: undefined,
    });
    await selectBackend('wasm');
  }
  if (args.has('--e2e')) rows.push(await runEndToEnd(x, y, dataDir));
  if (args.has('--workers')) {
    for (const n of [1, 2])
      rows.push({
        impl: `${n} parallel trial${n > 1 ? 's' : ''} (worker threads, aggregate)`,
        backend: 'tfjs/wasm',
        batch: 256,
        samplesPerSecond: await runWorkers(n, 256),
      });
  }

  console.log('');
  console.log(
    `${'implementation'.padEnd(44)} ${'backend'.padEnd(22)} ${'batch'.padStart(5)} ${'samples/s'.padStart(10)} ${'per CPU-s'.padStart(10)} ${'AUC'.padStart(7)} ${'logloss'.padStart(8)}`,
  );
  for (const r of rows)
    console.log(
      `${r.impl.padEnd(44)} ${r.backend.padEnd(22)} ${String(r.batch).padStart(5)} ${fmtRate(r.samplesPerSecond).padStart(10)} ${(r.perCpuSecond === undefined ? '' : fmtRate(r.perCpuSecond)).padStart(10)} ${r.auc === undefined ? '       ' : r.auc.toFixed(4).padStart(7)} ${r.logloss === undefined ? '' : r.logloss.toFixed(4).padStart(8)}`,
    );
  console.log('');
  for (const s of summary) console.log(s);
  const ref = rows.find((r) => r.impl.startsWith('model.fit'));
  const ours = rows.find((r) => r.impl === 'trainer (engine)' && r.batch === 256);
  if (ref && ours && ref.auc !== undefined && ours.auc !== undefined)
    console.log(
      `metrics: trainer AUC ${ours.auc.toFixed(4)} / logloss ${ours.logloss!.toFixed(4)} vs model.fit AUC ${ref.auc.toFixed(4)} / logloss ${ref.logloss!.toFixed(4)} → ${Math.abs(ours.auc - ref.auc) <= 0.01 ? 'same' : 'DIFFERENT'}`,
    );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores, shared)`,
  );
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`;
}

if (!isMainThread && (workerData as { trial?: boolean } | null)?.trial) {
  parentPort!.postMessage(await workerTrial((workerData as { batch: number }).batch));
} else {
  await main();
  process.exit(0);
}
