// `rudder state seal`: accept a deliberate hand edit of a lockfile. The file is checked as any
// lockfile is (schema, invariants, its place under state/) except for its integrity line, then
// rewritten canonically with a fresh one. A file that does not check out is left as it is.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { atomicWrite } from './atomic.ts';
import { checkSeal, parseLockfile, renderLockfile } from './lockfile.ts';
import { expectFromPath } from './state-io.ts';

export interface SealResult {
  /** Repository-relative paths rewritten with a fresh integrity line. */
  sealed: string[];
  /** Already valid and sealed: untouched. */
  unchanged: string[];
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

export async function sealLockfiles(
  root: string,
  stateDir: string,
  files: readonly string[],
): Promise<SealResult> {
  const out: SealResult = { sealed: [], unchanged: [], diagnostics: [], sources: new Map() };
  for (const f of files) {
    const abs = isAbsolute(f) ? f : resolve(root, f);
    const rel = relative(root, abs).split(sep).join('/');
    const expect = rel.startsWith(`${stateDir}/`) ? expectFromPath(stateDir, rel) : undefined;
    if (!expect) {
      out.diagnostics.push({
        code: 'lock/unexpected-file',
        severity: 'error',
        message: `${f} is not a lockfile under ${stateDir}/ (models/, features/, rollouts/, data/ *.lock.yaml)`,
        path: [],
      });
      continue;
    }
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (e) {
      out.diagnostics.push({
        code: 'lock/read-failed',
        severity: 'error',
        message: `${rel} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        file: rel,
        path: [],
      });
      continue;
    }
    out.sources.set(rel, text);
    const r = parseLockfile(text, rel, expect, { verifySeal: false });
    if (!r.ok) {
      out.diagnostics.push(...r.diagnostics);
      continue;
    }
    if (!checkSeal(text, rel) && renderLockfile(r.value) === text) {
      out.unchanged.push(rel);
      continue;
    }
    await atomicWrite(abs, renderLockfile(r.value));
    out.sealed.push(rel);
  }
  return out;
}
