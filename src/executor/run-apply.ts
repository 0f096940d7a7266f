// `rudder apply` end to end: take the apply lock, settle an interrupted run (recover.ts), check
// the plan against the world (check-plan.ts), execute, and commit one state commit with trailers.
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { asEnvironmentError, EnvironmentError } from '../diagnostics/environment-error.ts';
import type { ApprovedBy } from '../git/message.ts';
import type { Plan } from '../planner/plan-types.ts';
import { renderSummaryLine } from '../planner/render.ts';
import { acquireApplyLock, LockHeldError, type ApplyLock } from '../state/apply-lock.ts';
import { probeWritable } from '../state/atomic.ts';
import type { Actor } from '../state/types.ts';
import type { TrainerEntry, TrainerType } from '../trainer/registry.ts';
import type { Trainer } from '../trainer/trainer.ts';
import type { Workspace } from '../state/workspace.ts';
import { checkPlan, replanReviewed, type PlanObservations } from './check-plan.ts';
import { commitBody, commitSubject } from './commit-message.ts';
import type { ApplyEvent } from './events.ts';
import { executePlan, type ActionOutcome } from './execute.ts';
import type { ApplyPorts } from './ports.ts';
import { recover } from './recover.ts';
import { applyError } from './refusal.ts';
import { clearRunJournal, writeRunJournal, type RunJournal } from './run-journal.ts';

export interface ApplyOptions {
  cwd: string;
  policiesDir?: string;
  /** A reviewed plan (from `rudder plan --out`): applied exactly, or refused if anything changed. */
  plan?: Plan;
  /** Without a plan: force these retrains (as `plan --retrain`). */
  retrain?: readonly string[];
  /** Models whose `approval: manual` actions may run, or 'all'. */
  approve?: readonly string[] | 'all';
  allowDestroy?: boolean;
  /**
   * Apply although the policy folder or rudder.yaml has uncommitted changes (as cargo publish
   * --allow-dirty): the state commit then records state for policies no clone has.
   */
  allowDirty?: boolean;
  /** How long to wait for another apply to finish. Default 0: fail at once. */
  lockTimeoutMs?: number;
  actor: Actor;
  /** How an MCP write was approved; recorded as the Rudder-Approved-By trailer. */
  approvedBy?: ApprovedBy;
  now?: () => Date;
  /**
   * Train only on labels at or before this instant (`--as-of`, a backtest replaying history):
   * without it a train as of a past time would learn from labels it could not have had.
   */
  labelsUntil?: Date;
  onEvent?: (e: ApplyEvent) => void;
  signal?: AbortSignal;
  /** Trainer overrides (tests use these for speed); default: the trainer registry's. */
  trainers?: Partial<Record<TrainerType, Trainer | TrainerEntry>>;
  /** Called with the plan before anything runs; return false to cancel (interactive confirmation). */
  confirm?: (plan: Plan) => Promise<boolean>;
}

export interface ApplyRunResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  plan?: Plan;
  outcomes: ActionOutcome[];
  commit?: { sha?: string; message: string };
  /** Set when the run changed nothing because nothing needed changing, or the user declined. */
  nothingToDo?: boolean;
  cancelled?: boolean;
  summary: string;
}

/** A run that stopped before executing anything. */
function refused(
  diagnostics: Diagnostic[],
  sources: Map<string, string>,
  summary: string,
  plan?: Plan,
): ApplyRunResult {
  return { ok: false, diagnostics, sources, plan, outcomes: [], summary };
}

/** A run that stopped before executing anything because it had nothing to run, or was declined. */
function stopped(sources: Map<string, string>, plan: Plan, how: 'nothingToDo' | 'cancelled'): ApplyRunResult {
  const summary = how === 'nothingToDo' ? renderSummaryLine(plan) : 'Apply cancelled; nothing changed.';
  return { ok: true, diagnostics: [], sources, plan, outcomes: [], [how]: true, summary };
}

