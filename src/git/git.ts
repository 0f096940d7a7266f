// Git through simple-git: commit exactly the state files an apply touched, push with a bounded
// fetch–rebase–recheck loop, read a resource's history. Never touches the user's other changes.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { Project } from '../compiler/desired-state.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { EnvironmentError } from '../diagnostics/environment-error.ts';
import { parseCommitMessage, renderCommitMessage, type StateTrailers } from './message.ts';
import { messageOf } from '../util/messages.ts';

export type GitErrorKind =
  | 'failed'
  | 'rejected'
  | 'conflict'
  | 'recheck-failed'
  | 'dirty'
  | 'detached'
  | 'commit-rejected'
  | 'index-locked'
  | 'state-ignored'
  | 'push-failed';

const CODE_OF: Record<GitErrorKind, DiagnosticCode> = {
  failed: 'git/failed',
  rejected: 'git/push-failed',
  conflict: 'git/push-conflict',
  'recheck-failed': 'git/push-conflict',
  dirty: 'git/push-failed',
  detached: 'git/failed',
  'commit-rejected': 'git/commit-rejected',
  'index-locked': 'git/index-locked',
  'state-ignored': 'git/state-ignored',
  'push-failed': 'git/push-failed',
};

/** A git failure: a diagnostic with the next step (exit 1), never an internal error. */
export class GitError extends EnvironmentError {
  override name = 'GitError';
  constructor(
    message: string,
    readonly kind: GitErrorKind = 'failed',
    options?: { cause?: unknown; hint?: string; kept?: string },
  ) {
    super(CODE_OF[kind], message, options?.hint, options);
  }
}

export const FALLBACK_AUTHOR = { name: 'Rudder', email: 'rudder@localhost' } as const;

export type GitAvailability =
  | { ok: true; git: SimpleGit; topLevel: string; prefix: string }
  | { ok: false; reason: 'git-missing' | 'not-a-repo'; message: string };

/** Whether `root` is inside a git work tree and git can be run. Never throws. */
export async function detectGit(root: string): Promise<GitAvailability> {
  let git: SimpleGit;
  try {
    git = simpleGit({ baseDir: root, timeout: { block: 120_000 } });
    const v = await git.version();
    if (!v.installed)
      return {
        ok: false,
        reason: 'git-missing',
        message: 'git is not installed: Rudder works on the files but nothing is committed',
      };
  } catch (e) {
    return {
      ok: false,
      reason: 'git-missing',
      message: `git cannot be run (${messageOf(e)}): Rudder works on the files but nothing is committed`,
    };
  }
  try {
    const inside = (await git.raw(['rev-parse', '--is-inside-work-tree'])).trim();
    if (inside !== 'true') throw new Error(inside);
    const topLevel = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
    const prefix = (await git.raw(['rev-parse', '--show-prefix'])).trim();
    return { ok: true, git, topLevel, prefix };
  } catch {
    return {
      ok: false,
      reason: 'not-a-repo',
      message: `${root} is not in a git repository: Rudder works on the files but nothing is committed`,
    };
  }
}

const noticed = new Set<string>();

/** Call `say` with the "nothing is committed" notice at most once per repository per process. */
export function noticeOnce(root: string, message: string, say: (m: string) => void): void {
  if (noticed.has(root)) return;
  noticed.add(root);
  say(message);
}

export interface CommitStateOptions {
  /** Repository root (where rudder.yaml is); may be a subfolder of the git work tree. */
  root: string;
  /** The state files the apply touched, relative to `root` (POSIX). Only these are committed. */
  files: readonly string[];
  /** What happened and why: `train churn v4 (drift: 3/8 features)`; `rudder: ` is prefixed. */
  subject: string;
  body?: string;
  trailers: StateTrailers;
  /** rudder.yaml's git.author; else the repository's user.name/email; else Rudder <rudder@localhost>. */
  author?: { name: string; email: string };
  /** Told once per repository when git is missing or this is not a repository. */
  onNotice?: (message: string) => void;
}

export type CommitStateResult =
  | { committed: true; sha: string; files: string[]; message: string }
  | { committed: false; reason: 'git-missing' | 'not-a-repo' | 'no-changes' | 'disabled'; message: string };

/**
 * Commit exactly `files` (their working-tree content, additions and deletions) with a
 * structured message. Whatever else the user has staged or modified stays as it was.
 */
