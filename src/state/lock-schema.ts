// Checks lockfile documents (current lockVersion) against their JSON Schema on every read and
// every write. Pure: no I/O. The schema, src/schema/lock.schema.json, is the one definition of
// the lockfile format: the types in lock-types.generated.ts are generated from it
// (`npm run schema:types`). `rudder schema` does not print it: users never write lockfiles.
import type { ErrorObject } from 'ajv/dist/2020.js';
import { schemaValidators } from '../schema/check.ts';
import lockSchema from '../schema/lock.schema.json' with { type: 'json' };
import type { LockKind } from './types.ts';

const lockValidator = schemaValidators({ schemas: [lockSchema] });

/** Validate a document of a known kind against its schema; every error at once. */
export function checkLockSchema(kind: LockKind, value: unknown): ErrorObject[] {
  const validate = lockValidator(`${lockSchema.$id}#/$defs/${kind}`);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
