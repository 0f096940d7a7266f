// Kills aimed at the worst moment: right after a lockfile appears and before the apply has
// journalled the action. Whatever the state folder holds after recovery is committed, and the
// commit names every action whose result it contains.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, plan } from '../../src/api/index.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

/** Start `rudder apply` and SIGKILL it the moment `file` exists (polled; bounded). */
async function killWhen(repo: string, file: string): Promise<{ killed: boolean }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'rudder.js'), '-C', repo, 'apply', '--auto-approve'],
    {
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    },
  );
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 120_000;
  let killed = false;
  while (Date.now() < deadline && child.exitCode == null) {
    if (existsSync(join(repo, file))) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await exited;
  return { killed };
}

describe('a kill right after a lockfile is written', () => {
  test.each([
    ['state/features/customer_activity.lock.yaml', 'feature.materialize:customer_activity'],
    ['state/models/churn.lock.yaml', 'model.train:churn'],
  ])(
    'slow: killed when %s appears: the next apply commits it under %s, and nothing stays uncommitted',
    async (file, action) => {
      const repo = await churnRepo({ epochs: 2 });
      const { killed } = await killWhen(repo, file);
      expect(killed).toBe(true);
      const r = await apply({ cwd: repo, actor: 'cli', now: () => NOW });
      expect(r.diagnostics).toEqual([]);
      expect(r.ok).toBe(true);
      expect(git(repo, 'status', '--porcelain')).toBe('');
      const log = git(repo, 'log', '--format=%B');
      expect(log).toContain(`Rudder-Action: ${action}`);
      // Every lockfile is tracked, and each file's last commit names an action of that file.
      for (const f of git(repo, 'ls-files', 'state').split('\n').filter(Boolean)) {
        const body = git(repo, 'log', '-1', '--format=%B', '--', f);
        const kind = f.split('/')[1];
        const prefix = { features: 'feature.', models: 'model.', data: 'data.', rollouts: '' }[kind!] ?? '';
        expect(body).toMatch(new RegExp(`Rudder-Action: ${prefix.replace('.', '\\.')}`));
      }
      const after = await plan({ cwd: repo, now: NOW });
      expect(after.ok && after.plan.actions.map((a) => a.id)).toEqual([]);
    },
    180_000,
  );
});