export async function commitState(opts: CommitStateOptions): Promise<CommitStateResult> {
  const avail = await detectGit(opts.root);
  if (!avail.ok) {
    if (opts.onNotice) noticeOnce(opts.root, avail.message, opts.onNotice);
    return { committed: false, reason: avail.reason, message: avail.message };
  }
  const message = renderCommitMessage({ subject: opts.subject, body: opts.body, trailers: opts.trailers });
  const files = [...new Set(opts.files)].sort();
  for (const f of files)
    if (f.startsWith('/') || f.split('/').includes('..') || f.startsWith('-'))
      throw new GitError(`refusing to commit ${JSON.stringify(f)}: not a path inside the repository`);
  if (files.length === 0) return { committed: false, reason: 'no-changes', message: 'no state file changed' };
  const { git } = avail;
  await checkGitReady(opts.root, files, avail);
  const changed = (await run('git status', () => statusOf(git, avail.prefix, files))).filter((e) =>
    files.includes(e.path),
  );
  if (changed.length === 0)
    return {
      committed: false,
      reason: 'no-changes',
      message: 'the state files are unchanged since the last commit',
    };

  const identity = await identityFor(git, opts.author);
  const g =
    identity.config.length > 0
      ? simpleGit({ baseDir: opts.root, config: identity.config, timeout: { block: 120_000 } })
      : git;
  const untracked = changed.filter((c) => c.untracked).map((c) => c.path);
  // New files must be known to git for `commit --only`; adding them touches only their own index entries.
  if (untracked.length > 0) await run('git add', () => g.raw(['add', '--', ...untracked]));
  const paths = changed.map((c) => c.path);
  try {
    await g.raw([
      'commit',
      '--only',
      '--cleanup=verbatim',
      '--no-edit',
      ...identity.args,
      '-m',
      message,
      '--',
      ...paths,
    ]);
  } catch (e) {
    // Leave the index as it was: the files we added for `--only` go back to untracked.
    if (untracked.length > 0)
      await g
        .raw(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...untracked])
        .catch(() => undefined);
    throw new GitError(
      `git refused the state commit: ${firstLines((e as Error).message)}`,
      'commit-rejected',
      {
        cause: e,
        kept: `The lockfiles are written but not committed: ${paths.join(', ')}.`,
        hint: 'Fix what git or the hook reports (user hooks and commit signing apply to state commits), then run rudder apply again: it commits uncommitted state before planning. Or commit the files yourself.',
      },
    );
  }
  const sha = (await run('git rev-parse', () => g.raw(['rev-parse', 'HEAD']))).trim();
  return { committed: true, sha, files: paths, message };
}

/**
 * What `git status` says of the files under `paths`: each one that differs from HEAD or is
 * untracked, relative to root (a rename by its new path), sorted.
 */
async function statusOf(
  git: SimpleGit,
  prefix: string,
  paths: readonly string[],
): Promise<{ path: string; untracked: boolean }[]> {
  const out = await git.raw([
    '-c',
    'core.quotePath=false',
    'status',
    '--porcelain=v1',
    '-z',
    '--untracked-files=all',
    '--ignored=no',
    '--',
    ...paths,
  ]);
  const entries: { path: string; untracked: boolean }[] = [];
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const rec = parts[i]!;
    if (rec.length < 4) continue;
    const xy = rec.slice(0, 2);
    let path = rec.slice(3);
    if (xy[0] === 'R' || xy[0] === 'C') i++; // the source path follows
    if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length);
    entries.push({ path, untracked: xy === '??' });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Refuse early what would make the state commit fail or silently miss files: git's index lock
 * held or left behind, and .gitignore patterns that match files under the state folder.
 * `files` are paths relative to root (existing or not); probing `state/<kind>/x.lock.yaml`
 * before an apply catches an ignore rule before any work is done.
 */
