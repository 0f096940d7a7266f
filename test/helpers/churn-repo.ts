// A small copy of the root churn scenario in a temporary git repository, with real sample
// data (fewer customers, so real tfjs training takes a second or two).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultChurnOptions } from '../../src/sample/churn-data.ts';
import { writeSampleData } from '../../src/sample/write-sample-data.ts';
import { git, tempRepo } from './temp-repo.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function churnRepo(
  opts: { customers?: number; start?: string; epochs?: number; project?: string } = {},
): Promise<string> {
  const repo = tempRepo();
  cpSync(join(ROOT, 'policies'), join(repo, 'policies'), { recursive: true });
  cpSync(join(ROOT, 'rudder.yaml'), join(repo, 'rudder.yaml'));
  if (opts.project)
    writeFileSync(
      join(repo, 'rudder.yaml'),
      readFileSync(join(repo, 'rudder.yaml'), 'utf8').replace('name: acme-churn', `name: ${opts.project}`),
    );
  if (opts.epochs != null) {
    const p = join(repo, 'policies', 'models', 'churn.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/epochs: \d+/, `epochs: ${opts.epochs}`));
  }
  writeFileSync(join(repo, '.gitignore'), '/.rudder/\n/data/\n');
  await writeSampleData(join(repo, 'data'), {
    ...defaultChurnOptions,
    customers: opts.customers ?? 400,
    start: opts.start ?? '2026-01-05',
  });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'policies');
  return repo;
}
