import type { Diagnostic } from './diagnostic.ts';
import { indexer, type Sources } from './positions.ts';

export interface PrettyOptions {
  color?: boolean;
  /** Show the offending line with a caret underline. Default: true */
  codeFrame?: boolean;
}

const paint = (on: boolean, code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** `policies/a.yaml:12:5 error model/unknown-feature …`, a code frame and a hint per diagnostic, then a summary. */
export function formatPretty(
  diags: readonly Diagnostic[],
  sources: Sources,
  opts: PrettyOptions = {},
): string {
  const color = opts.color ?? false;
  const red = paint(color, '31');
  const yellow = paint(color, '33');
  const blue = paint(color, '34');
  const dim = paint(color, '2');
  const bold = paint(color, '1');
  const idx = indexer(sources);
  const out: string[] = [];
  for (const d of diags) {
    const li = idx(d.file);
    const pos = li && d.span ? li.position(d.span.start) : undefined;
    const where = d.file ? `${d.file}${pos ? `:${pos.line}:${pos.column}` : ''}` : '(project)';
    const sev =
      d.severity === 'error' ? red('error') : d.severity === 'warning' ? yellow('warning') : blue('info');
    out.push(`${bold(where)} ${sev} ${dim(d.code)} ${d.message}`);
    if ((opts.codeFrame ?? true) && li && d.span && pos) {
      const end = li.position(Math.max(d.span.start, d.span.end - 1));
      const width = String(pos.line + 1).length;
      const gutter = (n: number | '') => dim(`${String(n).padStart(width)} | `);
      if (pos.line > 1) out.push(`  ${gutter(pos.line - 1)}${clip(li.lineText(pos.line - 1))}`);
      const text = li.lineText(pos.line);
      out.push(`${red('>')} ${gutter(pos.line)}${clip(text)}`);
      const len =
        end.line === pos.line
          ? Math.max(1, end.column - pos.column + 1)
          : Math.max(1, text.length - pos.column + 1);
      out.push(
        `  ${gutter('')}${' '.repeat(Math.min(pos.column - 1, 160))}${red('^'.repeat(Math.min(len, 80)))}`,
      );
    }
    if (d.hint) out.push(`  ${dim('hint:')} ${d.hint}`);
  }
  out.push(summary(diags));
  return `${out.join('\n')}\n`;
}

function clip(s: string): string {
  const t = s.replace(/\t/g, '→');
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}

export function summary(diags: readonly Diagnostic[]): string {
  const e = diags.filter((d) => d.severity === 'error').length;
  const w = diags.filter((d) => d.severity === 'warning').length;
  const files = new Set(diags.filter((d) => d.file != null).map((d) => d.file)).size;
  if (e === 0 && w === 0) return 'No problems found.';
  const parts = [`${e} error${e === 1 ? '' : 's'}`, `${w} warning${w === 1 ? '' : 's'}`];
  return `${parts.join(', ')}${files > 0 ? ` in ${files} file${files === 1 ? '' : 's'}` : ''}.`;
}
