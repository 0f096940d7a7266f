// Regenerates docs/diagnostics.md and docs/policy-reference.md (checked by test/unit/schema).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDiagnosticsDoc } from '../src/diagnostics/render-doc.ts';
import { renderPolicyReference } from '../src/schema/render-reference.ts';

for (const [file, text] of [
  ['diagnostics.md', renderDiagnosticsDoc()],
  ['policy-reference.md', renderPolicyReference()],
] as const) {
  const target = fileURLToPath(new URL(`../docs/${file}`, import.meta.url));
  writeFileSync(target, text);
  console.error(`wrote ${target}`);
}
