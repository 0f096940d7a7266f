import {
  artifactsPull,
  artifactsPush,
  artifactsVerify,
  ArtifactError,
  type ArtifactItem,
  type ArtifactsReport,
} from '../../api/artifacts.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface ArtifactsCommandOptions {
  cwd: string;
  operation: 'push' | 'pull' | 'verify';
  models?: string[];
  from?: string[];
  json: boolean;
}

/**
 * `rudder artifacts push | pull | verify`: one line per artifact the lockfiles name, progress on
 * stderr; exit 1 when anything is missing, corrupt or unreachable.
 */
export async function artifactsCommand(opts: ArtifactsCommandOptions, io: CommandIO): Promise<number> {
  const run = { push: artifactsPush, pull: artifactsPull, verify: artifactsVerify }[opts.operation];
  let report: ArtifactsReport;
  try {
    report = await run({
      cwd: opts.cwd,
      models: opts.models,
      from: opts.from,
      onProgress: ({ done, total, item }) =>
        io.stderr(`[${done}/${total}] ${label(item)}: ${item.status}${moved(item)}\n`),
    });
  } catch (e) {
    if (e instanceof ArtifactError) throw new ExitError(e.message);
    throw e;
  }
  if (report.diagnostics.length > 0)
    io.stderr(formatPretty(report.diagnostics, new Map(), { color: io.color }));
  if (report.diagnostics.some((d) => d.severity === 'error')) return ExitCode.error;
  if (opts.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? ExitCode.ok : ExitCode.error;
  }
  io.stdout(renderArtifactsReport(report));
  return report.ok ? ExitCode.ok : ExitCode.error;
}

export function renderArtifactsReport(r: ArtifactsReport): string {
  const out: string[] = [`${r.operation} ${r.store}`];
  if (r.note) out.push(`note: ${r.note}`);
  if (r.items.length === 0) out.push('The lockfiles name no artifacts.');
  for (const i of r.items)
    out.push(`  ${label(i)}  ${i.status}${moved(i)}${i.detail ? `\n      ${i.detail}` : ''}`);
  const bad = r.items.filter((i) => ['missing', 'corrupt', 'unreachable'].includes(i.status));
  const mb = r.bytes / 1e6;
  out.push(
    `${r.items.length} artifact(s), ${bad.length} missing, corrupt or unreachable; ${mb.toFixed(1)} MB moved in ${r.seconds.toFixed(1)} s${mb > 0 && r.seconds > 0 ? ` (${(mb / r.seconds).toFixed(1)} MB/s)` : ''}`,
  );
  if (bad.length > 0)
    out.push(
      r.operation === 'pull'
        ? 'Push them from a checkout that has them (rudder artifacts push), or retrain (rudder apply --retrain <model>).'
        : r.operation === 'push'
          ? 'They exist nowhere Rudder can see: push from the checkout that trained them, or retrain.'
          : 'Pull them again from a good copy (rudder artifacts pull), or retrain (rudder apply --retrain <model>).',
    );
  return `${out.join('\n')}\n`;
}

function label(i: ArtifactItem): string {
  return `${i.resource}${i.version != null ? ` v${i.version}` : ''} ${i.role} ${i.digest.slice(0, 19)}${i.tree ? ' (tree)' : ''}`;
}

function moved(i: ArtifactItem): string {
  return i.blobs > 0 ? ` (${i.blobs} blob(s), ${(i.bytes / 1e6).toFixed(2)} MB)` : '';
}