export async function checkGitReady(
  root: string,
  files: readonly string[],
  avail?: Extract<GitAvailability, { ok: true }>,
): Promise<void> {
  const a = avail ?? (await detectGit(root));
  if (!a.ok) return;
  const { git, topLevel } = a;
  const lockPath = resolvePath(topLevel, (await git.raw(['rev-parse', '--git-path', 'index.lock'])).trim());
  if (existsSync(lockPath)) {
    const owners = gitProcessesIn(topLevel);
    const since = (() => {
      try {
        return statSync(lockPath).mtime.toISOString();
      } catch {
        return 'an unknown time';
      }
    })();
    if (owners === undefined || owners.length > 0)
      throw new GitError(
        `git's index lock ${lockPath} exists (since ${since})${owners?.length ? `: git process ${owners.join(', ')} is working in this repository` : ''}`,
        'index-locked',
        { hint: 'Wait for the other git command to finish, then run this command again.' },
      );
    throw new GitError(
      `git's index lock ${lockPath} was left behind by a git process that is no longer running (it dates from ${since}; no git process works in this repository)`,
      'index-locked',
      { hint: `Remove it (rm ${lockPath}), then run this command again.` },
    );
  }
  if (files.length === 0) return;
  let out = '';
  try {
    out = await git.raw(['check-ignore', '--verbose', '--non-matching', '--', ...files]);
  } catch (e) {
    // Exit status 1 means "nothing ignored" for check-ignore; only real failures carry stderr.
    if (!/fatal|error/i.test((e as Error).message)) return;
    throw new GitError(`git check-ignore failed: ${firstLines((e as Error).message)}`, 'failed', {
      cause: e,
    });
  }
  const ignored = out
    .split('\n')
    .map((l) => /^([^:\t]+):(\d+):([^\t]*)\t(.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m != null && m[3] !== '' && !m[3]!.startsWith('!'));
  if (ignored.length === 0) return;
  const m = ignored[0]!;
  throw new GitError(
    `${m[4]} is ignored by git (${m[1]}:${m[2]}: ${JSON.stringify(m[3])}): state files under it would never be committed`,
    'state-ignored',
    {
      hint: `Nothing under the state folder may be ignored: change that pattern (e.g. anchor it as /${m[3]!.replace(/^\//, '')}), or add an exception such as !${m[4]}.`,
    },
  );
}

/** Pids of running `git` processes whose working directory is inside `top`; undefined without /proc. */
function gitProcessesIn(top: string): number[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'git') continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === top || cwd.startsWith(`${top}/`)) out.push(Number(pid));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return out;
}

async function identityFor(
  git: SimpleGit,
  author?: { name: string; email: string },
): Promise<{ config: string[]; args: string[] }> {
  const get = async (key: string) => (await git.raw(['config', '--get', key]).catch(() => '')).trim();
  const [name, email] = await Promise.all([get('user.name'), get('user.email')]);
  const config: string[] = [];
  // The committer comes from the repository's config; without one, the author (or Rudder) commits.
  if (!name || !email) {
    const who = author ?? FALLBACK_AUTHOR;
    config.push(`user.name=${who.name}`, `user.email=${who.email}`);
  }
  const args = author ? [`--author=${author.name} <${author.email}>`] : [];
  return { config, args };
}

export interface PublishStateOptions extends Omit<CommitStateOptions, 'author'> {
  /** rudder.yaml's git settings (DesiredState.project.git): commit, push, remote, branch, author. */
  git: Project['git'];
  recheck?: PushOptions['recheck'];
  onEvent?: PushOptions['onEvent'];
  maxPushAttempts?: number;
}

/**
 * What the executor calls after writing the state: commit the touched files as rudder.yaml says
 * (git.commit, git.author), then push when git.push is set. A push failure throws GitError
 * with the commit kept locally.
 */
export async function publishState(
  opts: PublishStateOptions,
): Promise<{ commit: CommitStateResult; push?: PushResult }> {
  if (!opts.git.commit)
    return {
      commit: {
        committed: false,
        reason: 'disabled',
        message: 'git.commit is false in rudder.yaml: state changes are not committed',
      },
    };
  const commit = await commitState({ ...opts, author: opts.git.author });
  if (!commit.committed || !opts.git.push) return { commit };
  const push = await pushWithRetry({
    root: opts.root,
    remote: opts.git.remote,
    branch: opts.git.branch,
    maxAttempts: opts.maxPushAttempts,
    recheck: opts.recheck,
    onEvent: opts.onEvent,
  });
  return { commit, push };
}

export interface PushOptions {
  root: string;
  remote?: string;
  /** Remote branch; default: the current branch. */
  branch?: string;
  /** Attempts in all (first push + retries). Default 3. */
  maxAttempts?: number;
  /**
   * After a rebase onto the remote, check that the rebased state is still consistent (e.g. read
   * the lockfiles again and compare with what the plan expected). Diagnostics mean "do not push".
   */
  recheck?: () => Promise<{ ok: boolean; diagnostics?: Diagnostic[]; message?: string }>;
  onEvent?: (e: PushEvent) => void;
}

export type PushEvent =
  | { type: 'rejected'; attempt: number }
  | { type: 'rebased'; attempt: number; onto: string }
  | { type: 'pushed'; attempt: number; sha: string };

