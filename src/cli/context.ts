// What every command's action starts from: the global options (-C, --json, --verbose, colour)
// resolved against the process, and where to write.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitError, processIO, type CommandIO } from './io.ts';

interface GlobalOptions {
  C?: string;
  json?: boolean;
  color: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  /** The repository: -C <dir>, or the working directory. */
  cwd: string;
  json: boolean;
  verbose: boolean;
  io: CommandIO;
}

/** A command's context, from the options of the command being run. */
export type ContextOf = (cmd: Command) => CommandContext;

/** `io` replaces the process's streams (tests). */
export function contextOf(io?: CommandIO): ContextOf {
  return (cmd) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const cwd = resolve(g.C ?? process.cwd());
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new ExitError(`-C ${g.C}: no such directory`);
    const color = g.color && !process.env.NO_COLOR && Boolean(process.stdout.isTTY);
    return { cwd, json: g.json ?? false, verbose: g.verbose ?? false, io: io ?? processIO(color) };
  };
}

/** `--lock-timeout <duration>` (apply, github apply) in milliseconds, or a usage error. */
export async function lockTimeoutMs(value: string): Promise<number> {
  const { parseDuration } = await import('../schema/vocabulary.ts');
  const ms = parseDuration(value);
  if (ms == null)
    throw new ExitError(`--lock-timeout ${JSON.stringify(value)}: expected a duration such as 30s or 5m`);
  return ms;
}
