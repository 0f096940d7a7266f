import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { glob } from 'tinyglobby';
import type { SourceSpec } from '../../compiler/desired-state.ts';
import { digestOf } from '../../util/canonical.ts';
import { StoreError } from '../port.ts';

export interface SourceFile {
  abs: string;
  /** Repository-relative, POSIX separators: what messages and digests name. */
  rel: string;
}

export interface ResolvedSource {
  spec: SourceSpec;
  files: SourceFile[];
}

const isGlob = (p: string): boolean => /[*?[{]/.test(p);

/** Expand a source path or glob under `root`, sorted; refuse nothing-matched and paths leaving the repository. */
export async function resolveSource(root: string, spec: SourceSpec, what: string): Promise<ResolvedSource> {
  const rootReal = await realpath(root);
  let abs: string[];
  if (isGlob(spec.path)) {
    abs = await glob(spec.path, {
      cwd: root,
      absolute: true,
      onlyFiles: true,
      followSymbolicLinks: false,
      expandDirectories: false,
    });
    if (abs.length === 0)
      throw new StoreError('store/no-files', `${spec.path}: the glob matches no file (source of ${what})`, {
        file: spec.path,
      });
  } else {
    const p = join(root, spec.path);
    try {
      if (!(await stat(p)).isFile()) throw new Error('not a file');
    } catch {
      throw new StoreError('store/no-files', `${spec.path}: no such file (source of ${what})`, {
        file: spec.path,
      });
    }
    abs = [p];
  }
  const files: SourceFile[] = [];
  for (const a of abs) {
    const real = await realpath(a);
    const rel = relative(rootReal, real);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new StoreError(
        'store/read-failed',
        `${relative(root, a)}: resolves outside the repository (source of ${what})`,
        { file: relative(root, a) },
      );
    files.push({ abs: real, rel: relative(root, a).split(sep).join('/') });
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { spec, files };
}

/** `sha256:…` over each file's path and content hash: the data, not its mtime, is the provenance. */
export async function digestFiles(files: readonly SourceFile[]): Promise<string> {
  const parts: { path: string; sha256: string }[] = [];
  for (const f of files) parts.push({ path: f.rel, sha256: await sha256File(f.abs) });
  return digestOf(parts);
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}