export interface PushResult {
  sha: string;
  attempts: number;
  rebased: boolean;
  branch: string;
}

/**
 * Push HEAD to `remote/branch`. On a non-fast-forward rejection: fetch, rebase the local
 * commits onto the remote branch, recheck, retry — at most `maxAttempts` pushes. Stops with a
 * GitError when the rebase conflicts, the recheck fails, the tree has other changes, or the
 * attempts run out; the local commit is then exactly as before the push (nothing is lost).
 */
export async function pushWithRetry(opts: PushOptions): Promise<PushResult> {
  const avail = await detectGit(opts.root);
  if (!avail.ok) throw new GitError(avail.message);
  const git = avail.git;
  const remote = opts.remote ?? 'origin';
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  let branch = opts.branch;
  if (!branch) {
    branch = (await run('git rev-parse', () => git.raw(['rev-parse', '--abbrev-ref', 'HEAD']))).trim();
    if (branch === 'HEAD')
      throw new GitError(
        'HEAD is detached: set git.branch in rudder.yaml to say which branch state commits go to',
        'detached',
      );
  }
  let rebased = false;
  for (let attempt = 1; ; attempt++) {
    const pushed = await tryPush(git, remote, branch);
    if (pushed.ok) {
      const sha = (await git.raw(['rev-parse', 'HEAD'])).trim();
      opts.onEvent?.({ type: 'pushed', attempt, sha });
      return { sha, attempts: attempt, rebased, branch };
    }
    if (!pushed.nonFastForward) {
      const head = (await git.raw(['rev-parse', 'HEAD'])).trim();
      throw new GitError(
        `git push to ${remote} ${branch} failed: ${firstLines(pushed.output)}`,
        'push-failed',
        {
          kept: `The state commit ${head.slice(0, 12)} is kept locally.`,
          hint: `Fix access to ${remote} (URL, credentials, permissions), then push it: git push ${remote} HEAD:${branch}`,
        },
      );
    }
    opts.onEvent?.({ type: 'rejected', attempt });
    const head = (await git.raw(['rev-parse', 'HEAD'])).trim();
    if (attempt >= maxAttempts)
      throw new GitError(
        `git push to ${remote} ${branch} was rejected ${attempt} times (others pushed first); the state commit ${head.slice(0, 12)} is kept locally. Run: git pull --rebase ${remote} ${branch} && git push`,
        'rejected',
      );
    await run('git fetch', () => git.raw(['fetch', '--quiet', remote, `refs/heads/${branch}`]));
    const onto = (await git.raw(['rev-parse', 'FETCH_HEAD'])).trim();
    const dirty = (await git.raw(['status', '--porcelain=v1', '--untracked-files=no'])).trim();
    if (dirty)
      throw new GitError(
        `git push was rejected and the working tree has other uncommitted changes, so Rudder will not rebase; the state commit ${head.slice(0, 12)} is kept locally. Commit or stash your changes, then: git pull --rebase ${remote} ${branch} && git push`,
        'dirty',
      );
    try {
      await git.raw([
        '-c',
        'rebase.autoStash=false',
        '-c',
        'rebase.updateRefs=false',
        'rebase',
        '--quiet',
        onto,
      ]);
    } catch (e) {
      const conflicted = (await git.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => ''))
        .trim()
        .split('\n')
        .filter(Boolean);
      await git.raw(['rebase', '--abort']).catch(() => undefined);
      throw new GitError(
        `git push was rejected and rebasing the state commit onto ${remote}/${branch} conflicts${conflicted.length ? ` in ${conflicted.join(', ')}` : ''}: someone else changed the same state. The state commit ${head.slice(0, 12)} is kept locally; re-plan after git pull.`,
        'conflict',
        { cause: e },
      );
    }
    rebased = true;
    opts.onEvent?.({ type: 'rebased', attempt, onto });
    if (opts.recheck) {
      const r = await opts.recheck();
      if (!r.ok) {
        await git.raw(['reset', '--quiet', '--keep', head]).catch(() => undefined);
        const why =
          r.message ??
          r.diagnostics?.map((d) => `${d.file ? `${d.file}: ` : ''}${d.message}`).join('; ') ??
          'inconsistent';
        throw new GitError(
          `after rebasing onto ${remote}/${branch} the state is no longer consistent (${why}); the state commit ${head.slice(0, 12)} is kept locally and was not pushed`,
          'recheck-failed',
        );
      }
    }
  }
}

