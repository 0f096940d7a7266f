import { extname, relative } from 'node:path';
import { dataset, StoreError, UsageError } from '../../api/data.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export const rows = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;

export interface DatasetCommandOptions {
  cwd: string;
  model: string;
  out: string;
  /** ISO date or timestamp: only labels at or before it. */
  until?: string;
  policiesDir?: string;
  json: boolean;
}

/** `rudder dataset <model> --out f`: build the model's point-in-time training set. */
export async function datasetCommand(opts: DatasetCommandOptions, io: CommandIO): Promise<number> {
  const ext = extname(opts.out).toLowerCase();
  if (ext !== '.parquet' && ext !== '.csv')
    throw new ExitError(`--out ${opts.out}: the file name must end in .parquet or .csv`);
  let until: Date | undefined;
  if (opts.until != null) {
    until = new Date(/^\d{4}-\d{2}-\d{2}$/.test(opts.until) ? `${opts.until}T23:59:59.999Z` : opts.until);
    if (Number.isNaN(until.getTime()))
      throw new ExitError(
        `--until ${opts.until}: expected an ISO date (2026-05-01) or timestamp (2026-05-01T12:00:00Z)`,
      );
  }

  const r = await dataset({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    model: opts.model,
    out: opts.out,
    until,
  }).catch(rethrowUserError);
  if (!r.ok) {
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
    return ExitCode.error;
  }
  const ts = r.value;
  const rel = relative(opts.cwd, ts.path) || ts.path;
  io.stderr(`wrote ${rel}: ${rows(ts.rows)}, ${ts.features.length} features, cut-off ${ts.cutoff}\n`);
  io.stderr(`  digest ${ts.digest}\n`);
  const nulls = Object.entries(ts.nullCounts).filter(([, n]) => n > 0);
  io.stderr(nulls.length ? `  nulls: ${nulls.map(([f, n]) => `${f} ${n}`).join(', ')}\n` : '  nulls: none\n');
  for (const v of ts.views ?? [])
    io.stderr(
      `  ${v.view}: ${v.matched} matched, ${v.missing} without a value, ${v.expired} older than the TTL${v.quarantinedRows ? `; ${rows(v.quarantinedRows)} of the source quarantined` : ''}\n`,
    );
  const p = ts.policies;
  if (p) {
    for (const q of p.quarantines)
      io.stderr(
        `  quarantine ${q.id} (${q.status}): ${rows(q.rows)} of ${q.view}.${q.column} match ${q.detector} [${q.policy}]\n`,
      );
    if (p.hashedColumns.length) io.stderr(`  hashed: ${p.hashedColumns.join(', ')}\n`);
    if (p.droppedColumns.length) io.stderr(`  dropped: ${p.droppedColumns.join(', ')}\n`);
  }
  if (opts.json) io.stdout(`${JSON.stringify({ ...ts, path: rel }, null, 2)}\n`);
  return ExitCode.ok;
}

/**
 * Bad data and unknown names are the user's to fix: the message names the file, column and row,
 * or what exists; no stack trace.
 */
export function rethrowUserError(e: unknown): never {
  if (e instanceof StoreError || e instanceof UsageError) throw new ExitError(e.message);
  throw e;
}
