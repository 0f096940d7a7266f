// What observe records about a progressing rollout, for the planner: the step's analysis (a
// measurement per interval, Argo semantics, for thresholds and operational metrics; one paired
// decision over the whole step for a quality metric's maxDegradation) and, for A/B tests, the sequential test. Pure: the
// rows read from the prediction log, the lock, the policy and the clock in.
import type { RolloutPolicy } from '../compiler/desired-state.ts';
import { lowerIsBetter, type Task } from '../schema/vocabulary.ts';
import type { LabelRecord, PredictionRecord } from '../prediction-log/port.ts';
import type { RolloutLock } from '../state/types.ts';
import { analyzeStep, joinLabels, perSampleValues, type AnalysisVerdict } from './analysis.ts';
import {
  armStats,
  fixedHorizonTest,
  mannWhitneyTest,
  sequentialTest,
  type AbDecision,
} from './sequential.ts';
import type { ObservedResult } from './evidence-types.generated.ts';

/** One conclusive measurement, as plans and the rollout lock record it (src/schema/plan.schema.json). */
export type { ObservedResult };

export interface AbObservation {
  metric: string;
  method: 'msprt' | 'two-proportion-z' | 'welch-t' | 'mann-whitney';
  /** Samples per arm: [champion, challenger]. */
  samples: [number, number];
  /** Challenger − champion, in the metric's units (a rate, a mean loss, milliseconds); null while an arm has no samples. */
  effect: number | null;
  /** The confidence interval of the effect; a null bound is unbounded (too few samples to bound it). */
  interval: [number | null, number | null];
  pValue: number;
  /** `insufficient` below minSamplesPerArm; `continue` when the test cannot tell yet. */
  decision: AbDecision | 'insufficient' | 'unsupported';
  message: string;
}

export interface RolloutObservation {
  /** The challenger analysed, and the champion it is compared with. */
  version: number;
  baselineVersion?: number;
  step: number;
  stepStartedAt: string;
  verdict: AnalysisVerdict;
  reasons: string[];
  /** Challenger predictions in the step. */
  samples: number;
  /** Measurements taken (all phases), and the latest conclusive one per metric. */
  measurements: number;
  results: ObservedResult[];
  ab?: AbObservation;
}

export interface ObserveRolloutInput {
  policy: RolloutPolicy;
  lock: RolloutLock;
  task: Task;
  positiveClass?: string | number | boolean;
  challenger: number;
  champion?: number;
  now: Date;
  /** Predictions since the rollout started (the step's window is taken from them). */
  predictions: readonly PredictionRecord[];
  labels: readonly LabelRecord[];
}

const fmt = (x: number): string => String(Number(x.toPrecision(3)));

export function observeRollout(input: ObserveRolloutInput): RolloutObservation {
  const { policy, lock } = input;
  const stepStartedAt = new Date(lock.updatedAt);
  // A champion with no traffic left (a canary at 100%) cannot be compared on the same window.
  const championWeight = lock.versions.find((v) => v.version === input.champion)?.weight ?? 0;
  const baselineVersion = input.champion != null && championWeight > 0 ? input.champion : undefined;
  const report = analyzeStep({
    task: input.task,
    positiveClass: input.positiveClass,
    version: input.challenger,
    baselineVersion,
    stepStartedAt,
    now: input.now,
    predictions: input.predictions,
    labels: input.labels,
    // A paired decision the lock recorded in this step stands: a later pass does not reverse it.
    recorded: (lock.decisions ?? []).filter((d) => d.step === lock.step && d.version === input.challenger),
    settings: {
      intervalMs: policy.analysis.intervalMs,
      minSamples: policy.analysis.minSamples,
      failureLimit: policy.analysis.failureLimit,
      metrics: policy.analysis.metrics,
    },
  });
  const latest = new Map<string, ObservedResult>();
  for (const m of report.measurements)
    if ((m.phase === 'Successful' || m.phase === 'Failed') && m.value != null)
      latest.set(m.metric, {
        metric: m.metric,
        value: m.value,
        threshold: m.threshold,
        rule: m.rule,
        samples: m.samples,
        passed: m.phase === 'Successful',
        from: m.from,
        to: m.to,
        ...(m.paired ? { paired: m.paired } : {}),
      });
  const out: RolloutObservation = {
    version: input.challenger,
    ...(baselineVersion != null ? { baselineVersion } : {}),
    step: lock.step,
    stepStartedAt: stepStartedAt.toISOString(),
    verdict: report.verdict,
    reasons: report.reasons,
    samples: report.samples,
    measurements: report.measurements.length,
    results: [...latest.values()].sort((a, b) => (a.metric < b.metric ? -1 : 1)),
  };
  const st = policy.strategy;
  if (st.type === 'abTest' && input.champion != null) out.ab = abTest(input, st);
  return out;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function abTest(
  input: ObserveRolloutInput,
  st: Extract<RolloutPolicy['strategy'], { type: 'abTest' }>,
): AbObservation {
  const since = Date.parse(input.lock.startedAt ?? input.lock.updatedAt);
  const rows = input.predictions.filter((r) => Date.parse(r.at) >= since);
  const champ = rows.filter((r) => r.version === input.champion);
  const chall = rows.filter((r) => r.version === input.challenger);
  const pairs = joinLabels([...champ, ...chall], input.labels);
  const a = perSampleValues(
    st.metric,
    input.task,
    champ,
    pairs.filter((p) => p.prediction.version === input.champion),
    input.positiveClass,
  );
  const b = perSampleValues(
    st.metric,
    input.task,
    chall,
    pairs.filter((p) => p.prediction.version === input.challenger),
    input.positiveClass,
  );
  const method = st.significance.method;
  const base = { metric: st.metric, method };
  if ('error' in a || 'error' in b)
    return {
      ...base,
      samples: [0, 0],
      effect: null,
      interval: [null, null],
      pValue: 1,
      decision: 'unsupported',
      message: 'error' in a ? a.error : (b as { error: string }).error,
    };
  const sa = armStats(a.values);
  const sb = armStats(b.values);
  const higherIsBetter = !lowerIsBetter.has(st.metric) && !st.metric.startsWith('latency_');
  const opts = { alpha: st.significance.alpha, higherIsBetter };
  const r =
    method === 'msprt'
      ? sequentialTest(sa, sb, { ...opts, tuning: st.significance.tuning })
      : method === 'mann-whitney'
        ? mannWhitneyTest(a.values, b.values, opts)
        : fixedHorizonTest(method, sa, sb, opts);
  const enough = sa.n >= st.minSamplesPerArm && sb.n >= st.minSamplesPerArm;
  const what = `${st.metric}: champion v${input.champion} ${fmt(sa.mean)} (n=${sa.n}), challenger v${input.challenger} ${fmt(sb.mean)} (n=${sb.n})`;
  const test = `${method} p=${fmt(r.pValue)}, ${Math.round((1 - st.significance.alpha) * 100)}% interval [${fmt(r.interval[0])}, ${fmt(r.interval[1])}]`;
  return {
    ...base,
    samples: [sa.n, sb.n],
    // Plans are JSON: an unbounded interval or an undefined effect is written as null, not ±Infinity.
    effect: Number.isFinite(r.effect) ? r.effect : null,
    interval: [finite(r.interval[0]), finite(r.interval[1])],
    pValue: Number.isFinite(r.pValue) ? r.pValue : 1,
    decision: enough ? r.decision : 'insufficient',
    message: enough
      ? `${what}; ${test}${r.decision === 'continue' ? ': no difference shown yet' : ''}`
      : `${what}: below minSamplesPerArm ${st.minSamplesPerArm}`,
  };
}
