// Checks lockfile documents (current lockVersion) against their JSON Schema on every read and
// every write. Pure: no I/O. The schema, src/schema/lock.schema.json, is the one definition of
// the lockfile format: the types in lock-types.generated.ts are generated from it
// (`npm run schema:types`). `rudder schema` does not print it: users never write lockfiles.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import lockSchema from '../schema/lock.schema.json' with { type: 'json' };
import { lockKinds } from './lock-paths.ts';
import type { LockKind } from './types.ts';

let validators: Map<LockKind, ValidateFunction> | undefined;

/** Validate a document of a known kind against its schema; every error at once. */
export function checkLockSchema(kind: LockKind, value: unknown): ErrorObject[] {
  validators ??= (() => {
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      verbose: true,
    });
    ajv.addSchema(lockSchema);
    return new Map(lockKinds.map((k) => [k, ajv.getSchema(`${lockSchema.$id}#/$defs/${k}`)!] as const));
  })();
  const validate = validators.get(kind)!;
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
