import { planOperation } from '../../api/ops.ts';
import { apply, reconcile, type ReconcileResult } from '../../api/run.ts';
import { reconcileWatch } from '../../api/serve.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { formatDuration, parseDuration } from '../../schema/vocabulary.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface ReconcileCommandOptions {
  cwd: string;
  policiesDir?: string;
  /** `1m`, `30s`, …: repeat until SIGTERM/SIGINT. Absent: one pass (`--once`). */
  watch?: string;
  /** Abort this model's progressing rollout (all traffic back to the champion, the challenger held), commit, exit. */
  abort?: string;
  json: boolean;
  /** Act as of this time (`--as-of`); default: the real clock. */
  now?: Date;
}

/**
 * `rudder reconcile [--once | --watch 1m]`: observe → plan → apply what the policies allow without a
 * person → commit. Exit 0 when the pass (or, with --watch, the loop) ended cleanly, 1 when a pass failed.
 */
export async function reconcileCommand(opts: ReconcileCommandOptions, io: CommandIO): Promise<number> {
  const clock = (): Date => opts.now ?? new Date();
  const pass = async () => {
    const r = await reconcile({
      cwd: opts.cwd,
      policiesDir: opts.policiesDir,
      actor: 'reconcile',
      now: clock,
    });
    if (opts.json)
      io.stdout(
        `${JSON.stringify({ ok: r.ok, summary: r.summary, commit: r.commit?.sha ?? null, actions: r.outcomes.map((o) => ({ id: o.id, status: o.status, message: o.message })), held: r.held.map((a) => a.id), notes: r.plan?.notes ?? [] })}\n`,
      );
    else {
      io.stdout(
        `${clock().toISOString()} ${r.summary}${r.commit?.sha ? ` (commit ${r.commit.sha.slice(0, 12)})` : ''}\n`,
      );
      io.stdout(renderOutcomes(r));
      // What the pass saw but did not act on: a rollout waiting for its hold or its analysis, a
      // retrain held back by its cooldown. Without them "No changes" hides a rollout in progress.
      for (const n of r.plan?.notes ?? []) io.stdout(`  - ${n}\n`);
      if (r.diagnostics.length > 0) io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    }
    return r;
  };
  if (opts.abort != null) {
    const op = await planOperation({
      cwd: opts.cwd,
      policiesDir: opts.policiesDir,
      op: { kind: 'rollout-abort', model: opts.abort },
      now: opts.now,
    });
    if (!op.ok) {
      io.stderr(formatPretty(op.diagnostics, op.sources, { color: io.color }));
      return ExitCode.error;
    }
    if (op.value.plan.actions.length === 0)
      throw new ExitError(`${opts.abort} has no progressing rollout to abort`);
    const r = await apply({
      cwd: opts.cwd,
      policiesDir: opts.policiesDir,
      plan: op.value.plan,
      actor: 'cli',
      now: clock,
    });
    io.stdout(`${r.summary}${r.commit?.sha ? ` (commit ${r.commit.sha.slice(0, 12)})` : ''}\n`);
    io.stdout(renderOutcomes({ ...r, held: [] }));
    if (r.diagnostics.length > 0) io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return r.ok ? ExitCode.ok : ExitCode.error;
  }
  if (opts.watch == null) return (await pass()).ok ? ExitCode.ok : ExitCode.error;
  const interval = parseDuration(opts.watch);
  if (interval == null || interval < 1000)
    throw new ExitError(`--watch ${opts.watch}: expected a duration of at least 1s (30s, 1m, 1h)`);
  const ac = new AbortController();
  const stop = (sig: string): void => {
    io.stderr(`${sig}: finishing the current pass, then stopping…\n`);
    ac.abort();
  };
  const onTerm = (): void => stop('SIGTERM');
  const onInt = (): void => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let lastOk = true;
  try {
    await reconcileWatch({
      run: pass,
      intervalMs: interval,
      signal: ac.signal,
      onRun: ({ result, error, nextInMs }) => {
        lastOk = result?.ok ?? false;
        if (error) io.stderr(`reconcile failed: ${error.message}\n`);
        if (!ac.signal.aborted)
          io.stderr(`next pass in ${formatDuration(Math.round(nextInMs / 1000) * 1000)}\n`);
      },
    });
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
  return lastOk ? ExitCode.ok : ExitCode.error;
}

/**
 * What a pass did, action by action with the plan's reasons ("advance churn v3 to 50 %: analysis
 * passed …"): a reconcile runs unattended, so its output is the record a person reads later.
 */
export function renderOutcomes(r: ReconcileResult): string {
  const actions = new Map((r.plan?.actions ?? []).map((a) => [a.id, a]));
  const mark = { done: '✓', failed: '✗', skipped: '–' } as const;
  return r.outcomes
    .map((o) => {
      const reasons = actions.get(o.id)?.reasons ?? [];
      return [`  ${mark[o.status]} ${o.id}: ${o.message}`, ...reasons.map((x) => `      ${x.message}`)]
        .map((l) => `${l}\n`)
        .join('');
    })
    .join('');
}
