// `rudder explain`, `rudder demo`, `rudder drift`: why an action is planned, the main job end to
// end, and how a model's inputs drift. Registered by main.ts.
import { type Command } from 'commander';
import type { ContextOf } from '../context.ts';

/** explain, demo, drift. */
export function registerInsightCommands(program: Command, ctx: ContextOf): void {
  program
    .command('explain <action>')
    .description('why an action is in the plan: reasons, order, expected lockfile changes, observations')
    .option('--plan <file>', 'explain an action of this plan file (default: plan now)')
    .action(async (action: string, o: { plan?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { explainCommand } = await import('./explain.ts');
      process.exitCode = await explainCommand(
        { cwd: c.cwd, json: c.json, action, planFile: o.plan, now: c.now },
        c.io,
      );
    });

  program
    .command('demo')
    .description('the main job on the root policies and their sample data (what npm start runs)')
    .action(async (_o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { demoCommand } = await import('./demo.ts');
      process.exitCode = await demoCommand({ cwd: c.cwd, json: c.json }, c.io);
    });

  program
    .command('drift <model>')
    .description(
      "drift of a model's current window against its training split, per feature (exit 0; see --json)",
    )
    .option('--window <duration>', "window length (default: the drift trigger's window, else 7d)")
    .option('--html <file>', 'also write the self-contained HTML report there')
    .option('--now <iso>', 'the end of the window (default: --as-of, else now)')
    .action(async (model: string, o: { window?: string; html?: string; now?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { driftCommand } = await import('./drift.ts');
      process.exitCode = await driftCommand(
        {
          cwd: c.cwd,
          model,
          window: o.window,
          html: o.html,
          now: o.now ?? c.now?.toISOString(),
          json: c.json,
        },
        c.io,
      );
    });
}
