import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { validate } from '../../src/api/index.ts';
import { formatPretty } from '../../src/diagnostics/format-pretty.ts';

// One folder per case: policies (and maybe rudder.yaml) in, expected/diagnostics.txt out.
// Review changes with `npm run golden:update` and read the diff.
const GOLDEN = fileURLToPath(new URL('.', import.meta.url));
const cases = readdirSync(GOLDEN).filter((n) => statSync(join(GOLDEN, n)).isDirectory());

test('there are at least 25 golden cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(25);
});

for (const name of cases) {
  test(name, async () => {
    const dir = join(GOLDEN, name);
    const r = await validate({ cwd: dir, checkPaths: existsSync(join(dir, 'data')) });
    const text = `${formatPretty(r.diagnostics, r.sources, { color: false })}exit code: ${r.ok ? 0 : 1}\n`;
    await expect(text).toMatchFileSnapshot(join(dir, 'expected', 'diagnostics.txt'));
  });
}
