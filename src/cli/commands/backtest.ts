import { basename, dirname, join, relative, resolve } from 'node:path';
import { rename, writeFile } from 'node:fs/promises';
import { backtest, renderBacktestHtml, renderBacktestText, type BacktestReport } from '../../api/backtest.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { parseDuration } from '../../schema/vocabulary.ts';
import { asOf } from '../context.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface BacktestCommandOptions {
  cwd: string;
  model: string;
  from?: string;
  to?: string;
  every?: string;
  train?: boolean;
  json: boolean;
  /** Write the JSON report there. */
  out?: string;
  html?: string;
}

/** `--from`/`--to`: an ISO time, or a usage error naming the option. */
function timeOption(name: string, value: string | undefined): Date {
  if (value == null) throw new ExitError(`${name} is required: an ISO 8601 time such as 2026-01-05`);
  try {
    return asOf(value, undefined)!;
  } catch {
    throw new ExitError(
      `${name} ${JSON.stringify(value)}: expected an ISO 8601 time such as 2026-01-05 or 2026-01-05T12:00:00Z`,
    );
  }
}

/** Written whole to a temporary name, then renamed: never a half-written report. */
async function writeAtomically(cwd: string, option: string, file: string, text: string): Promise<string> {
  const path = resolve(cwd, file);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    throw new ExitError(`${option} ${file}: cannot write the report: ${(e as Error).message}`);
  }
  return relative(cwd, path) || path;
}

/** `rudder backtest <model> --from <time> --to <time> [--every 1d] [--train] [--json] [--out f] [--html f]`. */
export async function backtestCommand(opts: BacktestCommandOptions, io: CommandIO): Promise<number> {
  const from = timeOption('--from', opts.from);
  const to = timeOption('--to', opts.to);
  if (from.getTime() >= to.getTime())
    throw new ExitError(`--from ${opts.from} is not before --to ${opts.to}`);
  const everyMs = parseDuration(opts.every ?? '1d');
  if (everyMs == null || everyMs <= 0)
    throw new ExitError(`--every ${JSON.stringify(opts.every)}: expected a duration such as 1d, 12h or 1w`);
  if ((to.getTime() - from.getTime()) / everyMs > 5000)
    throw new ExitError(
      `--every ${opts.every}: more than 5000 steps from --from to --to; take a longer step`,
    );
  const tty = io.isTTY;
  const r = await backtest({
    cwd: opts.cwd,
    model: opts.model,
    from,
    to,
    everyMs,
    train: opts.train === true,
    onProgress: (i, n, at, phase) =>
      io.stderr(
        `${tty ? '\r' : ''}${phase === 'train' ? 'training' : 'step'} ${i}/${n} ${at.toISOString()}${tty ? ' ' : '\n'}`,
      ),
  });
  if (tty) io.stderr('\n');
  if (r.diagnostics.some((d) => d.severity === 'error'))
    io.stderr(formatPretty(r.diagnostics, r.sources, { color: io.color }));
  if (!r.ok) return ExitCode.error;
  await writeReports(opts, io, r.report);
  io.stdout(opts.json ? `${JSON.stringify(r.report, null, 2)}\n` : renderBacktestText(r.report));
  return ExitCode.ok;
}

async function writeReports(
  opts: BacktestCommandOptions,
  io: CommandIO,
  report: BacktestReport,
): Promise<void> {
  if (opts.out != null) {
    const where = await writeAtomically(opts.cwd, '--out', opts.out, `${JSON.stringify(report, null, 2)}\n`);
    io.stderr(`backtest JSON written to ${where}\n`);
  }
  if (opts.html != null) {
    const where = await writeAtomically(opts.cwd, '--html', opts.html, await renderBacktestHtml(report));
    io.stderr(`backtest report written to ${where}\n`);
  }
}
