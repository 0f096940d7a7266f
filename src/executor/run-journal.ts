// The apply run journal: which actions of which plan started and finished, so a killed apply
// is noticed by the next one. Lockfiles themselves are written atomically per action; this
// only tells the next run what happened.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from '../state/atomic.ts';
import type { Actor } from '../state/types.ts';

export const RUN_JOURNAL = '.rudder/apply-run.json';

export interface RunJournal {
  plan: string;
  actor: Actor;
  pid: number;
  startedAt: string;
  actions: Record<string, { status: 'running' | 'done' | 'failed' | 'skipped'; files: string[] }>;
}

export async function readRunJournal(root: string): Promise<RunJournal | undefined> {
  try {
    const j = JSON.parse(await readFile(join(root, RUN_JOURNAL), 'utf8')) as RunJournal;
    return j && typeof j.plan === 'string' && j.actions && typeof j.actions === 'object' ? j : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRunJournal(root: string, j: RunJournal): Promise<void> {
  await atomicWrite(join(root, RUN_JOURNAL), `${JSON.stringify(j, null, 2)}\n`);
}

export async function clearRunJournal(root: string): Promise<void> {
  await rm(join(root, RUN_JOURNAL), { force: true });
}
