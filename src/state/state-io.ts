// Reading and writing the whole state/ folder. A multi-file write is all-or-nothing for readers
// (see journal.ts); a killed writer is rolled forward by the next one.
import { randomUUID } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fail, ok, sortDiagnostics, type Diagnostic, type Result } from '../diagnostics/diagnostic.ts';
import { atomicWrite, durableUnlink, isProcessAlive, removeStaleTemps, TMP_MARKER } from './atomic.ts';
import { LockfileError } from './errors.ts';
import {
  isSafeRelPath,
  JOURNAL_FILE,
  readJournal,
  RUDDER_DIR,
  writeDoneJournal,
  writePendingJournal,
  type PendingJournal,
} from './journal.ts';
import { LOCK_SUFFIX, lockDirs, lockKinds, parseLockfile } from './lockfile.ts';
import { emptyLockState, type AnyLock, type LockChange, type LockKind, type LockState } from './types.ts';

/** Largest lockfile read. */
export const MAX_LOCKFILE_BYTES = 8 * 1024 * 1024;

export type LockStateResult = Result<LockState> & {
  /** path → text of every lockfile read (for code frames in diagnostics, and diffs). */
  sources: Map<string, string>;
  /** When some files are broken: the locks that did read (for `rudder status`; never plan on it). */
  partial?: LockState;
};

export interface ReadStateOptions {
  /** Attempts at a consistent snapshot while a writer is active. Default 50. */
  maxAttempts?: number;
}

/**
 * Read, check and migrate every lockfile under `stateDir`. Never throws for bad input: a
 * corrupt or hand-broken file becomes a diagnostic with file and position. When a write was
 * interrupted, the result is the state that write was producing (never a mix).
 */
export async function readLockState(
  root: string,
  stateDir: string,
  opts: ReadStateOptions = {},
): Promise<LockStateResult> {
  const dir = normStateDir(stateDir);
  if (dir == null) {
    return {
      ...fail<LockState>([
        {
          code: 'path/escapes-repository',
          severity: 'error',
          message: `state folder ${JSON.stringify(stateDir)} is outside the repository`,
          hint: 'Use a folder inside the repository, such as state.',
          path: ['spec', 'state'],
          file: 'rudder.yaml',
        },
      ]),
      sources: new Map(),
    };
  }
  const diags: Diagnostic[] = [];
  const maxAttempts = opts.maxAttempts ?? 50;
  let files: Map<string, string> | undefined;
  let pending: PendingJournal | undefined;
  for (let attempt = 0; attempt < maxAttempts && files == null; attempt++) {
    if (attempt > 0) await sleep(Math.min(5 * attempt, 50));
    const before = await readJournal(root);
    if (!before.ok) return { ...fail<LockState>([before.diagnostic]), sources: new Map() };
    const snap = await readSnapshot(root, dir);
    const after = await readJournal(root);
    // A writer changes files only after it has written a new journal id: the same id before
    // and after means no file changed under us, except through the pending journal we overlay.
    if (after.ok && (after.journal?.id ?? null) === (before.journal?.id ?? null)) {
      files = snap.files;
      diags.push(...snap.diagnostics);
      pending = before.journal?.status === 'pending' ? before.journal : undefined;
    }
  }
  if (files == null) {
    return {
      ...fail<LockState>([
        {
          code: 'lock/busy',
          severity: 'error',
          message: `the state under ${dir}/ kept changing during ${maxAttempts} attempts to read it`,
          hint: 'Another Rudder process is writing it; try again when it has finished.',
          path: [],
        },
      ]),
      sources: new Map(),
    };
  }
  if (pending) {
    for (const c of pending.changes) {
      if (!c.path.startsWith(`${dir}/`)) continue;
      if (c.content == null) files.delete(c.path);
      else files.set(c.path, c.content);
    }
    if (!(pending.host === hostname() && isProcessAlive(pending.pid))) {
      diags.push({
        code: 'lock/interrupted-write',
        severity: 'info',
        message: `a state write was interrupted (pid ${pending.pid} on ${pending.host}); showing the state it was writing (${pending.changes.length} file${pending.changes.length === 1 ? '' : 's'})`,
        hint: 'The next apply completes it on disk.',
        file: JOURNAL_FILE,
        path: [],
      });
    }
  }
  const state = emptyLockState();
  const sources = new Map<string, string>();
  for (const [path, text] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    sources.set(path, text);
    const expect = expectFromPath(dir, path);
    if (!expect) continue;
    const r = parseLockfile(text, path, expect);
    diags.push(...r.diagnostics);
    if (r.ok) put(state, r.value);
  }
  const sorted = sortDiagnostics(diags);
  return sorted.some((d) => d.severity === 'error')
    ? { ...fail<LockState>(sorted), sources, partial: state }
    : { ...ok(state, sorted), sources };
}

