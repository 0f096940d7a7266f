import { diagnosticCodes } from './codes.ts';

/** docs/diagnostics.md, generated from the code table so the two cannot disagree. */
export function renderDiagnosticsDoc(): string {
  const groups = new Map<string, [string, string][]>();
  for (const [code, text] of Object.entries(diagnosticCodes)) {
    const g = code.split('/')[0]!;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push([code, text]);
  }
  const titles: Record<string, string> = {
    source: 'Reading files',
    yaml: 'YAML syntax',
    schema: 'Schema',
    resource: 'Resources',
    project: 'Project (rudder.yaml)',
    model: 'Models',
    policy: 'Retrain and rollout policies',
    data: 'Data policies',
    path: 'Paths',
    lock: 'Lockfiles',
  };
  const out = [
    '# Diagnostics',
    '',
    '<!-- Generated from src/diagnostics/codes.ts by `npm run docs`. Do not edit. -->',
    '',
    'Every diagnostic has a stable code, a severity, a message quoting the offending value, usually a hint, and the file, line and column (1-based) with the path inside the document. `rudder validate` prints them as text, `--json` (versioned: `formatVersion`), or `--format github` (workflow annotations). Exit code 1 when any error is reported; warnings alone exit 0.',
    '',
  ];
  for (const [g, rows] of groups) {
    out.push(`## ${titles[g] ?? g}`, '', '| code | meaning |', '| --- | --- |');
    for (const [code, text] of rows) out.push(`| \`${code}\` | ${text.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
