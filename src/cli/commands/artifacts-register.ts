// `rudder artifacts push|pull|verify`. Registered by main.ts.
import { type Command } from 'commander';
import type { ContextOf } from '../context.ts';

/** artifacts push, pull, verify. */
export function registerArtifactsCommands(program: Command, ctx: ContextOf): void {
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
      const { artifactsCommand } = await import('./artifacts.ts');
      process.exitCode = await artifactsCommand(
        { cwd: c.cwd, operation: op, models: o.model, from: o.from, json: c.json },
        c.io,
      );
    });
  }
}
