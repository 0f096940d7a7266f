// Environment failures during apply are diagnostics (exit 1) with what was kept and the next
// step, never "internal error … a bug in Rudder": a full disk under .rudder/ (DuckDB, the run
// journal, artifacts) and a read-only state folder, on real size-limited / read-only tmpfs
// mounts. Mounting needs root (CI runs as root); elsewhere these tests say so and skip.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { plan } from '../../src/api/index.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'rudder-mount-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmdirSync(probe);
  return ok;
}
const MOUNT = canMount();
if (!MOUNT)
  console.warn(
    'faults.test.ts: cannot mount tmpfs here (needs root); the full-disk and read-only tests are skipped',
  );

function mount(dir: string, opts: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount ${dir}: ${r.stderr}`);
}
function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

function rudderApply(repo: string): { code: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'rudder.js'), '-C', repo, 'apply', '--auto-approve'],
    {
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    },
  );
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe.skipIf(!MOUNT)('a hostile disk', () => {
  test('slow: .rudder/ on a full disk: exit 1 naming the full disk, no internal error; after space is freed the next apply completes', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const dot = join(repo, '.rudder');
    mount(dot, 'size=96k');
    try {
      const r = rudderApply(repo);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/no space left|env\/no-space|No space left on device/i);
      expect(r.out).not.toContain('internal error');
      expect(r.out).not.toContain('This is a bug in Rudder');
    } finally {
      umount(dot);
    }
    const again = rudderApply(repo);
    expect(again.out).not.toContain('internal error');
    expect(again.code).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  test('slow: a read-only state folder: exit 1 each time while it stays read-only; then the state is written and committed', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const state = join(repo, 'state');
    mount(state, 'ro,size=1m');
    try {
      for (let i = 0; i < 2; i++) {
        const r = rudderApply(repo);
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/read-only|env\/read-only/i);
        expect(r.out).not.toContain('internal error');
      }
    } finally {
      umount(state);
    }
    const again = rudderApply(repo);
    expect(again.code).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const p = await plan({ cwd: repo, now: new Date() });
    expect(p.ok && p.plan.blocked).toEqual([]);
  });
});
