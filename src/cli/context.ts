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
  asOf?: string;
}

export interface CommandContext {
  /** The repository: -C <dir>, or the working directory. */
  cwd: string;
  json: boolean;
  verbose: boolean;
  io: CommandIO;
  /**
   * The time to act as of (`--as-of`, else `RUDDER_NOW`): every clock read of the command returns
   * it, so history can be replayed without faking the system clock. Absent: the real clock.
   */
  now?: Date;
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
    return {
      cwd,
      json: g.json ?? false,
      verbose: g.verbose ?? false,
      io: io ?? processIO(color),
      now: asOf(g.asOf, process.env.RUDDER_NOW),
    };
  };
}

/** `--as-of <time>` or `RUDDER_NOW` (the option wins): an ISO 8601 time, or a usage error naming which. */
export function asOf(option: string | undefined, env: string | undefined): Date | undefined {
  const [value, from] = option != null ? [option, '--as-of'] : env ? [env, 'RUDDER_NOW'] : [];
  if (value == null) return undefined;
  // Date.parse accepts "1" or "May 5"; only full ISO dates (with an optional time) are meant.
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())
    ? new Date(value.trim())
    : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()))
    throw new ExitError(
      `${from} ${JSON.stringify(value)}: expected an ISO 8601 time such as 2026-05-01 or 2026-05-01T12:00:00Z`,
    );
  return at;
}

/** `--lock-timeout <duration>` (apply, github apply) in milliseconds, or a usage error. */
export async function lockTimeoutMs(value: string): Promise<number> {
  const { parseDuration } = await import('../schema/vocabulary.ts');
  const ms = parseDuration(value);
  if (ms == null)
    throw new ExitError(`--lock-timeout ${JSON.stringify(value)}: expected a duration such as 30s or 5m`);
  return ms;
}
