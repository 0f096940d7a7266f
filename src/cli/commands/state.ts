import { sealState } from '../../api/state.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, type CommandIO } from '../io.ts';

/** `rudder state seal <file...>`: accept deliberate hand edits of lockfiles after checking them. */
export async function stateSealCommand(
  opts: { cwd: string; files: readonly string[]; json: boolean },
  io: CommandIO,
): Promise<number> {
  const r = await sealState({ cwd: opts.cwd, files: opts.files });
  if (opts.json)
    io.stdout(
      `${JSON.stringify({ sealed: r.sealed, unchanged: r.unchanged, diagnostics: r.diagnostics }, null, 2)}\n`,
    );
  else {
    for (const f of r.sealed) io.stdout(`sealed ${f} (checked; commit it to record the edit)\n`);
    for (const f of r.unchanged) io.stdout(`${f} is intact; nothing to do\n`);
  }
  if (r.diagnostics.length > 0) {
    if (!opts.json) io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  return ExitCode.ok;
}
