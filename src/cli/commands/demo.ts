import { join } from 'node:path';
import { validate } from '../../api.ts';
import type { DesiredState } from '../../compiler/desired-state.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { defaultChurnOptions } from '../../sample/churn-data.ts';
import { writeSampleData } from '../../sample/write-sample-data.ts';
import { formatDuration } from '../../schema/vocabulary.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface DemoCommandOptions {
  cwd: string;
  json: boolean;
}

/**
 * What `npm start` runs: make sure the sample data exists, then validate and compile the root
 * policies and print the compiled resources. Later stages (plan, apply, commit) grow here.
 */
export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  io.stderr('▸ sample data\n');
  const data = await writeSampleData(join(opts.cwd, 'data'), defaultChurnOptions);
  io.stderr(
    data.skipped
      ? '  already present in data/\n'
      : data.files.map((f) => `  wrote ${f.path.slice(opts.cwd.length + 1)} (${f.rows} rows)\n`).join(''),
  );

  io.stderr('▸ validate\n');
  const r = await validate({ cwd: opts.cwd });
  if (r.diagnostics.length > 0) io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
  if (!r.ok || !r.state) return ExitCode.error;
  io.stderr(`  ${r.files} files, ${r.documents} documents: valid\n`);

  if (opts.json) io.stdout(`${JSON.stringify(r.state, null, 2)}\n`);
  else io.stdout(renderResources(r.state));
  return ExitCode.ok;
}

export function renderResources(s: DesiredState): string {
  const rows: string[][] = [['KIND', 'NAME', 'DIGEST', 'SUMMARY']];
  const d = (x: string) => x.slice(7, 19);
  for (const v of s.featureViews)
    rows.push([
      'FeatureView',
      v.name,
      d(v.digest),
      `${v.features.length} features (${v.features.filter((f) => f.pii).length} pii) from ${v.source.path}, ttl ${formatDuration(v.ttlMs)}`,
    ]);
  for (const m of s.models)
    rows.push([
      'Model',
      m.name,
      d(m.digest),
      `${m.task}, ${m.features.length} features from ${m.views.join(', ')}, ${m.trainer.type} trainer, primary ${m.primaryMetric}`,
    ]);
  for (const p of s.retrainPolicies)
    rows.push([
      'RetrainPolicy',
      p.name,
      d(p.digest),
      `${p.model}: ${p.triggers.map((t) => t.type).join(', ')}; ${p.gates.length} gates; approval ${p.approval}`,
    ]);
  for (const p of s.rolloutPolicies)
    rows.push([
      'RolloutPolicy',
      p.name,
      d(p.digest),
      `${p.model}: ${p.strategy.type}${p.strategy.type === 'canary' ? ` ${p.strategy.steps.map((x) => `${Math.round(x.weight * 100)}%`).join(' → ')}` : ''}`,
    ]);
  for (const p of s.dataPolicies)
    rows.push([
      'DataPolicy',
      p.name,
      d(p.digest),
      `${p.views.join(', ')}: ${p.detectors.length} detectors, action ${p.action}`,
    ]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ')).join('\n')}\n`;
}
