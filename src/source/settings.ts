// rudder.yaml alone: what state commands need (state folder, artifact store, git settings)
// even when the policies do not compile, so `rudder status` and `rudder history` still work.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Project } from '../compiler/desired-state.ts';
import { normalizeProject } from '../compiler/normalize.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ProjectDoc } from '../schema/types.generated.ts';
import { validateDoc } from '../schema/validate-doc.ts';
import { PROJECT_FILE } from './load-policies.ts';
import { parseDocuments } from './parse-documents.ts';

export interface ProjectSettings {
  project: Project;
  /** rudder.yaml's text when present (for code frames). */
  text?: string;
  diagnostics: Diagnostic[];
}

/**
 * Read and check rudder.yaml. Missing file → defaults; an invalid file → defaults plus its
 * diagnostics (callers decide whether errors stop them).
 */
export async function readProjectSettings(root: string): Promise<ProjectSettings> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(root, PROJECT_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { project: normalizeProject(undefined), diagnostics: [] };
    return {
      project: normalizeProject(undefined),
      diagnostics: [
        {
          code: 'source/read-failed',
          severity: 'error',
          message: `cannot read ${PROJECT_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          file: PROJECT_FILE,
          path: [],
        },
      ],
    };
  }
  const parsed = parseDocuments(PROJECT_FILE, bytes);
  const diags = [...parsed.diagnostics];
  const doc = parsed.docs[0];
  if (!doc) return { project: normalizeProject(undefined), text: parsed.text, diagnostics: diags };
  const checked = validateDoc(doc.value, { file: doc.file, doc: doc.index, locate: doc.locate });
  diags.push(...checked.diagnostics);
  if (checked.kind !== 'Project') {
    if (checked.kind)
      diags.push({
        code: 'project/misplaced',
        severity: 'error',
        message: `${PROJECT_FILE} holds a ${checked.kind}, not a Project`,
        file: PROJECT_FILE,
        path: ['kind'],
        span: doc.locate(['kind']),
      });
    return { project: normalizeProject(undefined), text: parsed.text, diagnostics: diags };
  }
  return { project: normalizeProject(doc.value as ProjectDoc), text: parsed.text, diagnostics: diags };
}
