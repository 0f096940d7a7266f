import type { Diagnostic } from '../diagnostics/diagnostic.ts';

/**
 * A state read or write that cannot go on: an invalid lock handed to the writer (a bug
 * upstream, explained by `diagnostics`), or a file-system failure (`cause`).
 */
export class LockfileError extends Error {
  override name = 'LockfileError';
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
