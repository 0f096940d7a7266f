// Each action handler on its own, against the real ports (a DuckDB store, the local artifact
// store, a temporary git repository with the churn policies): what `run` returns, the lock
// `lockAfter` derives from it, and the summary and commit-subject words.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { Skip, type HandlerContext, type RecordMeta } from '../../../src/executor/handler.ts';
import { handlers, type OutcomeOf } from '../../../src/executor/handlers/index.ts';
import type { ActionOf, ActionType, Plan } from '../../../src/planner/plan-types.ts';
import type { LockState } from '../../../src/state/types.ts';
import type { FullFeatureStore } from '../../../src/store/port.ts';
import { makePlan } from '../../../src/compose/default-ports.ts';
import { loadWorkspace, openStore } from '../../../src/compose/workspace.ts';
import type { Workspace } from '../../../src/state/workspace.ts';
import { churnRepo } from '../../helpers/churn-repo.ts';
import { fakeTrainer } from '../../helpers/fake-trainer.ts';
import { cleanupTemp, isolateGitConfig } from '../../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');

let repo: string;
let ws: Workspace;
let store: FullFeatureStore;
let lock: LockState;
const trainer = () => fakeTrainer(repo);

beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 120, epochs: 1 });
  const loaded = await loadWorkspace({ cwd: repo });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  ws = loaded.value;
  store = await openStore(ws);
  lock = ws.lock;
}, 120_000);
afterAll(async () => {
  await store.close();
  cleanupTemp();
});

function context(): HandlerContext {
  const t = trainer();
  return {
    desired: ws.desired,
    withStore: (fn) => fn(store),
    withDataPolicies: (fn) => fn(store),
    trainerFor: () => t,
    artifacts: openArtifactStore(repo),
    lock: () => lock,
    workDir: () => Promise.resolve(mkdtempSync(join(tmpdir(), 'rudder-handler-'))),
    trainingSets: new Map(),
  };
}

const meta = (a: { id: string }): RecordMeta => ({
  desired: ws.desired,
  at: NOW.toISOString(),
  prov: { plan: 'sha256:test', action: a.id },
});

/** Run one action through its handler and record its lock change, as the executor does. */
async function run<T extends ActionType>(
  a: ActionOf<T>,
): Promise<{ outcome: OutcomeOf<T>; summary: string; subject: string } | Skip> {
  const h = handlers[a.type];
  const o = await h.run(a, context());
  if (o instanceof Skip) return o;
  lock = h.lockAfter(lock, o, a, meta(a));
  return { outcome: o, summary: h.summary(o, a), subject: h.subject(o, a) };
}

function done<X>(r: X | Skip): X {
  if (r instanceof Skip) throw new Error(`skipped: ${r.message}`);
  return r;
}

