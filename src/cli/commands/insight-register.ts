// `rudder explain`, `rudder demo`, `rudder drift`, `rudder backtest`: why an action is planned,
// the main job end to end, how a model's inputs drift, and when its retrain triggers would have fired. Registered by main.ts.
import { type Command } from 'commander';
import type { ContextOf } from '../context.ts';

/** explain, demo, drift, backtest. */
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

  program
    .command('backtest <model>')
    .description(
      "replay a model's retrain triggers over history: when each would have fired, what the cooldown held",
    )
    .option('--from <time>', 'the first step (ISO 8601)')
    .option('--to <time>', 'the last step (ISO 8601)')
    .option('--every <duration>', 'the step', '1d')
    .option('--train', 'train a candidate at each simulated retrain (in a scratch copy) and score it')
    .option('--out <file>', 'also write the JSON report there')
    .option('--html <file>', 'also write the self-contained HTML timeline there')
    .action(
      async (
        model: string,
        o: { from?: string; to?: string; every: string; train?: boolean; out?: string; html?: string },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        const { backtestCommand } = await import('./backtest.ts');
        process.exitCode = await backtestCommand({ cwd: c.cwd, model, json: c.json, ...o }, c.io);
      },
    );
}
