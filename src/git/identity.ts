import { simpleGit } from 'simple-git';

/** The repository's first commit: what ties a plan file to the repository it was made in. */
export async function rootCommit(root: string): Promise<string | undefined> {
  try {
    const out = await simpleGit({ baseDir: root }).raw(['rev-list', '--max-parents=0', 'HEAD']);
    return out.trim().split('\n').sort()[0] || undefined;
  } catch {
    return undefined;
  }
}
