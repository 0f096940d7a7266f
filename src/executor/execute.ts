// Runs a plan's actions wave by wave against the ports, writing each finished action's
// lockfiles atomically. Holding the apply lock, checking the plan against the world and
// committing are the caller's job (run-apply.ts).
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { DesiredState, Model } from '../compiler/desired-state.ts';
import type { PlanAction } from '../planner/plan-types.ts';
import type { ArtifactStore } from '../artifacts/port.ts';
import { championOf } from '../state/lockfile.ts';
import { diffLockStates, withLock, withoutLock } from '../state/lock-state.ts';
import { writeLockChanges } from '../state/state-io.ts';
import type { Actor, LockState, ModelLock, Provenance } from '../state/types.ts';
import type { FeatureStore, TrainingSet } from '../store/port.ts';
import { evaluateGates } from '../trainer/gates.ts';
import { TrainerError, type Trainer } from '../trainer/trainer.ts';
import type { ApplyEvent } from './events.ts';
import { dataLockAfter, featureLockAfter, modelLockWithCandidate, promote } from './transitions.ts';

export interface ExecutePorts {
  root: string;
  desired: DesiredState;
  store: FeatureStore;
  trainerFor(type: Model['trainer']['type']): Trainer;
  artifacts: ArtifactStore;
  clock: () => Date;
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

export interface ActionOutcome {
  id: string;
  status: 'done' | 'failed' | 'skipped';
  message: string;
  /** Lockfiles this action wrote. */
  files: string[];
}

export interface ExecuteResult {
  lock: LockState;
  outcomes: ActionOutcome[];
  touchedFiles: string[];
}

export async function executePlan(
  actions: readonly PlanAction[],
  waves: readonly string[][],
  initial: LockState,
  ports: ExecutePorts,
): Promise<ExecuteResult> {
  let lock = initial;
  const outcomes = new Map<string, ActionOutcome>();
  const touched = new Set<string>();
  const byId = new Map(actions.map((a) => [a.id, a]));
  const trainingSets = new Map<string, TrainingSet>();
  const stateDir = ports.desired.project.stateDir;
  // One DuckDB connection underneath: store calls take turns; training overlaps with them.
  let storeTurn: Promise<unknown> = Promise.resolve();
  const withStore = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = storeTurn.then(fn, fn);
    storeTurn = run.catch(() => undefined);
    return run;
  };
  let writeTurn: Promise<unknown> = Promise.resolve();
  const record = (next: (current: LockState) => LockState): Promise<string[]> => {
    const run = writeTurn.then(async () => {
      const after = next(lock);
      const changes = diffLockStates(lock, after, stateDir);
      if (changes.length > 0) await writeLockChanges(ports.root, stateDir, changes);
      lock = after;
      for (const c of changes) touched.add(c.path);
      return changes.map((c) => c.path);
    });
    writeTurn = run.catch(() => undefined);
    return run;
  };

