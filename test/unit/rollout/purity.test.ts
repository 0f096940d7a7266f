import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// src/rollout is pure (analysis, the sequential test, decisions): rows, the clock and the policy
// in, results out; no I/O directly or through anything it imports.
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const IO =
  /from ['"](node:|fs['"]|path['"]|child_process|@tensorflow|@duckdb|simple-git|@octokit|onnxruntime|fastify|prom-client)/;

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

test.each(readdirSync(resolve(SRC, 'rollout')).filter((f) => f.endsWith('.ts')))(
  'src/rollout/%s imports no I/O, directly or transitively',
  (f) => {
    for (const file of closure(`rollout/${f}`)) expect(readFileSync(file, 'utf8'), file).not.toMatch(IO);
  },
);
