// `rudder schema`, `rudder sample-data`, `rudder init`: setting a repository up. Registered by main.ts.
import { resolve } from 'node:path';
import { type Command } from 'commander';
import type { ContextOf } from '../context.ts';

/** schema, sample-data, init. */
export function registerProjectCommands(program: Command, ctx: ContextOf): void {
  program
    .command('schema [kind]')
    .description('print JSON Schemas for editors (all kinds, or one)')
    .action(async (kind: string | undefined, _o: unknown, cmd: Command) => {
      const { schemaCommand } = await import('./schema.ts');
      process.exitCode = schemaCommand(kind, ctx(cmd).io);
    });

  program
    .command('sample-data')
    .description(
      'generate the sample data the project reads (deterministic): the root churn project or an example',
    )
    .option(
      '--scenario <name>',
      'churn, fraud or house-prices (default: detected from rudder.yaml and the policies)',
    )
    .option('--out <dir>', 'output folder, relative to the repository', 'data')
    .option('--seed <n>', 'random seed', '7')
    .option('--drift <spec>', 'plant a shift: <feature>@<date>[*factor], e.g. spend_30d@2026-05-01*1.8')
    .option('--start <date>', 'first week, YYYY-MM-DD (default: so that the data ends this week)')
    .option('--force', 'regenerate even when the files exist')
    .action(
      async (
        o: { out: string; seed: string; scenario?: string; drift?: string; start?: string; force?: boolean },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        const { sampleDataCommand } = await import('./sample-data.ts');
        process.exitCode = await sampleDataCommand(
          {
            cwd: c.cwd,
            out: o.out,
            seed: Number(o.seed),
            scenario: o.scenario,
            drift: o.drift,
            start: o.start,
            force: o.force ?? false,
          },
          c.io,
        );
      },
    );

  program
    .command('init [dir]')
    .description('scaffold a policy repository')
    .action(async (dir: string | undefined, _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { initCommand } = await import('./init.ts');
      process.exitCode = await initCommand({ dir: resolve(c.cwd, dir ?? '.') }, c.io);
    });
}
