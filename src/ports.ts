// The composition root: the default adapter of every port an apply (or a release) runs against.
// api.ts builds ports here; nothing below api.ts imports an adapter it does not own.
import { openArtifactStore } from './artifacts/local.ts';
import type { ApplyPorts, StatePublisher } from './executor/ports.ts';
import { checkGitReady, pendingStateFiles, publishState } from './git/git.ts';
import { defaultTrainerRegistry } from './trainer/default-trainer.ts';
import { withTrainers, type TrainerEntry, type TrainerType } from './trainer/registry.ts';
import type { Trainer } from './trainer/trainer.ts';
import { loadWorkspace, makePlan, openStore } from './workspace.ts';

/** Git: commit the state files (and push when rudder.yaml says so). */
export const gitPublisher: StatePublisher = {
  publish: publishState,
  pending: (root, paths) => pendingStateFiles(root, paths),
  check: (root, files) => checkGitReady(root, files),
};

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
