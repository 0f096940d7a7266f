// A train as of a past time (`--as-of`, `rudder backtest --train`) learns only from labels known
// then: the training set is cut at ApplyOptions.labelsUntil, and without it every label counts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { makePlan } from '../../../src/compose/default-ports.ts';
import { loadWorkspace, openStore } from '../../../src/compose/workspace.ts';
import { Skip, type HandlerContext } from '../../../src/executor/handler.ts';
import { handlers } from '../../../src/executor/handlers/index.ts';
import type { LockState } from '../../../src/state/types.ts';
import type { Workspace } from '../../../src/state/workspace.ts';
import type { FullFeatureStore } from '../../../src/store/port.ts';
import { churnRepo } from '../../helpers/churn-repo.ts';
import { fakeTrainer } from '../../helpers/fake-trainer.ts';
import { cleanupTemp, isolateGitConfig } from '../../helpers/temp-repo.ts';

const UNTIL = new Date('2026-03-01T00:00:00Z');

let repo: string;
let ws: Workspace;
let store: FullFeatureStore;
let lock: LockState;

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

function context(labelsUntil?: Date): HandlerContext {
  const t = fakeTrainer(repo);
  return {
    desired: ws.desired,
    withStore: (fn) => fn(store),
    withDataPolicies: (fn) => fn(store),
    trainerFor: () => t,
    artifacts: openArtifactStore(repo),
    lock: () => lock,
    workDir: () => Promise.resolve(mkdtempSync(join(tmpdir(), 'rudder-until-'))),
    trainingSets: new Map(),
    ...(labelsUntil ? { labelsUntil } : {}),
  };
}

test('model.train with labelsUntil trains on no label after it; without it, on all labels', async () => {
  const plan = await makePlan(ws, { now: new Date('2026-07-06T00:00:00Z'), monitoring: false }, store);
  for (const a of plan.actions)
    if (a.type === 'feature.materialize') {
      const o = await handlers['feature.materialize'].run(a, context());
      if (o instanceof Skip) throw new Error(o.message);
    }
  const train = plan.actions.find((a) => a.type === 'model.train');
  if (train?.type !== 'model.train') throw new Error('no train action');
  const all = await handlers['model.train'].run(train, context());
  const cut = await handlers['model.train'].run(train, context(UNTIL));
  if (all instanceof Skip || cut instanceof Skip) throw new Error('skipped');
  expect(Date.parse(cut.trainingSet.cutoff)).toBeLessThanOrEqual(UNTIL.getTime());
  expect(Date.parse(all.trainingSet.cutoff)).toBeGreaterThan(UNTIL.getTime());
  expect(cut.trainingSet.rows).toBeLessThan(all.trainingSet.rows);
}, 120_000);
