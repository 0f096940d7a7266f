// The GitHub Action and the copyable workflows agree with each other and with the CLI: the
// inputs they pass exist, the artifact the plan job uploads is the one the apply job downloads,
// applies share one concurrency group, every `rudder …` they run is a real command, and no
// `run:` script splices an expression in (script injection).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../../src/cli/main.ts';
import { ROOT } from '../../helpers/churn-repo.ts';

type Obj = Record<string, unknown>;
interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Obj;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { steps: Step[]; if?: string }>;
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
};
const dir = join(ROOT, 'examples', 'github');
const workflows = Object.fromEntries(
  readdirSync(dir).map((f) => [f, parse(readFileSync(join(dir, f), 'utf8')) as Workflow]),
);
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const program = buildProgram();

/** `rudder github comment plan.json --status` → is `github comment` a command with these options? */
function checkRudderArgs(line: string): void {
  const words = line.trim().split(/\s+/);
  let cmd = program;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i]);
    if (!sub) break;
    cmd = sub;
  }
  expect(cmd, `"${line}" names a command`).not.toBe(program);
  const known = new Set(
    [...cmd.options, ...program.options].flatMap((o) => [o.long, o.short].filter(Boolean) as string[]),
  );
  for (const w of words.slice(i))
    if (w.startsWith('-')) expect(known, `option ${w} of "${line}"`).toContain(w);
}

describe('action.yml', () => {
  test('is a composite action that installs Rudder and runs a command without splicing inputs into the script', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps[0]!.uses).toMatch(/^actions\/setup-node@v\d+$/);
    for (const s of action.runs.steps.filter((x) => x.run))
      expect(s.run, 'inputs travel as environment variables').not.toMatch(/\$\{\{/);
    expect(action.runs.steps.at(-1)!.env).toMatchObject({ GITHUB_TOKEN: '${{ inputs.github-token }}' });
  });
});

describe('examples/github workflows', () => {
  test('the three workflows exist', () => {
    expect(Object.keys(workflows).sort()).toEqual([
      'rudder-apply.yml',
      'rudder-plan.yml',
      'rudder-reconcile.yml',
    ]);
  });

  test.each(Object.keys(workflows))(
    '%s: action inputs exist, rudder commands are real, no expression in run scripts',
    (f) => {
      const w = workflows[f]!;
      for (const s of steps(w)) {
        if (s.uses?.endsWith('/rudder@v1')) {
          for (const k of Object.keys(s.with ?? {})) expect(Object.keys(action.inputs)).toContain(k);
          if (s.with?.command) checkRudderArgs(s.with.command);
        }
        if (s.run) {
          expect(s.run, 'untrusted values reach scripts through env').not.toMatch(/\$\{\{/);
          for (const m of s.run.matchAll(/^\s*rudder (.+)$/gm)) checkRudderArgs(m[1]!);
        }
      }
    },
  );

  test('plan on pull request keeps plan.json as the artifact that apply on merge downloads', () => {
    const plan = workflows['rudder-plan.yml']!;
    const apply = workflows['rudder-apply.yml']!;
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    const upload = steps(plan).find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    const download = steps(apply).find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(upload.with).toMatchObject({ path: 'plan.json' });
    expect(download.with!.name).toBe(upload.with!.name);
    expect(steps(apply).some((s) => s.run?.includes('--workflow rudder-plan.yml'))).toBe(true);
    expect(steps(apply).find((s) => s.with?.command)!.with!.command).toMatch(/^github apply plan\.json/);
    expect(apply.jobs.apply!.if).toBe('github.event.pull_request.merged == true');
    expect(plan.permissions['pull-requests']).toBe('write');
    expect(apply.permissions).toMatchObject({ contents: 'write', 'pull-requests': 'write', actions: 'read' });
  });

  test('apply on merge and the scheduled reconcile share one queue that never cancels', () => {
    const apply = workflows['rudder-apply.yml']!;
    const reconcile = workflows['rudder-reconcile.yml']!;
    expect(apply.concurrency).toEqual(reconcile.concurrency);
    expect(apply.concurrency['cancel-in-progress']).toBe(false);
    expect((reconcile.on.schedule as { cron: string }[])[0]!.cron).toMatch(
      /^[\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+$/,
    );
  });
});
