import { diagnosticCodes } from './codes.ts';
import type { Diagnostic } from './diagnostic.ts';
import { indexer, type Sources } from './positions.ts';

export const DIAGNOSTICS_FORMAT_VERSION = 1;

/** Machine-readable diagnostics: a versioned envelope with 1-based positions. */
export function formatJson(diags: readonly Diagnostic[], sources: Sources): string {
  const idx = indexer(sources);
  const items = diags.map((d) => {
    const li = idx(d.file);
    const start = li && d.span ? li.position(d.span.start) : undefined;
    const end = li && d.span ? li.position(d.span.end) : undefined;
    return {
      code: d.code,
      severity: d.severity,
      message: d.message,
      hint: d.hint,
      file: d.file,
      document: d.doc == null ? undefined : d.doc + 1,
      path: d.path,
      line: start?.line,
      column: start?.column,
      endLine: end?.line,
      endColumn: end?.column,
      description: diagnosticCodes[d.code],
    };
  });
  const errors = diags.filter((d) => d.severity === 'error').length;
  return `${JSON.stringify({ formatVersion: DIAGNOSTICS_FORMAT_VERSION, ok: errors === 0, errors, warnings: diags.filter((d) => d.severity === 'warning').length, diagnostics: items }, null, 2)}\n`;
}

/** GitHub Actions workflow commands: annotations on the pull request's files. */
export function formatGithub(diags: readonly Diagnostic[], sources: Sources): string {
  const idx = indexer(sources);
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escProp = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const lines = diags.map((d) => {
    const li = idx(d.file);
    const start = li && d.span ? li.position(d.span.start) : undefined;
    const end = li && d.span ? li.position(d.span.end) : undefined;
    const level = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
    const props = [
      d.file ? `file=${escProp(d.file)}` : undefined,
      start ? `line=${start.line}` : undefined,
      start ? `col=${start.column}` : undefined,
      end && start && end.line !== start.line ? `endLine=${end.line}` : undefined,
      `title=${escProp(d.code)}`,
    ].filter(Boolean);
    return `::${level} ${props.join(',')}::${esc(d.message + (d.hint ? `\n${d.hint}` : ''))}`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}
