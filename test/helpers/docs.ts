import { parseDocuments } from '../../src/source/parse-documents.ts';
import type { SourceDoc } from '../../src/source/source-doc.ts';

/** Parse YAML text as if it were a policy file at `file`. */
export function docsOf(file: string, yaml: string): SourceDoc[] {
  const r = parseDocuments(file, new TextEncoder().encode(yaml));
  if (r.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`test fixture does not parse: ${JSON.stringify(r.diagnostics)}`);
  return r.docs;
}
