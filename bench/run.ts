// `npm run bench [name…]`: runs each benchmark in its own process (so peak memory is its own)
// and lets it print its figures. Benchmarks are bench/*.ts files other than this one.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
// Flags (`--install-references`) go to every benchmark; other arguments name benchmarks.
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const chosen = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
if (wanted.length && chosen.length !== wanted.length) {
  console.error(
    `unknown benchmark(s): ${wanted.filter((w) => !all.includes(w)).join(', ')}; known: ${all.join(', ')}`,
  );
  process.exit(1);
}
let failed = 0;
for (const name of chosen) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`, ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${name} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
