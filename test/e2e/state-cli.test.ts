// rudder status / history / unlock on real repositories: lockfiles written by the state layer,
// committed with trailers through real git, read back by the commands.
import { cpSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { historyCommand } from '../../src/cli/commands/history.ts';
import { statusCommand } from '../../src/cli/commands/status.ts';
import { unlockCommand } from '../../src/cli/commands/unlock.ts';
import { commitState } from '../../src/git/git.ts';
import { acquireApplyLock } from '../../src/state/apply-lock.ts';
import { diffLockStates, withLock } from '../../src/state/lock-state.ts';
import { writeLockChanges } from '../../src/state/state-io.ts';
import { emptyLockState, type LockState } from '../../src/state/types.ts';
import { cleanupTemp, git, isolateGitConfig, tempDir, tempRepo } from '../helpers/temp-repo.ts';
import { at, dataLock, dg, featureLock, modelLock, modelVersion } from '../unit/state/fixtures.ts';
import { captureIO } from '../helpers/capture-io.ts';

beforeAll(isolateGitConfig);
afterAll(cleanupTemp);

const REPO = join(import.meta.dirname, '../..');
const PLAN1 = dg('plan-1');
const PLAN2 = dg('plan-2');

const capture = captureIO;

const v1: LockState = [
  modelLock('churn', [modelVersion(1, 'champion')]),
  featureLock('customer_activity'),
  dataLock('customer-pii'),
].reduce(withLock, emptyLockState());
const v2: LockState = withLock(
  withLock(v1, featureLock('customer_activity', 7000)),
  modelLock('churn', [
    {
      ...modelVersion(1, 'retired'),
      statusHistory: [
        ...modelVersion(1, 'champion').statusHistory,
        { status: 'retired', at: at(9), reason: 'replaced by v2', plan: PLAN2, action: 'promote:churn@2' },
      ],
    },
    {
      ...modelVersion(2, 'champion'),
      statusHistory: [
        { status: 'candidate', at: at(8), reason: 'drift: 3/8 features' },
        {
          status: 'champion',
          at: at(9),
          reason: 'auc 0.902 beats champion 0.901 by 0.001',
          plan: PLAN2,
          action: 'promote:churn@2',
        },
      ],
    },
  ]),
);

/** A policy repository (the project's own example policies) with two applies committed. */
async function appliedRepo(): Promise<string> {
  const root = tempRepo({ files: { 'README.md': 'ml\n' } });
  cpSync(join(REPO, 'policies'), join(root, 'policies'), { recursive: true });
  cpSync(join(REPO, 'rudder.yaml'), join(root, 'rudder.yaml'));
  git(root, 'add', 'policies', 'rudder.yaml');
  git(root, 'commit', '-qm', 'policies');
  const w1 = await writeLockChanges(root, 'state', diffLockStates(emptyLockState(), v1, 'state'));
  await commitState({
    root,
    files: w1.written,
    subject: 'train churn v1 (new model); materialize customer_activity; scan customer-pii',
    trailers: { plan: PLAN1, actions: ['train:churn@1', 'materialize:customer_activity@1'], actor: 'ci' },
  });
  const w2 = await writeLockChanges(root, 'state', diffLockStates(v1, v2, 'state'));
  await commitState({
    root,
    files: w2.written,
    subject: 'train churn v2 (drift: 3/8 features)',
    trailers: { plan: PLAN2, actions: ['train:churn@2', 'promote:churn@2'], actor: 'mcp:claude' },
  });
  return root;
}

describe('rudder status', () => {
  test('one table: lockfile state, plus resources the policies declare but no apply has touched', async () => {
    const root = await appliedRepo();
    const io = capture();
    expect(await statusCommand({ cwd: root, json: false }, io)).toBe(0);
    const lines = io.out().split('\n');
    expect(lines[0]).toBe('Project acme-churn: state in state/');
    expect(lines[1]).toMatch(/^KIND +NAME +STATE +UPDATED +DETAIL$/);
    expect(io.out()).toMatch(
      /feature +customer_activity +materialized +2026-05-03 14:00Z +7000 rows, watermark 2026-05-03T12:00:00.000Z/,
    );
    expect(io.out()).toMatch(/feature +customer_profile +not materialized/);
    expect(io.out()).toMatch(/data +customer-pii +1 quarantined .* 1 view scanned, 1 finding, 12 rows held/);
    expect(io.out()).toMatch(/model +churn +champion v2 +2026-05-09 12:00Z +2 versions; auc 0.902/);
    expect(io.out()).toMatch(/rollout +churn +no rollout .* canary \(policy churn-rollout\)/);
    expect(io.out()).not.toContain('Uncommitted');
    expect(io.err()).toBe('');
  });

  test('--json through the CLI entry point', async () => {
    const root = await appliedRepo();
    writeFileSync(
      join(root, 'state/features/customer_activity.lock.yaml'),
      readFileSync(join(root, 'state/features/customer_activity.lock.yaml'), 'utf8').replace(
        'rows: 7000',
        'rows: 7001',
      ),
    );
    let out = '';
    const program = buildProgram({
      stdout: (t) => (out += t),
      stderr: () => undefined,
      color: false,
      isTTY: false,
    });
    await program.parseAsync(['node', 'rudder', '-C', root, '--json', 'status']);
    const j = JSON.parse(out) as {
      resources: { kind: string; name: string; state: string; hasLock: boolean }[];
      locks: LockState;
      git: { uncommitted: string[] };
    };
    expect(j.resources.find((r) => r.kind === 'model')).toMatchObject({
      name: 'churn',
      state: 'champion v2',
      hasLock: true,
    });
    expect(j.locks.models.churn?.versions.map((v) => v.status)).toEqual(['retired', 'champion']);
    expect(j.git.uncommitted).toEqual(['state/features/customer_activity.lock.yaml']);
    process.exitCode = undefined;
  });

  test('a hand-broken lockfile: exit 1, a diagnostic with file:line:column, the other resources still shown', async () => {
    const root = await appliedRepo();
    const file = join(root, 'state/models/churn.lock.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    seed: 42\n', '    seed: forty-two\n'));
    const io = capture();
    expect(await statusCommand({ cwd: root, json: false }, io)).toBe(1);
    expect(io.err()).toMatch(
      /^state\/models\/churn\.lock\.yaml:\d+:11 error lock\/wrong-type versions\[0\]\.seed must be of type integer, got "forty-two"$/m,
    );
    expect(io.out()).toMatch(/feature +customer_activity +materialized/);
    expect(io.out()).toMatch(/Uncommitted state changes: state\/models\/churn.lock.yaml/);
  });

  test('the apply lock is shown with its holder; stale when its process is gone', async () => {
    const root = await appliedRepo();
    const lock = await acquireApplyLock({ root, operation: 'apply', owner: 'alice (cli)' });
    const io = capture();
    await statusCommand({ cwd: root, json: false }, io);
    expect(io.out()).toContain(`Apply lock: held by alice (cli) (apply, pid ${process.pid}`);
    expect(io.out()).not.toContain('stale');
    await lock.release();
  });
});

