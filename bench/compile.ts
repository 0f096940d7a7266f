// Load + validate + compile a policy repository of 10,000 models and 2,000 feature views.
// Target (issue 2): under 2 s and under 500 MB peak RSS on the 2-core reference machine.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '../src/api/index.ts';

const VIEWS = Number(process.env.BENCH_VIEWS ?? 2000);
const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const FEATURES_PER_VIEW = 8;

function generate(root: string): void {
  mkdirSync(join(root, 'policies', 'features'), { recursive: true });
  mkdirSync(join(root, 'policies', 'models'), { recursive: true });
  mkdirSync(join(root, 'policies', 'operations'), { recursive: true });
  writeFileSync(
    join(root, 'rudder.yaml'),
    'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: bench }\n',
  );
  for (let v = 0; v < VIEWS; v++) {
    const feats = Array.from(
      { length: FEATURES_PER_VIEW },
      (_, f) => `    - { name: f${f}, type: ${f % 3 === 0 ? 'category' : 'float'} }`,
    ).join('\n');
    writeFileSync(
      join(root, 'policies', 'features', `view-${v}.yaml`),
      `apiVersion: rudder.dev/v1alpha1\nkind: FeatureView\nmetadata:\n  name: view-${v}\n  owner: team-${v % 17}\nspec:\n  source: { path: data/view-${v}.parquet, timestamp: ts }\n  entities: [customer_id]\n  ttl: 30d\n  freshness: { maxAge: 24h, refresh: auto }\n  features:\n${feats}\n`,
    );
  }
  for (let m = 0; m < MODELS; m++) {
    const a = m % VIEWS;
    const b = (m * 7 + 3) % VIEWS;
    writeFileSync(
      join(root, 'policies', 'models', `model-${m}.yaml`),
      `apiVersion: rudder.dev/v1alpha1\nkind: Model\nmetadata:\n  name: model-${m}\nspec:\n  task: binary-classification\n  label:\n    source: { path: data/labels-${m % 50}.csv, timestamp: label_ts }\n    entities: [customer_id]\n    column: y\n  features: [view-${a}:f0, view-${a}:f1, view-${a}:f2, view-${b}:*]\n  trainer: { type: tfjs, architecture: { type: mlp, hidden: [32, 16] }, epochs: 10 }\n  metrics: [auc, logloss]\n` +
        `---\napiVersion: rudder.dev/v1alpha1\nkind: RetrainPolicy\nmetadata:\n  name: model-${m}-retrain\nspec:\n  model: model-${m}\n  triggers:\n    - schedule: { every: 30d }\n    - drift: { share: 0.3 }\n  gates: [{ metric: auc, min: 0.6 }]\n`,
    );
  }
}

const root = mkdtempSync(join(tmpdir(), 'rudder-bench-compile-'));
try {
  generate(root);
  // The first run is cold (ajv compiles the schemas) and is the one measured for peak memory;
  // two more give the warm figure.
  const runs: number[] = [];
  let docs = 0;
  let peakMb = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await validate({ cwd: root, checkPaths: false });
    runs.push(performance.now() - t0);
    if (i === 0) peakMb = process.resourceUsage().maxRSS / 1024;
    if (!r.ok) throw new Error(`bench policies do not compile: ${r.diagnostics[0]?.message}`);
    docs = r.documents;
  }
  const load = await import('node:os').then((os) => os.loadavg()[0]!.toFixed(2));
  const first = runs[0]!;
  const best = Math.min(...runs);
  console.log(
    `policy repository: ${VIEWS} feature views, ${MODELS} models, ${MODELS} retrain policies (${docs} documents, ${VIEWS + MODELS} files)`,
  );
  console.log(
    `load + validate + compile: first run ${(first / 1000).toFixed(2)} s (cold, includes schema compilation), best of 3 ${(best / 1000).toFixed(2)} s`,
  );
  console.log(
    `peak RSS after the cold run: ${peakMb.toFixed(0)} MB (1-min load average during the run: ${load} on ${(await import('node:os')).cpus().length} cores)`,
  );
  console.log(
    `vs target 2 s: ${(first / 2000).toFixed(2)}× of budget (cold) — ${first < 2000 ? 'OK' : 'OVER'}`,
  );
  console.log(`vs target 500 MB: ${(peakMb / 500).toFixed(2)}× of budget — ${peakMb < 500 ? 'OK' : 'OVER'}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
