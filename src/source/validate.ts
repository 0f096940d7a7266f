import { resolve } from 'node:path';
import { compilePolicies } from '../compiler/compile.ts';
import type { DesiredState } from '../compiler/desired-state.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { checkSourcePaths } from './check-source-paths.ts';
import { loadPolicies } from './load-policies.ts';
import { nodeSha256 } from '../util/node-hash.ts';

export interface ValidateOptions {
  /** Repository root. */
  cwd: string;
  /** Overrides rudder.yaml's spec.policies. */
  policiesDir?: string;
  /** Check that source paths exist and stay inside the repository. Default: true */
  checkPaths?: boolean;
}

export interface ValidateResult {
  ok: boolean;
  /** Present when there is no error. */
  state?: DesiredState;
  diagnostics: Diagnostic[];
  /** file → text, for formatters' code frames. */
  sources: Map<string, string>;
  /** Number of documents read. */
  documents: number;
  files: number;
}

/** Load, validate and compile the policies of a repository. Never throws for bad input. */
export async function validate(opts: ValidateOptions): Promise<ValidateResult> {
  const root = resolve(opts.cwd);
  const loaded = await loadPolicies(root, opts.policiesDir);
  const compiled = compilePolicies(
    { projectDocs: loaded.projectDocs, docs: loaded.docs },
    { hash: nodeSha256 },
  );
  const diags = [...loaded.diagnostics, ...compiled.diagnostics];
  let state = compiled.ok ? compiled.value : undefined;
  if (state && (opts.checkPaths ?? true)) diags.push(...(await checkSourcePaths(root, state, loaded.docs)));
  const sorted = sortDiagnostics(diags);
  const ok = !hasErrors(sorted);
  if (!ok) state = undefined;
  return {
    ok,
    state,
    diagnostics: sorted,
    sources: loaded.texts,
    documents: loaded.docs.length + loaded.projectDocs.length,
    files: new Set([...loaded.docs, ...loaded.projectDocs].map((d) => d.file)).size,
  };
}
