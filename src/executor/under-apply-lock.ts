// Hand-made state edits (a quarantine release, a rollout hold release) take the apply lock like
// an apply does, and work on the state as read under it: load, lock, load again, edit, release.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { acquireApplyLock, LockHeldError } from '../state/apply-lock.ts';
import type { Workspace } from '../workspace.ts';
import type { ApplyPorts } from './ports.ts';

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
