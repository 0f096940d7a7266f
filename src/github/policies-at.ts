// The compiled policies of a commit: rudder.yaml and the policy folder read from git (`git show
// rev:path`) into a scratch folder and run through the same validate/compile as the working tree.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validate } from '../source/validate.ts';
import type { DesiredState } from '../compiler/desired-state.ts';
import { ensureCommit, locate, readTreeFiles } from './git-plumbing.ts';

/** The compiled policies of `rev`, from git (rudder.yaml and the policy folder at that commit). */
export async function loadPoliciesAt(
  root: string,
  rev: string,
  policiesDir: string,
): Promise<{ ok: true; state: DesiredState } | { ok: false; reason: string }> {
  const { git, prefix } = await locate(root);
  if (!(await ensureCommit(git, rev)))
    return {
      ok: false,
      reason: `the base commit ${rev.slice(0, 12)} is not in this checkout (fetch-depth: 0 in actions/checkout fixes that)`,
    };
  const policies = `${prefix}${policiesDir.replace(/\/+$/, '')}/`;
  const files = await readTreeFiles(
    git,
    rev,
    [`${prefix}rudder.yaml`, policies],
    (p) => p === `${prefix}rudder.yaml` || (p.startsWith(policies) && /\.ya?ml$/.test(p)),
  );
  const dir = await mkdtemp(join(tmpdir(), 'rudder-base-'));
  try {
    for (const [p, text] of files) {
      const target = join(dir, p.slice(prefix.length));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text);
    }
    const v = await validate({ cwd: dir, checkPaths: false });
    if (!v.ok || !v.state)
      return {
        ok: false,
        reason: `the policies at the base ${rev.slice(0, 7)} do not compile (${v.diagnostics.filter((d) => d.severity === 'error').length} errors), so changes are not itemized`,
      };
    return { ok: true, state: v.state };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
