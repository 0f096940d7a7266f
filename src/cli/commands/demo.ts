import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { apply, plan, status, validate } from '../../api.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { renderPlanText } from '../../planner/render.ts';
import { defaultChurnOptions, startForToday } from '../../sample/churn-data.ts';
import { writeSampleData } from '../../sample/write-sample-data.ts';
import { ExitCode, type CommandIO } from '../io.ts';
import { renderEvent } from './apply.ts';
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
 * scan, train with tfjs, gate, promote, commit) → plan again (no changes) → status.
 */
export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  const t0 = performance.now();
  const step = (s: string) => io.stderr(`\n━━ ${s}\n`);
  step('sample data');
  const data = await writeSampleData(join(opts.cwd, 'data'), {
    ...defaultChurnOptions,
    start: startForToday(new Date()),
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
  const p = await plan({ cwd: repo });
  if (!p.ok) {
    io.stderr(formatPretty(p.diagnostics, p.sources, { color: io.color }));
    return ExitCode.error;
  }
  io.stdout(renderPlanText(p.plan, { color: io.color }));

  step('apply');
  const a = await apply({ cwd: repo, plan: p.plan, actor: 'cli', onEvent: (e) => io.stderr(renderEvent(e)) });
  if (a.diagnostics.length > 0) io.stderr(formatPretty(a.diagnostics, a.sources, { color: io.color }));
  io.stdout(
    `${a.summary}${a.commit?.sha ? ` Committed ${a.commit.sha.slice(0, 12)}.` : a.commit ? ` ${a.commit.message}` : ''}\n`,
  );
  if (!a.ok) return ExitCode.error;

  step('plan again');
  const again = await plan({ cwd: repo });
  if (!again.ok) return ExitCode.error;
  io.stdout(renderPlanText(again.plan, { color: io.color }));

  step('status');
  io.stdout(renderStatus(await status({ cwd: repo })));
  io.stdout(
    `\nLockfiles: ${relative(opts.cwd, join(repo, v.state!.project.stateDir)) || '.'}/  ·  history: git -C ${relative(opts.cwd, repo) || '.'} log --stat  ·  ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return again.plan.actions.length === 0 ? ExitCode.ok : ExitCode.error;
}