describe('action handlers against the real ports', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await makePlan(ws, { now: NOW, monitoring: false }, store);
  }, 120_000);

  test('feature.materialize: rows, watermark and the feature lock', async () => {
    const acts = plan.actions.flatMap((x) => (x.type === 'feature.materialize' ? [x] : []));
    expect(acts.map((a) => a.params.view).sort()).toEqual(['customer_activity', 'customer_profile']);
    for (const a of acts) {
      const r = done(await run(a));
      expect(r.outcome.result.rows).toBeGreaterThan(0);
      expect(r.summary).toMatch(/^\d+ rows materialized \(full refresh\); watermark \d{4}-/);
      expect(r.subject).toBe(`materialize ${a.params.view}`);
      const fl = lock.features[a.params.view]!;
      expect(fl.viewDigest).toBe(a.params.viewDigest);
      expect(fl.watermark).toBe(r.outcome.result.watermark);
      expect(fl.action).toBe(a.id);
    }
  }, 120_000);

  test('data.scan: findings as counts, scans recorded per view in the data lock', async () => {
    const [a] = plan.actions.flatMap((x) => (x.type === 'data.scan' ? [x] : []));
    const r = done(await run(a!));
    expect(r.outcome.scan.scannedRows).toBeGreaterThan(0);
    expect(r.subject).toBe('scan customer-pii');
    expect(r.summary).toMatch(/rows scanned; /);
    expect(lock.data['customer-pii']!.scans.map((s) => s.view).sort()).toEqual(
      a!.params.views.slice().sort(),
    );
  }, 120_000);

  test('model.train: a candidate version from the point-in-time training set', async () => {
    const [a] = plan.actions.flatMap((x) => (x.type === 'model.train' ? [x] : []));
    const r = done(await run(a!));
    expect(r.outcome).toMatchObject({ model: 'churn', version: 1, reasons: ['no-version'] });
    expect(r.outcome.trainingSet.rows).toBeGreaterThan(0);
    expect(r.outcome.trainingSetUri).toMatch(/^artifact:\/\/sha256\//);
    expect(r.subject).toBe('train churn v1 (new model)');
    expect(r.summary).toMatch(/^v1 trained .*\(test\/fake\): auc 0\.8/);
    const v = lock.models.churn!.versions[0]!;
    expect(v).toMatchObject({ version: 1, status: 'candidate', trainer: { backend: 'test/fake' } });
  }, 120_000);

  test('model.promote: the first version passes its gates and becomes champion; a second run skips', async () => {
    const [a] = plan.actions.flatMap((x) => (x.type === 'model.promote' ? [x] : []));
    const r = done(await run(a!));
    expect(r.outcome).toMatchObject({ model: 'churn', version: 1, becomes: 'champion', strategy: 'direct' });
    expect(r.subject).toBe('promote churn v1');
    expect(r.summary).toMatch(/^v1 is champion \(/);
    expect(lock.models.churn!.versions[0]!.status).toBe('champion');
    expect(lock.rollouts.churn).toMatchObject({ strategy: 'direct', versions: [{ version: 1, weight: 1 }] });
    const again = await run(a!);
    expect(again).toBeInstanceOf(Skip);
    expect((again as Skip).message).toBe('v1 is already champion');
  }, 120_000);

  test('rollout.start: with a champion, a canary policy stages the next candidate (or the gates reject it)', async () => {
    ws = { ...ws, lock };
    const next = await makePlan(ws, { now: NOW, retrain: ['churn'], monitoring: false }, store);
    const [train] = next.actions.flatMap((x) => (x.type === 'model.train' ? [x] : []));
    expect(done(await run(train!)).subject).toBe('train churn v2 (retrain requested)');
    const [a] = next.actions.flatMap((x) => (x.type === 'rollout.start' ? [x] : []));
    expect(a!.params).toMatchObject({ model: 'churn', version: 2, strategy: 'canary', weight: 0.1 });
    // Promotion fails closed when the two versions cannot be compared on rows neither trained on.
    const r = await run(a!).catch((e: Error) => e);
    const v2 = lock.models.churn!.versions.find((v) => v.version === 2)!;
    if (r instanceof Error) {
      expect(r.message).toMatch(/v2 stays a candidate/);
      expect(v2.status).toBe('candidate');
    } else if (done(r).outcome.becomes === 'challenger') {
      expect(done(r).subject).toBe('roll out churn v2 (canary, 10%)');
      expect(v2.status).toBe('challenger');
      expect(lock.rollouts.churn!.versions).toEqual([
        { version: 1, weight: 0.9 },
        { version: 2, weight: 0.1 },
      ]);
    } else {
      expect(done(r).outcome.becomes).toBe('rejected');
      expect(done(r).subject).toBe('reject churn v2');
      expect(v2.status).toBe('rejected');
    }
    expect(lock.models.churn!.versions[0]!.status).toBe('champion');
  }, 180_000);

  test('model.retire: the model and rollout locks are removed', async () => {
    const a: ActionOf<'model.retire'> = {
      id: 'model.retire:churn',
      type: 'model.retire',
      op: 'delete',
      resource: { kind: 'Model', name: 'churn' },
      reasons: [{ code: 'removed', message: 'model churn is no longer in the policies' }],
      dependsOn: [],
      risk: 'high',
      requiresApproval: false,
      destructive: true,
      changes: [],
      params: { model: 'churn' },
    };
    expect(lock.models.churn).toBeDefined();
    const r = done(await run(a));
    expect(r.subject).toBe('retire churn');
    expect(lock.models.churn).toBeUndefined();
    expect(lock.rollouts.churn).toBeUndefined();
  });
});
