// Whole-state helpers. Pure: the executor builds the next LockState, then asks here which
// files change; the planner digests the current one.
import { sha256Hex } from '../util/canonical.ts';
import { lockNameOf, lockPath, lockPathOf, renderLockfile } from './lockfile.ts';
import { record, type AnyLock, type LockChange, type LockKind, type LockState } from './types.ts';

const slot = {
  ModelLock: 'models',
  FeatureLock: 'features',
  RolloutLock: 'rollouts',
  DataLock: 'data',
} as const satisfies Record<LockKind, keyof LockState>;

/** Every lock in the state, in a stable order (kind folder, then name). */
export function allLocks(state: LockState): AnyLock[] {
  const out: AnyLock[] = [];
  for (const key of ['data', 'features', 'models', 'rollouts'] as const) {
    const group = state[key] as Record<string, AnyLock>;
    for (const name of Object.keys(group).sort()) out.push(group[name]!);
  }
  return out;
}

/** A copy of `state` with `lock` put in (replacing the lock of the same kind and name). */
export function withLock(state: LockState, lock: AnyLock): LockState {
  const key = slot[lock.kind];
  return { ...state, [key]: record<AnyLock>({ ...state[key], [lockNameOf(lock)]: lock }) };
}

/** A copy of `state` without the lock of that kind and name. */
export function withoutLock(state: LockState, kind: LockKind, name: string): LockState {
  const key = slot[kind];
  const group = record<AnyLock>({ ...state[key] });
  delete group[name];
  return { ...state, [key]: group };
}

/** path → canonical text of every lockfile. */
export function renderLockState(state: LockState, stateDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const lock of allLocks(state)) out.set(lockPathOf(stateDir, lock), renderLockfile(lock));
  return out;
}

/**
 * The file changes that turn `before` into `after`, sorted by path: only locks whose canonical
 * text differs, plus deletions. Equal states give no change, so a no-op apply writes nothing.
 */
export function diffLockStates(before: LockState, after: LockState, stateDir: string): LockChange[] {
  const a = renderLockState(before, stateDir);
  const b = renderLockState(after, stateDir);
  const out: LockChange[] = [];
  for (const [path, content] of b) if (a.get(path) !== content) out.push({ path, content });
  for (const path of a.keys()) if (!b.has(path)) out.push({ path, content: null });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** path → `sha256:` of each lockfile's canonical text (what a plan records as its lockfile inputs). */
export function lockFileDigests(state: LockState, stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, text] of renderLockState(state, stateDir)) out[path] = `sha256:${sha256Hex(text)}`;
  return out;
}

/** `sha256:` over every lockfile's path and canonical text: what a plan binds to. */
export function lockStateDigest(state: LockState): string {
  const files = renderLockState(state, 'state');
  const parts = [...files.entries()].map(([p, t]) => `${p}\u0000${sha256Hex(t)}`);
  return `sha256:${sha256Hex(parts.join('\n'))}`;
}

export { lockPath };
