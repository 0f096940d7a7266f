// Runs a plan's actions wave by wave against the ports, writing each finished action's
// lockfiles atomically. Each action type has one handler (handlers/index.ts); this file only
// schedules them, records their outcomes and reports. Holding the apply lock, checking the plan
// against the world and committing are the caller's job (run-apply.ts).
import { asEnvironmentError } from '../diagnostics/environment-error.ts';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { ArtifactStore } from '../artifacts/port.ts';
import type { DesiredState, Model } from '../compiler/desired-state.ts';
import { modelOfAction, type ActionOf, type ActionType, type PlanAction } from '../planner/plan-types.ts';
import { diffLockStates } from '../state/lock-state.ts';
import { writeLockChanges } from '../state/state-io.ts';
import type { Actor, LockState } from '../state/types.ts';
import type { DataPolicyStore, FeatureStore, TrainingSet } from '../store/port.ts';
import { TrainerError, type Trainer } from '../trainer/trainer.ts';
import type { ApplyEvent } from './events.ts';
import { Skip, type HandlerContext, type RecordMeta } from './handler.ts';
import { handlers, type OutcomeOf } from './handlers/index.ts';

export interface ExecutePorts {
  root: string;
  desired: DesiredState;
  store: FeatureStore;
  /** PII scanning and quarantines: their own seam (the same DuckDB store by default). */
  dataPolicies: DataPolicyStore;
  trainerFor(type: Model['trainer']['type']): Trainer;
  artifacts: ArtifactStore;
  clock: () => Date;
  /** Label cut-off for training sets (ApplyOptions.labelsUntil). */
  labelsUntil?: Date;
  actor: Actor;
  /** Models whose manual-approval actions may run, or 'all'. */
  approve: ReadonlySet<string> | 'all';
  /** Actions running at once within a wave. */
  concurrency: number;
  /** Scratch space for training sets and trainer work; removed afterwards. */
  workDir: string;
  planDigest: string;
  onEvent?: (e: ApplyEvent) => void;
  /** Called after each action's lockfiles are written (the run journal records it). */
  onRecorded?: (id: string, status: ActionOutcome['status'], files: string[]) => Promise<void>;
  signal?: AbortSignal;
}

/** One action's outcome, discriminated by action type: `outcome` is that type's typed result. */
export type ActionOutcome<K extends ActionType = ActionType> = { [T in K]: ActionOutcomeOf<T> }[K];

export interface ActionOutcomeOf<T extends ActionType> {
  id: string;
  type: T;
  status: 'done' | 'failed' | 'skipped';
  /** The summary line (done), the reason (skipped) or the error (failed). */
  message: string;
  /** Lockfiles this action wrote. */
  files: string[];
  /** What a done action did, as its handler reports it. */
  outcome?: OutcomeOf<T>;
  /** A done action in plain words for the commit subject: `train churn v2 (spec changed)`. */
  subject?: string;
}

export interface ExecuteResult {
  lock: LockState;
  /** In execution order: wave by wave, plan order within a wave. */
  outcomes: ActionOutcome[];
  touchedFiles: string[];
}

export async function executePlan(
  actions: readonly PlanAction[],
  waves: readonly string[][],
  initial: LockState,
  ports: ExecutePorts,
): Promise<ExecuteResult> {
  const run: Run = {
    ports,
    lock: initial,
    outcomes: new Map(),
    touched: new Set(),
    trainingSets: new Map(),
    // One DuckDB connection underneath: store calls take turns; training overlaps with them.
    storeQueue: new PQueue({ concurrency: 1 }),
    // Lock changes apply to the state as it is when they are written, one at a time.
    writeQueue: new PQueue({ concurrency: 1 }),
  };
  const fatal = await runWaves(run, new Map(actions.map((a) => [a.id, a])), waves);
  await rm(ports.workDir, { recursive: true, force: true }).catch(() => undefined);
  if (fatal !== undefined)
    throw fatal instanceof Error ? fatal : new Error('recording the run failed', { cause: fatal });
  return {
    lock: run.lock,
    outcomes: waves.flatMap((w) => w.map((id) => run.outcomes.get(id)).filter((o) => o != null)),
    touchedFiles: [...run.touched].sort(),
  };
}

/** One execution's state, shared by its actions. */
interface Run {
  ports: ExecutePorts;
  lock: LockState;
  outcomes: Map<string, ActionOutcome>;
  touched: Set<string>;
  trainingSets: Map<string, TrainingSet>;
  storeQueue: PQueue;
  writeQueue: PQueue;
}

/**
 * Each wave's actions, at most `concurrency` at once. A failure to journal progress (a full
 * disk, a read-only .rudder/) is not one action's failure: the run stops after the running
 * actions and the error is returned for the caller to throw.
 */
