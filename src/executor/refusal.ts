// The diagnostic an apply, a release or a hand-made state edit refuses with: an error about the
// run as a whole, so it points at no document path.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';

export const applyError = (code: Diagnostic['code'], message: string, hint?: string): Diagnostic => ({
  code,
  severity: 'error',
  message,
  hint,
  path: [],
});
