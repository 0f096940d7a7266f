import { describe, expect, test } from 'vitest';
import { reconcileWatch } from '../../../src/serving/reconcile.ts';

describe('reconcile --watch loop', () => {
  test('repeats on the interval with jitter, backs off after failures, resets after a success, stops on abort', async () => {
    const ac = new AbortController();
    const outcomes = [true, false, false, true, true];
    const waits: number[] = [];
    let calls = 0;
    const runs = await reconcileWatch({
      run: () => Promise.resolve({ ok: outcomes[calls++]!, summary: '' }),
      intervalMs: 10,
      jitter: 0.1,
      random: () => 1, // the top of the jitter band: +10 %
      signal: ac.signal,
      onRun: ({ nextInMs }) => {
        waits.push(nextInMs);
        if (waits.length === outcomes.length) ac.abort();
      },
    });
    expect(runs).toBe(5);
    // ok → 10 ms (+10 %), fail → 20, fail → 40, ok → back to 10.
    expect(waits).toEqual([11, 22, 44, 11, 11]);
  });

  test('a pass that throws counts as a failure and the loop goes on', async () => {
    const ac = new AbortController();
    let calls = 0;
    const errors: string[] = [];
    await reconcileWatch({
      run: () =>
        calls++ === 0 ? Promise.reject(new Error('lock held')) : Promise.resolve({ ok: true, summary: '' }),
      intervalMs: 5,
      jitter: 0,
      signal: ac.signal,
      onRun: ({ error }) => {
        if (error) errors.push(error.message);
        if (calls === 2) ac.abort();
      },
    });
    expect(errors).toEqual(['lock held']);
    expect(calls).toBe(2);
  });

  test('backoff is capped', async () => {
    const ac = new AbortController();
    const waits: number[] = [];
    await reconcileWatch({
      run: () => Promise.resolve({ ok: false, summary: '' }),
      intervalMs: 1,
      maxBackoffMs: 8,
      jitter: 0,
      signal: ac.signal,
      onRun: ({ nextInMs }) => {
        waits.push(nextInMs);
        if (waits.length === 6) ac.abort();
      },
    });
    expect(waits).toEqual([2, 4, 8, 8, 8, 8]);
  });
});
