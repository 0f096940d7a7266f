// `rudder apply` end to end: take the apply lock, settle an interrupted run, check the plan
// against the world, execute, and commit one state commit with trailers.
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { asEnvironmentError, EnvironmentError } from '../diagnostics/environment-error.ts';
import type { ApprovedBy } from '../git/message.ts';
import { planChanges } from '../planner/plan.ts';
import { restrictTo } from '../planner/restrict.ts';
import { diffActions, diffPlans } from '../planner/plan-diff.ts';
import { diffPlanInputs } from '../planner/plan-file.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import type { Plan } from '../planner/plan-types.ts';
import { renderSummaryLine } from '../planner/render.ts';
import { acquireApplyLock, LockHeldError } from '../state/apply-lock.ts';
import { probeWritable } from '../state/atomic.ts';
import { recoverState } from '../state/state-io.ts';
import type { Actor } from '../state/types.ts';
import type { TrainerEntry, TrainerType } from '../trainer/registry.ts';
import type { Trainer } from '../trainer/trainer.ts';
import type { Workspace } from '../workspace.ts';
import type { ApplyEvent } from './events.ts';
import { commitBody, commitSubject } from './commit-message.ts';
import { executePlan, type ActionOutcome } from './execute.ts';
import { recordPendingState } from './pending-state.ts';
import type { ApplyPorts, StatePublisher } from './ports.ts';
import { clearRunJournal, readRunJournal, writeRunJournal, type RunJournal } from './run-journal.ts';

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

const err = (code: Diagnostic['code'], message: string, hint?: string): Diagnostic => ({
  code,
  severity: 'error',
  message,
  hint,
  path: [],
});

/** A run that stopped before executing anything. */
function refused(
  diagnostics: Diagnostic[],
  sources: Map<string, string>,
  summary: string,
  plan?: Plan,
): ApplyRunResult {
  return { ok: false, diagnostics, sources, plan, outcomes: [], summary };
}

