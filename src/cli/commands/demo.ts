import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { apply, drift, plan, renderDriftHtml, status, validate } from '../../api/index.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { renderPlanText } from '../../planner/render.ts';
import { defaultChurnOptions, startForToday } from '../../sample/churn-data.ts';
import { writeSampleData } from '../../sample/write-sample-data.ts';
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
 * scratch git repository under .rudder/demo (or in place): validate → plan → apply (materialize,
 * scan, train with tfjs, gate, promote, commit) → plan again (no changes) → a week later the
 * sample data has moved forward with a planted shift in spend_30d → plan (a drift-triggered
 * retrain, with its evidence) → apply (train, gate, promote or reject) → the HTML drift report →
 * status.
 */
export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  const t0 = performance.now();
  // One clock for the whole run; the second half is "a week later".
  const now = new Date();
  const step = (s: string) => io.stderr(`\n━━ ${s}\n`);
  step('sample data');
  const data = await writeSampleData(join(opts.cwd, 'data'), {
    ...defaultChurnOptions,
    start: startForToday(now),
  });
  io.stderr(
    data.skipped
      ? 'already present in data/\n'
      : data.files.map((f) => `wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)\n`).join(''),
  );

  let repo = opts.cwd;
  if (!opts.inPlace) {
    repo = join(opts.cwd, '.rudder', 'demo');
    step(`scratch repository ${relative(opts.cwd, repo)}`);
    await rm(repo, { recursive: true, force: true });
    await mkdir(repo, { recursive: true });
    for (const p of ['rudder.yaml', 'policies', 'data'])
      await cp(join(opts.cwd, p), join(repo, p), { recursive: true });
    await writeFile(join(repo, '.gitignore'), '/.rudder/\n/data/\n');
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

  step('validate');
  const v = await validate({ cwd: repo });
  if (v.diagnostics.length > 0) io.stderr(formatPretty(v.diagnostics, v.sources, { color: io.color }));
  if (!v.ok) return ExitCode.error;
  io.stderr(`${v.files} files, ${v.documents} documents: valid\n`);

  step('plan');
  const p = await plan({ cwd: repo, now });
  if (!p.ok) {
    io.stderr(formatPretty(p.diagnostics, p.sources, { color: io.color }));
    return ExitCode.error;
  }
  io.stdout(renderPlanText(p.plan, { color: io.color }));

  step('apply');
  const a = await apply({
    cwd: repo,
    plan: p.plan,
    actor: 'cli',
    now: () => now,
    onEvent: (e) => io.stderr(renderEvent(e)),
  });
  if (a.diagnostics.length > 0) io.stderr(formatPretty(a.diagnostics, a.sources, { color: io.color }));
  io.stdout(
    `${a.summary}${a.commit?.sha ? ` Committed ${a.commit.sha.slice(0, 12)}.` : a.commit ? ` ${a.commit.message}` : ''}\n`,
  );
  if (!a.ok) return ExitCode.error;

  step('plan again');
  const again = await plan({ cwd: repo, now });
  if (!again.ok) return ExitCode.error;
  io.stdout(renderPlanText(again.plan, { color: io.color }));
  if (again.plan.actions.length > 0) return ExitCode.error;

  // ── The loop closes: a week later the data has moved on, and spend_30d has shifted ──
  const later = new Date(now.getTime() + 7 * 86_400_000);
  const shiftFrom = new Date(later.getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
  step(`a week later: the sample data moves forward, with spend_30d × 1.8 from ${shiftFrom}`);
  const moved = await writeSampleData(
    join(repo, 'data'),
    {
      ...defaultChurnOptions,
      start: startForToday(later),
      drift: { feature: 'spend_30d', after: shiftFrom, factor: 1.8 },
    },
    true,
  );
  io.stderr(
    moved.files
      .map(
        (f) => `wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)
`,
      )
      .join(''),
  );

  step('plan (a week later): drift is observed against v1’s reference profile');
  const p2 = await plan({ cwd: repo, now: later });
  if (!p2.ok) {
    io.stderr(formatPretty(p2.diagnostics, p2.sources, { color: io.color }));
    return ExitCode.error;
  }
  io.stdout(renderPlanText(p2.plan, { color: io.color }));
  const retrain = p2.plan.actions.find(
    (x) => x.type === 'model.train' && x.reasons.some((r) => r.code === 'drift'),
  );
  if (!retrain) {
    io.stderr('the planted shift did not trigger a drift retrain\n');
    return ExitCode.error;
  }

  step('apply: retrain, gate against the champion, promote or reject');
  const a2 = await apply({
    cwd: repo,
    plan: p2.plan,
    actor: 'cli',
    now: () => later,
    onEvent: (e) => io.stderr(renderEvent(e)),
  });
  if (a2.diagnostics.length > 0) io.stderr(formatPretty(a2.diagnostics, a2.sources, { color: io.color }));
  io.stdout(
    `${a2.summary}${a2.commit?.sha ? ` Committed ${a2.commit.sha.slice(0, 12)}.` : a2.commit ? ` ${a2.commit.message}` : ''}\n`,
  );
  if (!a2.ok) return ExitCode.error;

  step('drift report');
  const d = await drift({ cwd: repo, model: 'churn', now: later });
  if (!d.ok) {
    io.stderr(`rudder: ${d.error ?? 'drift report failed'}\n`);
    return ExitCode.error;
  }
  io.stdout(renderDriftText(d.report));
  const reportPath = join(repo, '.rudder', 'drift-report.html');
  await mkdir(join(repo, '.rudder'), { recursive: true });
  await writeFile(reportPath, await renderDriftHtml(d.report));
  io.stdout(`\nDrift report: ${reportPath}\n`);

  step('status');
  io.stdout(renderStatus(await status({ cwd: repo })));
  io.stdout(
    `\nLockfiles: ${relative(opts.cwd, join(repo, v.state!.project.stateDir)) || '.'}/  ·  history: git -C ${relative(opts.cwd, repo) || '.'} log --stat  ·  ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return ExitCode.ok;
}
