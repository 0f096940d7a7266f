// `rudder validate`, `rudder plan`, `rudder apply`: the review loop. Registered by main.ts; each
// command's module loads only when it runs.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode } from '../io.ts';
import { lockTimeoutMs, type ContextOf } from '../context.ts';

/** validate, plan, apply. */
export function registerWorkflowCommands(program: Command, ctx: ContextOf): void {
  registerValidate(program, ctx);
  registerPlan(program, ctx);
  registerApply(program, ctx);
}

function registerValidate(program: Command, ctx: ContextOf): void {
  program
    .command('validate')
    .description('check the policies; diagnostics as text, JSON or GitHub annotations')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'),
    )
    .action(async (o: { policies?: string; format: 'text' | 'json' | 'github' }, cmd: Command) => {
      const c = ctx(cmd);
      const { validateCommand } = await import('./validate.ts');
      process.exitCode = await validateCommand(
        { cwd: c.cwd, policiesDir: o.policies, format: c.json ? 'json' : o.format },
        c.io,
      );
    });
}

function registerPlan(program: Command, ctx: ContextOf): void {
  program
    .command('plan')
    .description('compute what would change and why; text, --json or --markdown (for a pull-request comment)')
    .option('--out <file>', 'save the plan (JSON) for rudder apply <file>')
    .option('--markdown', 'render Markdown for a pull-request comment')
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on errors')
    .option('--retrain <model...>', 'force retraining of these models')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (
        o: {
          out?: string;
          markdown?: boolean;
          detailedExitcode?: boolean;
          retrain?: string[];
          policies?: string;
        },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        if (c.json && o.markdown) {
          c.io.stderr('rudder: --json and --markdown both choose the output format: give one of them\n');
          process.exitCode = ExitCode.error;
          return;
        }
        const { planCommand } = await import('./plan.ts');
        process.exitCode = await planCommand(
          {
            cwd: c.cwd,
            policiesDir: o.policies,
            out: o.out ? resolve(c.cwd, o.out) : undefined,
            format: c.json ? 'json' : o.markdown ? 'markdown' : 'text',
            detailedExitcode: o.detailedExitcode ?? false,
            retrain: o.retrain ?? [],
            now: c.now,
          },
          c.io,
        );
      },
    );
}

function registerApply(program: Command, ctx: ContextOf): void {
  program
    .command('apply [plan]')
    .description(
      'apply a reviewed plan file exactly, or plan and apply in one go (asks first; --auto-approve elsewhere)',
    )
    .option('--auto-approve', 'do not ask for confirmation (CI)')
    .option('--approve <model...>', 'approve the manual-approval actions of these models (or "all")')
    .option('--allow-destroy', 'allow actions that remove state (retiring removed models)')
    .option('--lock-timeout <duration>', 'wait this long for another apply to finish (e.g. 30s, 5m)', '0s')
    .option('--allow-dirty', 'apply although the policies or rudder.yaml have uncommitted changes')
    .option('--retrain <model...>', 'without a plan file: force retraining of these models')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (
        planFile: string | undefined,
        o: {
          autoApprove?: boolean;
          approve?: string[];
          allowDestroy?: boolean;
          allowDirty?: boolean;
          lockTimeout: string;
          retrain?: string[];
          policies?: string;
        },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        const timeout = await lockTimeoutMs(o.lockTimeout);
        const { applyCommand } = await import('./apply.ts');
        const ac = new AbortController();
        const onSignal = () => {
          process.stderr.write(
            'rudder: interrupted; finishing the running action cleanly (Ctrl-C again to force)\n',
          );
          ac.abort();
          process.off('SIGINT', onSignal);
        };
        process.on('SIGINT', onSignal);
        try {
          process.exitCode = await applyCommand(
            {
              cwd: c.cwd,
              policiesDir: o.policies,
              planFile: planFile ? resolve(c.cwd, planFile) : undefined,
              autoApprove: o.autoApprove ?? false,
              approve: o.approve?.includes('all') ? 'all' : (o.approve ?? []),
              allowDestroy: o.allowDestroy ?? false,
              allowDirty: o.allowDirty ?? false,
              lockTimeoutMs: timeout,
              retrain: o.retrain ?? [],
              json: c.json,
              signal: ac.signal,
              now: c.now,
            },
            c.io,
          );
        } finally {
          process.off('SIGINT', onSignal);
        }
      },
    );
}
