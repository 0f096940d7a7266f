// observe(): what the planner learns from the world, against a real DuckDB store and the churn
// sample data. A source that cannot be read becomes an error observation for that view only.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { observe, type ObservePorts } from '../../../src/observe/observe.ts';
import { isViewError } from '../../../src/observe/observations.ts';
import { openPredictionLog } from '../../../src/prediction-log/parquet-log.ts';
import type { FeatureStore } from '../../../src/store/port.ts';
import { loadWorkspace, openStore } from '../../../src/compose/workspace.ts';
import type { Workspace } from '../../../src/state/workspace.ts';
import { churnRepo } from '../../helpers/churn-repo.ts';
import { cleanupTemp, isolateGitConfig } from '../../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
let repo: string;
let ws: Workspace;

beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 120, epochs: 1 });
  const loaded = await loadWorkspace({ cwd: repo });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  ws = loaded.value;
}, 120_000);
afterAll(() => cleanupTemp());

/** The workspace's artifact store and (unwritten) prediction log; no monitoring ports. */
const ports = (store: FeatureStore): ObservePorts => ({
  store,
  artifacts: openArtifactStore(repo),
  predictionLog: openPredictionLog(repo),
});

describe('observe', () => {
  test('every view: rows, newest event and a content digest; the clock recorded; the same world twice gives the same observations', async () => {
    const store = await openStore(ws);
    try {
      const a = await observe(ws.desired, ws.lock, ports(store), NOW);
      const b = await observe(ws.desired, ws.lock, ports(store), NOW);
      expect(a).toEqual(b);
      expect(a.at).toBe(NOW.toISOString());
      expect(Object.keys(a.views).sort()).toEqual(ws.desired.featureViews.map((v) => v.name).sort());
      for (const o of Object.values(a.views)) {
        if (isViewError(o)) throw new Error(o.error);
        expect(o.rows).toBeGreaterThan(0);
        expect(o.sourceDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(Date.parse(o.newestEvent!)).toBeLessThanOrEqual(NOW.getTime());
      }
      // Without model ports, no model observations are made.
      expect(a.models).toEqual({});
    } finally {
      await store.close();
    }
  }, 120_000);

  test('a source that cannot be read is an error observation for its view only', async () => {
    const broken = ws.desired.featureViews[0]!;
    rmSync(join(repo, broken.source.path), { force: true, recursive: true });
    const store = await openStore(ws);
    try {
      const o = await observe(ws.desired, ws.lock, ports(store), NOW);
      const bad = o.views[broken.name];
      expect(isViewError(bad)).toBe(true);
      expect(isViewError(bad) && bad.error).toMatch(
        new RegExp(broken.source.path.split('/').pop()!.replace('.', '\\.')),
      );
      for (const v of ws.desired.featureViews.filter((x) => x.name !== broken.name))
        expect(isViewError(o.views[v.name])).toBe(false);
    } finally {
      await store.close();
    }
  }, 120_000);
});
