// Before an apply plans, whatever an interrupted run left is settled, under the apply lock: an
// interrupted state write is rolled forward (the state-io journal), and state files written but
// not committed are committed under the actions their provenance names (the run journal says which
// apply was killed and what it finished). Both journals are read here and nowhere else.
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import { recoverState } from '../state/state-io.ts';
import type { Actor } from '../state/types.ts';
import type { Workspace } from '../state/workspace.ts';
import { recordPendingState } from './pending-state.ts';
import type { ApplyPorts, StatePublisher } from './ports.ts';
import { clearRunJournal, readRunJournal } from './run-journal.ts';

export interface RecoverOptions {
  cwd: string;
  policiesDir?: string;
  actor: Actor;
}

/**
 * The workspace as it stands once recovered. `before` is the workspace read before the lock was
 * taken: it says where the state folder is, nothing more.
 */
export async function recover(
  before: Workspace,
  opts: RecoverOptions,
  ports: Pick<ApplyPorts, 'load' | 'publisher'>,
  say: (m: string) => void,
): Promise<ApiResult<{ value: Workspace }>> {
  const root = before.root;
  const rolled = await recoverState(root, before.desired.project.stateDir);
  if (rolled.rolledForward) say(`completed an interrupted state write (${rolled.files.length} file(s))`);
  // Read again whatever happened: another apply may have changed the state while this one waited
  // for the lock, and a roll-forward rewrote lockfiles.
  const underLock = await ports.load(opts);
  if (!underLock.ok) return underLock;
  const committed = await settleState(underLock.value, opts.actor, ports.publisher, say);
  // Recording pushes, and a push that lost a race rebases onto the remote's state: read again.
  return committed ? ports.load(opts) : underLock;
}

/**
 * Before planning, whatever the state folder holds is committed. A run journal left behind means
 * an apply was killed; a rejected hook or a full disk leaves lockfiles written but not committed.
 * Each finished action wrote its lockfiles atomically, so the state is consistent: commit every
 * uncommitted state file (not only those the journal names — a kill can land between writing a
 * lockfile and journalling it) under the actions their provenance names, then plan the rest.
 * Whether anything was committed.
 */
async function settleState(
  ws: Workspace,
  actor: Actor,
  publisher: StatePublisher,
  say: (m: string) => void,
): Promise<boolean> {
  const j = await readRunJournal(ws.root);
  const done = j ? Object.entries(j.actions).filter(([, a]) => a.status === 'done') : [];
  if (j)
    say(
      `an earlier apply of plan ${j.plan.slice(7, 19)} (pid ${j.pid}, started ${j.startedAt}) was interrupted after ${done.length} action(s); planning the rest again`,
    );
  const committed = await recordPendingState({
    root: ws.root,
    stateDir: ws.desired.project.stateDir,
    git: ws.desired.project.git,
    lockTexts: ws.lockTexts,
    actor,
    publisher,
    interrupted: j ? { plan: j.plan, actions: done.map(([id]) => id) } : undefined,
    say,
  });
  if (j) await clearRunJournal(ws.root);
  return committed.length > 0;
}
