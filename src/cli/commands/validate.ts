import { validate } from '../../api/validate.ts';
import { formatGithub, formatJson } from '../../diagnostics/format-json.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface ValidateCommandOptions {
  cwd: string;
  policiesDir?: string;
  format: 'text' | 'json' | 'github';
}

/** `rudder validate`: 0 when clean (warnings allowed), 1 on any error. */
export async function validateCommand(opts: ValidateCommandOptions, io: CommandIO): Promise<number> {
  const r = await validate({ cwd: opts.cwd, policiesDir: opts.policiesDir });
  if (opts.format === 'json') io.stdout(formatJson(r.diagnostics, r.sources));
  else if (opts.format === 'github') {
    io.stdout(formatGithub(r.diagnostics, r.sources));
    if (r.ok) io.stderr(`${describeState(r)}\n`);
  } else {
    if (r.diagnostics.length > 0) io.stdout(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    if (r.ok) io.stdout(`${describeState(r)}\n`);
  }
  return r.ok ? ExitCode.ok : ExitCode.error;
}

function describeState(r: Awaited<ReturnType<typeof validate>>): string {
  const s = r.state!;
  const n = (x: number, w: string) => `${x} ${w}${x === 1 ? '' : 's'}`;
  return `Valid: ${n(r.files, 'file')}, ${n(r.documents, 'document')} — ${n(s.featureViews.length, 'feature view')}, ${n(s.models.length, 'model')}, ${n(s.retrainPolicies.length, 'retrain policy').replace('policys', 'policies')}, ${n(s.rolloutPolicies.length, 'rollout policy').replace('policys', 'policies')}, ${n(s.dataPolicies.length, 'data policy').replace('policys', 'policies')}.`;
}
