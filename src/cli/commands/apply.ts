import { relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { apply } from '../../api/run.ts';
import { type Plan } from '../../planner/plan-types.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import type { ApplyEvent } from '../../executor/events.ts';
import { renderPlanText } from '../../planner/render.ts';
import type { Actor } from '../../state/types.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { readPlanArgument } from '../read-plan.ts';

export interface ApplyCommandOptions {
  cwd: string;
  policiesDir?: string;
  planFile?: string;
  autoApprove: boolean;
  approve: string[] | 'all';
  allowDestroy: boolean;
  allowDirty?: boolean;
  lockTimeoutMs: number;
  retrain: string[];
  json: boolean;
  actor?: Actor;
  signal?: AbortSignal;
  /** Act as of this time (`--as-of`); default: the real clock. */
  now?: Date;
}

/** `rudder apply [plan.json]`: 0 when every action succeeded (or nothing to do), 1 otherwise. */
export async function applyCommand(opts: ApplyCommandOptions, io: CommandIO): Promise<number> {
  let reviewed: Plan | undefined;
  if (opts.planFile) {
    const r = await readPlanArgument(opts.planFile, io);
    if (typeof r === 'number') return r;
    reviewed = r;
  }
  const interactive = io.isTTY && process.stdin.isTTY;
  if (!reviewed && !opts.autoApprove && !interactive)
    throw new ExitError(
      'rudder apply without a plan file needs --auto-approve when not run in a terminal (or apply a reviewed plan: rudder plan --out plan.json; rudder apply plan.json)',
    );

  const r = await apply({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    plan: reviewed,
    retrain: opts.retrain,
    approve: opts.approve,
    allowDestroy: opts.allowDestroy,
    allowDirty: opts.allowDirty,
    lockTimeoutMs: opts.lockTimeoutMs,
    actor: opts.actor ?? (process.env.CI ? 'ci' : 'cli'),
    signal: opts.signal,
    now: opts.now ? () => opts.now! : undefined,
    // Acting as of a past time: train on what was known then (labels after it would leak).
    labelsUntil: opts.now,
    onEvent: (e) => io.stderr(renderEvent(e)),
    confirm:
      reviewed || opts.autoApprove
        ? undefined
        : async (p) => {
            io.stderr(renderPlanText(p, { color: io.color }));
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            try {
              const answer = await rl.question('Apply this plan? Only "yes" is accepted: ');
              return answer.trim() === 'yes';
            } finally {
              rl.close();
            }
          },
  });
  // Plan problems are about the file the user passed: name it.
  const planRel = opts.planFile ? relative(process.cwd(), opts.planFile) || opts.planFile : undefined;
  const diags = r.diagnostics.map((d) =>
    planRel && d.file == null && d.code.startsWith('plan/') ? { ...d, file: planRel } : d,
  );
  if (diags.length > 0) io.stderr(formatPretty(diags, r.sources, { color: io.color }));
  if (opts.json)
    io.stdout(
      `${JSON.stringify({ ok: r.ok, plan: r.plan?.digest, outcomes: r.outcomes.map(({ id, status, message, files }) => ({ id, status, message, files })), commit: r.commit, summary: r.summary }, null, 2)}\n`,
    );
  else {
    if (r.plan && r.nothingToDo) io.stdout(`${r.summary}\n`);
    else {
      if (r.commit)
        io.stdout(`${r.commit.sha ? `Committed ${r.commit.sha.slice(0, 12)}` : r.commit.message}\n`);
      io.stdout(`${r.summary}\n`);
    }
  }
  return r.ok ? ExitCode.ok : ExitCode.error;
}

export function renderEvent(e: ApplyEvent): string {
  switch (e.type) {
    case 'notice':
      return `rudder: ${e.message}\n`;
    case 'action-start':
      return `▸ ${e.action.type} ${e.action.resource.name}…\n`;
    case 'action-done':
      return `✓ ${e.action.type} ${e.action.resource.name}: ${e.message}\n`;
    case 'action-failed':
      return `✗ ${e.action.type} ${e.action.resource.name}: ${e.message}\n`;
    case 'action-skipped':
      return `– ${e.action.type} ${e.action.resource.name}: ${e.message}\n`;
  }
}
