// Regenerates the TypeScript types of every wire format from its JSON Schema (policies, lockfiles,
// the plan file), so the types can never drift from what ajv enforces. The sync test in
// test/unit/schema/schema.test.ts fails when a generated file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedTypeFiles } from '../src/schema/render-types.ts';

for (const { path, render } of generatedTypeFiles) {
  const target = fileURLToPath(new URL(`../${path}`, import.meta.url));
  writeFileSync(target, await render());
  console.error(`wrote ${path}`);
}