/** Apply through `ports` (api.ts passes the default adapters). */
export async function runApply(opts: ApplyOptions, ports: ApplyPorts): Promise<ApplyRunResult> {
  const clock = opts.now ?? (() => new Date());
  const say = (message: string) => opts.onEvent?.({ type: 'notice', message });
  const first = await ports.load(opts);
  if (!first.ok) return refused(first.diagnostics, first.sources, 'Nothing applied: fix the errors above.');
  const root = first.value.root;

  let lockHandle;
  try {
    lockHandle = await acquireApplyLock({
      root,
      operation: opts.plan ? `apply ${opts.plan.digest.slice(7, 19)}` : 'apply',
      timeoutMs: opts.lockTimeoutMs ?? 0,
      onWait: (h) => say(`waiting for the apply lock held by ${h.owner} (pid ${h.pid}, ${h.operation})…`),
    });
  } catch (e) {
    if (e instanceof LockHeldError)
      return refused(
        [
          err(
            'apply/locked',
            e.message,
            'Wait for it to finish, or use --lock-timeout; if its process is gone, rudder unlock <id>.',
          ),
        ],
        first.sources,
        'Nothing applied: another apply is running.',
      );
    throw e;
  }
  try {
    // Finish an interrupted state write, then settle an interrupted run before planning.
    const recovered = await recoverState(root, first.value.desired.project.stateDir);
    if (recovered.rolledForward)
      say(`completed an interrupted state write (${recovered.files.length} file(s))`);
    const recoveredWs = await ports.load(opts);
    if (recoveredWs.ok) await settleState(root, recoveredWs.value, opts.actor, ports.publisher, say);

    const loaded = await ports.load(opts);
    if (!loaded.ok)
      return refused(loaded.diagnostics, loaded.sources, 'Nothing applied: fix the errors above.');
    const ws = loaded.value;
    const store = await ports.openStore(ws);
    try {
      const fresh = await ports.plan(
        ws,
        {
          now: clock(),
          retrain: opts.plan?.inputs.options.retrain ?? opts.retrain,
          refresh: opts.plan?.inputs.options.refresh,
          abort: opts.plan?.inputs.options.abort,
        },
        store,
      );
      let plan = fresh;
      if (opts.plan) {
        const changed = diffPlanInputs(opts.plan.inputs, fresh.inputs);
        if (changed.length > 0) {
          const other = changed.find((c) => c.startsWith('repository:'));
          return refused(
            [
              other
                ? err(
                    'plan/other-repository',
                    `the plan was made elsewhere: ${other.slice(12)}`,
                    'Plan in this repository.',
                  )
                : err(
                    'plan/stale',
                    `the plan no longer matches the world: ${changed.join('; ')}`,
                    'Run rudder plan again, review it, and apply the new plan.',
                  ),
            ],
            loaded.sources,
            'Nothing applied: the plan is out of date.',
            opts.plan,
          );
        }
        // The file's own digest proves nothing: whoever can edit it can recompute it. The planner
        // is pure and the file records its inputs and observations, so plan again from them and
        // apply only if the actions are exactly the reviewed ones.
        const recomputed = restrictTo(
          planChanges(ws.desired, ws.lock, opts.plan.observations, {
            retrain: opts.plan.inputs.options.retrain,
            refresh: opts.plan.inputs.options.refresh,
            abort: opts.plan.inputs.options.abort,
            rudder: opts.plan.rudder,
            repository: opts.plan.inputs.repository,
            lockfileDigests: opts.plan.inputs.lockfiles,
            hash: nodeSha256,
            source: opts.plan.source,
          }),
          opts.plan.inputs.options.only,
          nodeSha256,
        );
        const tampered = recomputed.digest === opts.plan.digest ? [] : diffPlans(opts.plan, recomputed);
        if (recomputed.digest !== opts.plan.digest)
          return refused(
            [
              err(
                'plan/tampered',
                `the plan file is not the plan its recorded inputs and observations give: ${tampered.join('; ') || 'its content differs'}${opts.plan.rudder !== fresh.rudder ? ` (it was written by Rudder ${opts.plan.rudder}; this is ${fresh.rudder})` : ''}`,
                'Apply only a plan file exactly as rudder plan --out wrote it: plan again and review that plan.',
              ),
            ],
            loaded.sources,
            'Nothing applied: the plan file was edited.',
            opts.plan,
          );
        // Inputs that slide (monitoring windows) are not in the digest: what must still hold is
        // that the world, observed now, asks for the same actions.
        const moved = diffActions(opts.plan, restrictTo(fresh, opts.plan.inputs.options.only, nodeSha256));
        if (moved.length > 0)
          return refused(
            [
              err(
                'plan/stale',
                `the plan no longer matches the world: observed now, it asks for other actions (${moved.join('; ')})`,
                'Run rudder plan again, review it, and apply the new plan.',
              ),
            ],
            loaded.sources,
            'Nothing applied: the plan is out of date.',
            opts.plan,
          );
        plan = opts.plan;
      }
      if (plan.blocked.length > 0)
        return refused(
          [
            err(
              'plan/blocked',
              `the plan could not observe what it needs: ${plan.blocked.map((b) => `${b.kind} ${b.name} (${b.reason})`).join('; ')}`,
              'Make the sources readable, then plan and apply again.',
            ),
          ],
          loaded.sources,
          'Nothing applied: the plan is blind to part of the world.',
          plan,
        );
      const dirty = await ports.publisher.pending(root, [ws.desired.project.policiesDir, 'rudder.yaml']);
      if (dirty && dirty.length > 0 && !opts.allowDirty)
        return refused(
          [
            err(
              'apply/dirty-policies',
              `the policies have uncommitted changes (${dirty.map((d) => d.path).join(', ')}): state committed now would describe policies that no clone of the repository has`,
              'Commit the policy changes first (the plan records the commit it was made from), or pass --allow-dirty.',
            ),
          ],
          loaded.sources,
          'Nothing applied.',
          plan,
        );
      const destructive = plan.actions.filter((a) => a.destructive);
      if (destructive.length > 0 && !opts.allowDestroy)
        return refused(
          [
            err(
              'apply/destroy-not-allowed',
              `the plan removes state (${destructive.map((a) => a.id).join(', ')}) and --allow-destroy was not given`,
              'Review the - lines, then apply with --allow-destroy.',
            ),
          ],
          loaded.sources,
          'Nothing applied.',
          plan,
        );
      if (plan.actions.length === 0)
        return {
          ok: true,
          diagnostics: [],
          sources: loaded.sources,
          plan,
          outcomes: [],
          nothingToDo: true,
          summary: renderSummaryLine(plan),
        };
      if (opts.confirm && !(await opts.confirm(plan)))
        return {
          ok: true,
          diagnostics: [],
          sources: loaded.sources,
          plan,
          outcomes: [],
          cancelled: true,
          summary: 'Apply cancelled; nothing changed.',
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
      // Refuse before any work what would make the state commit fail or miss files.
      try {
        // A read-only or unwritable state folder fails here, before anything trains.
        await probeWritable(join(root, ws.desired.project.stateDir));
        await ports.publisher.check(root, [
          ...new Set(plan.actions.flatMap((a) => a.changes.map((c) => c.path))),
          ...['models', 'features', 'rollouts', 'data'].map(
            (d) => `${ws.desired.project.stateDir}/${d}/x.lock.yaml`,
          ),
        ]);
      } catch (e) {
        const env = asEnvironmentError(e);
        if (!env) throw e;
        return refused([env.toDiagnostic()], loaded.sources, 'Nothing applied.', plan);
      }
      let result: Awaited<ReturnType<typeof executePlan>>;
      try {
        await writeRunJournal(root, journal);
        result = await executePlan(plan.actions, plan.waves, ws.lock, {
          root,
          desired: ws.desired,
          store,
          dataPolicies: store,
          trainerFor: (t) => trainers[t].trainer,
          artifacts,
          clock,
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
      } catch (e) {
        // A full disk or a read-only folder under the executor: say so, keep what was written
        // (the next apply commits it before planning), exit 1 — not an internal error.
        const env = asEnvironmentError(e);
        if (!env) throw e;
        return {
          ok: false,
          diagnostics: [env.toDiagnostic()],
          sources: loaded.sources,
          plan,
          outcomes: [],
          summary:
            'Apply stopped: the environment refused a write. Lockfiles already written are committed by the next rudder apply.',
        };
      }
      const done = result.outcomes.filter((o) => o.status === 'done');
      let commit: ApplyRunResult['commit'];
      if (result.touchedFiles.length > 0) {
        const published = await ports.publisher
          .publish({
            root,
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
            // The actions ran and their lockfiles are written; the run journal stays, so the
            // next apply commits them before planning. Say so instead of "internal error".
            const env = asEnvironmentError(e);
            if (!env) throw e;
            return env;
          });
        if (published instanceof EnvironmentError) {
          const failed = result.outcomes.filter((o) => o.status === 'failed');
          return {
            ok: false,
            diagnostics: [published.toDiagnostic()],
            sources: loaded.sources,
            plan,
            outcomes: result.outcomes,
            summary: `Apply ran ${done.length} action(s)${failed.length ? `, ${failed.length} failed` : ''}, but the state commit failed: the lockfiles are written and the next rudder apply commits them first.`,
          };
        }
        commit = published.commit.committed
          ? { sha: published.commit.sha, message: published.commit.message }
          : { message: published.commit.message };
      }
      await clearRunJournal(root);
      const failed = result.outcomes.filter((o) => o.status === 'failed');
      const skipped = result.outcomes.filter((o) => o.status === 'skipped');
      return {
        ok: failed.length === 0,
        diagnostics: [],
        sources: loaded.sources,
        plan,
        outcomes: result.outcomes,
        commit,
        summary: `Apply ${failed.length ? 'finished with failures' : 'complete'}: ${done.length} done${failed.length ? `, ${failed.length} failed` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}.`,
      };
    } finally {
      await store.close();
    }
  } finally {
    await lockHandle.release();
  }
}

/**
 * Before planning, whatever the state folder holds is committed. A run journal left behind means
 * an apply was killed; a rejected hook or a full disk leaves lockfiles written but not committed.
 * Each finished action wrote its lockfiles atomically, so the state is consistent: commit every
 * uncommitted state file (not only those the journal names — a kill can land between writing a
 * lockfile and journalling it) under the actions their provenance names, then plan the rest.
 */
async function settleState(
  root: string,
  ws: Workspace,
  actor: Actor,
  publisher: StatePublisher,
  say: (m: string) => void,
): Promise<void> {
  const j = await readRunJournal(root);
  const done = j ? Object.entries(j.actions).filter(([, a]) => a.status === 'done') : [];
  if (j)
    say(
      `an earlier apply of plan ${j.plan.slice(7, 19)} (pid ${j.pid}, started ${j.startedAt}) was interrupted after ${done.length} action(s); planning the rest again`,
    );
  await recordPendingState({
    root,
    stateDir: ws.desired.project.stateDir,
    git: ws.desired.project.git,
    lockTexts: ws.lockTexts,
    actor,
    publisher,
    interrupted: j ? { plan: j.plan, actions: done.map(([id]) => id) } : undefined,
    say,
  });
  if (j) await clearRunJournal(root);
}