function put(state: LockState, lock: AnyLock): void {
  switch (lock.kind) {
    case 'ModelLock':
      state.models[lock.name] = lock;
      break;
    case 'FeatureLock':
      state.features[lock.view] = lock;
      break;
    case 'RolloutLock':
      state.rollouts[lock.model] = lock;
      break;
    case 'DataLock':
      state.data[lock.policy] = lock;
      break;
  }
}

export function expectFromPath(dir: string, path: string): { kind: LockKind; name: string } | undefined {
  const rest = path.slice(dir.length + 1);
  const [folder, file] = rest.split('/');
  const kind = lockKinds.find((k) => lockDirs[k] === folder);
  if (!kind || file == null || !file.endsWith(LOCK_SUFFIX)) return undefined;
  return { kind, name: file.slice(0, -LOCK_SUFFIX.length) };
}

async function readSnapshot(
  root: string,
  dir: string,
): Promise<{ files: Map<string, string>; diagnostics: Diagnostic[] }> {
  const files = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const kind of lockKinds) {
    const rel = `${dir}/${lockDirs[kind]}`;
    let names: string[];
    try {
      names = await readdir(join(root, rel));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      diagnostics.push({
        code: 'lock/read-failed',
        severity: 'error',
        message: `cannot read ${rel}/: ${code ?? (e as Error).message}`,
        file: rel,
        path: [],
      });
      continue;
    }
    for (const name of names.sort()) {
      const path = `${rel}/${name}`;
      if (name.startsWith('.') && name.includes(TMP_MARKER)) continue;
      const unexpected = (why: string) =>
        diagnostics.push({
          code: 'lock/unexpected-file',
          severity: 'warning',
          message: `${path} ${why}`,
          hint: `Rudder reads only <name>${LOCK_SUFFIX} files in ${rel}/.`,
          file: path,
          path: [],
        });
      if (!name.endsWith(LOCK_SUFFIX)) {
        if (!name.startsWith('.')) unexpected('is not a lockfile');
        continue;
      }
      try {
        // Synchronous on purpose: thousands of small files cost more in thread-pool round trips
        // than in reading (see load-policies.ts).
        const st = lstatSync(join(root, path));
        if (!st.isFile()) {
          unexpected(
            st.isSymbolicLink() ? 'is a symbolic link; lockfiles are plain files' : 'is not a regular file',
          );
          continue;
        }
        if (st.size > MAX_LOCKFILE_BYTES) {
          diagnostics.push({
            code: 'lock/read-failed',
            severity: 'error',
            message: `${path} is ${st.size} bytes; the limit is ${MAX_LOCKFILE_BYTES}`,
            file: path,
            path: [],
          });
          continue;
        }
        const bytes = readFileSync(join(root, path));
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          diagnostics.push({
            code: 'lock/read-failed',
            severity: 'error',
            message: `${path} is not valid UTF-8`,
            hint: 'Restore it from git: git checkout -- <file>.',
            file: path,
            path: [],
          });
          continue;
        }
        files.set(path, text);
      } catch (e) {
        // Renamed or removed between readdir and read: the journal check decides whether to retry.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        diagnostics.push({
          code: 'lock/read-failed',
          severity: 'error',
          message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          file: path,
          path: [],
        });
      }
    }
  }
  return { files, diagnostics };
}

export interface WriteResult {
  /** Paths actually changed on disk (no-op changes are skipped), sorted. */
  written: string[];
  /** The transaction id, when anything was written. */
  transaction?: string;
}

const writeQueues = new Map<string, Promise<unknown>>();

/**
 * Apply a set of file changes under `stateDir` as one transaction: readers see all of it or
 * none of it, and a killed process is rolled forward by the next write. Contents must be
 * lockfiles as renderLockfile writes them (checked: an unreadable lock is never written).
 * Unchanged files are not touched. Call it while holding the apply lock.
 */
