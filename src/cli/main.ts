import { Command, CommanderError } from 'commander';
import { InternalError } from '../diagnostics/diagnostic.ts';
import { asEnvironmentError } from '../diagnostics/environment-error.ts';
import { RUDDER_VERSION } from '../util/version.ts';
// Commands are imported when they run: DuckDB, tfjs and the MCP SDK are slow to load, and
// `rudder validate` should not pay for them.
import { ExitCode, ExitError, type CommandIO } from './io.ts';
import { contextOf } from './context.ts';
import { registerArtifactsCommands } from './commands/artifacts-register.ts';
import { registerDataCommands } from './commands/data-register.ts';
import { registerGitHubCommands } from './commands/github-register.ts';
import { registerInsightCommands } from './commands/insight-register.ts';
import { registerProjectCommands } from './commands/project-register.ts';
import { registerRuntimeCommands } from './commands/runtime-register.ts';
import { registerStateCommands } from './commands/state-register.ts';
import { registerWorkflowCommands } from './commands/workflow-register.ts';

const EXIT_HELP = `
Exit codes:
  0  ok / no changes
  1  error diagnostics or a failed step
  2  plan --detailed-exitcode with pending changes
  3  internal error (a bug in Rudder)`;

/**
 * The `rudder` program: global options, then each group of commands (in the order `rudder
 * --help` lists them). Each group's file registers its commands; their work loads when they run.
 */
export function buildProgram(io?: CommandIO): Command {
  const program = new Command('rudder')
    .description(
      'GitOps for machine-learning models: policies in git compile into a reviewed plan; apply trains, promotes and commits lockfiles.',
    )
    .option('-C <dir>', 'run as if started in <dir>')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'disable colours')
    .option('--verbose', 'more detail on stderr')
    .option('--as-of <time>', 'act as if the time were <time> (ISO 8601; also RUDDER_NOW): replay history')
    .addHelpText('after', EXIT_HELP)
    .version(RUDDER_VERSION, '-V, --version', 'print the Rudder version')
    .showSuggestionAfterError(true)
    .exitOverride();

  const ctx = contextOf(io);
  registerWorkflowCommands(program, ctx);
  registerProjectCommands(program, ctx);
  registerDataCommands(program, ctx);
  registerInsightCommands(program, ctx);
  registerArtifactsCommands(program, ctx);
  registerStateCommands(program, ctx);
  registerRuntimeCommands(program, ctx);
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
