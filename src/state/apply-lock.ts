// The apply lock: one apply (or reconcile, or manual promote) at a time per repository.
// `.rudder/apply.lock` holds JSON metadata about its holder (id, owner, pid, host, operation).
// Every read-decide-write on it happens inside a short critical section guarded by
// proper-lockfile (an atomic mkdir of `.rudder/apply.lock.mutex`, taken over by others when its
// holder crashed mid-section), so two contenders never both see the lock free. The metadata is
// written atomically (temporary file, rename): never seen empty or half-written. A lock whose
// process is gone (same host, pid not running) is stale and is taken over; a lock from another
// host never is.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { lock as lockMutex } from 'proper-lockfile';
import { isProcessAlive } from './atomic.ts';
import { RUDDER_DIR } from './journal.ts';

export const APPLY_LOCK_FILE = `${RUDDER_DIR}/apply.lock`;

export interface ApplyLockInfo {
  /** Short random id: what `rudder unlock <id>` takes. */
  id: string;
  /** Who: `alice (cli)`, `ci`, `mcp:claude`. */
  owner: string;
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** `apply`, `reconcile`, `promote churn`, … */
  operation: string;
}

export interface ApplyLockOptions {
  root: string;
  operation: string;
  /** Default: the OS user name. */
  owner?: string;
  /** How long to wait for a held lock; 0 (default) fails at once. */
  timeoutMs?: number;
  /** Poll interval while waiting. Default 200 ms. */
  pollMs?: number;
  /** Clock for startedAt (tests pass a fixed one). */
  now?: () => Date;
  /** Called once when the lock is held by another live process and we start waiting. */
  onWait?: (holder: ApplyLockInfo) => void;
  /** Called when a stale lock (its process is gone) is taken over. */
  onStale?: (holder: ApplyLockInfo) => void;
}

export interface ApplyLock {
  readonly id: string;
  readonly info: ApplyLockInfo;
  /** Remove the lock if it is still ours (idempotent). */
  release(): Promise<void>;
}

/** The lock is held by someone else, alive (or on another host). */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly holder: ApplyLockInfo,
    waitedMs: number,
  ) {
    super(
      `another ${holder.operation} holds the apply lock: id ${holder.id}, ${holder.owner}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` +
        `${waitedMs > 0 ? ` (waited ${waitedMs >= 10_000 ? Math.round(waitedMs / 1000) : (waitedMs / 1000).toFixed(1)}s)` : ''}. ` +
        `Wait with --lock-timeout <duration>, or if that process is gone, run: rudder unlock ${holder.id}`,
    );
  }
}

/** The lock file exists but cannot be understood: never taken over silently. */
export class ApplyLockError extends Error {
  override name = 'ApplyLockError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const lockFile = (root: string) => join(root, APPLY_LOCK_FILE);

/** Take the apply lock, waiting up to `timeoutMs` for a live holder. */
export async function acquireApplyLock(opts: ApplyLockOptions): Promise<ApplyLock> {
  const info: ApplyLockInfo = {
    id: randomBytes(6).toString('hex'),
    owner: opts.owner ?? defaultOwner(),
    pid: process.pid,
    host: hostname(),
    startedAt: (opts.now ?? (() => new Date()))().toISOString(),
    operation: opts.operation,
  };
  const timeoutMs = opts.timeoutMs ?? 0;
  const pollMs = opts.pollMs ?? 200;
  const start = Date.now();
  await mkdir(join(opts.root, RUDDER_DIR), { recursive: true });
  let waiting = false;
  for (;;) {
    const outcome = await critical(opts.root, async () => {
      const holder = await readApplyLock(opts.root);
      if (holder != null && !isStale(holder)) return { holder };
      if (holder != null) opts.onStale?.(holder);
      await writeLockFile(opts.root, info);
      return { holder: null };
    });
    if (outcome.holder == null) return handle(opts.root, info);
    const holder = outcome.holder;
    const waited = Date.now() - start;
    if (waited >= timeoutMs) throw new LockHeldError(holder, timeoutMs > 0 ? waited : 0);
    if (!waiting) opts.onWait?.(holder);
    waiting = true;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, timeoutMs - waited))));
  }
}

