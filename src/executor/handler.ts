// The handler contract: one handler per action type. `run` does the work through the ports and
// returns a typed outcome; the lock change, the summary line and the commit-subject words are
// all derived from that outcome (never parsed back from a message).
import type { ArtifactStore } from '../artifacts/port.ts';
import type { DesiredState, Model } from '../compiler/desired-state.ts';
import type { ActionOf, ActionType } from '../planner/plan-types.ts';
import type { LockState, Provenance } from '../state/types.ts';
import type { DataPolicyStore, FeatureStore, TrainingSet } from '../store/port.ts';
import type { Trainer } from '../trainer/trainer.ts';

/** What a handler may use while it runs. Everything that does I/O is a port. */
export interface HandlerContext {
  desired: DesiredState;
  /**
   * Run a feature-store call. Calls take turns (one DuckDB connection underneath); training and
   * scoring overlap with them.
   */
  withStore<T>(fn: (store: FeatureStore) => Promise<T>): Promise<T>;
  /** Run a data-policy call (PII scans, quarantines); it takes its turn with the store calls. */
  withDataPolicies<T>(fn: (store: DataPolicyStore) => Promise<T>): Promise<T>;
  trainerFor(type: Model['trainer']['type']): Trainer;
  artifacts: ArtifactStore;
  /** The lock state now, with the results of earlier waves. */
  lock(): LockState;
  /** This action's scratch directory (created on first call; the executor removes it). */
  workDir(): Promise<string>;
  /** Training sets built in this run, by model: promotion reuses what training built. */
  trainingSets: Map<string, TrainingSet>;
  /** Train on labels at or before this instant only (a replay of history); default: all labels. */
  labelsUntil?: Date;
  signal?: AbortSignal;
}

/** What a lock change may depend on besides the outcome: all fixed before the action ran. */
export interface RecordMeta {
  desired: DesiredState;
  /** ISO time the action started (the clock port). */
  at: string;
  /** The plan and action that caused the change, recorded in the lock. */
  prov: Provenance;
}

/** A handler's way to say "nothing to do", with the reason shown to the user. */
export class Skip {
  constructor(readonly message: string) {}
}

export const skip = (message: string): Skip => new Skip(message);

export interface ActionHandler<T extends ActionType, O> {
  /** Do the work. Throw to fail the action (the message is shown); return skip(...) to skip it. */
  run(action: ActionOf<T>, ctx: HandlerContext): Promise<O | Skip>;
  /** The lock state after this outcome. Pure: the executor diffs it and writes the lockfiles. */
  lockAfter(lock: LockState, outcome: O, action: ActionOf<T>, meta: RecordMeta): LockState;
  /** One line for the terminal and the commit body: `v2 trained on 400 rows (tfjs/wasm): auc 0.81`. */
  summary(outcome: O, action: ActionOf<T>): string;
  /** Words for the commit subject, in plain language: `train churn v2 (spec changed)`. */
  subject(outcome: O, action: ActionOf<T>): string;
}
