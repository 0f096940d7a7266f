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
 * `rudder data release <id>`: let a quarantine's rows back into training and the online table.
 * TODO(integration): also record the release in the DataLock (state/data/<policy>.lock.yaml)
 * and commit it; until then the release lives in the local store only, and a fresh checkout
 * learns of it through `openFeatureStore(..., { releasedQuarantines })` from the lock.
 */
export async function dataReleaseCommand(
  opts: DataCommandOptions & { id: string },
  io: CommandIO,
): Promise<number> {
  if (!/^q-[0-9a-f]{12}$/.test(opts.id))
    throw new ExitError(
      `${JSON.stringify(opts.id)} is not a quarantine id (q- and 12 hex digits; \`rudder data scan\` lists them)`,
    );
  const out = await withStore(opts, io, (store) => store.releaseQuarantine(opts.id));
  if (!out) return ExitCode.error;
  const q = out.record;
  if (opts.json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  else
    io.stdout(
      `${out.changed ? 'released' : 'already released'} ${q.id}: ${rows(q.rows)} of ${q.view} (${q.file}, column ${q.column}, ${q.detector}) [${q.policy}]\n`,
    );
  return ExitCode.ok;
}
