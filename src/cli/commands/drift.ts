import { writeFile, rename } from 'node:fs/promises';
import { dirname, relative, resolve, basename, join } from 'node:path';
import { describeDataset, drift, renderDriftHtml, type DriftReport } from '../../api/monitoring.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { parseDuration } from '../../schema/vocabulary.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface DriftCommandOptions {
  cwd: string;
  model: string;
  window?: string;
  json: boolean;
  html?: string;
  /** The clock, ISO (tests and reproducible reports). */
  now?: string;
}

/** `rudder drift <model> [--window 7d] [--json] [--html report.html]`. */
export async function driftCommand(opts: DriftCommandOptions, io: CommandIO): Promise<number> {
  let windowMs: number | undefined;
  if (opts.window != null) {
    windowMs = parseDuration(opts.window);
    if (windowMs == null || windowMs <= 0)
      throw new ExitError(
        `--window ${JSON.stringify(opts.window)}: expected a duration such as 7d, 36h or 2w`,
      );
  }
  let now: Date | undefined;
  if (opts.now != null) {
    now = new Date(opts.now);
    if (Number.isNaN(now.getTime()))
      throw new ExitError(`--now ${JSON.stringify(opts.now)}: expected an ISO time`);
  }
  const r = await drift({ cwd: opts.cwd, model: opts.model, windowMs, now });
  if (r.diagnostics.some((d) => d.severity === 'error'))
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
  if (!r.ok) {
    if (r.error) io.stderr(`rudder: ${r.error}\n`);
    return ExitCode.error;
  }
  if (opts.html != null) {
    const path = resolve(opts.cwd, opts.html);
    // Written whole to a temporary name, then renamed: never a half-written report.
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    try {
      await writeFile(tmp, await renderDriftHtml(r.report));
      await rename(tmp, path);
    } catch (e) {
      throw new ExitError(`--html ${opts.html}: cannot write the report: ${(e as Error).message}`);
    }
    io.stderr(`drift report written to ${relative(opts.cwd, path) || path}\n`);
  }
  io.stdout(opts.json ? `${JSON.stringify(r.report, null, 2)}\n` : renderDriftText(r.report));
  return ExitCode.ok;
}

const num = (x: number | undefined): string =>
  x == null
    ? ''
    : !Number.isFinite(x)
      ? String(x)
      : x !== 0 && Math.abs(x) < 1e-4
        ? x.toExponential(2)
        : String(Number(x.toFixed(4)));

export function renderDriftText(r: DriftReport): string {
  const lines: string[] = [];
  lines.push(
    `Drift of ${r.model} v${r.version}: ${r.window.from} → ${r.window.to} (${r.window.rows} rows from ${r.window.source}) vs the training split (${r.reference.rows} rows, ${r.reference.source} profile)`,
  );
  if (r.window.note) lines.push(`Window: ${r.window.note}.`);
  lines.push(describeDataset(r.dataset));
  lines.push('');
  const head = ['feature', 'method', 'statistic', 'p-value', 'threshold', 'drifted', 'ref n', 'cur n'];
  const rows = [...r.dataset.columns, ...(r.prediction ? [r.prediction] : [])].map((c) => [
    c.feature,
    c.method ?? c.status,
    num(c.statistic),
    num(c.pvalue),
    c.threshold == null ? '' : String(c.threshold),
    c.status === 'ok' ? (c.drifted ? 'yes' : 'no') : c.status,
    String(c.referenceCount),
    String(c.currentCount),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(line(head));
  for (const row of rows) lines.push(line(row));
  const notes = r.dataset.columns.filter((c) => c.note).map((c) => `  ${c.feature}: ${c.note}`);
  if (notes.length) lines.push('', 'Notes:', ...notes);
  return `${lines.join('\n')}\n`;
}