/** Apply through `ports` (api.ts passes the default adapters): lock → recover → check → execute → publish. */
export async function runApply(opts: ApplyOptions, ports: ApplyPorts): Promise<ApplyRunResult> {
  const clock = opts.now ?? (() => new Date());
  const say = (message: string) => opts.onEvent?.({ type: 'notice', message });
  // Read before the lock only to learn where the repository and its state folder are.
  const first = await ports.load(opts);
  if (!first.ok) return refused(first.diagnostics, first.sources, 'Nothing applied: fix the errors above.');
  const lock = await lockApply(first.value.root, opts, say);
  if (!lock.ok) return refused([lock.refusal], first.sources, 'Nothing applied: another apply is running.');
  try {
    const loaded = await recover(first.value, opts, ports, say);
    if (!loaded.ok)
      return refused(loaded.diagnostics, loaded.sources, 'Nothing applied: fix the errors above.');
    const { value: ws, sources } = loaded;
    const store = await ports.openStore(ws);
    try {
      const checked = checkPlan(await observe(ws, store, opts, ports, clock), opts);
      if (!checked.ok) return refused(checked.diagnostics, sources, checked.summary, checked.plan);
      const plan = checked.plan;
      if (plan.actions.length === 0) return stopped(sources, plan, 'nothingToDo');
      if (opts.confirm && !(await opts.confirm(plan))) return stopped(sources, plan, 'cancelled');
      const ran = await execute(ws, plan, store, opts, ports, clock);
      if (!ran.ok) return { ...ran.stopped, sources };
      return { ...(await publish(ws, plan, ran.result, opts, ports, say)), sources };
    } finally {
      await store.close();
    }
  } finally {
    await lock.handle.release();
  }
}

async function lockApply(
  root: string,
  opts: ApplyOptions,
  say: (m: string) => void,
): Promise<{ ok: true; handle: ApplyLock } | { ok: false; refusal: Diagnostic }> {
  try {
    const handle = await acquireApplyLock({
      root,
      operation: opts.plan ? `apply ${opts.plan.digest.slice(7, 19)}` : 'apply',
      timeoutMs: opts.lockTimeoutMs ?? 0,
      onWait: (h) => say(`waiting for the apply lock held by ${h.owner} (pid ${h.pid}, ${h.operation})…`),
    });
    return { ok: true, handle };
  } catch (e) {
    if (!(e instanceof LockHeldError)) throw e;
    const hint = 'Wait for it to finish, or use --lock-timeout; if its process is gone, rudder unlock <id>.';
    return { ok: false, refusal: applyError('apply/locked', e.message, hint) };
  }
}

/** Plan now, and read what the checks need to know about the repository. */
async function observe(
  ws: Workspace,
  store: Awaited<ReturnType<ApplyPorts['openStore']>>,
  opts: ApplyOptions,
  ports: ApplyPorts,
  clock: () => Date,
): Promise<PlanObservations> {
  const reviewed = opts.plan;
  const fresh = await ports.plan(
    ws,
    {
      now: clock(),
      retrain: reviewed?.inputs.options.retrain ?? opts.retrain,
      refresh: reviewed?.inputs.options.refresh,
      abort: reviewed?.inputs.options.abort,
    },
    store,
  );
  const dirty = await ports.publisher.pending(ws.root, [ws.desired.project.policiesDir, 'rudder.yaml']);
  return { fresh, dirty, replanned: () => replanReviewed(ws, reviewed ?? fresh) };
}

type Executed = Awaited<ReturnType<typeof executePlan>>;

/**
 * Run the plan's actions, journalling each so that a killed run is noticed by the next. Refuses
 * first what would make the state commit fail or miss files; a full disk or a read-only folder
 * under the executor stops it (what was written is kept: the next apply commits it before
 * planning) with exit 1, not an internal error.
 */
