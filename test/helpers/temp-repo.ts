// Temporary repositories for tests: real directories, real git (no mocks).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made: string[] = [];

/**
 * Make git ignore the machine's global and system configuration in this test process (and the
 * git processes it starts), so identity fallbacks and defaults are what the test says.
 */
export function isolateGitConfig(): void {
  const dir = mkdtempSync(join(tmpdir(), 'rudder-gitcfg-'));
  made.push(dir);
  const cfg = join(dir, 'gitconfig');
  writeFileSync(cfg, '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  process.env.GIT_CONFIG_GLOBAL = cfg;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
}

export function tempDir(prefix = 'rudder-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Run git synchronously in `cwd`; returns trimmed stdout, throws with stderr on failure. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface TempRepoOptions {
  /** Run `git init` (default true). */
  git?: boolean;
  /** Set user.name / user.email in the repository (default true). */
  identity?: boolean;
  /** Files to create (path → content) and commit as the first commit. */
  files?: Record<string, string>;
}

/** A fresh repository root (optionally a git work tree with an initial commit). */
export function tempRepo(opts: TempRepoOptions = {}): string {
  const root = tempDir('rudder-repo-');
  for (const [p, content] of Object.entries(opts.files ?? {})) writeFile(root, p, content);
  if (opts.git ?? true) {
    git(root, 'init', '-q', '-b', 'main');
    if (opts.identity ?? true) {
      git(root, 'config', 'user.name', 'Test User');
      git(root, 'config', 'user.email', 'test@example.com');
    }
    git(root, 'config', 'commit.gpgsign', 'false');
    if (opts.files && Object.keys(opts.files).length > 0) {
      git(root, 'add', '--', ...Object.keys(opts.files));
      git(
        root,
        '-c',
        'user.name=Test User',
        '-c',
        'user.email=test@example.com',
        'commit',
        '-q',
        '-m',
        'initial',
      );
    }
  }
  return root;
}

/** A bare repository to push to, seeded from `source`'s main branch; `source` gets it as origin. */
export function bareRemote(source: string): string {
  const bare = tempDir('rudder-remote-');
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  git(source, 'remote', 'add', 'origin', bare);
  git(source, 'push', '-q', 'origin', 'main');
  git(source, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  return bare;
}

/** A second clone of `bare` with its own identity (the other engineer, or CI). */
export function cloneOf(bare: string, name = 'Other'): string {
  const dir = tempDir('rudder-clone-');
  git(dir, 'clone', '-q', bare, '.');
  git(dir, 'config', 'user.name', name);
  git(dir, 'config', 'user.email', `${name.toLowerCase()}@example.com`);
  git(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

export function writeFile(root: string, rel: string, content: string): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
}

/** Remove every directory this helper made (call from afterAll). */
export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
