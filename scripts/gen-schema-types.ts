// Regenerates src/schema/types.generated.ts from the JSON Schemas, so the TypeScript types
// can never drift from what ajv enforces. test/unit/schema/types-in-sync.test.ts checks it.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaTypes } from '../src/schema/render-types.ts';

const target = fileURLToPath(new URL('../src/schema/types.generated.ts', import.meta.url));
writeFileSync(target, await renderSchemaTypes());
console.error(`wrote ${target}`);
