import { relative, resolve } from 'node:path';
import { defaultChurnOptions, parseDriftSpec, startForToday } from '../../sample/churn-data.ts';
import { writeSampleData } from '../../sample/write-sample-data.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface SampleDataCommandOptions {
  cwd: string;
  out: string;
  seed: number;
  drift?: string;
  /** First week (YYYY-MM-DD); default: so the data ends this week. */
  start?: string;
  force: boolean;
}

export async function sampleDataCommand(opts: SampleDataCommandOptions, io: CommandIO): Promise<number> {
  if (!Number.isInteger(opts.seed) || opts.seed < 0)
    throw new ExitError(`--seed ${opts.seed}: expected a non-negative integer`);
  const drift = opts.drift == null ? undefined : parseDriftSpec(opts.drift);
  if (typeof drift === 'string') throw new ExitError(drift);
  if (
    opts.start != null &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(opts.start) || Number.isNaN(Date.parse(`${opts.start}T00:00:00Z`)))
  )
    throw new ExitError(`--start ${JSON.stringify(opts.start)}: expected a date such as 2026-01-05`);
  const start = opts.start ?? startForToday(new Date());
  const dir = resolve(opts.cwd, opts.out);
  const r = await writeSampleData(dir, { ...defaultChurnOptions, seed: opts.seed, start, drift }, opts.force);
  if (r.skipped)
    io.stderr(
      `sample data for seed ${opts.seed}, weeks from ${start}${drift ? `, drift ${opts.drift}` : ''} already in ${relative(opts.cwd, dir) || '.'} (--force rewrites it)\n`,
    );
  else {
    io.stderr(
      `seed ${opts.seed}, ${defaultChurnOptions.weeks} weeks from ${start}${drift ? `, ${drift.feature} ×${drift.factor} from ${drift.after}` : ''}\n`,
    );
    for (const f of r.files) io.stderr(`wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)\n`);
  }
  return ExitCode.ok;
}
