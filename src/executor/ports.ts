// The ports an apply runs against. The executor imports none of their adapters: api.ts (through
// src/ports.ts) passes the defaults — DuckDB, the local or S3 artifact store, the tfjs and command
// trainers, git — and tests or other front ends pass their own.
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { ArtifactStore } from '../artifacts/port.ts';
import type { Project } from '../compiler/desired-state.ts';
import type { StateTrailers } from '../git/message.ts';
import type { Plan } from '../planner/plan-types.ts';
import type { DataPolicyStore, FeatureStore } from '../store/port.ts';
import type { TrainerRegistry } from '../trainer/registry.ts';
import type { MakePlanOptions, Workspace } from '../state/workspace.ts';

/** One state change to record: exactly these files, with this message. */
export interface StateChange {
  root: string;
  /** rudder.yaml's git settings: commit, push, remote, branch, author. */
  git: Project['git'];
  /** Repository-relative state files; only these are recorded. */
  files: readonly string[];
  subject: string;
  body?: string;
  trailers: StateTrailers;
  onNotice?: (message: string) => void;
}

export interface PublishedState {
  commit: { committed: boolean; sha?: string; message: string };
}

/** Records state changes where others can see them: git commits (and pushes) by default. */
export interface StatePublisher {
  publish(change: StateChange): Promise<PublishedState>;
  /**
   * State files whose content is not recorded yet (uncommitted), each with the recorded text it
   * replaces; undefined when nothing records state here (no git).
   */
  pending(root: string, paths: readonly string[]): Promise<{ path: string; recorded?: string }[] | undefined>;
  /** Refuse up front what would make recording fail (git's index lock, ignored state paths). */
  check(root: string, files: readonly string[]): Promise<void>;
}

/** Everything `runApply` touches the world through. */
export interface ApplyPorts {
  /** Compile the policies and read the lockfiles. */
  load(opts: { cwd: string; policiesDir?: string }): Promise<ApiResult<{ value: Workspace }>>;
  /** Observe the world through `store` and plan. */
  plan(ws: Workspace, opts: MakePlanOptions, store: FeatureStore): Promise<Plan>;
  /** The workspace's feature store with its data-policy capability; closed by the caller. */
  openStore(ws: Workspace): Promise<FeatureStore & DataPolicyStore>;
  openArtifacts(ws: Workspace): ArtifactStore;
  trainers(ws: Workspace, artifacts: ArtifactStore): TrainerRegistry;
  publisher: StatePublisher;
}
