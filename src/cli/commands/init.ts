import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { pathExists } from '../../util/fs.ts';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Scaffold rudder.yaml and policies/ (the churn example) in `dir`; never overwrites. */
export async function initCommand(opts: { dir: string }, io: CommandIO): Promise<number> {
  await mkdir(opts.dir, { recursive: true });
  const targets = ['rudder.yaml', 'policies'];
  for (const t of targets) {
    if (await pathExists(join(opts.dir, t)))
      throw new ExitError(
        `${join(relative(process.cwd(), opts.dir) || '.', t)} already exists; init never overwrites`,
      );
  }
  await cp(join(PACKAGE_ROOT, 'rudder.yaml'), join(opts.dir, 'rudder.yaml'));
  await cp(join(PACKAGE_ROOT, 'policies'), join(opts.dir, 'policies'), { recursive: true });
  if (!(await pathExists(join(opts.dir, '.gitignore'))))
    await writeFile(join(opts.dir, '.gitignore'), '/.rudder/\n/data/\n');
  const files = await readdir(join(opts.dir, 'policies'), { recursive: true });
  // A policy repository is a git repository: state commits need one.
  let gitNote = '';
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: opts.dir, stdio: 'ignore' });
  } catch {
    try {
      execFileSync('git', ['init', '-q'], { cwd: opts.dir, stdio: 'ignore' });
      gitNote = ' and an empty git repository';
    } catch {
      gitNote = ' (git is not available: state changes will not be committed)';
    }
  }
  io.stderr(
    `Scaffolded ${opts.dir}: rudder.yaml and ${files.filter((f) => String(f).endsWith('.yaml')).length} policy files${gitNote}.\nNext: rudder -C ${relative(process.cwd(), opts.dir) || '.'} sample-data && rudder -C ${relative(process.cwd(), opts.dir) || '.'} plan\n`,
  );
  return ExitCode.ok;
}
