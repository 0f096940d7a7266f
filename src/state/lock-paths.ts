// Where each lock lives under the state folder. Pure and import-free, so the planner can name
// lockfile paths without pulling in the lockfile parser (YAML, ajv).
import type { AnyLock, LockKind } from './types.ts';

export const LOCK_SUFFIX = '.lock.yaml';

/** Folder under the state directory for each kind. */
export const lockDirs: Readonly<Record<LockKind, string>> = {
  ModelLock: 'models',
  FeatureLock: 'features',
  RolloutLock: 'rollouts',
  DataLock: 'data',
};
export const lockKinds = Object.keys(lockDirs) as LockKind[];

/** The resource a lock describes: model, view, model (rollouts) or policy name. */
export function lockNameOf(lock: AnyLock): string {
  switch (lock.kind) {
    case 'ModelLock':
      return lock.name;
    case 'FeatureLock':
      return lock.view;
    case 'RolloutLock':
      return lock.model;
    case 'DataLock':
      return lock.policy;
  }
}

/** `state/models/churn.lock.yaml`: repository-relative, POSIX separators. */
export function lockPath(stateDir: string, kind: LockKind, name: string): string {
  const dir = stateDir.replace(/\\/g, '/').replace(/\/+$/, '');
  return `${dir === '' || dir === '.' ? '' : `${dir}/`}${lockDirs[kind]}/${name}${LOCK_SUFFIX}`;
}

export const lockPathOf = (stateDir: string, lock: AnyLock): string =>
  lockPath(stateDir, lock.kind, lockNameOf(lock));
