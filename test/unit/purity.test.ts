import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// The pure core (STYLE.md section 1): compile, plan, render, the diagnostics and the lock
// transitions do no I/O — not directly, and not through anything they import.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IO = /from ['"](node:|fs['"]|path['"]|child_process|@tensorflow|@duckdb|simple-git|@octokit)/;

const roots = [
  ...readdirSync(join(SRC, 'compiler'), { recursive: true }).map((f) => `compiler/${String(f)}`),
  ...readdirSync(join(SRC, 'planner')).map((f) => `planner/${f}`),
  ...readdirSync(join(SRC, 'diagnostics')).map((f) => `diagnostics/${f}`),
  'schema/validate-doc.ts',
  'schema/vocabulary.ts',
  'schema/schemas.ts',
  'observe/observations.ts',
  'executor/transitions.ts',
  'source/parse-documents.ts',
  'util/canonical.ts',
].filter((f) => f.endsWith('.ts'));

function closure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [resolve(SRC, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      if (/^import type\s/.test(m[0]) || /^export type\s/.test(m[0])) continue;
      stack.push(resolve(dirname(file), m[1]!));
    }
  }
  return [...seen];
}

test.each(roots)('src/%s imports no I/O, directly or transitively', (entry) => {
  const offenders = closure(entry).filter((f) =>
    IO.test(readFileSync(f, 'utf8').replace(/^import type .*$/gm, '')),
  );
  expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
});
