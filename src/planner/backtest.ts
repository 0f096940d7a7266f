// A backtest replays the retrain rule over history: at each step the planner says which
// triggers fire (with its cooldown switched off), and this module decides, as the cooldown would
// have, which of them retrain and which are held, and builds the timeline and its summary. Pure.
import type { RetrainPolicy, Trigger } from '../compiler/desired-state.ts';
import type { Observations } from '../observe/observations.ts';
import type { LockState, ModelVersion } from '../state/types.ts';
import type { Reason, TrainReasonCode } from './plan-types.ts';

/** The RetrainPolicy triggers a backtest replays (deliberate reasons are not triggers). */
export type TriggerCode = 'schedule-due' | 'drift' | 'performance' | 'data-volume';
export const TRIGGER_CODES: readonly TriggerCode[] = ['drift', 'performance', 'schedule-due', 'data-volume'];

const isTrigger = (c: TrainReasonCode): c is TriggerCode => (TRIGGER_CODES as readonly string[]).includes(c);

/** What one step of the replay observed, before the cooldown is applied. */
export interface StepObservation {
  at: string;
  /** Triggers that fired, with the planner's evidence. */
  triggers: { code: TriggerCode; message: string }[];
  /** Why the planner could not decide for the model at this step (an unreadable source). */
  blocked?: string;
  drift?: {
    share: number;
    drifted: number;
    features: number;
    samples: number;
    insufficient?: boolean;
    /** feature → its statistic, threshold and verdict. */
    columns: Record<string, { method: string; statistic: number; threshold: number; drifted: boolean }>;
  };
  quality?: { metric: string; value: number; labels: number };
  labelRows?: number;
  notes: string[];
}

/** One step of the timeline. `held`: a trigger fired inside the cooldown of a simulated retrain. */
export interface BacktestStep extends StepObservation {
  outcome: 'fired' | 'held' | 'quiet' | 'blocked';
  /** For `held`: when the cooldown of the last simulated retrain ends. */
  heldUntil?: string;
}

/** The cooldown state carried across the replay. */
export interface ReplayState {
  /** Epoch ms of the last (simulated) retrain; undefined before any. */
  lastRetrain?: number;
  /** Label rows the last (simulated) retrain trained on (the dataVolume trigger's baseline). */
  trainedRows?: number;
}

/** The train reasons of a plan action, reduced to the automatic triggers. */
export function triggersOf(reasons: readonly Reason<TrainReasonCode>[]): StepObservation['triggers'] {
  return reasons.flatMap((r) => (isTrigger(r.code) ? [{ code: r.code, message: r.message }] : []));
}

/**
 * Apply the cooldown as the planner does (automatic triggers inside `cooldownMs` of the last
 * retrain are held) and advance the state: a step that fires is a simulated retrain at `at`.
 */
export function decideStep(
  state: ReplayState,
  obs: StepObservation,
  cooldownMs: number,
): { step: BacktestStep; state: ReplayState } {
  if (obs.blocked != null) return { step: { ...obs, outcome: 'blocked' }, state };
  if (obs.triggers.length === 0) return { step: { ...obs, outcome: 'quiet' }, state };
  const now = Date.parse(obs.at);
  if (state.lastRetrain != null && now - state.lastRetrain < cooldownMs)
    return {
      step: { ...obs, outcome: 'held', heldUntil: new Date(state.lastRetrain + cooldownMs).toISOString() },
      state,
    };
  return {
    step: { ...obs, outcome: 'fired' },
    state: { lastRetrain: now, trainedRows: obs.labelRows ?? state.trainedRows },
  };
}

/** The replay's starting state: the model's latest version, as if trained no later than `from`. */
export function initialState(latest: ModelVersion | undefined, from: Date): ReplayState {
  if (!latest) return {};
  return {
    lastRetrain: Math.min(Date.parse(latest.trainedAt), from.getTime()),
    trainedRows: latest.trainingSet.rows,
  };
}

/**
 * What the planner sees at a step: the model's latest version as the simulated last retrain
 * (when and on how many label rows), and no cooldown (decideStep applies it, so held triggers
 * keep their evidence).
 */
