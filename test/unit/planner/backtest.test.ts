// The pure half of a backtest: the cooldown as the planner applies it, replayed across steps, the
// planner's inputs at a step, and the summary per trigger.
import { describe, expect, test } from 'vitest';
import {
  decideStep,
  initialState,
  replayInputs,
  replayTimes,
  summarizeBacktest,
  triggersOf,
  type BacktestStep,
  type ReplayState,
  type StepObservation,
} from '../../../src/planner/backtest.ts';
import type { RetrainPolicy } from '../../../src/compiler/desired-state.ts';
import type { LockState, ModelVersion } from '../../../src/state/types.ts';

const DAY = 86_400_000;
const at = (d: number) => new Date(Date.UTC(2026, 5, 1) + d * DAY).toISOString();
const obs = (d: number, codes: StepObservation['triggers'][number]['code'][] = []): StepObservation => ({
  at: at(d),
  triggers: codes.map((code) => ({ code, message: `${code} evidence` })),
  notes: [],
  labelRows: 1000 + d,
});

/** Replay observations through decideStep, as the compose loop does. */
function replay(steps: StepObservation[], cooldownMs: number, state: ReplayState = {}): BacktestStep[] {
  const out: BacktestStep[] = [];
  for (const o of steps) {
    const d = decideStep(state, o, cooldownMs);
    out.push(d.step);
    state = d.state;
  }
  return out;
}

describe('decideStep', () => {
  test('a trigger inside the cooldown of a simulated retrain is held until the cooldown ends', () => {
    const steps = replay(
      [obs(0), obs(1, ['drift']), obs(2, ['drift']), obs(3, ['drift']), obs(4, ['drift'])],
      3 * DAY,
    );
    expect(steps.map((s) => s.outcome)).toEqual(['quiet', 'fired', 'held', 'held', 'fired']);
    expect(steps[2]!.heldUntil).toBe(at(4));
    expect(steps[2]!.triggers[0]!.message).toBe('drift evidence');
  });

  test('the cooldown of the version in the lock holds the first steps too', () => {
    const start = { lastRetrain: Date.parse(at(0)), trainedRows: 900 };
    const steps = replay([obs(0, ['performance']), obs(1, ['performance'])], DAY, start);
    expect(steps.map((s) => s.outcome)).toEqual(['held', 'fired']);
  });

  test('a fired step records the label rows the simulated retrain trained on', () => {
    const d = decideStep({}, obs(5, ['data-volume']), DAY);
    expect(d.state).toEqual({ lastRetrain: Date.parse(at(5)), trainedRows: 1005 });
  });

  test('a blocked step neither fires nor moves the cooldown', () => {
    const d = decideStep({ lastRetrain: 1 }, { ...obs(1, ['drift']), blocked: 'cannot read x' }, DAY);
    expect(d.step.outcome).toBe('blocked');
    expect(d.state).toEqual({ lastRetrain: 1 });
  });
});

test('triggersOf keeps the RetrainPolicy triggers, not deliberate reasons', () => {
  expect(
    triggersOf([
      { code: 'spec-changed', message: 's' },
      { code: 'drift', message: 'd' },
      { code: 'schedule-due', message: 'x' },
    ]).map((t) => t.code),
  ).toEqual(['drift', 'schedule-due']);
});

test('summarizeBacktest counts steps and, per trigger, its fired and held steps', () => {
  const steps = replay(
    [obs(0, ['drift', 'performance']), obs(1, ['drift']), obs(2), obs(3, ['schedule-due'])],
    2 * DAY,
  );
  expect(summarizeBacktest(steps)).toEqual({
    steps: 4,
    fired: 2,
    held: 1,
    blocked: 0,
    byTrigger: {
      drift: { fired: 1, held: 1 },
      performance: { fired: 1, held: 0 },
      'schedule-due': { fired: 1, held: 0 },
    },
  });
});

test('replayTimes includes both ends', () => {
  const t = replayTimes(new Date(at(0)), new Date(at(2)), DAY).map((d) => d.toISOString());
  expect(t).toEqual([at(0), at(1), at(2)]);
});

describe('the planner inputs at a step', () => {
  const version = {
    version: 1,
    trainedAt: at(-10),
    trainingSet: { rows: 500 },
  } as unknown as ModelVersion;
  const lock = { models: { churn: { versions: [version] } } } as unknown as LockState;
  const desired = {
    retrainPolicies: [
      { model: 'churn', cooldownMs: DAY },
      { model: 'other', cooldownMs: DAY },
    ] as unknown as RetrainPolicy[],
  };

  test('a version trained after --from counts as trained at --from', () => {
    expect(initialState(version, new Date(at(-20)))).toEqual({
      lastRetrain: Date.parse(at(-20)),
      trainedRows: 500,
    });
    expect(initialState(version, new Date(at(0)))).toEqual({
      lastRetrain: Date.parse(at(-10)),
      trainedRows: 500,
    });
    expect(initialState(undefined, new Date(at(0)))).toEqual({});
  });

  test('the latest version carries the simulated retrain; the model’s cooldown is off, others untouched', () => {
    const r = replayInputs(desired, lock, 'churn', { lastRetrain: Date.parse(at(3)), trainedRows: 777 });
    expect(r.lock.models.churn!.versions[0]).toMatchObject({ trainedAt: at(3), trainingSet: { rows: 777 } });
    expect(r.desired.retrainPolicies.map((p) => p.cooldownMs)).toEqual([0, DAY]);
    // The workspace's own lock is not modified.
    expect(version.trainedAt).toBe(at(-10));
  });
});
