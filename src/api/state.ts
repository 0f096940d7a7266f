// State: `rudder status` and `rudder history` (lockfiles, the apply lock, the journal, git), a
// person's seal of a hand-edited lockfile, and the release of a rollback's hold.
import { resolve } from 'node:path';
import type { DesiredState } from '../compiler/desired-state.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { releaseHold, type ReleaseHoldOptions, type ReleaseHoldResult } from '../executor/release-hold.ts';
import { defaultApplyPorts } from '../compose/default-ports.ts';
import { validate } from '../source/validate.ts';
import { sealLockfiles, type SealResult } from '../state/seal.ts';
import { readHistory, uncommittedFiles, type HistoryEntry } from '../git/git.ts';
import { ApplyLockError, isStale, readApplyLock, type ApplyLockInfo } from '../state/apply-lock.ts';
import { readProjectSettings } from '../source/settings.ts';
import { readLockState } from '../state/state-io.ts';
import { resourceFiles, summarizeState, type StatusRow } from '../state/status.ts';
import { emptyLockState, type LockState, type StatusChange } from '../state/types.ts';

export interface StatusReport {
  /** False when a lockfile or the journal could not be read (the rows then show what could). */
  ok: boolean;
  project: string;
  stateDir: string;
  resources: StatusRow[];
  /** Whether the policies compiled (declared-but-unapplied resources are listed only then). */
  policies: 'compiled' | 'not compiled';
  applyLock: (ApplyLockInfo & { stale: boolean }) | null;
  /** An interrupted state write that the next apply completes. */
  interruptedWrite: boolean;
  git: { available: boolean; message?: string; uncommitted: string[] };
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  /** The lock state as read (partial when some files are broken). */
  lock: LockState;
}

async function readStatus(root: string, desired?: DesiredState): Promise<StatusReport> {
  const settings = await readProjectSettings(root);
  const project = desired?.project ?? settings.project;
  const stateDir = project.stateDir;
  const [locks, holder, uncommitted] = await Promise.all([
    readLockState(root, stateDir),
    readApplyLock(root).then(
      (h) => ({ ok: true as const, h }),
      (e: unknown) => ({ ok: false as const, e: e as Error }),
    ),
    uncommittedFiles(root, [stateDir]).catch(() => undefined),
  ]);
  const diagnostics = [...locks.diagnostics];
  let applyLock: StatusReport['applyLock'] = null;
  if (holder.ok) applyLock = holder.h ? { ...holder.h, stale: isStale(holder.h) } : null;
  else if (holder.e instanceof ApplyLockError)
    diagnostics.push({
      code: 'lock/read-failed',
      severity: 'warning',
      message: holder.e.message,
      file: '.rudder/apply.lock',
      path: [],
    });
  const lock = locks.ok ? locks.value : (locks.partial ?? emptyLockState());
  const sources = new Map(locks.sources);
  if (settings.text != null) sources.set('rudder.yaml', settings.text);
  return {
    ok: locks.ok,
    project: project.name,
    stateDir,
    resources: summarizeState(lock, stateDir, desired),
    policies: desired ? 'compiled' : 'not compiled',
    applyLock,
    interruptedWrite: locks.diagnostics.some((d) => d.code === 'lock/interrupted-write'),
    git: uncommitted
      ? { available: true, uncommitted }
      : {
          available: false,
          message: 'not a git repository (or git is missing): state changes are not committed',
          uncommitted: [],
        },
    diagnostics: [...settings.diagnostics.filter((d) => d.severity === 'error'), ...diagnostics],
    sources,
    lock,
  };
}

export interface HistoryOptions {
  resource: string;
  /** Include each commit's lockfile diff. */
  diff?: boolean;
  limit?: number;
}

export interface RecordedChange extends StatusChange {
  file: string;
  version: number;
}

export interface HistoryReport {
  ok: boolean;
  /** Why not ok: an unknown resource, for instance. */
  error?: string;
  resource: string;
  /** The lockfiles searched. */
  files: string[];
  git: { available: boolean; message?: string };
  /** Commits touching those files, newest first. */
  entries: HistoryEntry[];
  /** Status changes recorded in the current model lockfile, newest first (available without git). */
  recorded: RecordedChange[];
}

async function readResourceHistory(root: string, opts: HistoryOptions): Promise<HistoryReport> {
  const { project } = await readProjectSettings(root);
  const resolved = resourceFiles(project.stateDir, opts.resource);
  if ('error' in resolved)
    return {
      ok: false,
      error: resolved.error,
      resource: opts.resource,
      files: [],
      git: { available: false },
      entries: [],
      recorded: [],
    };
  const h = await readHistory(root, resolved.files, { diff: opts.diff, limit: opts.limit });
  const locks = await readLockState(root, project.stateDir);
  const lock = locks.ok ? locks.value : (locks.partial ?? emptyLockState());
  const recorded: RecordedChange[] = [];
  for (const m of Object.values(lock.models)) {
    const file = resolved.files.find((f) => f.endsWith(`/models/${m.name}.lock.yaml`));
    if (!file) continue;
    for (const v of m.versions)
      for (const c of v.statusHistory) recorded.push({ ...c, file, version: v.version });
  }
  recorded.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.version - a.version));
  const touched =
    h.entries.length > 0 || recorded.length > 0 || resolved.files.some((f) => locks.sources.has(f));
  return {
    ok: touched,
    error: touched
      ? undefined
      : `no state recorded for ${JSON.stringify(opts.resource)} (looked for ${resolved.files.join(', ')})`,
    resource: opts.resource,
    files: resolved.files,
    git: { available: h.available, message: h.message },
    entries: h.entries,
    recorded,
  };
}

/** Every resource's current state from the lockfiles (plus declared-but-unapplied ones when the policies compile). Read-only. */
export async function status(opts: { cwd: string }): Promise<StatusReport> {
  const root = resolve(opts.cwd);
  const v = await validate({ cwd: root, checkPaths: false });
  return readStatus(root, v.state);
}

/** A resource's state changes from git (when, plan, actions, actor, reason; diffs on request), newest first. Read-only. */
export async function history(opts: { cwd: string } & HistoryOptions): Promise<HistoryReport> {
  return readResourceHistory(resolve(opts.cwd), opts);
}

/** Check lockfiles as every read does (except their integrity line) and re-seal the valid ones. Writes files. */
export async function sealState(opts: { cwd: string; files: readonly string[] }): Promise<SealResult> {
  const root = resolve(opts.cwd);
  const v = await validate({ cwd: root, checkPaths: false });
  return sealLockfiles(root, v.state?.project.stateDir ?? 'state', opts.files);
}

/** Make a held version a candidate again (recorded in the model lock and committed). Writes. */
export function releaseRolloutHold(opts: ReleaseHoldOptions): Promise<ReleaseHoldResult> {
  return releaseHold(opts, defaultApplyPorts());
}
