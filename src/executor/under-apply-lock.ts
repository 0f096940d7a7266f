// Hand-made state edits (a quarantine release, a rollout hold release) take the apply lock like
// an apply does, and work on the state as read under it: load, lock, load again, edit, release.
// The edit is recorded like any state change: the lockfiles it changes, in one commit naming who
// did what and why.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ApprovedBy } from '../git/message.ts';
import { acquireApplyLock, LockHeldError } from '../state/apply-lock.ts';
import { diffLockStates } from '../state/lock-state.ts';
import { writeLockChanges } from '../state/state-io.ts';
import type { Actor, LockState } from '../state/types.ts';
import type { Workspace } from '../state/workspace.ts';
import type { ApplyPorts, StatePublisher } from './ports.ts';

/** What every hand-made edit is asked with. */
export interface HandEditOptions {
  cwd: string;
  /** Why: recorded in the lock and the commit. */
  reason: string;
  actor: Actor;
  /** How an MCP write was approved (the Rudder-Approved-By trailer). */
  approvedBy?: ApprovedBy;
  now?: () => Date;
  lockTimeoutMs?: number;
  onNotice?: (message: string) => void;
}

/** What every hand-made edit answers. */
export interface HandEditResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  commit?: { sha?: string; message: string };
}

export async function underApplyLock<T>(
  opts: { cwd: string; policiesDir?: string; lockTimeoutMs?: number },
  ports: Pick<ApplyPorts, 'load'>,
  operation: string,
  failed: (diagnostics: Diagnostic[], sources: Map<string, string>) => T,
  edit: (ws: Workspace, sources: Map<string, string>) => Promise<T>,
): Promise<T> {
  const loaded = await ports.load(opts);
  if (!loaded.ok) return failed(loaded.diagnostics, loaded.sources);
  let handle;
  try {
    handle = await acquireApplyLock({
      root: loaded.value.root,
      operation,
      timeoutMs: opts.lockTimeoutMs ?? 0,
    });
  } catch (e) {
    if (e instanceof LockHeldError)
      return failed(
        [{ code: 'apply/locked', severity: 'error', message: e.message, path: [] }],
        loaded.sources,
      );
    throw e;
  }
  try {
    const again = await ports.load(opts);
    if (!again.ok) return failed(again.diagnostics, again.sources);
    return await edit(again.value, again.sources);
  } finally {
    await handle.release();
  }
}

/** Write the lockfiles `next` changes and commit them as the one action `action`. */
export async function recordHandEdit(
  ws: Workspace,
  publisher: StatePublisher,
  next: LockState,
  change: { action: string; subject: string; body: string },
  opts: HandEditOptions,
): Promise<NonNullable<HandEditResult['commit']>> {
  const changes = diffLockStates(ws.lock, next, ws.desired.project.stateDir);
  await writeLockChanges(ws.root, ws.desired.project.stateDir, changes);
  const published = await publisher.publish({
    root: ws.root,
    git: ws.desired.project.git,
    files: changes.map((c) => c.path),
    subject: change.subject,
    body: change.body,
    trailers: { actions: [change.action], actor: opts.actor, approvedBy: opts.approvedBy },
    onNotice: opts.onNotice,
  });
  return published.commit.committed
    ? { sha: published.commit.sha, message: published.commit.message }
    : { message: published.commit.message };
}
