import { validate } from '../../api.ts';
import type { DesiredState } from '../../compiler/desired-state.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import type { DuckDBFeatureStore } from '../../store/duckdb/duckdb-store.ts';
import { suggestion } from '../../util/did-you-mean.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { rethrowStoreError, rows } from './dataset.ts';

export interface DataCommandOptions {
  cwd: string;
  policiesDir?: string;
  json: boolean;
}

async function withStore<T>(
  opts: DataCommandOptions,
  io: CommandIO,
  fn: (store: DuckDBFeatureStore, state: DesiredState) => Promise<T>,
): Promise<T | undefined> {
  const r = await validate({ cwd: opts.cwd, policiesDir: opts.policiesDir });
  if (!r.ok || !r.state) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return undefined;
  }
  const { openFeatureStore } = await import('../../store/open-store.ts');
  const store = await openFeatureStore(opts.cwd, r.state).catch(rethrowStoreError);
  try {
    return await fn(store, r.state).catch(rethrowStoreError);
  } finally {
    await store.close();
  }
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
  const out = await withStore(opts, io, async (store, state) => {
    const policies =
      opts.policy == null ? state.dataPolicies : state.dataPolicies.filter((p) => p.name === opts.policy);
    if (opts.policy != null && policies.length === 0)
      throw new ExitError(
        `no DataPolicy ${JSON.stringify(opts.policy)}. ${suggestion(
          opts.policy,
          state.dataPolicies.map((p) => p.name),
        )}`.trim(),
      );
    const results = [];
    for (const p of policies) results.push(await store.applyDataPolicy(p, state.featureViews));
    return results;
  });
  if (!out) return ExitCode.error;
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
  const { releaseQuarantine } = await import('../../executor/release.ts');
  const r = await releaseQuarantine({
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
