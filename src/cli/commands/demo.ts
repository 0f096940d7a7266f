import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { apply, drift, plan, renderDriftHtml, status, validate } from '../../api/index.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import type { Plan } from '../../planner/plan-types.ts';
import { renderPlanText } from '../../planner/render.ts';
import { defaultChurnOptions, startForToday } from '../../sample/churn-data.ts';
import { writeSampleData, type SampleDataResult } from '../../sample/write-sample-data.ts';
import { ExitCode, type CommandIO } from '../io.ts';
import { renderEvent } from './apply.ts';
import { renderDriftText } from './drift.ts';
import { renderStatus } from './status.ts';

export interface DemoCommandOptions {
  cwd: string;
  json: boolean;
  /** Run in the repository itself instead of a scratch copy under .rudder/demo. */
  inPlace?: boolean;
}

/**
 * What `npm start` runs: the whole loop on the root policies and their sample data, in a
 * scratch git repository under .rudder/demo (or in place). The first half happens a week ago:
 * validate → plan → apply (materialize, scan, train with tfjs, gate, promote, commit) → plan
 * again (no changes). Then the sample data moves on to now, the new week with a planted shift in
 * spend_30d → plan (a drift-triggered retrain, with its evidence) → apply (train, gate against
 * the champion, roll out or reject) → the HTML drift report → status. No time written to a
 * lockfile is later than the real clock.
 */
