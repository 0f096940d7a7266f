// Failures of the environment (git refusing, a full disk, a read-only folder) are not bugs in
// Rudder: they become diagnostics with what happened, what was kept and the next step, exit 1.
import type { DiagnosticCode } from './codes.ts';
import type { Diagnostic } from './diagnostic.ts';
import { messageOf } from '../util/messages.ts';

/** An edge failure that the user can act on. `kept` says what is safe; `hint` the next step. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
  constructor(
    readonly code: DiagnosticCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; kept?: string },
  ) {
    super(message, options);
    this.kept = options?.kept;
  }
  readonly kept: string | undefined;

  toDiagnostic(): Diagnostic {
    const hint = [this.kept, this.hint].filter(Boolean).join(' ');
    return { code: this.code, severity: 'error', message: this.message, hint: hint || undefined, path: [] };
  }
}

const ERRNO: Record<string, { code: DiagnosticCode; what: string; hint: string }> = {
  ENOSPC: { code: 'env/no-space', what: 'no space left on the device', hint: 'Free some space' },
  EDQUOT: { code: 'env/no-space', what: 'the disk quota is exceeded', hint: 'Free some space' },
  EACCES: {
    code: 'env/permission-denied',
    what: 'permission denied',
    hint: 'Make it writable for this user (e.g. chmod u+w)',
  },
  EPERM: {
    code: 'env/permission-denied',
    what: 'operation not permitted',
    hint: 'Make it writable for this user (e.g. chmod u+w)',
  },
  EROFS: {
    code: 'env/read-only',
    what: 'the file system is read-only',
    hint: 'Run where the repository is writable',
  },
};

/**
 * The environment failure behind `err` (an EnvironmentError, a Node errno error such as ENOSPC
 * or EACCES anywhere in its cause chain, or DuckDB's "No space left on device"), or undefined
 * when it is something else — then it may well be a bug.
 */
export function asEnvironmentError(err: unknown): EnvironmentError | undefined {
  for (
    let e: unknown = err, depth = 0;
    e != null && depth < 8;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof EnvironmentError) return e;
    const ne = e as NodeJS.ErrnoException;
    const known = typeof ne.code === 'string' ? ERRNO[ne.code] : undefined;
    const duck = /No space left on device/i.test(String(ne.message ?? '')) ? ERRNO.ENOSPC : undefined;
    const k = known ?? duck;
    if (k) {
      const where = ne.path ? ` at ${ne.path}` : '';
      const top = err instanceof Error && err !== e ? `${messageOf(err)}: ` : '';
      return new EnvironmentError(
        k.code,
        `${top}${k.what}${where}`,
        `${k.hint}, then run the command again: Rudder resumes from the committed state and the run journal.`,
        { cause: err },
      );
    }
  }
  return undefined;
}