async function runWaves(
  run: Run,
  byId: ReadonlyMap<string, PlanAction>,
  waves: readonly string[][],
): Promise<unknown> {
  const { ports } = run;
  let fatal: unknown;
  for (const wave of waves) {
    if (fatal !== undefined) break;
    const queue = new PQueue({ concurrency: Math.max(1, ports.concurrency) });
    for (const id of wave) {
      const a = byId.get(id);
      if (!a) continue;
      void queue.add(async () => {
        const outcome = await runAction(run, a);
        run.outcomes.set(a.id, outcome);
        const type =
          outcome.status === 'done'
            ? 'action-done'
            : outcome.status === 'failed'
              ? 'action-failed'
              : 'action-skipped';
        ports.onEvent?.({ type, action: a, message: outcome.message });
        try {
          await ports.onRecorded?.(a.id, outcome.status, outcome.files);
        } catch (e) {
          fatal ??= e;
          queue.clear();
        }
      });
    }
    await queue.onIdle();
  }
  return fatal;
}

/** One action: skipped when a dependency did not finish, approval is missing or the run was interrupted. */
async function runAction(run: Run, a: PlanAction): Promise<ActionOutcome> {
  const { ports } = run;
  const skipped = (message: string): ActionOutcome => ({
    id: a.id,
    type: a.type,
    status: 'skipped',
    message,
    files: [],
  });
  const failedDep = a.dependsOn.map((d) => run.outcomes.get(d)).find((o) => o && o.status !== 'done');
  if (failedDep)
    return skipped(`skipped: ${failedDep.id} ${failedDep.status === 'failed' ? 'failed' : 'did not run'}`);
  const approvalKey = modelOfAction(a) ?? a.resource.name;
  if (a.requiresApproval && ports.approve !== 'all' && !ports.approve.has(approvalKey))
    return skipped(`awaiting approval: run rudder apply --approve ${approvalKey}`);
  if (ports.signal?.aborted) return skipped('skipped: apply was interrupted');
  const meta: RecordMeta = {
    desired: ports.desired,
    at: ports.clock().toISOString(),
    prov: { plan: ports.planDigest, action: a.id },
  };
  ports.onEvent?.({ type: 'action-start', action: a });
  try {
    return await runWith(run, a, meta);
  } catch (e) {
    return failed(a, e);
  }
}

function failed(a: PlanAction, e: unknown): ActionOutcome {
  const err = e as Error;
  const tail = e instanceof TrainerError && e.logTail ? `\n--- log tail ---\n${e.logTail}` : '';
  // A full disk or a read-only folder: say which, and what to do, in the action's line.
  const env = asEnvironmentError(e);
  return {
    id: a.id,
    type: a.type,
    status: 'failed',
    message: env
      ? `${env.code}: ${env.message.split('\n')[0]}. ${env.hint ?? ''}`.trim()
      : `${err.message.split('\n')[0]}${tail}`,
    files: [],
  };
}

/** Generic in the action type, so each action meets its own handler without a cast. */
async function runWith<T extends ActionType>(
  run: Run,
  a: ActionOf<T>,
  meta: RecordMeta,
): Promise<ActionOutcome<T>> {
  const h = handlers[a.type];
  const o = await h.run(a, handlerContext(run, a));
  if (o instanceof Skip) {
    const skipped: ActionOutcomeOf<T> = {
      id: a.id,
      type: a.type,
      status: 'skipped',
      message: o.message,
      files: [],
    };
    return skipped;
  }
  const files = await record(run, (s) => h.lockAfter(s, o, a, meta));
  const done: ActionOutcomeOf<T> = {
    id: a.id,
    type: a.type,
    status: 'done',
    message: h.summary(o, a),
    files,
    outcome: o,
    subject: h.subject(o, a),
  };
  return done;
}

function handlerContext(run: Run, a: { id: string }): HandlerContext {
  const { ports } = run;
  return {
    desired: ports.desired,
    withStore: (fn) => serial(run.storeQueue, () => fn(ports.store)),
    withDataPolicies: (fn) => serial(run.storeQueue, () => fn(ports.dataPolicies)),
    trainerFor: (t) => ports.trainerFor(t),
    artifacts: ports.artifacts,
    lock: () => run.lock,
    workDir: async () => {
      const wd = join(ports.workDir, safe(a.id));
      await mkdir(wd, { recursive: true });
      return wd;
    },
    trainingSets: run.trainingSets,
    ...(ports.labelsUntil ? { labelsUntil: ports.labelsUntil } : {}),
    signal: ports.signal,
  };
}

/** Apply a change to the lock state as it is now, writing the lockfiles it changes. */
function record(run: Run, next: (current: LockState) => LockState): Promise<string[]> {
  const { root, desired } = run.ports;
  const stateDir = desired.project.stateDir;
  return serial(run.writeQueue, async () => {
    const after = next(run.lock);
    const changes = diffLockStates(run.lock, after, stateDir);
    if (changes.length > 0) await writeLockChanges(root, stateDir, changes);
    run.lock = after;
    for (const c of changes) run.touched.add(c.path);
    return changes.map((c) => c.path);
  });
}

/** Run `fn` in a one-at-a-time queue and pass its result or error through. */
function serial<T>(queue: PQueue, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    void queue.add(() => fn().then(resolve, reject));
  });
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