  const runAction = async (a: PlanAction): Promise<ActionOutcome> => {
    const failedDep = a.dependsOn.map((d) => outcomes.get(d)).find((o) => o && o.status !== 'done');
    if (failedDep)
      return {
        id: a.id,
        status: 'skipped',
        message: `skipped: ${failedDep.id} ${failedDep.status === 'failed' ? 'failed' : 'did not run'}`,
        files: [],
      };
    if (
      a.requiresApproval &&
      ports.approve !== 'all' &&
      !ports.approve.has(String(a.params.model ?? a.resource.name))
    )
      return {
        id: a.id,
        status: 'skipped',
        message: `awaiting approval: run rudder apply --approve ${String(a.params.model ?? a.resource.name)}`,
        files: [],
      };
    if (ports.signal?.aborted)
      return { id: a.id, status: 'skipped', message: 'skipped: apply was interrupted', files: [] };
    const at = ports.clock().toISOString();
    const prov: Provenance = { plan: ports.planDigest, action: a.id };
    ports.onEvent?.({ type: 'action-start', action: a });
    try {
      switch (a.type) {
        case 'feature.materialize': {
          const view = ports.desired.featureViews.find((v) => v.name === a.params.view)!;
          const r = await withStore(() =>
            ports.store.materialize(view, (a.params.since as string | null) ?? null),
          );
          const files = await record((s) =>
            withLock(s, featureLockAfter(view, r, String(a.params.sourceDigest), at, prov)),
          );
          return {
            id: a.id,
            status: 'done',
            message: `${r.rows} rows materialized${r.full ? ' (full refresh)' : ''}; watermark ${r.watermark ?? 'none'}`,
            files,
          };
        }
        case 'data.scan': {
          const policy = ports.desired.dataPolicies.find((p) => p.name === a.params.policy)!;
          const views = ports.desired.featureViews.filter((v) => policy.views.includes(v.name));
          const store = ports.store;
          const r = await withStore(() =>
            store.applyDataPolicy ? store.applyDataPolicy(policy, views) : store.scanPii(policy, views),
          );
          const files = await record((s) =>
            withLock(s, dataLockAfter(s.data[policy.name], policy, r, at, prov)),
          );
          const found = r.findings.filter((f) => !f.allowed);
          const q = 'quarantines' in r && Array.isArray(r.quarantines) ? r.quarantines.length : 0;
          return {
            id: a.id,
            status: 'done',
            message: `${r.scannedRows} rows scanned; ${found.length ? found.map((f) => `${f.view}.${f.column}: ${f.rows} ${f.detector}`).join(', ') : 'no disallowed PII'}${q ? `; ${q} quarantine record(s)` : ''}`,
            files,
          };
        }
        case 'model.train': {
          const model = ports.desired.models.find((m) => m.name === a.params.model)!;
          const views = ports.desired.featureViews.filter((v) => model.views.includes(v.name));
          const wd = join(ports.workDir, safe(a.id));
          await mkdir(wd, { recursive: true });
          const ts = await withStore(() =>
            ports.store.buildTrainingSet({
              model,
              views,
              outPath: join(wd, 'training-set.parquet'),
              policies: ports.desired.dataPolicies,
            }),
          );
          trainingSets.set(model.name, ts);
          const seed = model.trainer.seed;
          const result = await ports
            .trainerFor(model.trainer.type)
            .train({ model, trainingSet: ts, seed, workDir: wd, signal: ports.signal });
          const snapshot = await ports.artifacts.putFile(ts.path);
          const version = Number(a.params.version);
          const reason = `trained: ${a.reasons.map((r) => r.code).join(', ')}`;
          const files = await record((s) =>
            withLock(
              s,
              modelLockWithCandidate(s.models[model.name], {
                model,
                views,
                version,
                result,
                trainingSet: ts,
                trainingSetUri: snapshot.uri,
                seed,
                at,
                prov,
                reason,
              }),
            ),
          );
          const metrics = Object.entries(result.metrics)
            .map(([k, v]) => `${k} ${round(v)}`)
            .join(', ');
          return {
            id: a.id,
            status: 'done',
            message: `v${version} trained on ${ts.rows} rows (${result.backend}): ${metrics}`,
            files,
          };
        }
        case 'model.promote':
        case 'rollout.start':
          return await promoteAction(a, at, prov);
        case 'model.retire': {
          const name = String(a.params.model);
          const files = await record((s) =>
            withoutLock(withoutLock(s, 'ModelLock', name), 'RolloutLock', name),
          );
          return {
            id: a.id,
            status: 'done',
            message: `${name} retired; its lockfiles are removed (history stays in git)`,
            files,
          };
        }
      }
    } catch (e) {
      const err = e as Error;
      const tail = e instanceof TrainerError && e.logTail ? `\n--- log tail ---\n${e.logTail}` : '';
      return { id: a.id, status: 'failed', message: `${err.message.split('\n')[0]}${tail}`, files: [] };
    }
  };

