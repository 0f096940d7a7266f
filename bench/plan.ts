// A policy repository of 10,000 models (and 2,000 views) with lockfiles and observations:
// time a no-op plan and a plan in which 1% of models must retrain, with peak memory.
// Target (issue 6): under 1 s for the no-op plan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicies } from '../src/compiler/compile.ts';
import type { DesiredState } from '../src/compiler/desired-state.ts';
import type { Observations } from '../src/observe/observations.ts';
import { planChanges } from '../src/planner/plan.ts';
import { parseDocuments } from '../src/source/parse-documents.ts';
import { diffLockStates } from '../src/state/lock-state.ts';
import { readLockState, writeLockChanges } from '../src/state/state-io.ts';
import { emptyLockState, record, type LockState, type ModelLock } from '../src/state/types.ts';
import { nodeSha256 } from '../src/util/node-hash.ts';

const VIEWS = 2000;
const MODELS = 10_000;
const AT = '2026-06-01T00:00:00Z';

function policies(): DesiredState {
  const enc = new TextEncoder();
  const docs = [];
  for (let v = 0; v < VIEWS; v++)
    docs.push(
      ...parseDocuments(
        `policies/v${v}.yaml`,
        enc.encode(
          `apiVersion: rudder.dev/v1alpha1\nkind: FeatureView\nmetadata: { name: view-${v} }\nspec:\n  source: { path: data/v${v}.parquet, timestamp: ts }\n  entities: [id]\n  features: [{ name: a, type: float }, { name: b, type: int }, { name: c, type: category }]\n`,
        ),
      ).docs,
    );
  for (let m = 0; m < MODELS; m++)
    docs.push(
      ...parseDocuments(
        `policies/m${m}.yaml`,
        enc.encode(
          `apiVersion: rudder.dev/v1alpha1\nkind: Model\nmetadata: { name: model-${m} }\nspec:\n  task: binary-classification\n  label: { source: { path: data/l.csv, timestamp: ts }, entities: [id], column: y }\n  features: [view-${m % VIEWS}:*, view-${(m * 7 + 1) % VIEWS}:a]\n  trainer: { type: tfjs }\n---\napiVersion: rudder.dev/v1alpha1\nkind: RetrainPolicy\nmetadata: { name: model-${m}-retrain }\nspec:\n  model: model-${m}\n  triggers: [{ schedule: { every: 30d } }]\n  cooldown: 1d\n  gates: [{ metric: auc, min: 0.6 }]\n`,
        ),
      ).docs,
    );
  const r = compilePolicies({ projectDocs: [], docs }, { hash: nodeSha256 });
  if (!r.ok) throw new Error(r.diagnostics[0]?.message);
  return r.value;
}

function appliedState(d: DesiredState): LockState {
  const s = emptyLockState();
  const features = record<LockState['features'][string]>();
  for (const v of d.featureViews)
    features[v.name] = {
      kind: 'FeatureLock',
      lockVersion: 1,
      view: v.name,
      viewDigest: v.digest,
      watermark: '2026-05-31T00:00:00Z',
      rows: 1000,
      materializedAt: '2026-05-31T01:00:00Z',
      sourceDigest: `sha256:${nodeSha256(v.name)}`,
    };
  const models = record<ModelLock>();
  for (const m of d.models) {
    const fv: Record<string, string> = {};
    for (const v of m.views) fv[v] = d.featureViews.find((x) => x.name === v)!.digest;
    models[m.name] = {
      kind: 'ModelLock',
      lockVersion: 1,
      name: m.name,
      specDigest: m.digest,
      versions: [
        {
          version: 1,
          status: 'champion',
          statusHistory: [{ status: 'champion', at: '2026-05-20T00:00:00Z', reason: 'gates passed' }],
          specDigest: m.digest,
          featureViewDigests: fv,
          trainingSet: {
            digest: `sha256:${nodeSha256(`ts${m.name}`)}`,
            cutoff: '2026-05-20T00:00:00Z',
            rows: 5000,
          },
          seed: 42,
          trainer: { type: 'tfjs', backend: 'tfjs/wasm' },
          metrics: { auc: 0.8, accuracy: 0.75, logloss: 0.4 },
          artifact: {
            digest: `sha256:${nodeSha256(`a${m.name}`)}`,
            uri: `artifact://sha256/${nodeSha256(`a${m.name}`)}`,
          },
          trainedAt: '2026-05-20T00:00:00Z',
        },
      ],
    };
  }
  return { ...s, features, models };
}

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(0)} ms`;
}

let t = performance.now();
const desired = policies();
console.log(`compiled ${desired.models.length} models, ${desired.featureViews.length} views in ${ms(t)}`);
const lock = appliedState(desired);
const obs: Observations = { version: 1, at: AT, views: {}, models: {} };
for (const v of desired.featureViews)
  obs.views[v.name] = {
    newestEvent: '2026-05-31T00:00:00Z',
    rows: 1000,
    sourceDigest: `sha256:${nodeSha256(v.name)}`,
  };

const stateDir = 'state';
// `rudder plan` reads the state from disk and binds the plan to the digests of the files' text.
const root = mkdtempSync(join(tmpdir(), 'rudder-bench-plan-'));
let digests: Record<string, string>;
try {
  await writeLockChanges(root, stateDir, diffLockStates(emptyLockState(), lock, stateDir));
  t = performance.now();
  const read = await readLockState(root, stateDir);
  const tRead = performance.now() - t;
  if (!read.ok) throw new Error(read.diagnostics[0]?.message);
  t = performance.now();
  digests = Object.fromEntries([...read.sources].map(([p, text]) => [p, `sha256:${nodeSha256(text)}`]));
  console.log(
    `read ${read.sources.size} lockfiles from disk: ${tRead.toFixed(0)} ms; digests of their text: ${ms(t)}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
const opts = {
  rudder: 'bench',
  repository: { project: 'bench' },
  lockfileDigests: digests,
  hash: nodeSha256,
};

const runs: number[] = [];
let actions = -1;
for (let i = 0; i < 3; i++) {
  t = performance.now();
  actions = planChanges(desired, lock, obs, opts).actions.length;
  runs.push(performance.now() - t);
}
console.log(
  `no-op plan (pure planner, ${MODELS} models): ${runs.map((x) => x.toFixed(0)).join(' / ')} ms over 3 runs; ${actions} actions`,
);

const changed: LockState = { ...lock, models: record({ ...lock.models }) };
for (let m = 0; m < MODELS; m += 100) {
  const ml = changed.models[`model-${m}`]!;
  changed.models[`model-${m}`] = {
    ...ml,
    versions: ml.versions.map((v) => ({ ...v, specDigest: 'sha256:old' })),
  };
}
t = performance.now();
const onePct = planChanges(desired, changed, obs, opts);
console.log(
  `1% retrain plan: ${ms(t)}; ${onePct.summary['model.train'] ?? 0} to train, ${onePct.summary['model.promote'] ?? 0} to promote`,
);

const peak = process.resourceUsage().maxRSS / 1024;
const best = Math.min(...runs);
console.log(`peak RSS ${peak.toFixed(0)} MB`);
console.log(
  `no-op plan vs target 1 s: ${(best / 1000).toFixed(3)}× of budget — ${best < 1000 ? 'OK' : 'OVER'}`,
);
