// The composition root: the default adapter of every port an apply (or a release), an
// observation or a drift report runs against. api.ts builds ports here; nothing below api.ts
// imports an adapter it does not own.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../artifacts/local.ts';
import type { ApplyPorts, StatePublisher } from '../executor/ports.ts';
import { checkGitReady, pendingStateFiles, publishState } from '../git/git.ts';
import type { DriftPorts } from '../observe/drift-run.ts';
import { observe, type ObservePorts } from '../observe/observe.ts';
import type { Plan } from '../planner/plan-types.ts';
import { DEFAULT_PREDICTION_LOG_DIR, openPredictionLog } from '../prediction-log/parquet-log.ts';
import type { FeatureStore } from '../store/port.ts';
import { defaultTrainerRegistry } from '../trainer/default-trainer.ts';
import { withTrainers, type TrainerEntry, type TrainerType } from '../trainer/registry.ts';
import { defaultRuntimes } from '../trainer/runtimes.ts';
import type { Trainer } from '../trainer/trainer.ts';
import { loadWorkspace, openStore, planObserved } from './workspace.ts';
import type { MakePlanOptions, Workspace } from '../state/workspace.ts';

/** Git: commit the state files (and push when rudder.yaml says so). */
export const gitPublisher: StatePublisher = {
  publish: publishState,
  pending: (root, paths) => pendingStateFiles(root, paths),
  check: (root, files) => checkGitReady(root, files),
};

/** Ports that hold something open until closed. */
export type Closing<P> = P & { close(): Promise<void> };

/** Whether `rudder serve` has written a prediction log in this repository. */
const hasPredictionLog = (root: string): boolean => existsSync(join(root, DEFAULT_PREDICTION_LOG_DIR));

/**
 * What observe() reads, for a workspace: `store`, the configured artifact store, the embedded
 * prediction log and, with `monitoring`, a runtime per trainer type and a scratch directory.
 */
export async function defaultObservePorts(
  ws: Workspace,
  store: FeatureStore,
  opts: { monitoring: boolean },
): Promise<Closing<ObservePorts>> {
  const artifacts = openArtifactStore(ws.root, ws.desired.project.artifacts);
  const log = openPredictionLog(ws.root);
  if (!opts.monitoring) return { store, artifacts, predictionLog: log, close: () => log.close() };
  // Monitoring reads the log only when `rudder serve` has written one (else the sources).
  const monitorLog = hasPredictionLog(ws.root) ? log : undefined;
  // Scratch space outside the repository: planning writes nothing there.
  const workDir = await mkdtemp(join(tmpdir(), 'rudder-observe-'));
  // Runtimes load tfjs / onnxruntime only when a version is actually re-scored.
  const runtimes = defaultRuntimes(artifacts);
  return {
    store,
    artifacts,
    predictionLog: log,
    monitoring: {
      root: ws.root,
      ...(monitorLog ? { log: monitorLog } : {}),
      runtimeFor: (m) => runtimes[m.trainer.type],
      workDir,
    },
    close: async () => {
      await log.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Observe the world and plan. The store is opened and closed here unless one is passed. */
export async function makePlan(ws: Workspace, opts: MakePlanOptions, store?: FeatureStore): Promise<Plan> {
  const own = store ?? (await openStore(ws));
  try {
    const ports = await defaultObservePorts(ws, own, { monitoring: opts.monitoring !== false });
    let observations;
    try {
      observations = await observe(ws.desired, ws.lock, ports, opts.now);
    } finally {
      await ports.close();
    }
    return await planObserved(ws, observations, opts);
  } finally {
    if (!store) await own.close();
  }
}

/** What `rudder drift` reads: the artifact store, the log when asked for and written, the runtimes. */
export function defaultDriftPorts(ws: Workspace, opts: { predictionLog: boolean }): Closing<DriftPorts> {
  const artifacts = openArtifactStore(ws.root, ws.desired.project.artifacts);
  const log = opts.predictionLog && hasPredictionLog(ws.root) ? openPredictionLog(ws.root) : undefined;
  const runtimes = defaultRuntimes(artifacts);
  return {
    artifacts,
    ...(log ? { log } : {}),
    runtimeFor: (m) => runtimes[m.trainer.type],
    close: async () => {
      await log?.close();
    },
  };
}

export interface DefaultPortsOptions {
  /** Replace some trainers (tests use fast deterministic ones). */
  trainers?: Partial<Record<TrainerType, Trainer | TrainerEntry>>;
  /** Replace any other port. */
  override?: Partial<ApplyPorts>;
}

/** DuckDB, the configured artifact store, the built-in trainers, git. */
export function defaultApplyPorts(opts: DefaultPortsOptions = {}): ApplyPorts {
  return {
    load: loadWorkspace,
    plan: makePlan,
    openStore,
    openArtifacts: (ws) => openArtifactStore(ws.root, ws.desired.project.artifacts),
    trainers: (ws, artifacts) =>
      withTrainers(defaultTrainerRegistry({ store: artifacts, cwd: ws.root }), opts.trainers),
    publisher: gitPublisher,
    ...opts.override,
  };
}