export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  const t0 = performance.now();
  // One clock for the whole run: the first half a week ago, the second half now.
  const now = new Date();
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const step = (s: string) => io.stderr(`\n━━ ${s}\n`);
  const wrote = (r: SampleDataResult) =>
    io.stderr(r.files.map((f) => `wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)\n`).join(''));
  step('sample data');
  // data/ holds what `rudder sample-data` writes today; the demo's repository starts a week back.
  const data = await writeSampleData(join(opts.cwd, 'data'), {
    ...defaultChurnOptions,
    start: startForToday(now),
  });
  if (data.skipped) io.stderr('already present in data/\n');
  else wrote(data);

  let repo = opts.cwd;
  if (!opts.inPlace) {
    repo = join(opts.cwd, '.rudder', 'demo');
    step(`scratch repository ${relative(opts.cwd, repo)}`);
    await rm(repo, { recursive: true, force: true });
    await mkdir(repo, { recursive: true });
    for (const p of ['rudder.yaml', 'policies'])
      await cp(join(opts.cwd, p), join(repo, p), { recursive: true });
    await writeFile(join(repo, '.gitignore'), '/.rudder/\n/data/\n');
    commitPolicies(repo, io);
  }
  step('sample data as it was a week ago');
  wrote(
    await writeSampleData(
      join(repo, 'data'),
      { ...defaultChurnOptions, start: startForToday(weekAgo) },
      true,
    ),
  );

  step('validate');
  const v = await validate({ cwd: repo });
  if (v.diagnostics.length > 0) io.stderr(formatPretty(v.diagnostics, v.sources, { color: io.color }));
  if (!v.ok) return ExitCode.error;
  io.stderr(`${v.files} files, ${v.documents} documents: valid\n`);

  if (!(await planAndApply(repo, weekAgo, 'a week ago', io))) return ExitCode.error;
  step('plan again (a week ago)');
  const again = await plan({ cwd: repo, now: weekAgo });
  if (!again.ok) return ExitCode.error;
  io.stdout(renderPlanText(again.plan, { color: io.color }));
  io.stdout(driftLine(again.plan));
  if (again.plan.actions.length > 0) return ExitCode.error;

  // ── The loop closes: a week on, the data has a new week, and spend_30d has shifted ──
  // Drift is measured on the model's unit, its label rows of the trigger's window (28d): a shift
  // of the last few days would touch a sliver of them, so it is planted three weeks back.
  const shiftFrom = mondayOf(new Date(now.getTime() - 21 * 86_400_000));
  step(`now: the sample data has moved on a week, with spend_30d × 1.8 from ${shiftFrom}`);
  const shift = { feature: 'spend_30d', after: shiftFrom, factor: 1.8 } as const;
  wrote(
    await writeSampleData(
      join(repo, 'data'),
      { ...defaultChurnOptions, start: startForToday(now), drift: shift },
      true,
    ),
  );
  if (!(await planAndApply(repo, now, 'now', io, true))) return ExitCode.error;
  if (!(await driftReport(repo, now, io))) return ExitCode.error;

  step('status');
  io.stdout(renderStatus(await status({ cwd: repo })));
  io.stdout(
    `\nLockfiles: ${relative(opts.cwd, join(repo, v.state!.project.stateDir)) || '.'}/  ·  history: git -C ${relative(opts.cwd, repo) || '.'} log --stat  ·  ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return ExitCode.ok;
}

/**
 * Plan at `at`, print it, apply it with the clock at `at`. With `retrain`, the plan must hold a
 * drift-triggered retrain (the planted shift's), or the demo has failed.
 */
async function planAndApply(
  repo: string,
  at: Date,
  when: string,
  io: CommandIO,
  retrain = false,
): Promise<boolean> {
  const step = (s: string) => io.stderr(`\n━━ ${s}\n`);
  step(
    retrain ? `plan (${when}): drift is observed against the champion’s reference profile` : `plan (${when})`,
  );
  const p = await plan({ cwd: repo, now: at });
  if (!p.ok) {
    io.stderr(formatPretty(p.diagnostics, p.sources, { color: io.color }));
    return false;
  }
  io.stdout(renderPlanText(p.plan, { color: io.color }));
  io.stdout(driftLine(p.plan));
  if (
    retrain &&
    !p.plan.actions.some((x) => x.type === 'model.train' && x.reasons.some((r) => r.code === 'drift'))
  ) {
    io.stderr('the planted shift did not trigger a drift retrain\n');
    return false;
  }
  step(retrain ? 'apply: retrain, gate against the champion, roll out or reject' : `apply (${when})`);
  const a = await apply({
    cwd: repo,
    plan: p.plan,
    actor: 'cli',
    now: () => at,
    onEvent: (e) => io.stderr(renderEvent(e)),
  });
  if (a.diagnostics.length > 0) io.stderr(formatPretty(a.diagnostics, a.sources, { color: io.color }));
  io.stdout(
    `${a.summary}${a.commit?.sha ? ` Committed ${a.commit.sha.slice(0, 12)}.` : a.commit ? ` ${a.commit.message}` : ''}\n`,
  );
  return a.ok;
}

/** The plan's drift observation of the churn model in one line per feature (none: nothing). */
function driftLine(p: Plan): string {
  const d = p.observations.models.churn?.drift;
  if (!d) return '';
  const rows = d.details.map(
    (x) =>
      `  ${x.feature.padEnd(36)} ${x.method.padEnd(15)} ${x.statistic.toFixed(3).padStart(7)}  ${x.drifted ? 'drifted' : ''}\n`,
  );
  return `\nDrift of v${d.version ?? '?'} (${d.source ?? ''} ${d.window ?? ''}, ${d.samples} rows): ${d.drifted} of ${d.features} features drifted\n${rows.join('')}`;
}

/** `rudder drift churn` at `now`, as text and as the HTML report under .rudder/. */
async function driftReport(repo: string, now: Date, io: CommandIO): Promise<boolean> {
  io.stderr('\n━━ drift report\n');
  const d = await drift({ cwd: repo, model: 'churn', now });
  if (!d.ok) {
    io.stderr(`rudder: ${d.error ?? 'drift report failed'}\n`);
    return false;
  }
  io.stdout(renderDriftText(d.report));
  const reportPath = join(repo, '.rudder', 'drift-report.html');
  await mkdir(join(repo, '.rudder'), { recursive: true });
  await writeFile(reportPath, await renderDriftHtml(d.report));
  io.stdout(`\nDrift report: ${reportPath}\n`);
  return true;
}

/** The Monday (YYYY-MM-DD, UTC) of the week of `d`: the first day of the sample data's newest week. */
function mondayOf(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/** `git init` the scratch repository and commit its policies (without git, the demo runs uncommitted). */
function commitPolicies(repo: string, io: CommandIO): void {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git(
      '-c',
      'user.name=Rudder demo',
      '-c',
      'user.email=demo@rudder.invalid',
      'commit',
      '-q',
      '-m',
      'policies: churn scenario',
    );
    io.stderr('git repository with the policies committed\n');
  } catch (e) {
    io.stderr(
      `git is not available (${(e as Error).message.split('\n')[0]}); the demo runs without commits\n`,
    );
  }
}