/** Run `fn` holding the apply lock; the lock is released however `fn` ends. */
export async function withApplyLock<T>(
  opts: ApplyLockOptions,
  fn: (lock: ApplyLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireApplyLock(opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** The current holder, or null when the lock is free. Throws ApplyLockError for an unreadable lock file. */
export async function readApplyLock(root: string): Promise<ApplyLockInfo | null> {
  let text: string;
  try {
    text = await readFile(lockFile(root), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ApplyLockError(
      `cannot read ${APPLY_LOCK_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  try {
    const v = JSON.parse(text) as Partial<ApplyLockInfo>;
    if (
      typeof v.id === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.owner === 'string' &&
      typeof v.startedAt === 'string' &&
      typeof v.operation === 'string'
    )
      return {
        id: v.id,
        owner: v.owner,
        pid: v.pid,
        host: v.host,
        startedAt: v.startedAt,
        operation: v.operation,
      };
  } catch {
    // fall through
  }
  throw new ApplyLockError(
    `${APPLY_LOCK_FILE} is not a Rudder apply lock; remove it by hand if no apply is running`,
  );
}

/** A lock is stale when its holder ran on this host and that process no longer exists. */
export function isStale(holder: ApplyLockInfo): boolean {
  return holder.host === hostname() && !isProcessAlive(holder.pid);
}

export type UnlockResult =
  | { released: true; holder: ApplyLockInfo }
  | { released: false; reason: 'free' | 'other-id' | 'alive'; holder?: ApplyLockInfo };

/**
 * `rudder unlock <id>`: remove the lock by hand when it has that id. A holder that is still
 * running on this host is left alone unless `force`.
 */
export async function unlockApplyLock(
  root: string,
  id: string,
  opts: { force?: boolean } = {},
): Promise<UnlockResult> {
  // Nothing to release (and no .rudder folder to create) when no lock file exists.
  if ((await readApplyLock(root)) == null) return { released: false, reason: 'free' };
  return critical(root, async (): Promise<UnlockResult> => {
    const holder = await readApplyLock(root);
    if (holder == null) return { released: false, reason: 'free' };
    if (holder.id !== id) return { released: false, reason: 'other-id', holder };
    if (!opts.force && holder.host === hostname() && isProcessAlive(holder.pid))
      return { released: false, reason: 'alive', holder };
    await rm(lockFile(root), { force: true });
    return { released: true, holder };
  });
}

function handle(root: string, info: ApplyLockInfo): ApplyLock {
  let released = false;
  return {
    id: info.id,
    info,
    release: async () => {
      if (released) return;
      released = true;
      await removeIfId(root, info.id);
    },
  };
}

/**
 * Run `fn` while holding the mutex that guards the lock file. It is held for milliseconds;
 * contenders retry with backoff, and a mutex left by a crashed process goes stale after 10 s.
 */
async function critical<T>(root: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    await mkdir(join(root, RUDDER_DIR), { recursive: true });
    release = await lockMutex(join(root, RUDDER_DIR), {
      lockfilePath: join(root, `${APPLY_LOCK_FILE}.mutex`),
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, factor: 1.3, minTimeout: 5, maxTimeout: 100, randomize: true },
      // Held for milliseconds: losing it mid-section is reported by the next reader, not thrown here.
      onCompromised: () => undefined,
    });
  } catch (e) {
    throw new ApplyLockError(
      `cannot take ${APPLY_LOCK_FILE}.mutex: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Write the holder's metadata: a temporary file renamed over the lock file (atomic). */
async function writeLockFile(root: string, info: ApplyLockInfo): Promise<void> {
  const tmp = join(root, RUDDER_DIR, `.apply.lock.${info.id}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, lockFile(root));
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ApplyLockError(
      `cannot create ${APPLY_LOCK_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
}

/** Remove the lock only if it still has `id` (a release never removes someone else's lock). */
async function removeIfId(root: string, id: string): Promise<void> {
  await critical(root, async () => {
    let holder: ApplyLockInfo | null;
    try {
      holder = await readApplyLock(root);
    } catch {
      return; // not ours to remove
    }
    if (holder?.id === id) await rm(lockFile(root), { force: true });
  });
}

function defaultOwner(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
