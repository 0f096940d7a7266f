import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { glob } from 'tinyglobby';
import type { DesiredState } from '../compiler/desired-state.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { SourceDoc } from './source-doc.ts';

/**
 * The I/O half of source-path checking (the compiler already rejected `..` and absolute paths):
 * resolve symlinks, refuse anything that lands outside the repository, and warn when a path or
 * glob matches nothing yet (sample data may not be generated).
 */
export async function checkSourcePaths(
  root: string,
  state: DesiredState,
  docs: readonly SourceDoc[],
): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const rootReal = await realpath(root);
  const locate = (file: string, doc: number, path: (string | number)[]) =>
    docs.find((d) => d.file === file && d.index === doc)?.locate(path);
  const targets = [
    ...state.featureViews.map((v) => ({
      origin: v.origin,
      path: ['spec', 'source', 'path'],
      p: v.source.path,
    })),
    ...state.models.map((m) => ({
      origin: m.origin,
      path: ['spec', 'label', 'source', 'path'],
      p: m.label.source.path,
    })),
  ];
  for (const t of targets) {
    const base = {
      file: t.origin.file,
      doc: t.origin.doc,
      path: t.path,
      span: locate(t.origin.file, t.origin.doc, t.path),
    };
    const matches = /[*?[{]/.test(t.p)
      ? await glob(t.p, { cwd: root, absolute: true, followSymbolicLinks: false, onlyFiles: true })
      : [join(root, t.p)];
    let found = 0;
    for (const m of matches) {
      let real: string;
      try {
        real = await realpath(m);
      } catch {
        continue;
      }
      found++;
      const rel = relative(rootReal, real);
      if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        diags.push({
          ...base,
          code: 'source/path-escapes',
          severity: 'error',
          message: `source path ${JSON.stringify(t.p)} resolves outside the repository (through a symbolic link)`,
          hint: 'Copy the data into the repository, or mount it inside.',
        });
        break;
      }
    }
    if (found === 0) {
      diags.push({
        ...base,
        code: 'path/not-found',
        severity: 'warning',
        message: `source path ${JSON.stringify(t.p)} matches no file yet`,
        hint: 'Generate or copy the data before planning (for the root project and the examples, `rudder sample-data` generates it).',
      });
    }
  }
  return diags;
}
