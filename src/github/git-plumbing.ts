// The few git commands the GitHub workflows need beyond src/git: read files at a commit, fetch a
// commit that a shallow CI checkout lacks, and build a commit from a base plus changed files
// without touching the working tree or the index (a temporary index file does the work).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class GitCommandError extends Error {
  override name = 'GitCommandError';
}

export interface GitRun {
  (args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<string>;
}

/** Run git in `cwd`; stdout as text (trailing newline kept), stderr in the error. */
export function gitIn(cwd: string): GitRun {
  return (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        { cwd, env: { ...process.env, ...opts.env }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err)
            reject(
              new GitCommandError(
                `git ${args[0]} failed: ${(stderr || err.message).trim().split('\n').slice(0, 4).join(' ')}`,
              ),
            );
          else resolve(stdout);
        },
      );
      if (opts.input != null) child.stdin?.end(opts.input);
    });
}

/** Top level of the work tree and `root`'s path inside it (`''` or `sub/dir/`). */
export async function locate(root: string): Promise<{ git: GitRun; topLevel: string; prefix: string }> {
  const git = gitIn(root);
  try {
    const topLevel = (await git(['rev-parse', '--show-toplevel'])).trim();
    const prefix = (await git(['rev-parse', '--show-prefix'])).trim();
    return { git, topLevel, prefix };
  } catch {
    throw new GitCommandError(`${root} is not in a git repository`);
  }
}

/** Make sure `sha` is present, fetching it from `remote` when a shallow checkout lacks it. */
export async function ensureCommit(git: GitRun, sha: string, remote = 'origin'): Promise<boolean> {
  const has = async () =>
    git(['cat-file', '-e', `${sha}^{commit}`]).then(
      () => true,
      () => false,
    );
  if (await has()) return true;
  await git(['fetch', '--quiet', '--no-tags', '--depth=1', remote, sha]).catch(() => undefined);
  return has();
}

/** Files under `dir` (a path relative to the top level, '' for all) at `rev`, path → text. */
export async function readTreeFiles(
  git: GitRun,
  rev: string,
  paths: readonly string[],
  accept: (path: string) => boolean,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // --full-tree: paths are from the top level even when git runs in a subfolder.
  const listed = await git(['ls-tree', '-r', '-z', '--full-tree', '--name-only', rev, '--', ...paths]);
  for (const p of listed.split('\0').filter(Boolean)) {
    if (!accept(p)) continue;
    out.set(p, await git(['show', `${rev}:${p}`]));
  }
  return out;
}

export interface CommitFilesOptions {
  git: GitRun;
  /** The commit to build on. */
  base: string;
  /** Top-level-relative path → new content, or null to delete. */
  files: ReadonlyMap<string, string | null>;
  message: string;
  identity: { name: string; email: string };
}

/** A new commit = `base` + `files`, made with a temporary index; HEAD, index and work tree untouched. */
export async function commitFiles(o: CommitFilesOptions): Promise<{ sha: string; changed: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'rudder-index-'));
  const env = {
    GIT_INDEX_FILE: join(dir, 'index'),
    GIT_AUTHOR_NAME: o.identity.name,
    GIT_AUTHOR_EMAIL: o.identity.email,
    GIT_COMMITTER_NAME: o.identity.name,
    GIT_COMMITTER_EMAIL: o.identity.email,
  };
  try {
    await o.git(['read-tree', o.base], { env });
    for (const [path, content] of o.files) {
      if (content == null) await o.git(['update-index', '--force-remove', '--', path], { env });
      else {
        const blob = (await o.git(['hash-object', '-w', '--stdin'], { input: content, env })).trim();
        await o.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
      }
    }
    const tree = (await o.git(['write-tree'], { env })).trim();
    const baseTree = (await o.git(['rev-parse', `${o.base}^{tree}`])).trim();
    if (tree === baseTree) return { sha: o.base, changed: false };
    const sha = (
      await o.git(['commit-tree', tree, '-p', o.base, '-F', '-'], { input: o.message, env })
    ).trim();
    return { sha, changed: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The repository's user.name/email, else `fallback`. */
export async function identityOf(
  git: GitRun,
  fallback: { name: string; email: string },
): Promise<{ name: string; email: string }> {
  const get = (k: string) =>
    git(['config', '--get', k]).then(
      (s) => s.trim(),
      () => '',
    );
  const [name, email] = await Promise.all([get('user.name'), get('user.email')]);
  return name && email ? { name, email } : fallback;
}
