// `rudder backtest --train`: at each simulated retrain, train a candidate as of that time in a
// scratch copy of the repository (labels cut at the time: no leakage), then score it and the
// lock's champion on the labelled rows of the following period. The user's repository is never
// written: the copy is removed afterwards.
import { cpSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { Model, Trigger } from '../compiler/desired-state.ts';
import { monitoredVersion } from '../observe/drift-observations.ts';
import { observeQuality } from '../observe/quality.ts';
import type { BacktestTrain } from '../planner/backtest.ts';
import type { ModelVersion } from '../state/types.ts';
import type { Workspace } from '../state/workspace.ts';
import { defaultObservePorts } from './default-ports.ts';
import { apply } from './run.ts';
import { loadWorkspace, openStore } from './workspace.ts';

type PerformanceTrigger = Extract<Trigger, { type: 'performance' }>;

/** The metric to compare on: the performance trigger's, else the first gate's, else the task's. */
function metricFor(model: Model, triggers: readonly Trigger[], gates: readonly { metric: string }[]): string {
  const perf = triggers.find((t): t is PerformanceTrigger => t.type === 'performance');
  return perf?.metric ?? gates[0]?.metric ?? (model.task === 'regression' ? 'rmse' : 'auc');
}

export async function trainAndScore(
  ws: Workspace,
  report: {
    model: string;
    to: string;
    everyMs: number;
    triggers: Trigger[];
    steps: readonly { at: string; outcome: string }[];
  },
  opts: { onProgress?: (step: number, steps: number, at: Date) => void },
): Promise<BacktestTrain[]> {
  const model = ws.desired.models.find((m) => m.name === report.model)!;
  const gates = ws.desired.retrainPolicies.find((p) => p.model === model.name)?.gates ?? [];
  const metric = metricFor(model, report.triggers, gates);
  const fired = report.steps.filter((s) => s.outcome === 'fired').map((s) => new Date(s.at));
  const out: BacktestTrain[] = [];
  for (const [i, at] of fired.entries()) {
    opts.onProgress?.(i + 1, fired.length, at);
    // The following period: one step, or until the next retrain when that is sooner.
    const next = fired[i + 1]?.getTime() ?? Infinity;
    const until = new Date(
      Math.min(at.getTime() + report.everyMs, next, Date.parse(report.to) + report.everyMs),
    );
    out.push(await trainOne(ws, model, metric, at, until));
  }
  return out;
}

async function trainOne(
  ws: Workspace,
  model: Model,
  metric: string,
  at: Date,
  until: Date,
): Promise<BacktestTrain> {
  const base = { at: at.toISOString(), until: until.toISOString(), metric };
  const scratch = await mkdtemp(join(tmpdir(), 'rudder-backtest-'));
  try {
    // A copy, not a clone: the data and the local artifact store are usually not committed.
    cpSync(ws.root, scratch, {
      recursive: true,
      filter: (src) => !relative(ws.root, src).split(sep).join('/').startsWith('.rudder/work'),
    });
    const r = await apply({
      cwd: scratch,
      retrain: [model.name],
      actor: 'cli',
      allowDirty: true,
      now: () => at,
      labelsUntil: at,
    });
    const copy = await loadWorkspace({ cwd: scratch });
    if (!copy.ok) return { ...base, error: `the scratch copy does not load after training: ${r.summary}` };
    const before = ws.lock.models[model.name]?.versions.at(-1)?.version ?? 0;
    const versions = copy.value.lock.models[model.name]?.versions ?? [];
    const candidate = versions.find((v) => v.version > before);
    // The version monitoring compares with: the champion, else the newest not rejected.
    const champion = monitoredVersion(ws.lock.models[model.name]?.versions ?? []);
    // Only the train matters here: a later action of the same apply (gates, rollout) may fail
    // in the copy without making the candidate any less trained.
    if (!candidate) return { ...base, error: `no candidate was trained: ${r.summary}` };
    const scores = await scoreOn(copy.value, model, [candidate, champion], metric, at, until);
    return { ...base, candidate: scores[0], ...(scores[1] ? { champion: scores[1] } : {}) };
  } catch (e) {
    return { ...base, error: (e as Error).message.split('\n')[0] };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Each version's metric on the label rows of (from, to], re-scored with features point in time. */
async function scoreOn(
  ws: Workspace,
  model: Model,
  versions: readonly (ModelVersion | undefined)[],
  metric: string,
  from: Date,
  to: Date,
): Promise<(BacktestTrain['candidate'] | undefined)[]> {
  const store = await openStore(ws);
  const ports = await defaultObservePorts(ws, store, { monitoring: true });
  try {
    const trigger: PerformanceTrigger = {
      type: 'performance',
      metric,
      windowMs: to.getTime() - from.getTime(),
      minLabels: 1,
    };
    const out: (BacktestTrain['candidate'] | undefined)[] = [];
    for (const v of versions) {
      if (!v) {
        out.push(undefined);
        continue;
      }
      // Re-scored from the sources: the prediction log holds what served, not these versions.
      const { log: _log, ...ctx } = ports.monitoring!;
      const q = await observeQuality({
        desired: ws.desired,
        model,
        version: v,
        store,
        ctx: { ...ctx, lock: ws.lock, artifacts: ports.artifacts },
        now: to,
        trigger,
      });
      out.push({
        version: v.version,
        ...(q.quality ? { value: q.quality.value, labels: q.quality.labels } : {}),
        ...(q.note ? { note: q.note } : {}),
      });
    }
    return out;
  } finally {
    await ports.close();
    await store.close();
  }
}
