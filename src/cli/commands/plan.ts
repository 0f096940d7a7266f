import { relative } from 'node:path';
import { plan, writePlanFile } from '../../api/run.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { renderPlanJson } from '../../planner/plan-file.ts';
import { renderPlanMarkdown, renderPlanText } from '../../planner/render.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface PlanCommandOptions {
  cwd: string;
  policiesDir?: string;
  out?: string;
  format: 'text' | 'json' | 'markdown';
  detailedExitcode: boolean;
  retrain: string[];
  now?: Date;
}

/** `rudder plan`: 0 no changes (or any changes without --detailed-exitcode), 2 changes, 1 errors. */
export async function planCommand(opts: PlanCommandOptions, io: CommandIO): Promise<number> {
  const r = await plan({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    retrain: opts.retrain,
    now: opts.now,
  });
  const warnings = r.diagnostics.filter((d) => d.severity !== 'error');
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  if (warnings.length > 0 && opts.format === 'text')
    io.stderr(formatPretty(warnings, r.sources, { color: io.color }));
  if (opts.out) {
    const target = relative(process.cwd(), opts.out) || opts.out;
    await writePlanFile(opts.out, r.plan);
    io.stderr(`Plan saved to ${target}. Apply exactly this plan with: rudder apply ${target}\n`);
  }
  if (opts.format === 'json') io.stdout(renderPlanJson(r.plan));
  else if (opts.format === 'markdown')
    io.stdout(
      renderPlanMarkdown(r.plan, {
        planFile: opts.out ? relative(process.cwd(), opts.out) || opts.out : undefined,
      }),
    );
  else io.stdout(renderPlanText(r.plan, { color: io.color }));
  // A plan that could not observe what it needs is an error, as Terraform fails on an unreadable
  // data source: CI must never read "blind" as "in sync".
  if (r.plan.blocked.length > 0) {
    io.stderr(
      `rudder: error plan/blocked: ${r.plan.blocked.length} resource(s) cannot be observed: ${r.plan.blocked.map((b) => `${b.kind} ${b.name} (${b.reason})`).join('; ')}\n  hint: Make the sources readable (paths, permissions, the data pipeline), then plan again.\n`,
    );
    return ExitCode.error;
  }
  const pending = r.plan.actions.length > 0 || r.plan.source.uncommittedState.length > 0;
  return opts.detailedExitcode && pending ? ExitCode.changes : ExitCode.ok;
}
