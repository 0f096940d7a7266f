// Assembles what a plan needs from a repository: compiled policies, lockfiles; and plans from
// them and the observations (src/ports.ts observes through the default adapters: makePlan).
// Shared by the CLI, the MCP server and the tests through api.ts.
import { resolve } from 'node:path';
import { validate } from '../source/validate.ts';
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { MakePlanOptions, Workspace, WorkspaceOptions } from '../state/workspace.ts';
import { uncommittedFiles } from '../git/git.ts';
import { lastCommitTouching, rootCommit } from '../git/identity.ts';
import type { Observations } from '../observe/observations.ts';
import { planChanges } from '../planner/plan.ts';
import type { Plan } from '../planner/plan-types.ts';
import { readLockState } from '../state/state-io.ts';
import { openFeatureStore } from '../store/open-store.ts';
import type { FullFeatureStore } from '../store/port.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { RUDDER_VERSION } from '../util/version.ts';

/** Compile the policies and read the lockfiles; every problem as diagnostics. */
export async function loadWorkspace(opts: WorkspaceOptions): Promise<ApiResult<{ value: Workspace }>> {
  const root = resolve(opts.cwd);
  const v = await validate({ cwd: root, policiesDir: opts.policiesDir });
  if (!v.ok || !v.state) return { ok: false, diagnostics: v.diagnostics, sources: v.sources };
  const l = await readLockState(root, v.state.project.stateDir);
  const sources = new Map([...v.sources, ...l.sources]);
  if (!l.ok) return { ok: false, diagnostics: [...v.diagnostics, ...l.diagnostics], sources };
  return {
    ok: true,
    value: { root, desired: v.state, lock: l.value, lockTexts: l.sources },
    diagnostics: [...v.diagnostics, ...l.diagnostics],
    sources,
  };
}

/** The feature store of a workspace, honouring released quarantines recorded in the data locks. */
export function openStore(ws: Workspace): Promise<FullFeatureStore> {
  const released = Object.values(ws.lock.data).flatMap((d) =>
    d.quarantines.filter((q) => q.released != null).map((q) => q.id),
  );
  return openFeatureStore(ws.root, ws.desired, { releasedQuarantines: released });
}

/** Plan from what was observed, binding the plan to the lockfiles and commits it was made from. */
export async function planObserved(
  ws: Workspace,
  observations: Observations,
  opts: MakePlanOptions,
): Promise<Plan> {
  return planChanges(ws.desired, ws.lock, observations, {
    retrain: opts.retrain,
    refresh: opts.refresh,
    abort: opts.abort,
    rudder: RUDDER_VERSION,
    repository: { project: ws.desired.project.name, rootCommit: await rootCommit(ws.root) },
    lockfileDigests: Object.fromEntries(
      [...ws.lockTexts].map(([path, text]) => [path, `sha256:${nodeSha256(text)}`]),
    ),
    hash: nodeSha256,
    source: {
      policyCommit: await lastCommitTouching(ws.root, [ws.desired.project.policiesDir, 'rudder.yaml']),
      uncommittedState: await uncommittedFiles(ws.root, [ws.desired.project.stateDir]).catch(() => undefined),
    },
  });
}
