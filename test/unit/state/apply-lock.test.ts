import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  acquireApplyLock,
  APPLY_LOCK_FILE,
  ApplyLockError,
  LockHeldError,
  readApplyLock,
  unlockApplyLock,
  withApplyLock,
  type ApplyLockInfo,
} from '../../../src/state/apply-lock.ts';
import { cleanupTemp, tempDir } from '../../helpers/temp-repo.ts';

afterAll(cleanupTemp);

const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

function plant(root: string, info: Partial<ApplyLockInfo>): ApplyLockInfo {
  const full: ApplyLockInfo = {
    id: 'feedc0ffee00',
    owner: 'bob (ci)',
    pid: deadPid(),
    host: hostname(),
    startedAt: '2026-05-01T10:00:00.000Z',
    operation: 'apply',
    ...info,
  };
  mkdirSync(join(root, '.rudder'), { recursive: true });
  writeFileSync(join(root, APPLY_LOCK_FILE), JSON.stringify(full));
  return full;
}

describe('the apply lock', () => {
  test('records owner, pid, host, start time and operation; release removes it', async () => {
    const root = tempDir();
    const lock = await acquireApplyLock({
      root,
      operation: 'apply',
      owner: 'alice (cli)',
      now: () => new Date('2026-05-01T12:00:00Z'),
    });
    expect(await readApplyLock(root)).toEqual({
      id: lock.id,
      owner: 'alice (cli)',
      pid: process.pid,
      host: hostname(),
      startedAt: '2026-05-01T12:00:00.000Z',
      operation: 'apply',
    });
    await lock.release();
    await lock.release();
    expect(existsSync(join(root, APPLY_LOCK_FILE))).toBe(false);
  });

  test('a second apply fails at once, naming the holder and how to unlock', async () => {
    const root = tempDir();
    const held = await acquireApplyLock({ root, operation: 'reconcile', owner: 'cron' });
    const err = await acquireApplyLock({ root, operation: 'apply' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder.id).toBe(held.id);
    expect((err as Error).message).toBe(
      `another reconcile holds the apply lock: id ${held.id}, cron, pid ${process.pid} on ${hostname()}, since ${held.info.startedAt}. Wait with --lock-timeout <duration>, or if that process is gone, run: rudder unlock ${held.id}`,
    );
    await held.release();
  });

  test('--lock-timeout waits for the holder to finish', async () => {
    const root = tempDir();
    const held = await acquireApplyLock({ root, operation: 'apply' });
    setTimeout(() => void held.release(), 150);
    let waitedFor: string | undefined;
    const t0 = Date.now();
    const next = await acquireApplyLock({
      root,
      operation: 'apply',
      timeoutMs: 5000,
      pollMs: 20,
      onWait: (h) => (waitedFor = h.id),
    });
    expect(waitedFor).toBe(held.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    await next.release();
  });

  test('--lock-timeout gives up after the timeout', async () => {
    const root = tempDir();
    const held = await acquireApplyLock({ root, operation: 'apply' });
    const t0 = Date.now();
    await expect(acquireApplyLock({ root, operation: 'apply', timeoutMs: 120, pollMs: 20 })).rejects.toThrow(
      /holds the apply lock: .* \(waited \d+\.\ds\)/,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    await held.release();
  });

  test('a lock whose process is gone is stale and taken over', async () => {
    const root = tempDir();
    const stale = plant(root, {});
    let seen: ApplyLockInfo | undefined;
    const lock = await acquireApplyLock({ root, operation: 'apply', onStale: (h) => (seen = h) });
    expect(seen).toEqual(stale);
    expect((await readApplyLock(root))?.id).toBe(lock.id);
    await lock.release();
  });

  test('a lock from another host is never assumed stale', async () => {
    const root = tempDir();
    plant(root, { host: 'ci-runner-7' });
    await expect(acquireApplyLock({ root, operation: 'apply' })).rejects.toThrow(/pid \d+ on ci-runner-7/);
  });

  test('release never removes a lock that is no longer ours', async () => {
    const root = tempDir();
    const mine = await acquireApplyLock({ root, operation: 'apply' });
    await unlockApplyLock(root, mine.id, { force: true });
    const theirs = await acquireApplyLock({ root, operation: 'apply', owner: 'other' });
    await mine.release();
    expect((await readApplyLock(root))?.id).toBe(theirs.id);
    await theirs.release();
  });

  test('withApplyLock releases even when the work throws', async () => {
    const root = tempDir();
    await expect(
      withApplyLock({ root, operation: 'apply' }, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await readApplyLock(root)).toBeNull();
  });

  test('rudder unlock <id>: only that id, and not a live holder unless forced', async () => {
    const root = tempDir();
    expect(await unlockApplyLock(root, 'abc')).toEqual({ released: false, reason: 'free' });
    const live = await acquireApplyLock({ root, operation: 'apply' });
    expect(await unlockApplyLock(root, 'nope')).toMatchObject({
      released: false,
      reason: 'other-id',
      holder: { id: live.id },
    });
    expect(await unlockApplyLock(root, live.id)).toMatchObject({ released: false, reason: 'alive' });
    expect(await unlockApplyLock(root, live.id, { force: true })).toMatchObject({
      released: true,
      holder: { id: live.id },
    });
    const gone = plant(root, { host: 'elsewhere' });
    expect(await unlockApplyLock(root, gone.id)).toMatchObject({ released: true });
    expect(await readApplyLock(root)).toBeNull();
  });

  test('a lock file that is not Rudder’s is an error, never silently taken', async () => {
    const root = tempDir();
    mkdirSync(join(root, '.rudder'));
    writeFileSync(join(root, APPLY_LOCK_FILE), 'garbage');
    await expect(acquireApplyLock({ root, operation: 'apply' })).rejects.toBeInstanceOf(ApplyLockError);
  });

  test('many contenders in one process: exactly one wins at a time', async () => {
    const root = tempDir();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withApplyLock({ root, operation: 'apply', timeoutMs: 10_000, pollMs: 5 }, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 10));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });
});