  const promoteAction = async (a: PlanAction, at: string, prov: Provenance): Promise<ActionOutcome> => {
    const model = ports.desired.models.find((m) => m.name === a.params.model)!;
    const version = Number(a.params.version);
    const ml: ModelLock | undefined = lock.models[model.name];
    const cand = ml?.versions.find((v) => v.version === version);
    if (!ml || !cand) throw new Error(`model ${model.name} has no v${version} to promote`);
    if (cand.status !== 'candidate')
      return { id: a.id, status: 'skipped', message: `v${version} is already ${cand.status}`, files: [] };
    const rp = ports.desired.retrainPolicies.find((p) => p.model === model.name);
    const ro = ports.desired.rolloutPolicies.find((p) => p.model === model.name);
    const champion = championOf(ml);
    let championMetrics: Record<string, number> | undefined;
    let championNote: string | undefined;
    let candidateMetrics = cand.metrics;
    if (champion) {
      const wd = join(ports.workDir, safe(a.id));
      await mkdir(wd, { recursive: true });
      let ts = trainingSets.get(model.name);
      if (!ts || ts.digest !== cand.trainingSet.digest) {
        const views = ports.desired.featureViews.filter((v) => model.views.includes(v.name));
        ts = await withStore(() =>
          ports.store.buildTrainingSet({
            model,
            views,
            outPath: join(wd, 'training-set.parquet'),
            until: new Date(cand.trainingSet.cutoff),
            policies: ports.desired.dataPolicies,
          }),
        );
      }
      const holdoutSet = ts;
      if (holdoutSet.digest !== cand.trainingSet.digest) {
        // The data moved since the candidate was trained: score both on today's holdout.
        candidateMetrics = await ports
          .trainerFor(cand.trainer.type)
          .evaluate(model, { ...cand.artifact, size: 0 }, holdoutSet, wd, { seed: cand.seed });
      }
      try {
        championMetrics = await ports
          .trainerFor(champion.trainer.type)
          .evaluate(model, { ...champion.artifact, size: 0 }, holdoutSet, wd, { seed: cand.seed });
      } catch (e) {
        championNote = `champion v${champion.version} cannot be scored on this holdout: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    const decision = evaluateGates({
      gates: rp?.gates ?? [],
      candidate: candidateMetrics,
      champion: championMetrics,
      championNote,
    });
    const strategy =
      a.type === 'rollout.start' ? (String(a.params.strategy) as 'canary' | 'abTest') : 'direct';
    const out = promote({
      lock: ml,
      version,
      decision,
      strategy,
      weight: Number(a.params.weight ?? 1),
      rollout: lock.rollouts[model.name],
      policyDigest: ro?.digest,
      at,
      prov,
    });
    const files = await record((s) => {
      const next = withLock(s, out.model);
      return out.rollout ? withLock(next, out.rollout) : next;
    });
    const detail = decision.checks
      .map((c) => `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '–'} ${c.reason}`)
      .join('; ');
    const msg =
      out.outcome === 'rejected'
        ? `v${version} rejected by its gates: ${decision.failures.join('; ')}`
        : out.outcome === 'challenger'
          ? `v${version} is a challenger at ${Math.round(Number(a.params.weight) * 100)}% of traffic (${detail || 'no gates'})`
          : `v${version} is champion (${detail || 'no gates'})${champion ? `; v${champion.version} retired` : ''}`;
    // A rejection is the gates doing their job, not a failed apply.
    return { id: a.id, status: 'done', message: msg, files };
  };

  for (const wave of waves) {
    const queue = wave.map((id) => byId.get(id)!).filter(Boolean);
    const limit = Math.max(1, ports.concurrency);
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
      while (next < queue.length) {
        const a = queue[next++]!;
        const outcome = await runAction(a);
        outcomes.set(a.id, outcome);
        if (outcome.status === 'done')
          ports.onEvent?.({ type: 'action-done', action: a, message: outcome.message });
        else if (outcome.status === 'failed')
          ports.onEvent?.({ type: 'action-failed', action: a, message: outcome.message });
        else ports.onEvent?.({ type: 'action-skipped', action: a, message: outcome.message });
        await ports.onRecorded?.(a.id, outcome.status, outcome.files);
      }
    });
    await Promise.all(workers);
  }
  await rm(ports.workDir, { recursive: true, force: true });
  return {
    lock,
    outcomes: actions.map((a) => outcomes.get(a.id)!).filter(Boolean),
    touchedFiles: [...touched].sort(),
  };
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
