import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { compilePolicies } from './compiler/compile.ts';
import type { DesiredState } from './compiler/desired-state.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { checkSourcePaths } from './source/check-source-paths.ts';
import { loadPolicies } from './source/load-policies.ts';
import { readResourceHistory, readStatus, type HistoryOptions, type HistoryReport, type StatusReport } from './state/read-status.ts';

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

/** node:crypto's SHA-256: the compiler stays pure and gets the fast native hash from here. */
export const nodeSha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// ── State: status and history (lockfiles in state/, their history in git) ──

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

export type { HistoryReport, StatusReport } from './state/read-status.ts';

export type { DesiredState } from './compiler/desired-state.ts';
export type { Diagnostic, Result } from './diagnostics/diagnostic.ts';