describe('rudder history', () => {
  test('commits newest first: when, plan, actions, actor, reason; --diff shows the lockfile diff', async () => {
    const root = await appliedRepo();
    const io = capture();
    expect(await historyCommand({ cwd: root, resource: 'churn', diff: true, json: false }, io)).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^History of churn \(2 commits; state\/models\/churn.lock.yaml\)/);
    const second = out.indexOf('mcp:claude  train churn v2 (drift: 3/8 features)');
    const first = out.indexOf('ci  train churn v1 (new model)');
    expect(second).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(second);
    expect(out).toContain(
      `    plan    ${PLAN2}\n    action  train:churn@2\n    action  promote:churn@2\n    files   state/models/churn.lock.yaml`,
    );
    expect(out).toContain('       - version: 1\n    -    status: champion\n    +    status: retired\n');
    expect(out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/m);
  });

  test('kind/name narrows to one lockfile; an unknown resource is an error', async () => {
    const root = await appliedRepo();
    const io = capture();
    await historyCommand({ cwd: root, resource: 'feature/customer_activity', diff: false, json: true }, io);
    const j = JSON.parse(io.out()) as { files: string[]; entries: { actor: string; actions: string[] }[] };
    expect(j.files).toEqual(['state/features/customer_activity.lock.yaml']);
    expect(j.entries.map((e) => e.actor)).toEqual(['mcp:claude', 'ci']);
    const bad = capture();
    expect(await historyCommand({ cwd: root, resource: 'widget/x', diff: false, json: false }, bad)).toBe(1);
    expect(bad.err()).toContain('unknown resource kind "widget"');
    const none = capture();
    expect(await historyCommand({ cwd: root, resource: 'nothing', diff: false, json: false }, none)).toBe(1);
  });

  test('outside git: the status changes recorded in the lockfile, and one notice', async () => {
    const root = tempDir();
    await writeLockChanges(root, 'state', diffLockStates(emptyLockState(), v2, 'state'));
    const io = capture();
    expect(await historyCommand({ cwd: root, resource: 'model/churn', diff: false, json: false }, io)).toBe(
      0,
    );
    expect(io.out()).toContain('Status changes recorded in the lockfile:');
    expect(io.out()).toContain(
      `${at(9)}  v2 champion  auc 0.902 beats champion 0.901 by 0.001  (plan ${PLAN2.slice(0, 19)}…, promote:churn@2)`,
    );
    expect(io.err().match(/not in a git repository/g)).toHaveLength(1);
  });
});

