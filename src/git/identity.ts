import { simpleGit } from 'simple-git';

/**
 * The newest commit that touched any of `paths` (relative to root): the policy commit a plan
 * was made from. Undefined outside git or before the first commit.
 */
export async function lastCommitTouching(
  root: string,
  paths: readonly string[],
): Promise<string | undefined> {
  try {
    const out = await simpleGit({ baseDir: root }).raw(['log', '-1', '--format=%H', '--', ...paths]);
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The repository's first commit: what ties a plan file to the repository it was made in. */
export async function rootCommit(root: string): Promise<string | undefined> {
  try {
    const out = await simpleGit({ baseDir: root }).raw(['rev-list', '--max-parents=0', 'HEAD']);
    return out.trim().split('\n').sort()[0] || undefined;
  } catch {
    return undefined;
  }
}
