import { dataRelease, dataScan } from '../../api/data.ts';
import { dataList } from '../../api/ops.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { rethrowUserError, rows } from './dataset.ts';

export interface DataCommandOptions {
  cwd: string;
  policiesDir?: string;
  json: boolean;
}

/**
 * `rudder data scan [policy]`: run the DataPolicies' detectors over their sources and record
 * the quarantines they imply in the local store (so that `data release` can name them).
 * Findings are counts per column and detector; values are never printed.
 */
export async function dataScanCommand(
  opts: DataCommandOptions & { policy?: string },
  io: CommandIO,
): Promise<number> {
  const r = await dataScan({ cwd: opts.cwd, policiesDir: opts.policiesDir, policy: opts.policy }).catch(
    rethrowUserError,
  );
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  const out = r.value;
  if (opts.json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  else {
    for (const r of out) {
      io.stdout(`${r.policy}: ${rows(r.scannedRows)} scanned\n`);
      for (const f of r.findings)
        io.stdout(
          `  ${f.view}.${f.column}: ${rows(f.rows)} match ${f.detector}${f.allowed ? ' (allowed)' : ''}\n`,
        );
      for (const q of r.quarantines)
        io.stdout(
          `  quarantine ${q.id} (${q.status}): ${rows(q.rows)} of ${q.file} [${q.column}, ${q.detector}]\n`,
        );
    }
  }
  return ExitCode.ok;
}

/**
 * `rudder data release <id> --reason "…"`: let a quarantine's rows back into training and the
 * online table. Recorded in the data lock (so every checkout honours it) and committed.
 */
export async function dataReleaseCommand(
  opts: DataCommandOptions & { id: string; reason: string },
  io: CommandIO,
): Promise<number> {
  if (!/^q-[0-9a-f]{12}$/.test(opts.id))
    throw new ExitError(
      `${JSON.stringify(opts.id)} is not a quarantine id (q- and 12 hex digits; \`rudder status\` and \`rudder data scan\` list them)`,
    );
  if (opts.reason.trim().length < 3)
    throw new ExitError('--reason is required: say why these rows may be used after all');
  const r = await dataRelease({
    cwd: opts.cwd,
    id: opts.id,
    reason: opts.reason.trim(),
    actor: process.env.CI ? 'ci' : 'cli',
    onNotice: (m) => io.stderr(`rudder: ${m}\n`),
  });
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  const q = r.quarantine!;
  if (opts.json)
    io.stdout(
      `${JSON.stringify({ policy: r.policy, quarantine: q, changed: r.changed, commit: r.commit }, null, 2)}\n`,
    );
  else
    io.stdout(
      `${r.changed ? 'released' : 'already released'} ${q.id}: ${rows(q.rows)} of ${q.view}${q.column ? `.${q.column}` : ''} (${q.detector}) [${r.policy}]${r.commit?.sha ? `; committed ${r.commit.sha.slice(0, 12)}` : r.commit ? `; ${r.commit.message}` : ''}\n`,
    );
  return ExitCode.ok;
}

/** `rudder data list [--active|--released]`: the quarantines the data locks record. */
export async function dataListCommand(
  opts: DataCommandOptions & { status?: 'active' | 'released' },
  io: CommandIO,
): Promise<number> {
  const r = await dataList({ cwd: opts.cwd, policiesDir: opts.policiesDir, status: opts.status });
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  if (opts.json) io.stdout(`${JSON.stringify(r.value, null, 2)}\n`);
  else if (r.value.length === 0) io.stdout(`No ${opts.status ? `${opts.status} ` : ''}quarantines.\n`);
  else
    for (const q of r.value)
      io.stdout(
        `${q.id} ${q.status}: ${rows(q.rows)} of ${q.view}${q.column ? `.${q.column}` : ''} (${q.detector}) [${q.policy}]${q.released ? ` released ${q.released.at}: ${q.released.reason}` : ''}\n`,
      );
  return ExitCode.ok;
}
