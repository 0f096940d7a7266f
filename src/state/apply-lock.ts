// The apply lock: one apply (or reconcile, or manual promote) at a time per repository.
// `.rudder/apply.lock` holds JSON metadata about its holder. It is created with link(2) from a
// fully written temporary file, so the lock file is never seen empty or half-written, and
// creation fails atomically when it exists. A lock whose process is gone (same host, pid not
// running) is stale and is taken over.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
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
    if (await tryCreate(opts.root, info)) return handle(opts.root, info);
    const holder = await readApplyLock(opts.root);
    if (holder == null) continue; // released between our attempt and the read
    if (isStale(holder)) {
      opts.onStale?.(holder);
      await removeIfId(opts.root, holder.id);
      continue;
    }
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
  const holder = await readApplyLock(root);
  if (holder == null) return { released: false, reason: 'free' };
  if (holder.id !== id) return { released: false, reason: 'other-id', holder };
  if (!opts.force && holder.host === hostname() && isProcessAlive(holder.pid))
    return { released: false, reason: 'alive', holder };
  await removeIfId(root, id);
  return { released: true, holder };
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

async function tryCreate(root: string, info: ApplyLockInfo): Promise<boolean> {
  const tmp = join(root, RUDDER_DIR, `.apply.lock.${info.id}.tmp`);
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  try {
    await link(tmp, lockFile(root));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ApplyLockError(
      `cannot create ${APPLY_LOCK_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Remove the lock only if it still has `id`: move it aside first (atomic), then check what we
 * moved, and put it back if it turned out to be someone else's fresh lock.
 */
async function removeIfId(root: string, id: string): Promise<void> {
  const aside = join(root, RUDDER_DIR, `.apply.lock.${randomBytes(4).toString('hex')}.removed`);
  try {
    await rename(lockFile(root), aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ApplyLockError(
      `cannot remove ${APPLY_LOCK_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  let movedId: string | undefined;
  try {
    movedId = (JSON.parse(await readFile(aside, 'utf8')) as { id?: string }).id;
  } catch {
    movedId = undefined;
  }
  if (movedId !== id) {
    // Not the lock we meant: restore it unless a new one appeared meanwhile.
    await link(aside, lockFile(root)).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

function defaultOwner(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