export async function writeLockChanges(
  root: string,
  stateDir: string,
  changes: readonly LockChange[],
): Promise<WriteResult> {
  const dir = normStateDir(stateDir);
  if (dir == null)
    throw new LockfileError(`state folder ${JSON.stringify(stateDir)} is outside the repository`);
  const seen = new Set<string>();
  for (const c of changes) {
    const expect = isSafeRelPath(c.path) ? expectFromPath(dir, c.path) : undefined;
    if (!c.path.startsWith(`${dir}/`) || !expect)
      throw new LockfileError(
        `refusing to write ${JSON.stringify(c.path)}: not a lockfile path under ${dir}/`,
      );
    if (seen.has(c.path)) throw new LockfileError(`${c.path} appears twice in one state change`);
    seen.add(c.path);
    if (c.content != null) {
      const r = parseLockfile(c.content, c.path, expect);
      if (!r.ok)
        throw new LockfileError(
          `refusing to write ${c.path}: it would not read back (${r.diagnostics.map((d) => d.message).join('; ')})`,
          r.diagnostics,
        );
    }
  }
  // One transaction at a time per repository within this process.
  const prev = writeQueues.get(root) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => transact(root, dir, changes));
  writeQueues.set(root, run);
  try {
    return await run;
  } finally {
    if (writeQueues.get(root) === run) writeQueues.delete(root);
  }
}

async function transact(root: string, dir: string, changes: readonly LockChange[]): Promise<WriteResult> {
  await recoverState(root, dir);
  const effective: LockChange[] = [];
  for (const c of changes) {
    const current = await readFile(join(root, c.path), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new LockfileError(`cannot read ${c.path}: ${e.code ?? e.message}`, [], { cause: e });
    });
    if (current !== c.content) effective.push(c);
  }
  effective.sort((a, b) => (a.path < b.path ? -1 : 1));
  if (effective.length === 0) return { written: [] };
  const id = randomUUID();
  try {
    await writePendingJournal(root, id, effective);
    await applyChanges(root, effective);
    await writeDoneJournal(root, id);
  } catch (e) {
    throw new LockfileError(
      `writing the state failed: ${(e as Error).message}; the next write completes it`,
      [],
      { cause: e },
    );
  }
  return { written: effective.map((c) => c.path), transaction: id };
}

async function applyChanges(root: string, changes: readonly LockChange[]): Promise<void> {
  for (const c of changes) {
    const abs = join(root, c.path);
    if (c.content == null) await durableUnlink(abs);
    else await atomicWrite(abs, c.content);
  }
}

export interface RecoverResult {
  /** Id of the interrupted transaction completed, if any. */
  rolledForward?: string;
  files: string[];
  /** Temporary files of dead writers removed. */
  removedTemps: string[];
}

/**
 * Finish an interrupted write (roll the pending journal forward) and remove temporary files
 * left by dead writers. writeLockChanges calls it first; the executor may call it when it
 * takes the apply lock. Throws LockfileError when the journal is damaged or a live process
 * is in the middle of a write.
 */
export async function recoverState(root: string, stateDir: string): Promise<RecoverResult> {
  const dir = normStateDir(stateDir);
  const j = await readJournal(root);
  if (!j.ok) throw new LockfileError(j.diagnostic.message, [j.diagnostic]);
  const out: RecoverResult = { files: [], removedTemps: [] };
  if (j.journal?.status === 'pending') {
    const p = j.journal;
    const outside = p.changes.find(
      (c) => dir == null || !expectFromPath(dir, c.path) || !c.path.startsWith(`${dir}/`),
    );
    if (outside)
      throw new LockfileError(
        `${JOURNAL_FILE} lists ${JSON.stringify(outside.path)}, which is not a lockfile under ${stateDir}/; refusing to roll it forward`,
      );
    if (p.pid !== process.pid && p.host === hostname() && isProcessAlive(p.pid))
      throw new LockfileError(
        `another Rudder process (pid ${p.pid}) is writing the state right now; writes must hold the apply lock`,
      );
    await applyChanges(root, p.changes);
    await writeDoneJournal(root, p.id);
    out.rolledForward = p.id;
    out.files = p.changes.map((c) => c.path);
  }
  const dirs = [
    join(root, RUDDER_DIR),
    ...(dir == null ? [] : lockKinds.map((k) => join(root, dir, lockDirs[k]))),
  ];
  for (const d of dirs) out.removedTemps.push(...(await removeStaleTemps(d)));
  return out;
}

/** `state/` → `state`; null when it leaves the repository. */
function normStateDir(stateDir: string): string | null {
  const d = stateDir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return isSafeRelPath(d) ? d : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
