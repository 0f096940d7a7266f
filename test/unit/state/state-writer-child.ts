// A child process for the kill tests (test/e2e/state-*.test.ts): it rewrites a multi-file state
// generation after generation until it is killed, or takes the apply lock and waits.
import { acquireApplyLock } from '../../../src/state/apply-lock.ts';
import { diffLockStates, withLock } from '../../../src/state/lock-state.ts';
import { writeLockChanges } from '../../../src/state/state-io.ts';
import { emptyLockState, type LockState } from '../../../src/state/types.ts';
import { dg, featureLock, modelLock } from './fixtures.ts';

export const VIEWS = ['f0', 'f1', 'f2', 'f3'];

/** Generation g: four feature locks with rows = g, a model lock naming g, and `extra` only when g is odd. */
export function generation(g: number): LockState {
  let s = emptyLockState();
  for (const v of VIEWS) s = withLock(s, featureLock(v, g));
  s = withLock(s, { ...modelLock('churn'), specDigest: dg(`g${g}`) });
  if (g % 2 === 1) s = withLock(s, featureLock('extra', g));
  return s;
}

async function main(): Promise<void> {
  const [mode, root] = process.argv.slice(2);
  if (!root) throw new Error('usage: state-writer-child.ts write|lock <root>');
  if (mode === 'lock') {
    const lock = await acquireApplyLock({ root, operation: 'apply', owner: 'child (test)' });
    process.stdout.write(`locked ${lock.id}\n`);
    setInterval(() => undefined, 1 << 30);
    return;
  }
  let prev = emptyLockState();
  for (let g = 1; ; g++) {
    const next = generation(g);
    await writeLockChanges(root, 'state', diffLockStates(prev, next, 'state'));
    prev = next;
    if (g === 2) process.stdout.write('ready\n');
  }
}

if (process.argv[1]?.endsWith('state-writer-child.ts')) void main();