async function tryPush(
  git: SimpleGit,
  remote: string,
  branch: string,
): Promise<{ ok: true } | { ok: false; nonFastForward: boolean; output: string }> {
  try {
    await git.raw(['push', '--porcelain', remote, `HEAD:refs/heads/${branch}`]);
    return { ok: true };
  } catch (e) {
    const output = (e as Error).message;
    // A push racing another push to the same ref loses on the server ("cannot lock ref … but
    // expected …"): the same situation as a non-fast-forward, so it is retried the same way.
    const lostRace = /cannot lock ref|failed to update ref|incorrect old value/.test(output);
    const remoteRejected = /\[remote rejected\]/.test(output);
    const nonFastForward =
      lostRace || (!remoteRejected && /\[rejected\]|non-fast-forward|fetch first/.test(output));
    return { ok: false, nonFastForward, output };
  }
}

export interface HistoryEntry {
  sha: string;
  /** ISO author date. */
  date: string;
  author: { name: string; email: string };
  subject: string;
  body: string;
  plan?: string;
  actions: string[];
  actor?: string;
  /** Which of the requested files the commit touched (relative to root). */
  files: string[];
  /** The commit's diff of those files, when asked for. */
  diff?: string;
}

/**
 * Commits that touched any of `files` (relative to root), newest first, with their Rudder
 * trailers. Empty when git is missing or this is not a repository (see `available`).
 */
export async function readHistory(
  root: string,
  files: readonly string[],
  opts: { diff?: boolean; limit?: number } = {},
): Promise<{ available: boolean; message?: string; entries: HistoryEntry[] }> {
  const avail = await detectGit(root);
  if (!avail.ok) return { available: false, message: avail.message, entries: [] };
  const { git, prefix } = avail;
  const hasHead = await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => true,
    () => false,
  );
  if (!hasHead || files.length === 0) return { available: true, entries: [] };
  const RS = '\u001e';
  const US = '\u001f';
  const limit = opts.limit != null ? [`--max-count=${opts.limit}`] : [];
  const out = await run('git log', () =>
    git.raw([
      '-c',
      'core.quotePath=false',
      'log',
      ...limit,
      `--format=${RS}%H${US}%aI${US}%an${US}%ae${US}%B${US}`,
      '--name-only',
      '--',
      ...files,
    ]),
  );
  const wanted = new Set(files);
  const entries: HistoryEntry[] = [];
  for (const rec of out.split(RS).slice(1)) {
    const [sha, date, name, email, message, names] = rec.split(US) as [
      string,
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    const parsed = parseCommitMessage(message);
    const touched = (names ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((p) => (prefix && p.startsWith(prefix) ? p.slice(prefix.length) : p))
      .filter((p) => wanted.has(p));
    entries.push({
      sha,
      date,
      author: { name, email },
      subject: parsed.subject,
      body: parsed.body,
      plan: parsed.plan,
      actions: parsed.actions,
      actor: parsed.actor,
      files: touched,
    });
  }
  if (opts.diff) {
    for (const e of entries)
      e.diff = await run('git show', () =>
        git.raw(['show', '--format=', '--no-color', '--no-ext-diff', '--patch', e.sha, '--', ...files]),
      );
  }
  return { available: true, entries };
}

/** Files under `paths` (relative to root) that differ from HEAD or are untracked: uncommitted state. */
export async function uncommittedFiles(
  root: string,
  paths: readonly string[],
): Promise<string[] | undefined> {
  const avail = await detectGit(root);
  if (!avail.ok) return undefined;
  return (await statusOf(avail.git, avail.prefix, paths)).map((e) => e.path);
}

async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof GitError) throw e;
    throw new GitError(`${what} failed: ${firstLines((e as Error).message)}`, 'failed', { cause: e });
  }
}

function firstLines(s: string, n = 6): string {
  return s.trim().split('\n').slice(0, n).join('\n');
}

/**
 * State files under `paths` that differ from HEAD, each with its text at HEAD (absent for a new
 * file); undefined outside git. What a commit of them would record, and what it replaces.
 */
export async function pendingStateFiles(
  root: string,
  paths: readonly string[],
): Promise<{ path: string; recorded?: string }[] | undefined> {
  const files = await uncommittedFiles(root, paths);
  if (!files) return undefined;
  const avail = await detectGit(root);
  if (!avail.ok) return undefined;
  const out: { path: string; recorded?: string }[] = [];
  for (const path of files) {
    const recorded = await avail.git.raw(['show', `HEAD:${avail.prefix}${path}`]).then(
      (t) => t,
      () => undefined,
    );
    out.push({ path, recorded });
  }
  return out;
}
