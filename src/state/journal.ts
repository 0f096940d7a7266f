// The state transaction journal: `.rudder/state-journal.json`. A write first stores every new
// file content here (atomically), then renames the files into place, then marks the journal
// done. Readers overlay a pending journal, so they see the old state or the new one, never a
// mix; the next writer rolls a pending journal forward.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { canonicalJson, digestOf } from '../util/canonical.ts';
import { atomicWrite } from './atomic.ts';
import type { LockChange } from './types.ts';

export const RUDDER_DIR = '.rudder';
export const JOURNAL_FILE = `${RUDDER_DIR}/state-journal.json`;

export interface PendingJournal {
  kind: 'rudder.state-journal';
  version: 1;
  id: string;
  status: 'pending';
  pid: number;
  host: string;
  changes: LockChange[];
  /** Digest of id + changes: a damaged journal is refused, never half-applied. */
  digest: string;
}

export interface DoneJournal {
  kind: 'rudder.state-journal';
  version: 1;
  id: string;
  status: 'done';
}

export type Journal = PendingJournal | DoneJournal;

export type JournalRead = { ok: true; journal: Journal | null } | { ok: false; diagnostic: Diagnostic };

export const journalPath = (root: string): string => join(root, JOURNAL_FILE);

export async function readJournal(root: string): Promise<JournalRead> {
  let text: string;
  try {
    text = await readFile(journalPath(root), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, journal: null };
    return {
      ok: false,
      diagnostic: corrupt(
        `cannot read ${JOURNAL_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'lock/read-failed',
      ),
    };
  }
  let j: Omit<Partial<PendingJournal>, 'status'> & { status?: string };
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    return { ok: false, diagnostic: corrupt(`${JOURNAL_FILE} is not valid JSON`) };
  }
  if (
    j == null ||
    typeof j !== 'object' ||
    j.kind !== 'rudder.state-journal' ||
    j.version !== 1 ||
    typeof j.id !== 'string'
  )
    return {
      ok: false,
      diagnostic: corrupt(`${JOURNAL_FILE} is not a state journal this Rudder understands`),
    };
  if (j.status === 'done')
    return { ok: true, journal: { kind: j.kind, version: 1, id: j.id, status: 'done' } };
  if (j.status !== 'pending' || !Array.isArray(j.changes) || j.digest !== journalDigest(j.id, j.changes))
    return {
      ok: false,
      diagnostic: corrupt(`${JOURNAL_FILE} is damaged (its digest does not match its content)`),
    };
  for (const c of j.changes) {
    if (
      typeof c?.path !== 'string' ||
      !(typeof c.content === 'string' || c.content === null) ||
      !isSafeRelPath(c.path)
    )
      return {
        ok: false,
        diagnostic: corrupt(`${JOURNAL_FILE} lists an invalid change ${JSON.stringify(c?.path)}`),
      };
  }
  return { ok: true, journal: j as unknown as PendingJournal };
}

export function journalDigest(id: string, changes: readonly LockChange[]): string {
  return digestOf({ id, changes });
}

export async function writePendingJournal(
  root: string,
  id: string,
  changes: readonly LockChange[],
): Promise<void> {
  const j: PendingJournal = {
    kind: 'rudder.state-journal',
    version: 1,
    id,
    status: 'pending',
    pid: process.pid,
    host: hostname(),
    changes: [...changes],
    digest: journalDigest(id, changes),
  };
  await atomicWrite(journalPath(root), `${canonicalJson(j)}\n`);
}

export async function writeDoneJournal(root: string, id: string): Promise<void> {
  const j: DoneJournal = { kind: 'rudder.state-journal', version: 1, id, status: 'done' };
  await atomicWrite(journalPath(root), `${canonicalJson(j)}\n`);
}

/** Repository-relative, POSIX, no `..`, no absolute path. */
export function isSafeRelPath(p: string): boolean {
  return (
    p !== '' &&
    !p.startsWith('/') &&
    !/^[A-Za-z]:/.test(p) &&
    !p.includes('\\') &&
    !p.includes('\0') &&
    p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  );
}

function corrupt(message: string, code: Diagnostic['code'] = 'lock/journal-corrupt'): Diagnostic {
  return {
    code,
    severity: 'error',
    message,
    hint: 'Rudder will not guess. Inspect the file; delete it if the state files under state/ are what you expect (git diff shows them).',
    file: JOURNAL_FILE,
    path: [],
  };
}