export function replayInputs<D extends { retrainPolicies: readonly RetrainPolicy[] }>(
  desired: D,
  lock: LockState,
  model: string,
  state: ReplayState,
): { desired: D; lock: LockState } {
  const ml = lock.models[model];
  const latest = ml?.versions.at(-1);
  const replayLock =
    ml && latest && state.lastRetrain != null
      ? {
          ...lock,
          models: {
            ...lock.models,
            [model]: {
              ...ml,
              versions: [
                ...ml.versions.slice(0, -1),
                {
                  ...latest,
                  trainedAt: new Date(state.lastRetrain).toISOString(),
                  trainingSet: { ...latest.trainingSet, rows: state.trainedRows ?? latest.trainingSet.rows },
                },
              ],
            },
          },
        }
      : lock;
  return {
    desired: {
      ...desired,
      retrainPolicies: desired.retrainPolicies.map((p) => (p.model === model ? { ...p, cooldownMs: 0 } : p)),
    },
    lock: replayLock,
  };
}

/** The drift, quality and label figures of a model's observation, for the timeline. */
export function figuresOf(
  mo: Observations['models'][string] | undefined,
): Pick<StepObservation, 'drift' | 'quality' | 'labelRows'> {
  if (!mo) return {};
  const d = mo.drift;
  return {
    ...(d
      ? {
          drift: {
            share: d.share,
            drifted: d.drifted,
            features: d.features,
            samples: d.samples,
            ...(d.insufficient ? { insufficient: true } : {}),
            columns: Object.fromEntries(
              d.details.map((c) => [
                c.feature,
                { method: c.method, statistic: c.statistic, threshold: c.threshold, drifted: c.drifted },
              ]),
            ),
          },
        }
      : {}),
    ...(mo.quality
      ? { quality: { metric: mo.quality.metric, value: mo.quality.value, labels: mo.quality.labels } }
      : {}),
    ...(mo.labelRows != null ? { labelRows: mo.labelRows } : {}),
  };
}

export interface BacktestSummary {
  steps: number;
  fired: number;
  held: number;
  blocked: number;
  /** Per trigger: at how many fired steps it was among the triggers, and at how many held ones. */
  byTrigger: Partial<Record<TriggerCode, { fired: number; held: number }>>;
}

export function summarizeBacktest(steps: readonly BacktestStep[]): BacktestSummary {
  const byTrigger: BacktestSummary['byTrigger'] = {};
  for (const s of steps) {
    if (s.outcome !== 'fired' && s.outcome !== 'held') continue;
    for (const t of new Set(s.triggers.map((x) => x.code))) {
      const c = (byTrigger[t] ??= { fired: 0, held: 0 });
      c[s.outcome] += 1;
    }
  }
  const count = (o: BacktestStep['outcome']) => steps.filter((s) => s.outcome === o).length;
  return {
    steps: steps.length,
    fired: count('fired'),
    held: count('held'),
    blocked: count('blocked'),
    byTrigger,
  };
}

/** The replay's instants: `from`, then every `everyMs`, up to and including `to`. */
export function replayTimes(from: Date, to: Date, everyMs: number): Date[] {
  const out: Date[] = [];
  for (let t = from.getTime(); t <= to.getTime(); t += everyMs) out.push(new Date(t));
  return out;
}

/** One simulated retrain with `--train`: the candidate against the champion on the next period. */
export interface BacktestTrain {
  at: string;
  /** The period scored: (at, until]. */
  until: string;
  metric: string;
  candidate?: { version: number; value?: number; labels?: number; note?: string };
  champion?: { version: number; value?: number; labels?: number; note?: string };
  /** Why nothing was trained or scored. */
  error?: string;
}

export interface BacktestReport {
  model: string;
  from: string;
  to: string;
  everyMs: number;
  cooldownMs: number;
  /** The RetrainPolicy's triggers, as compiled (the thresholds the charts draw). */
  triggers: Trigger[];
  /** The champion's metrics in the lock (what a performance dropBy compares with). */
  championMetrics: Record<string, number>;
  /** Deliberate reasons pending at the first step (spec or features changed): not replayed. */
  pending: string[];
  steps: BacktestStep[];
  summary: BacktestSummary;
  /** With `train`: each simulated retrain's candidate against the champion on the next period. */
  trains?: BacktestTrain[];
}
