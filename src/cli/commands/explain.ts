import { explain } from '../../api/run.ts';
import { type Plan } from '../../planner/plan-types.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { readPlanArgument } from '../read-plan.ts';

export interface ExplainCommandOptions {
  cwd: string;
  policiesDir?: string;
  /** An action id or a prefix of one. */
  action: string;
  /** Explain an action of this plan file instead of planning now. */
  planFile?: string;
  json: boolean;
  /** Plan as of this time (`--as-of`); default: the real clock. */
  now?: Date;
}

/** `rudder explain <action> [--plan plan.json]`: why an action is in the plan. 0, or 1 when not found. */
export async function explainCommand(opts: ExplainCommandOptions, io: CommandIO): Promise<number> {
  let reviewed: Plan | undefined;
  if (opts.planFile) {
    const r = await readPlanArgument(opts.planFile, io);
    if (typeof r === 'number') return r;
    reviewed = r;
  }
  const r = await explain({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    action: opts.action,
    plan: reviewed,
    now: opts.now,
  });
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  if (!r.result.ok) {
    const some = r.result.candidates.slice(0, 20);
    throw new ExitError(
      `${r.result.message}${some.length ? `\nActions: ${some.join(', ')}${r.result.candidates.length > some.length ? ', …' : ''}` : ''}`,
    );
  }
  const e = r.result.explanation;
  if (opts.json)
    io.stdout(
      `${JSON.stringify({ plan: r.plan.digest, action: e.action, wave: e.wave, after: e.after.map((a) => a.id), before: e.before.map((a) => a.id), observations: e.observations }, null, 2)}\n`,
    );
  else io.stdout(`${e.lines.join('\n')}\n`);
  return ExitCode.ok;
}
