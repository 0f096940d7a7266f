// The drift statistics and reference profiles are pure: no node:*, DuckDB, tfjs, git — not
// directly, and not through anything they import (the clock and seeds are parameters).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../../../../src/', import.meta.url));
const IO = /from ['"](node:|fs['"]|path['"]|child_process|@tensorflow|@duckdb|simple-git|@octokit)/;
const roots = [
  ...readdirSync(resolve(SRC, 'observe/stats')).map((f) => `observe/stats/${f}`),
  'observe/profile.ts',
].filter((f) => f.endsWith('.ts'));

function closure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [resolve(SRC, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(
      /^(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm,
    )) {
      if (/^(import|export) type\s/.test(m[0])) continue;
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
