import { relative, resolve } from 'node:path';
import { defaultChurnOptions, parseDriftSpec } from '../../sample/churn-data.ts';
import { writeSampleData } from '../../sample/write-sample-data.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface SampleDataCommandOptions {
  cwd: string;
  out: string;
  seed: number;
  drift?: string;
  force: boolean;
}

export async function sampleDataCommand(opts: SampleDataCommandOptions, io: CommandIO): Promise<number> {
  if (!Number.isInteger(opts.seed) || opts.seed < 0)
    throw new ExitError(`--seed ${opts.seed}: expected a non-negative integer`);
  const drift = opts.drift == null ? undefined : parseDriftSpec(opts.drift);
  if (typeof drift === 'string') throw new ExitError(drift);
  const dir = resolve(opts.cwd, opts.out);
  const r = await writeSampleData(
    dir,
    { ...defaultChurnOptions, seed: opts.seed, drift },
    opts.force || drift != null,
  );
  if (r.skipped)
    io.stderr(
      `sample data already present in ${relative(opts.cwd, dir) || '.'} (use --force to regenerate)\n`,
    );
  else for (const f of r.files) io.stderr(`wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)\n`);
  return ExitCode.ok;
}
