// The lockfile documents: what `state/` holds, one file per resource. Pure types. Their one
// definition is the JSON Schema src/schema/lock.schema.json: lock-schema.ts checks every read and
// write against it, and `npm run schema:types` generates lock-types.generated.ts (the types and the
// const lists below) from it. To change a lockfile field, change the schema and regenerate.
//
// Timestamps are ISO-8601 UTC strings (`2026-05-01T12:00:00.000Z`) chosen by the caller — the
// serializer never reads the clock, so re-rendering an unchanged lock is byte-identical.
import type { DataLock, FeatureLock, ModelLock, RolloutLock } from './lock-types.generated.ts';

export type {
  AnalysisResult,
  ArtifactPointer,
  DataLock,
  DataScan,
  Digest,
  FeatureLock,
  GateResult,
  IsoTime,
  ModelLock,
  ModelVersion,
  Quarantine,
  RolloutDecision,
  RolloutLock,
  RolloutStatus,
  ScanFinding,
  StatusChange,
  VersionStatus,
} from './lock-types.generated.ts';
export { LOCK_VERSION, rolloutStatuses, versionStatuses } from './lock-types.generated.ts';

/** Who caused a change: the CLI, CI, an MCP client (`mcp:<client>`) or the reconcile loop. */
export type Actor = 'cli' | 'ci' | 'reconcile' | `mcp:${string}`;

/** Provenance of a change: the plan digest and the action id that produced it (every record that can carry it). */
export type Provenance = Pick<FeatureLock, 'plan' | 'action'>;

export type AnyLock = ModelLock | FeatureLock | RolloutLock | DataLock;
export type LockKind = AnyLock['kind'];

/** The whole state/ folder, by resource name. */
export interface LockState {
  models: Record<string, ModelLock>;
  features: Record<string, FeatureLock>;
  rollouts: Record<string, RolloutLock>;
  data: Record<string, DataLock>;
}

/** Records without a prototype: `state.models['constructor']` is undefined, as it should be. */
export const emptyLockState = (): LockState => ({
  models: record(),
  features: record(),
  rollouts: record(),
  data: record(),
});

export function record<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** One file change of a state transaction; `content: null` deletes the file. */
export interface LockChange {
  /** Repository-relative POSIX path (`state/models/churn.lock.yaml`). */
  path: string;
  content: string | null;
}
