// What the api's read views share: load the workspace once, and the refusal for a name the
// policies do not declare (with a did-you-mean).
import type { ApiResult, Diagnostic } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../util/did-you-mean.ts';
import { loadWorkspace } from './workspace.ts';
import type { Workspace } from '../state/workspace.ts';

export const fail = (code: Diagnostic['code'], message: string, hint?: string): Diagnostic => ({
  code,
  severity: 'error',
  message,
  hint,
  path: [],
});

/** Load the workspace (policies compiled, lockfiles read) and run `fn` on it; load errors pass through. */
export async function withWorkspace<T>(
  opts: { cwd: string; policiesDir?: string },
  fn: (ws: Workspace) => ApiResult<{ value: T }> | Promise<ApiResult<{ value: T }>>,
): Promise<ApiResult<{ value: T }>> {
  const ws = await loadWorkspace(opts);
  if (!ws.ok) return ws;
  return fn(ws.value);
}

/** `no model "chrun"` with the nearest known name and the list of known ones. */
export const unknownResource = <T>(
  ws: Workspace,
  kind: string,
  name: string,
  known: string[],
): ApiResult<{ value: T }> => ({
  ok: false,
  diagnostics: [
    fail(
      'api/unknown-resource',
      `no ${kind} ${JSON.stringify(name)}`,
      `${suggestion(name, known)} Known: ${known.join(', ') || '(none)'}`.trim(),
    ),
  ],
  sources: new Map([...ws.lockTexts]),
});
