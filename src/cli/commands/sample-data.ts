import { relative, resolve } from 'node:path';
import { defaultChurnOptions, parseDriftSpec, startForToday } from '../../sample/churn-data.ts';
import { defaultFraudOptions, fraudEndForNow } from '../../sample/fraud-data.ts';
import { defaultHouseOptions, houseEndForNow } from '../../sample/house-data.ts';
import { detectScenario, SCENARIOS, type Scenario } from '../../sample/scenario.ts';
import { writeFraudSampleData, writeHouseSampleData } from '../../sample/write-example-data.ts';
import { writeSampleData, type SampleDataResult } from '../../sample/write-sample-data.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface SampleDataCommandOptions {
  cwd: string;
  out: string;
  seed: number;
  /** churn | fraud | house-prices; default: detected from rudder.yaml and the policies. */
  scenario?: string;
  drift?: string;
  /** First week (YYYY-MM-DD); default: so the data ends this week. */
  start?: string;
  force: boolean;
}

export async function sampleDataCommand(opts: SampleDataCommandOptions, io: CommandIO): Promise<number> {
  if (!Number.isInteger(opts.seed) || opts.seed < 0)
    throw new ExitError(`--seed ${opts.seed}: expected a non-negative integer`);
  if (opts.scenario != null && !(SCENARIOS as readonly string[]).includes(opts.scenario))
    throw new ExitError(
      `--scenario ${JSON.stringify(opts.scenario)}: expected one of ${SCENARIOS.join(', ')}`,
    );
  const detected =
    opts.scenario != null
      ? { scenario: opts.scenario as Scenario, by: '--scenario' }
      : await detectScenario(opts.cwd);
  const dir = resolve(opts.cwd, opts.out);
  const where = relative(opts.cwd, dir) || '.';
  if (detected.scenario !== 'churn') {
    for (const [flag, value] of [
      ['--drift', opts.drift],
      ['--start', opts.start],
    ] as const)
      if (value != null)
        throw new ExitError(
          `${flag} applies to the churn scenario only (this is ${detected.scenario}, by ${detected.by})`,
        );
    const now = new Date();
    let r: SampleDataResult;
    let what: string;
    if (detected.scenario === 'fraud') {
      const end = fraudEndForNow(now);
      r = await writeFraudSampleData(dir, { ...defaultFraudOptions, seed: opts.seed, end }, opts.force);
      what = `${defaultFraudOptions.days} days of authorizations up to ${end}`;
    } else {
      const end = houseEndForNow(now);
      r = await writeHouseSampleData(dir, { ...defaultHouseOptions, seed: opts.seed, end }, opts.force);
      what = `${defaultHouseOptions.days} days of listings up to ${end}`;
    }
    renderResult(io, opts.cwd, r, `${detected.scenario} (${detected.by}): seed ${opts.seed}, ${what}`, where);
    return ExitCode.ok;
  }

  const drift = opts.drift == null ? undefined : parseDriftSpec(opts.drift);
  if (typeof drift === 'string') throw new ExitError(drift);
  if (
    opts.start != null &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(opts.start) || Number.isNaN(Date.parse(`${opts.start}T00:00:00Z`)))
  )
    throw new ExitError(`--start ${JSON.stringify(opts.start)}: expected a date such as 2026-01-05`);
  const start = opts.start ?? startForToday(new Date());
  const r = await writeSampleData(dir, { ...defaultChurnOptions, seed: opts.seed, start, drift }, opts.force);
  if (r.skipped)
    io.stderr(
      `sample data for seed ${opts.seed}, weeks from ${start}${drift ? `, drift ${opts.drift}` : ''} already in ${where} (--force rewrites it)\n`,
    );
  else {
    io.stderr(
      `seed ${opts.seed}, ${defaultChurnOptions.weeks} weeks from ${start}${drift ? `, ${drift.feature} ×${drift.factor} from ${drift.after}` : ''}\n`,
    );
    for (const f of r.files) io.stderr(`wrote ${relative(opts.cwd, f.path)} (${f.rows} rows)\n`);
  }
  return ExitCode.ok;
}

function renderResult(io: CommandIO, cwd: string, r: SampleDataResult, what: string, where: string): void {
  if (r.skipped) {
    io.stderr(`sample data for ${what} already in ${where} (--force rewrites it)\n`);
    return;
  }
  io.stderr(`${what}\n`);
  for (const f of r.files) io.stderr(`wrote ${relative(cwd, f.path)} (${f.rows} rows)\n`);
}
