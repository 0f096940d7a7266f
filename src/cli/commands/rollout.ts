import { releaseRolloutHold } from '../../api/state.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, type CommandIO } from '../io.ts';

/** `rudder rollout release <model> <version> --reason <text>`: release a rollback's hold. */
export async function rolloutReleaseCommand(
  opts: { cwd: string; model: string; version: string; reason: string; json: boolean },
  io: CommandIO,
): Promise<number> {
  const version = Number(opts.version.replace(/^v/, ''));
  if (!Number.isInteger(version) || version < 1) {
    io.stderr(`rudder: version ${JSON.stringify(opts.version)}: expected a version number such as 2 or v2\n`);
    return ExitCode.error;
  }
  const r = await releaseRolloutHold({
    cwd: opts.cwd,
    model: opts.model,
    version,
    reason: opts.reason,
    actor: 'cli',
    onNotice: (m) => io.stderr(`${m}\n`),
  });
  if (!r.ok) {
    if (opts.json) io.stdout(`${JSON.stringify({ ok: false, diagnostics: r.diagnostics }, null, 2)}\n`);
    else io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  if (opts.json)
    io.stdout(`${JSON.stringify({ ok: true, version: r.version, commit: r.commit }, null, 2)}\n`);
  else
    io.stdout(
      `released the hold on ${opts.model} v${version}: it is a candidate again; the next plan gates it and rolls it out${r.commit?.sha ? ` (commit ${r.commit.sha.slice(0, 12)})` : ''}\n`,
    );
  return ExitCode.ok;
}
