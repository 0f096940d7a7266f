// `rudder dataset` and `rudder data scan|release|list`: training sets, PII scans and quarantines.
// Registered by main.ts.
import { type Command } from 'commander';
import type { ContextOf } from '../context.ts';

/** dataset, data scan, data release, data list. */
export function registerDataCommands(program: Command, ctx: ContextOf): void {
  program
    .command('dataset <model>')
    .description(
      "build a model's point-in-time training set (Parquet or CSV); rows, nulls, digest and cut-off on stderr",
    )
    .requiredOption('--out <file>', 'output file: .parquet or .csv')
    .option('--until <time>', 'only labels at or before this ISO date or timestamp')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(async (model: string, o: { out: string; until?: string; policies?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { datasetCommand } = await import('./dataset.ts');
      process.exitCode = await datasetCommand(
        { cwd: c.cwd, model, out: o.out, until: o.until, policiesDir: o.policies, json: c.json },
        c.io,
      );
    });

  const data = program.command('data').description('PII scans and quarantines of the feature store');
  data
    .command('scan [policy]')
    .description('run the DataPolicies (or one) over their sources; findings as counts, never values')
    .action(async (policy: string | undefined, _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { dataScanCommand } = await import('./data.ts');
      process.exitCode = await dataScanCommand({ cwd: c.cwd, json: c.json, policy }, c.io);
    });
  data
    .command('release <id>')
    .description(
      'release a quarantine: its rows are read again by training and the online table (recorded and committed)',
    )
    .requiredOption(
      '--reason <text>',
      'why these rows may be used after all (recorded in the data lock and the commit)',
    )
    .action(async (id: string, o: { reason: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { dataReleaseCommand } = await import('./data.ts');
      process.exitCode = await dataReleaseCommand({ cwd: c.cwd, json: c.json, id, reason: o.reason }, c.io);
    });

  data
    .command('list')
    .description('the quarantines the data locks record (active and released)')
    .option('--active', 'only active quarantines')
    .option('--released', 'only released quarantines')
    .action(async (o: { active?: boolean; released?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const { dataListCommand } = await import('./data.ts');
      const status = o.active ? 'active' : o.released ? 'released' : undefined;
      process.exitCode = await dataListCommand({ cwd: c.cwd, json: c.json, status }, c.io);
    });
}
