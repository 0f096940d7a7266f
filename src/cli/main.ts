import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { InternalError } from '../diagnostics/diagnostic.ts';
import { asEnvironmentError } from '../diagnostics/environment-error.ts';
import { RUDDER_VERSION } from '../version.ts';
// Commands are imported when they run: DuckDB, tfjs and the MCP SDK are slow to load, and
// `rudder validate` should not pay for them.
import { ExitCode, ExitError, processIO, type CommandIO } from './io.ts';
import { registerGitHubCommands } from './commands/github-register.ts';

interface GlobalOptions {
  C?: string;
  json?: boolean;
  color: boolean;
  verbose?: boolean;
}

const EXIT_HELP = `
Exit codes:
  0  ok / no changes
  1  error diagnostics or a failed step
  2  plan --detailed-exitcode with pending changes
  3  internal error (a bug in Rudder)`;

export function buildProgram(io?: CommandIO): Command {
  const program = new Command('rudder')
    .description(
      'GitOps for machine-learning models: policies in git compile into a reviewed plan; apply trains, promotes and commits lockfiles.',
    )
    .option('-C <dir>', 'run as if started in <dir>')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'disable colours')
    .option('--verbose', 'more detail on stderr')
    .addHelpText('after', EXIT_HELP)
    .version(RUDDER_VERSION, '-V, --version', 'print the Rudder version')
    .showSuggestionAfterError(true)
    .exitOverride();

  const ctx = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const cwd = resolve(g.C ?? process.cwd());
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new ExitError(`-C ${g.C}: no such directory`);
    const color = g.color && !process.env.NO_COLOR && Boolean(process.stdout.isTTY);
    return { cwd, json: g.json ?? false, verbose: g.verbose ?? false, io: io ?? processIO(color) };
  };

  program
    .command('validate')
    .description('check the policies; diagnostics as text, JSON or GitHub annotations')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'),
    )
    .action(async (o: { policies?: string; format: 'text' | 'json' | 'github' }, cmd: Command) => {
      const c = ctx(cmd);
      const { validateCommand } = await import('./commands/validate.ts');
      process.exitCode = await validateCommand(
        { cwd: c.cwd, policiesDir: o.policies, format: c.json ? 'json' : o.format },
        c.io,
      );
    });

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
        const { planCommand } = await import('./commands/plan.ts');
        process.exitCode = await planCommand(
          {
            cwd: c.cwd,
            policiesDir: o.policies,
            out: o.out ? resolve(c.cwd, o.out) : undefined,
            format: c.json ? 'json' : o.markdown ? 'markdown' : 'text',
            detailedExitcode: o.detailedExitcode ?? false,
            retrain: o.retrain ?? [],
          },
          c.io,
        );
      },
    );

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
        const { parseDuration } = await import('../schema/vocabulary.ts');
        const timeout = parseDuration(o.lockTimeout);
        if (timeout == null)
          throw new ExitError(
            `--lock-timeout ${JSON.stringify(o.lockTimeout)}: expected a duration such as 30s or 5m`,
          );
        const { applyCommand } = await import('./commands/apply.ts');
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
            },
            c.io,
          );
        } finally {
          process.off('SIGINT', onSignal);
        }
      },
    );

  program
    .command('schema [kind]')
    .description('print JSON Schemas for editors (all kinds, or one)')
    .action(async (kind: string | undefined, _o: unknown, cmd: Command) => {
      const { schemaCommand } = await import('./commands/schema.ts');
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
        const { sampleDataCommand } = await import('./commands/sample-data.ts');
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
      const { initCommand } = await import('./commands/init.ts');
      process.exitCode = await initCommand({ dir: resolve(c.cwd, dir ?? '.') }, c.io);
    });

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
      const { datasetCommand } = await import('./commands/dataset.ts');
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
      const { dataScanCommand } = await import('./commands/data.ts');
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
      const { dataReleaseCommand } = await import('./commands/data.ts');
      process.exitCode = await dataReleaseCommand({ cwd: c.cwd, json: c.json, id, reason: o.reason }, c.io);
    });

  data
    .command('list')
    .description('the quarantines the data locks record (active and released)')
    .option('--active', 'only active quarantines')
    .option('--released', 'only released quarantines')
    .action(async (o: { active?: boolean; released?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const { dataListCommand } = await import('./commands/data.ts');
      const status = o.active ? 'active' : o.released ? 'released' : undefined;
      process.exitCode = await dataListCommand({ cwd: c.cwd, json: c.json, status }, c.io);
    });

  program
    .command('explain <action>')
    .description('why an action is in the plan: reasons, order, expected lockfile changes, observations')
    .option('--plan <file>', 'explain an action of this plan file (default: plan now)')
    .action(async (action: string, o: { plan?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { explainCommand } = await import('./commands/explain.ts');
      process.exitCode = await explainCommand({ cwd: c.cwd, json: c.json, action, planFile: o.plan }, c.io);
    });

  program
    .command('demo')
    .description('the main job on the root policies and their sample data (what npm start runs)')
    .action(async (_o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { demoCommand } = await import('./commands/demo.ts');
      process.exitCode = await demoCommand({ cwd: c.cwd, json: c.json }, c.io);
    });

  program
    .command('drift <model>')
    .description(
      "drift of a model's current window against its training split, per feature (exit 0; see --json)",
    )
    .option('--window <duration>', "window length (default: the drift trigger's window, else 7d)")
    .option('--html <file>', 'also write the self-contained HTML report there')
    .option('--now <iso>', 'the end of the window (default: now)')
    .action(async (model: string, o: { window?: string; html?: string; now?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { driftCommand } = await import('./commands/drift.ts');
      process.exitCode = await driftCommand(
        { cwd: c.cwd, model, window: o.window, html: o.html, now: o.now, json: c.json },
        c.io,
      );
    });

  // ── artifacts: push, pull, verify (what dvc push / pull are to DVC) ──
  const artifacts = program
    .command('artifacts')
    .description(
      'sync and check the artifacts the lockfiles name (models, training-set snapshots) with the store',
    );
  for (const [op, what] of [
    ['push', 'upload every artifact the lockfiles name from the local cache to the configured remote'],
    ['pull', 'download every artifact the lockfiles name into the local cache, digest-verified'],
    [
      'verify',
      're-hash every artifact the lockfiles name where it is stored; exit 1 if any is missing or corrupt',
    ],
  ] as const) {
    const sub = artifacts.command(op).description(what).option('--model <name...>', 'only these models');
    if (op === 'push')
      sub.option('--from <dir...>', 'also read from these local stores (e.g. .rudder/artifacts)');
    sub.action(async (o: { model?: string[]; from?: string[] }, cmd: Command) => {
      const c = ctx(cmd);
      const { artifactsCommand } = await import('./commands/artifacts.ts');
      process.exitCode = await artifactsCommand(
        { cwd: c.cwd, operation: op, models: o.model, from: o.from, json: c.json },
        c.io,
      );
    });
  }

  // ── state: status, history, unlock ──
  program
    .command('status')
    .description("every resource's current state from the lockfiles, in one table (or --json)")
    .action(async (_o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { statusCommand } = await import('./commands/status.ts');
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
      const { historyCommand } = await import('./commands/history.ts');
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
      const { unlockCommand } = await import('./commands/unlock.ts');
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
      const { rolloutReleaseCommand } = await import('./commands/rollout.ts');
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
      const { stateSealCommand } = await import('./commands/state.ts');
      process.exitCode = await stateSealCommand({ cwd: c.cwd, files, json: c.json }, c.io);
    });

  program
    .command('mcp')
    .description(
      'serve the API to AI agents over MCP: stdio, or Streamable HTTP on loopback with a bearer token',
    )
    .option('--allow-write', "list and run write tools (each write still needs the person's confirmation)")
    .option(
      '--http <[host:]port>',
      'serve Streamable HTTP on 127.0.0.1 (token: RUDDER_MCP_TOKEN or --token-file)',
    )
    .option(
      '--token-file <file>',
      'bearer token file, mode 0600 (default .rudder/mcp-token, created if missing)',
    )
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (
        o: { allowWrite?: boolean; http?: string; tokenFile?: string; policies?: string },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        const { mcpCommand } = await import('./commands/mcp.ts');
        process.exitCode = await mcpCommand(
          {
            cwd: c.cwd,
            policiesDir: o.policies,
            allowWrite: o.allowWrite ?? false,
            http: o.http,
            tokenFile: o.tokenFile ? resolve(c.cwd, o.tokenFile) : undefined,
          },
          c.io,
        );
      },
    );

  program
    .command('serve')
    .description(
      "serve every model's active versions as the rollout locks say (OIP v2, JSON predict, labels, /metrics); hot-reloads when the state changes",
    )
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--port <port>', 'port (default 8080; 0 picks a free one)')
    .option('--no-log', 'do not write the prediction log (.rudder/predictions)')
    .action(async (o: { host?: string; port?: string; log: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const { serveCommand } = await import('./commands/serve.ts');
      process.exitCode = await serveCommand({ cwd: c.cwd, host: o.host, port: o.port, log: o.log }, c.io);
    });

  program
    .command('reconcile')
    .description(
      'observe → plan → apply what the policies allow without a person → commit; once, or --watch <interval>',
    )
    .option('--once', 'one pass (the default)')
    .option('--watch <interval>', 'repeat every interval (jittered; backs off after errors) until SIGTERM')
    .option(
      '--abort <model>',
      "abort the model's progressing rollout: traffic back to the champion, challenger held; commit",
    )
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (o: { once?: boolean; watch?: string; abort?: string; policies?: string }, cmd: Command) => {
        const c = ctx(cmd);
        if (o.once && o.watch) throw new ExitError('--once and --watch exclude each other');
        if (o.abort && o.watch) throw new ExitError('--abort and --watch exclude each other');
        const { reconcileCommand } = await import('./commands/reconcile.ts');
        process.exitCode = await reconcileCommand(
          { cwd: c.cwd, policiesDir: o.policies, watch: o.watch, abort: o.abort, json: c.json },
          c.io,
        );
      },
    );

  registerGitHubCommands(program, ctx);

  return program;
}

/** The only place that sets the exit code from an error. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed help or the usage error.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
      ? ExitCode.ok
      : ExitCode.error;
  }
  if (err instanceof ExitError) {
    if (err.message) process.stderr.write(`rudder: ${err.message}\n`);
    return err.code;
  }
  // Git refusing, a full disk, a read-only folder: the user's to fix, not a bug.
  const env = asEnvironmentError(err);
  if (env) {
    const d = env.toDiagnostic();
    process.stderr.write(`rudder: error ${d.code}: ${d.message}\n${d.hint ? `  hint: ${d.hint}\n` : ''}`);
    return ExitCode.error;
  }
  const e = err as Error;
  process.stderr.write(
    `rudder: internal error${err instanceof InternalError ? '' : ` (${e?.name ?? 'unknown'})`}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}\nThis is a bug in Rudder; please report it with the command you ran.\n`,
  );
  return ExitCode.internal;
}
