// A reviewed plan file from the command line (`rudder apply plan.json`, `rudder explain --plan`):
// read, parsed and self-checked, or the diagnostics printed and the exit code to return.
import { readFile } from 'node:fs/promises';
import { parsePlanFile } from '../planner/plan-file.ts';
import { type Plan } from '../planner/plan-types.ts';
import { formatPretty } from '../diagnostics/format-pretty.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { ExitCode, ExitError, type CommandIO } from './io.ts';

/** The plan, or the exit code after its diagnostics are printed. */
export async function readPlanArgument(file: string, io: CommandIO): Promise<Plan | number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ExitError(
      `cannot read plan file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const parsed = parsePlanFile(text, file, nodeSha256);
  if (!parsed.ok) {
    io.stderr(formatPretty(parsed.diagnostics, new Map(), { color: io.color }));
    return ExitCode.error;
  }
  return parsed.value;
}
