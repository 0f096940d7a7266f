import { bundleAll, bundleSchema, isPolicyKind, policyKinds } from '../../schema/schemas.ts';
import { suggestion } from '../../util/did-you-mean.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

/** `rudder schema [kind]`: self-contained JSON Schemas for editors. */
export function schemaCommand(kind: string | undefined, io: CommandIO): number {
  if (kind == null) {
    io.stdout(`${JSON.stringify(bundleAll(), null, 2)}\n`);
    return ExitCode.ok;
  }
  const match = policyKinds.find((k) => k.toLowerCase() === kind.toLowerCase());
  if (!match || !isPolicyKind(match))
    throw new ExitError(`unknown kind ${JSON.stringify(kind)}. ${suggestion(kind, policyKinds)}`);
  io.stdout(`${JSON.stringify(bundleSchema(match), null, 2)}\n`);
  return ExitCode.ok;
}
