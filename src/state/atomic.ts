import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Marker in temporary file names, so recovery can find what a killed writer left behind. */
export const TMP_MARKER = '.rudder-tmp-';

/** `.<name>.rudder-tmp-<pid>-<rand>` next to the target: same file system, so rename is atomic. */
function tmpPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}${TMP_MARKER}${process.pid}-${randomUUID().slice(0, 8)}`);
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT where the file system
 * is read-only (EROFS) or not writable; one plain mkdir of the first missing folder tells which.
 */
export async function mkdirp(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    while (dirname(missing) !== missing) {
      const parent = dirname(missing);
      const exists = await stat(parent).then(
        () => true,
        () => false,
      );
      if (exists) break;
      missing = parent;
    }
    await mkdir(missing);
    throw e;
  }
}

/** temp file in the same directory → write → fsync → rename → fsync the directory. */
export async function atomicWrite(target: string, data: Uint8Array | string): Promise<void> {
  await mkdirp(dirname(target));
  const tmp = tmpPathFor(target);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(target));
}

/** Remove a file (absent is fine) and make the removal durable. */
export async function durableUnlink(target: string): Promise<void> {
  try {
    await unlink(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  await syncDir(dirname(target));
}

export async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r');
    await dh.sync().finally(() => dh.close());
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  }
}

/** Remove temporary files left in `dir` by writers that are no longer running. */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const i = n.indexOf(TMP_MARKER);
    if (!n.startsWith('.') || i < 0) continue;
    const pid = Number(n.slice(i + TMP_MARKER.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) continue;
    if (pid === process.pid) continue;
    await rm(join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

/** Whether a process with this id runs on this machine (EPERM means it exists under another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fail now, with the real errno, if `dir` cannot take new files (read-only, not writable, full). */
export async function probeWritable(dir: string): Promise<void> {
  await mkdirp(dir);
  const probe = join(dir, `.rudder-probe${TMP_MARKER}${process.pid}-${randomUUID().slice(0, 8)}`);
  const fh = await open(probe, 'w', 0o644);
  await fh.close();
  await unlink(probe);
}