describe('rudder unlock', () => {
  test('releases by id only; a live holder needs --force', async () => {
    const root = tempDir();
    const lock = await acquireApplyLock({ root, operation: 'reconcile', owner: 'cron' });
    const wrong = capture();
    expect(await unlockCommand({ cwd: root, id: 'deadbeef', force: false }, wrong)).toBe(1);
    expect(wrong.err()).toContain(`the apply lock has id ${lock.id}, not deadbeef`);
    const alive = capture();
    expect(await unlockCommand({ cwd: root, id: lock.id, force: false }, alive)).toBe(1);
    expect(alive.err()).toContain('is still running on this machine');
    const ok = capture();
    expect(await unlockCommand({ cwd: root, id: lock.id, force: true }, ok)).toBe(0);
    expect(ok.out()).toContain(`Released apply lock ${lock.id} (reconcile by cron`);
    const free = capture();
    expect(await unlockCommand({ cwd: root, id: lock.id, force: false }, free)).toBe(1);
    expect(free.err()).toContain('no apply lock is held');
  });
});

describe('self-verifying lockfiles end to end', () => {
  test('a lock cut short or edited so that it still parses is refused by status; rudder state seal accepts a deliberate edit', async () => {
    const { stateSealCommand } = await import('../../src/cli/commands/state.ts');
    const root = await appliedRepo();
    const feature = 'state/features/customer_activity.lock.yaml';
    const text = readFileSync(join(root, feature), 'utf8');
    expect(text).toMatch(/rows: \d{2,}/);
    writeFileSync(join(root, feature), text.replace(/rows: (\d+)(\d)/, 'rows: $1'));
    let io = capture();
    expect(await statusCommand({ cwd: root, json: false }, io)).toBe(1);
    expect(io.err()).toContain(`${feature}:2:1 error lock/integrity-mismatch`);
    expect(io.err()).toContain(`git checkout -- ${feature}`);

    // A model lock cut 20 bytes short, in the middle of a value: refused, same hint.
    const model = 'state/models/churn.lock.yaml';
    const mtext = readFileSync(join(root, model), 'utf8');
    writeFileSync(join(root, model), mtext.slice(0, mtext.length - 20));
    io = capture();
    expect(await statusCommand({ cwd: root, json: false }, io)).toBe(1);
    expect(io.err()).toContain(`${model}:2:1 error lock/integrity-mismatch`);
    writeFileSync(join(root, model), mtext);

    // The feature edit was deliberate: seal checks it and rewrites it with a fresh integrity line.
    io = capture();
    expect(await stateSealCommand({ cwd: root, files: [feature], json: false }, io)).toBe(0);
    expect(io.out()).toContain(`sealed ${feature}`);
    io = capture();
    expect(await statusCommand({ cwd: root, json: false }, io)).toBe(0);

    // A hand edit that breaks the schema is not sealed.
    writeFileSync(
      join(root, feature),
      readFileSync(join(root, feature), 'utf8').replace(/rows: \d+/, 'rows: many'),
    );
    io = capture();
    expect(await stateSealCommand({ cwd: root, files: [feature], json: false }, io)).toBe(1);
    expect(io.err()).toContain('lock/wrong-type');
    expect(readFileSync(join(root, feature), 'utf8')).toContain('rows: many');
  });
});

describe('rudder rollout release', () => {
  test('a held version becomes a candidate again, recorded and committed; anything else is refused', async () => {
    const { rolloutReleaseCommand } = await import('../../src/cli/commands/rollout.ts');
    const root = await appliedRepo();
    // v3 was rolled back and held.
    const held = {
      ...modelVersion(3, 'candidate'),
      status: 'held' as const,
      statusHistory: [
        ...modelVersion(3, 'candidate').statusHistory,
        {
          status: 'held' as const,
          at: at(10),
          reason: 'rolled-back: error rate 0.5 > 0.01',
          action: 'rollout.rollback:churn@v3',
        },
      ],
    };
    const v3 = withLock(v2, { ...v2.models.churn!, versions: [...v2.models.churn!.versions, held] });
    const w = await writeLockChanges(root, 'state', diffLockStates(v2, v3, 'state'));
    await commitState({
      root,
      files: w.written,
      subject: 'roll back churn v3',
      trailers: { actions: ['rollout.rollback:churn@v3'], actor: 'reconcile' },
    });

    let io = capture();
    expect(
      await rolloutReleaseCommand({ cwd: root, model: 'churn', version: 'v2', reason: 'x', json: false }, io),
    ).toBe(1);
    expect(io.err()).toContain('churn v2 is champion, not held');
    expect(io.err()).toContain('Held: v3');

    io = capture();
    expect(
      await rolloutReleaseCommand(
        { cwd: root, model: 'churn', version: '3', reason: 'fixed the feature pipeline', json: false },
        io,
      ),
    ).toBe(0);
    const lock = readFileSync(join(root, 'state/models/churn.lock.yaml'), 'utf8');
    expect(lock).toContain('hold released: fixed the feature pipeline');
    expect(git(root, 'log', '-1', '--format=%B')).toMatch(
      /^rudder: release the hold on churn v3\n[\s\S]*Rudder-Action: rollout.release:churn@v3\nRudder-Actor: cli\n?$/,
    );
    expect(git(root, 'status', '--porcelain', '--', 'state')).toBe('');
  });
});
