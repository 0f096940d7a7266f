// `rudder status`, `rudder history`, `rudder unlock`, `rudder rollout release`, `rudder state seal`:
// reading the recorded state and the hand operations on it. Registered by main.ts.
import { type Command } from 'commander';
import { ExitError } from '../io.ts';
import type { ContextOf } from '../context.ts';

/** status, history, unlock, rollout release, state seal. */
export function registerStateCommands(program: Command, ctx: ContextOf): void {
  // ── state: status, history, unlock ──
  program
    .command('status')
    .description("every resource's current state from the lockfiles, in one table (or --json)")
    .action(async (_o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { statusCommand } = await import('./status.ts');
      process.exitCode = await statusCommand({ cwd: c.cwd, json: c.json }, c.io);
    });

  program
    .command('history <resource>')
    .description(
      'state changes of a resource from git: when, plan, actions, actor, reason (churn, model/churn or a lockfile path)',
    )
    .option('--diff', 'show each commit’s lockfile diff')
    .option('-n, --limit <n>', 'at most n commits')
    .action(async (resource: string, o: { diff?: boolean; limit?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const limit = o.limit == null ? undefined : Number(o.limit);
      if (limit != null && !(Number.isInteger(limit) && limit > 0))
        throw new ExitError(`--limit ${o.limit}: expected a positive integer`);
      const { historyCommand } = await import('./history.ts');
      process.exitCode = await historyCommand(
        { cwd: c.cwd, resource, diff: o.diff ?? false, limit, json: c.json },
        c.io,
      );
    });

  program
    .command('unlock <id>')
    .description(
      'release the apply lock by hand (its id is in the error a blocked apply prints, and in rudder status)',
    )
    .option('--force', 'release it even though its process still runs on this machine')
    .action(async (id: string, o: { force?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const { unlockCommand } = await import('./unlock.ts');
      process.exitCode = await unlockCommand({ cwd: c.cwd, id, force: o.force ?? false }, c.io);
    });

  program
    .command('rollout')
    .description('rollout maintenance')
    .command('release <model> <version>')
    .description('release the hold a rollback put on a version: it becomes a candidate again (committed)')
    .requiredOption('--reason <text>', 'why it may be rolled out again (recorded in the lock and the commit)')
    .action(async (model: string, version: string, o: { reason: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { rolloutReleaseCommand } = await import('./rollout.ts');
      process.exitCode = await rolloutReleaseCommand(
        { cwd: c.cwd, model, version, reason: o.reason, json: c.json },
        c.io,
      );
    });

  program
    .command('state')
    .description('lockfile maintenance')
    .command('seal <files...>')
    .description(
      'accept a deliberate hand edit: check the lockfiles as every read does, then rewrite them with a fresh integrity line',
    )
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { stateSealCommand } = await import('./state.ts');
      process.exitCode = await stateSealCommand({ cwd: c.cwd, files, json: c.json }, c.io);
    });
}