async function execute(
  ws: Workspace,
  plan: Plan,
  store: Awaited<ReturnType<ApplyPorts['openStore']>>,
  opts: ApplyOptions,
  ports: ApplyPorts,
  clock: () => Date,
): Promise<{ ok: true; result: Executed } | { ok: false; stopped: Omit<ApplyRunResult, 'sources'> }> {
  const root = ws.root;
  const stop = (e: unknown, summary: string) => {
    const env = asEnvironmentError(e);
    if (!env) throw e;
    return {
      ok: false as const,
      stopped: { ok: false, diagnostics: [env.toDiagnostic()], plan, outcomes: [], summary },
    };
  };
  const artifacts = ports.openArtifacts(ws);
  const trainers = ports.trainers(ws, artifacts);
  const journal: RunJournal = {
    plan: plan.digest,
    actor: opts.actor,
    pid: process.pid,
    startedAt: clock().toISOString(),
    actions: {},
  };
  try {
    await preflight(ws, plan, ports);
  } catch (e) {
    return stop(e, 'Nothing applied.');
  }
  try {
    await writeRunJournal(root, journal);
    const result = await executePlan(plan.actions, plan.waves, ws.lock, {
      root,
      desired: ws.desired,
      store,
      dataPolicies: store,
      trainerFor: (t) => trainers[t].trainer,
      artifacts,
      clock,
      ...(opts.labelsUntil ? { labelsUntil: opts.labelsUntil } : {}),
      actor: opts.actor,
      approve: opts.approve === 'all' ? 'all' : new Set(opts.approve ?? []),
      concurrency: ws.desired.project.trainer.concurrency,
      workDir: join(root, '.rudder', 'work', plan.digest.slice(7, 19)),
      planDigest: plan.digest,
      onEvent: opts.onEvent,
      signal: opts.signal,
      onRecorded: async (id, status, files) => {
        journal.actions[id] = { status, files };
        await writeRunJournal(root, journal);
      },
    });
    return { ok: true, result };
  } catch (e) {
    return stop(
      e,
      'Apply stopped: the environment refused a write. Lockfiles already written are committed by the next rudder apply.',
    );
  }
}

/** Refuse before any work what would make the state commit fail or miss files. */
async function preflight(ws: Workspace, plan: Plan, ports: ApplyPorts): Promise<void> {
  const stateDir = ws.desired.project.stateDir;
  // A read-only or unwritable state folder fails here, before anything trains.
  await probeWritable(join(ws.root, stateDir));
  await ports.publisher.check(ws.root, [
    ...new Set(plan.actions.flatMap((a) => a.changes.map((c) => c.path))),
    ...['models', 'features', 'rollouts', 'data'].map((d) => `${stateDir}/${d}/x.lock.yaml`),
  ]);
}

/** One state commit for the run, with its trailers; then the run journal goes. */
async function publish(
  ws: Workspace,
  plan: Plan,
  result: Executed,
  opts: ApplyOptions,
  ports: ApplyPorts,
  say: (m: string) => void,
): Promise<Omit<ApplyRunResult, 'sources'>> {
  const count = (s: ActionOutcome['status']) => result.outcomes.filter((o) => o.status === s);
  const [done, failed, skipped] = [count('done'), count('failed'), count('skipped')];
  let commit: ApplyRunResult['commit'];
  if (result.touchedFiles.length > 0) {
    const published = await ports.publisher
      .publish({
        root: ws.root,
        git: ws.desired.project.git,
        files: result.touchedFiles,
        subject: commitSubject(result.outcomes),
        body: commitBody(plan, result.outcomes),
        trailers: {
          plan: plan.digest,
          actions: done.map((o) => o.id),
          actor: opts.actor,
          approvedBy: opts.approvedBy,
        },
        onNotice: say,
      })
      .catch((e: unknown) => {
        // The actions ran and their lockfiles are written; the run journal stays, so the next
        // apply commits them before planning. Say so instead of "internal error".
        const env = asEnvironmentError(e);
        if (!env) throw e;
        return env;
      });
    if (published instanceof EnvironmentError)
      return {
        ok: false,
        diagnostics: [published.toDiagnostic()],
        plan,
        outcomes: result.outcomes,
        summary: `Apply ran ${done.length} action(s)${failed.length ? `, ${failed.length} failed` : ''}, but the state commit failed: the lockfiles are written and the next rudder apply commits them first.`,
      };
    commit = published.commit.committed
      ? { sha: published.commit.sha, message: published.commit.message }
      : { message: published.commit.message };
  }
  await clearRunJournal(ws.root);
  return {
    ok: failed.length === 0,
    diagnostics: [],
    plan,
    outcomes: result.outcomes,
    commit,
    summary: `Apply ${failed.length ? 'finished with failures' : 'complete'}: ${done.length} done${failed.length ? `, ${failed.length} failed` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}.`,
  };
}
