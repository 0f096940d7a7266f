// The planner reads lock types and renders lockfile diffs: these state/git modules must stay pure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const pure = [
  'src/state/types.ts',
  'src/state/lock-types.generated.ts',
  'src/state/lockfile.ts',
  'src/state/lock-paths.ts',
  'src/state/lock-schema.ts',
  'src/state/canonical.ts',
  'src/state/migrations.ts',
  'src/state/lock-state.ts',
  'src/state/status.ts',
  'src/state/errors.ts',
  'src/git/message.ts',
];

test.each(pure)('%s imports no I/O', (f) => {
  const text = readFileSync(join(ROOT, f), 'utf8');
  expect(text).not.toMatch(/from ['"](node:|@tensorflow|@duckdb|simple-git)/);
  // Relative imports stay among pure modules (or the pure folders).
  for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
    const target = join(f, '..', m[1]!).replace(/\\/g, '/');
    expect(
      pure.includes(target) ||
        /^src\/(compiler|planner|schema|diagnostics|util|source\/source-doc)/.test(target),
      `${f} imports ${target}`,
    ).toBe(true);
  }
});
