import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatPretty } from '../../../src/diagnostics/format-pretty.ts';
import { LockfileError } from '../../../src/state/errors.ts';
import { journalDigest, JOURNAL_FILE } from '../../../src/state/journal.ts';
import { diffLockStates, lockStateDigest, withLock, withoutLock } from '../../../src/state/lock-state.ts';
import { lockPath, renderLockfile } from '../../../src/state/lockfile.ts';
import { readLockState, recoverState, writeLockChanges } from '../../../src/state/state-io.ts';
import { emptyLockState, type LockState } from '../../../src/state/types.ts';
import { cleanupTemp, tempDir } from '../../helpers/temp-repo.ts';
import { dataLock, featureLock, modelLock, modelVersion, rolloutLock } from './fixtures.ts';

afterAll(cleanupTemp);

const full = (): LockState =>
  [modelLock(), featureLock(), featureLock('customer_profile', 800), rolloutLock(), dataLock()].reduce(
    withLock,
    emptyLockState(),
  );

async function seeded(state = full()): Promise<string> {
  const root = tempDir();
  await writeLockChanges(root, 'state', diffLockStates(emptyLockState(), state, 'state'));
  return root;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('reading and writing the state folder', () => {
  test('GIVEN no state folder WHEN read THEN an empty state, no diagnostics', async () => {
    const r = await readLockState(tempDir(), 'state');
    expect(r).toMatchObject({ ok: true, diagnostics: [] });
    expect(r.ok && Object.keys(r.value.models)).toEqual([]);
  });

  test('a written state reads back equal, one file per resource', async () => {
    const root = await seeded();
    expect(readdirSync(join(root, 'state')).sort()).toEqual(['data', 'features', 'models', 'rollouts']);
    expect(readdirSync(join(root, 'state/features')).sort()).toEqual([
      'customer_activity.lock.yaml',
      'customer_profile.lock.yaml',
    ]);
    const r = await readLockState(root, 'state');
    expect(r.diagnostics).toEqual([]);
    expect(r.ok && r.value).toEqual(full());
    expect(r.ok && lockStateDigest(r.value)).toBe(lockStateDigest(full()));
    expect(r.sources.get('state/models/churn.lock.yaml')).toBe(renderLockfile(modelLock()));
  });

  test('writing an unchanged state touches no file', async () => {
    const root = await seeded();
    const file = join(root, 'state/models/churn.lock.yaml');
    const before = statSync(file).mtimeMs;
    const journalBefore = readFileSync(join(root, JOURNAL_FILE), 'utf8');
    const r = await readLockState(root, 'state');
    const changes = diffLockStates(full(), r.ok ? r.value : emptyLockState(), 'state');
    expect(changes).toEqual([]);
    // Even changes with identical content are skipped.
    const res = await writeLockChanges(root, 'state', [
      { path: 'state/models/churn.lock.yaml', content: renderLockfile(modelLock()) },
    ]);
    expect(res).toEqual({ written: [] });
    expect(statSync(file).mtimeMs).toBe(before);
    expect(readFileSync(join(root, JOURNAL_FILE), 'utf8')).toBe(journalBefore);
  });

  test('a change writes exactly the touched files, deletions included', async () => {
    const root = await seeded();
    const before = full();
    const after = withoutLock(
      withLock(before, modelLock('churn', [...modelLock().versions, modelVersion(4)])),
      'FeatureLock',
      'customer_profile',
    );
    const res = await writeLockChanges(root, 'state', diffLockStates(before, after, 'state'));
    expect(res.written).toEqual([
      'state/features/customer_profile.lock.yaml',
      'state/models/churn.lock.yaml',
    ]);
    expect(existsSync(join(root, 'state/features/customer_profile.lock.yaml'))).toBe(false);
    const r = await readLockState(root, 'state');
    expect(r.ok && r.value).toEqual(after);
  });

  test('a custom state folder (spec.state) is honoured', async () => {
    const root = tempDir();
    await writeLockChanges(root, 'ops/state/', [
      { path: lockPath('ops/state', 'FeatureLock', 'a'), content: renderLockfile(featureLock('a')) },
    ]);
    expect(existsSync(join(root, 'ops/state/features/a.lock.yaml'))).toBe(true);
    const r = await readLockState(root, 'ops/state');
    expect(r.ok && Object.keys(r.value.features)).toEqual(['a']);
  });

  test('the writer refuses paths outside the state folder, duplicates and unreadable content', async () => {
    const root = tempDir();
    await expect(
      writeLockChanges(root, 'state', [{ path: 'policies/x.lock.yaml', content: 'x' }]),
    ).rejects.toThrow(/not a lockfile path under state\//);
    await expect(
      writeLockChanges(root, 'state', [{ path: 'state/models/../../x.lock.yaml', content: 'x' }]),
    ).rejects.toThrow(LockfileError);
    await expect(writeLockChanges(root, '../elsewhere', [])).rejects.toThrow(/outside the repository/);
    const c = { path: 'state/models/churn.lock.yaml', content: renderLockfile(modelLock()) };
    await expect(writeLockChanges(root, 'state', [c, c])).rejects.toThrow(/appears twice/);
    await expect(
      writeLockChanges(root, 'state', [
        { path: 'state/models/other.lock.yaml', content: renderLockfile(modelLock()) },
      ]),
    ).rejects.toThrow(/would not read back/);
    expect(existsSync(join(root, 'state'))).toBe(false);
  });
});

describe('hand-broken and unexpected files', () => {
  test('a corrupt lockfile is a diagnostic with file and line; the others still load', async () => {
    const root = await seeded();
    const file = 'state/features/customer_activity.lock.yaml';
    const text = readFileSync(join(root, file), 'utf8').replace(/rows: \d+/, 'rows: many');
    writeFileSync(join(root, file), text);
    writeFileSync(join(root, 'state/models/notes.txt'), 'hello');
    const r = await readLockState(root, 'state');
    expect(r.ok).toBe(false);
    const out = formatPretty(r.diagnostics, r.sources, { codeFrame: false });
    const line = text.split('\n').findIndex((l) => l.startsWith('rows:')) + 1;
    expect(out).toContain(`${file}:${line}:7 error lock/wrong-type rows must be of type integer, got "many"`);
    expect(out).toContain('state/models/notes.txt warning lock/unexpected-file');
  });

  test('a file that is not UTF-8 is reported, never a crash', async () => {
    const root = await seeded();
    writeFileSync(join(root, 'state/models/churn.lock.yaml'), Buffer.from([0x6b, 0x3a, 0xff, 0xfe, 0x0a]));
    const r = await readLockState(root, 'state');
    expect(r.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['lock/read-failed', 'state/models/churn.lock.yaml'],
    ]);
  });
});

describe('interrupted writes', () => {
  function plantPending(
    root: string,
    changes: { path: string; content: string | null }[],
    pid = deadPid(),
  ): string {
    const id = 'interrupted-1';
    mkdirSync(join(root, '.rudder'), { recursive: true });
    writeFileSync(
      join(root, JOURNAL_FILE),
      JSON.stringify({
        kind: 'rudder.state-journal',
        version: 1,
        id,
        status: 'pending',
        pid,
        host: hostname(),
        changes,
        digest: journalDigest(id, changes),
      }),
    );
    return id;
  }

  test('GIVEN a writer died after its journal and one of two renames WHEN read THEN the reader sees the whole new state; the next write completes it on disk', async () => {
    const root = await seeded();
    const before = full();
    const after = withLock(
      withLock(before, featureLock('customer_activity', 9999)),
      modelLock('churn', [...modelLock().versions, modelVersion(4)]),
    );
    const changes = diffLockStates(before, after, 'state');
    expect(changes).toHaveLength(2);
    plantPending(root, changes);
    // The first rename happened, the second did not: the files on disk are a mix.
    writeFileSync(join(root, changes[0]!.path), changes[0]!.content!);
    // A temporary file the dead writer left behind.
    writeFileSync(join(root, 'state/models/.churn.lock.yaml.rudder-tmp-999999-abcd'), 'half');

    const r = await readLockState(root, 'state');
    expect(r.ok && r.value).toEqual(after);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['lock/interrupted-write']);

    const rec = await recoverState(root, 'state');
    expect(rec).toMatchObject({
      rolledForward: 'interrupted-1',
      removedTemps: ['.churn.lock.yaml.rudder-tmp-999999-abcd'],
    });
    expect(readFileSync(join(root, changes[1]!.path), 'utf8')).toBe(changes[1]!.content);
    const again = await readLockState(root, 'state');
    expect(again).toMatchObject({ ok: true, diagnostics: [] });
    expect(again.ok && again.value).toEqual(after);
  });

  test('a damaged journal is refused, never half-applied', async () => {
    const root = await seeded();
    plantPending(root, [
      {
        path: 'state/features/customer_activity.lock.yaml',
        content: renderLockfile(featureLock('customer_activity', 1)),
      },
    ]);
    const j = JSON.parse(readFileSync(join(root, JOURNAL_FILE), 'utf8')) as {
      changes: { content: string }[];
    };
    j.changes[0]!.content = renderLockfile(featureLock('customer_activity', 2));
    writeFileSync(join(root, JOURNAL_FILE), JSON.stringify(j));
    const r = await readLockState(root, 'state');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['lock/journal-corrupt']);
    await expect(writeLockChanges(root, 'state', [])).rejects.toThrow(/damaged/);
    writeFileSync(join(root, JOURNAL_FILE), '{not json');
    expect((await readLockState(root, 'state')).diagnostics[0]?.message).toMatch(/not valid JSON/);
  });

  test('a journal whose writer is still alive is not rolled forward by someone else', async () => {
    const root = await seeded();
    plantPending(
      root,
      [
        {
          path: 'state/features/customer_activity.lock.yaml',
          content: renderLockfile(featureLock('customer_activity', 1)),
        },
      ],
      process.ppid,
    );
    await expect(recoverState(root, 'state')).rejects.toThrow(/is writing the state right now/);
    // Readers still get a consistent view, and no "interrupted" notice for a live writer.
    const r = await readLockState(root, 'state');
    expect(r.diagnostics).toEqual([]);
    expect(r.ok && r.value.features.customer_activity?.rows).toBe(1);
  });
});
