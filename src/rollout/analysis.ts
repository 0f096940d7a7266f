// Rollout analysis from prediction-log rows, with Argo Rollouts' semantics (users know them):
// one measurement per metric per `interval` since the step began; a measurement with fewer than
// `minSamples` samples is Inconclusive; a metric Fails when its failed measurements exceed
// `failureLimit`. Quality metrics compare the challenger with the champion on the same traffic
// window (`maxDegradation`). Pure: rows, the clock and the policy in; measurements out.
import { computeMetrics } from '../trainer/evaluation/metrics.ts';
import { lowerIsBetter, type Task } from '../schema/vocabulary.ts';
import { entityKeyString, type LabelRecord, type PredictionRecord } from '../prediction-log/port.ts';
import type { PairedEvidence } from './evidence-types.generated.ts';
import type { RolloutDecision } from '../state/types.ts';
import { decideCanary, type PairedMetric } from './paired.ts';

export interface AnalysisMetric {
  metric: string;
  min?: number;
  max?: number;
  maxDegradation?: number;
}

export interface AnalysisSettings {
  intervalMs: number;
  minSamples: number;
  /** Failed measurements tolerated per metric; one more fails the analysis. Argo's default 0. */
  failureLimit: number;
  metrics: readonly AnalysisMetric[];
  /** α of the paired decisions' confidence sequences. Default PAIRED_ALPHA. */
  alpha?: number;
}

/** The paired decisions' α: P(a wrong rollback or advance, over every pass of a step) ≤ α. */
export const PAIRED_ALPHA = 0.05;

/** Metrics decided on paired evidence when they have maxDegradation and there is a champion. */
const PAIRED_METRICS = new Set<string>(['auc', 'logloss', 'brier', 'mae', 'accuracy']);

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface Measurement {
  metric: string;
  /** ISO bounds of the window measured: [from, to). */
  from: string;
  to: string;
  /** The interval was still running (measured early only because it already fails). */
  partial: boolean;
  phase: MeasurementPhase;
  /** The challenger's value; null when it could not be computed. */
  value: number | null;
  /** The champion's value on the same window (quality metrics, maxDegradation). */
  baseline?: number;
  /** Samples behind `value`: predictions (operational) or labelled predictions (quality). */
  samples: number;
  /** The rule that decided: `min`, `max`, `maxDegradation`, or `minSamples` when inconclusive. */
  rule: string;
  threshold: number;
  message: string;
  /** A paired decision (maxDegradation of a quality metric: the whole step, not one interval). */
  paired?: PairedEvidence;
}

export interface MetricSummary {
  metric: string;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  /** Samples of the successful measurements. */
  samples: number;
}

export type AnalysisVerdict = 'passed' | 'failed' | 'inconclusive';

export interface AnalysisReport {
  version: number;
  baselineVersion?: number;
  stepStartedAt: string;
  at: string;
  /** Challenger predictions in the step so far. */
  samples: number;
  measurements: Measurement[];
  metrics: MetricSummary[];
  verdict: AnalysisVerdict;
  /** Sentences with the evidence: `error_rate 0.31 > max 0.05 (interval 12:00–12:05, 412 requests)`. */
  reasons: string[];
}

export interface AnalysisInput {
  task: Task;
  /** Binary classification: the positive class (what a score is the probability of). */
  positiveClass?: string | number | boolean;
  version: number;
  /** The champion serving the rest of the traffic, when there is one. */
  baselineVersion?: number;
  stepStartedAt: Date;
  now: Date;
  /** Predictions of both versions since the step began (others are ignored). */
  predictions: readonly PredictionRecord[];
  /** Labels that arrived so far (joined to the latest prediction of the entity at or before them). */
  labels: readonly LabelRecord[];
  settings: AnalysisSettings;
  /** Paired decisions the rollout lock recorded for this step and version: kept, never reversed. */
  recorded?: readonly RolloutDecision[];
}

const OPERATIONAL = new Set(['error_rate', 'latency_p50', 'latency_p95', 'latency_p99']);

/** Metrics that compare with the champion need one; operational ones read the challenger alone. */
export function isOperationalMetric(m: string): boolean {
  return OPERATIONAL.has(m);
}

/** Joined (prediction, label) pairs: each label with the entity's latest prediction at or before it. */
export interface LabelledPrediction {
  prediction: PredictionRecord;
  label: LabelRecord['label'];
}

export function joinLabels(
  predictions: readonly PredictionRecord[],
  labels: readonly LabelRecord[],
): LabelledPrediction[] {
  const byEntity = new Map<string, PredictionRecord[]>();
  for (const p of predictions) {
    if (p.score == null) continue;
    const k = entityKeyString(p.entity);
    let list = byEntity.get(k);
    if (!list) byEntity.set(k, (list = []));
    list.push(p);
  }
  for (const list of byEntity.values()) list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const out: LabelledPrediction[] = [];
  const used = new Set<PredictionRecord>();
  for (const l of labels) {
    const list = byEntity.get(entityKeyString(l.entity));
    if (!list) continue;
    const t = Date.parse(l.at);
    let hit: PredictionRecord | undefined;
    for (let i = list.length - 1; i >= 0; i--)
      if (Date.parse(list[i]!.at) <= t) {
        hit = list[i];
        break;
      }
    // One label per prediction: a second label for the same prediction is a duplicate.
    if (hit && !used.has(hit)) {
      used.add(hit);
      out.push({ prediction: hit, label: l.label });
    }
  }
  return out;
}

/** A label as the number the metrics expect: 0/1 for binary, the value for regression. */
export function labelValue(
  task: Task,
  label: LabelRecord['label'],
  positiveClass?: string | number | boolean,
): number | undefined {
  if (task === 'regression') {
    const n = typeof label === 'number' ? label : Number(label);
    return Number.isFinite(n) ? n : undefined;
  }
  if (task === 'binary-classification') {
    if (positiveClass != null) return String(label) === String(positiveClass) ? 1 : 0;
    if (label === true || label === 1 || label === '1' || label === 'true') return 1;
    if (label === false || label === 0 || label === '0' || label === 'false') return 0;
    return undefined;
  }
  return undefined;
}

function quantile(sorted: readonly number[], q: number): number {
  // Nearest-rank, the definition Prometheus-style dashboards and Argo's providers use.
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function operationalValue(metric: string, rows: readonly PredictionRecord[]): number {
  if (metric === 'error_rate') return rows.filter((r) => r.error != null).length / rows.length;
  const lat = rows
    .filter((r) => r.error == null)
    .map((r) => r.latencyMs)
    .sort((a, b) => a - b);
  if (lat.length === 0) return Number.NaN;
  return quantile(lat, metric === 'latency_p50' ? 0.5 : metric === 'latency_p95' ? 0.95 : 0.99);
}

function qualityValue(
  metric: string,
  task: Task,
  pairs: readonly LabelledPrediction[],
  positiveClass: AnalysisInput['positiveClass'],
): number {
  const y: number[] = [];
  const p: number[] = [];
  for (const x of pairs) {
    const v = labelValue(task, x.label, positiveClass);
    if (v === undefined || x.prediction.score == null) continue;
    y.push(v);
    p.push(x.prediction.score);
  }
  if (y.length === 0) return Number.NaN;
  if (task === 'multiclass-classification') return Number.NaN;
  return computeMetrics([metric], { task, y, p })[metric]!;
}

const fmt = (x: number): string => String(Number(x.toPrecision(3)));
const hhmm = (iso: string): string => iso.slice(11, 19);

interface Check {
  rule: string;
  threshold: number;
  ok: boolean;
  text: string;
}

/** The absolute thresholds (`min`, `max`) of a metric against a value. */
function thresholdChecks(m: AnalysisMetric, value: number): Check[] {
  const checks: Check[] = [];
  if (m.min != null)
    checks.push({
      rule: 'min',
      threshold: m.min,
      ok: value >= m.min,
      text: `${fmt(value)} ${value >= m.min ? '≥' : '<'} min ${fmt(m.min)}`,
    });
  if (m.max != null)
    checks.push({
      rule: 'max',
      threshold: m.max,
      ok: value <= m.max,
      text: `${fmt(value)} ${value <= m.max ? '≤' : '>'} max ${fmt(m.max)}`,
    });
  return checks;
}

interface WindowValues {
  value: number;
  baselineValue?: number;
  samples: number;
  baselineSamples: number;
}

/** A metric's value on one window (and the champion's on its own rows, for maxDegradation). */
function windowValues(
  m: AnalysisMetric,
  input: AnalysisInput,
  inWindow: (r: PredictionRecord) => boolean,
  challenger: readonly PredictionRecord[],
  baseline: readonly PredictionRecord[],
  pairs: readonly LabelledPrediction[],
): WindowValues {
  if (isOperationalMetric(m.metric)) {
    const rows = challenger.filter(inWindow);
    const out: WindowValues = {
      samples: rows.length,
      value: rows.length > 0 ? operationalValue(m.metric, rows) : Number.NaN,
      baselineSamples: 0,
    };
    if (m.maxDegradation != null) {
      const b = baseline.filter(inWindow);
      out.baselineSamples = b.length;
      out.baselineValue = b.length > 0 ? operationalValue(m.metric, b) : Number.NaN;
    }
    return out;
  }
  const mine = pairs.filter((x) => x.prediction.version === input.version && inWindow(x.prediction));
  const out: WindowValues = {
    samples: mine.length,
    value: qualityValue(m.metric, input.task, mine, input.positiveClass),
    baselineSamples: 0,
  };
  if (m.maxDegradation != null) {
    const theirs = pairs.filter(
      (x) => x.prediction.version === input.baselineVersion && inWindow(x.prediction),
    );
    out.baselineSamples = theirs.length;
    out.baselineValue = qualityValue(m.metric, input.task, theirs, input.positiveClass);
  }
  return out;
}

/** Judge one metric on one window. */
function measure(
  m: AnalysisMetric,
  input: AnalysisInput,
  from: number,
  to: number,
  partial: boolean,
  challenger: readonly PredictionRecord[],
  baseline: readonly PredictionRecord[],
  pairs: readonly LabelledPrediction[],
): Measurement {
  const base = {
    metric: m.metric,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    partial,
  };
  const where = `${hhmm(base.from)}–${hhmm(base.to)}`;
  const lower = lowerIsBetter.has(m.metric);
  const operational = isOperationalMetric(m.metric);
  const inWindow = (r: PredictionRecord): boolean => {
    const t = Date.parse(r.at);
    return t >= from && t < to;
  };
  if (m.metric.startsWith('custom:'))
    return {
      ...base,
      phase: 'Error',
      value: null,
      samples: 0,
      rule: 'metric',
      threshold: 0,
      message: `${m.metric}: business metrics are not in the prediction log; nothing measured`,
    };
  const { value, baselineValue, samples, baselineSamples } = windowValues(
    m,
    input,
    inWindow,
    challenger,
    baseline,
    pairs,
  );
  const what = operational ? 'requests' : 'labelled predictions';
  const minSamples = input.settings.minSamples;
  const needBaseline = m.maxDegradation != null && input.baselineVersion != null;
  if (samples < minSamples || (needBaseline && baselineSamples < minSamples))
    return {
      ...base,
      phase: 'Inconclusive',
      value: Number.isFinite(value) ? value : null,
      ...(baselineValue != null && Number.isFinite(baselineValue) ? { baseline: baselineValue } : {}),
      samples,
      rule: 'minSamples',
      threshold: minSamples,
      message: `${m.metric}: ${samples} ${what}${needBaseline ? ` (champion ${baselineSamples})` : ''} < minSamples ${minSamples} (${where})`,
    };
  if (!Number.isFinite(value))
    return {
      ...base,
      phase: 'Error',
      value: null,
      samples,
      rule: 'metric',
      threshold: 0,
      message: `${m.metric}: not computable on ${samples} ${what} (${where})`,
    };
  const checks = thresholdChecks(m, value);
  if (m.maxDegradation != null && needBaseline) {
    if (baselineValue == null || !Number.isFinite(baselineValue))
      return {
        ...base,
        phase: 'Error',
        value,
        samples,
        rule: 'maxDegradation',
        threshold: m.maxDegradation,
        message: `${m.metric}: the champion's value is not computable on the same window (${where})`,
      };
    // Relative to the champion, in the "worse" direction of the metric.
    const worse = lower ? value - baselineValue : baselineValue - value;
    const degradation = worse <= 0 ? 0 : worse / Math.max(Math.abs(baselineValue), 1e-12);
    checks.push({
      rule: 'maxDegradation',
      threshold: m.maxDegradation,
      ok: degradation <= m.maxDegradation,
      text: `${fmt(value)} vs champion ${fmt(baselineValue)}: ${(degradation * 100).toFixed(1)}% worse ${degradation <= m.maxDegradation ? '≤' : '>'} maxDegradation ${(m.maxDegradation * 100).toFixed(1)}%`,
    });
  }
  const failed = checks.find((c) => !c.ok);
  const decisive = failed ?? checks[0];
  return {
    ...base,
    phase: failed ? 'Failed' : 'Successful',
    value,
    ...(baselineValue != null && Number.isFinite(baselineValue) ? { baseline: baselineValue } : {}),
    samples,
    rule: decisive?.rule ?? 'samples',
    threshold: decisive?.threshold ?? minSamples,
    message: `${m.metric} ${decisive ? decisive.text : `${fmt(value)} (no threshold)`} (${where}, ${samples} ${what})`,
  };
}

/**
 * `failed` when a metric failed more than failureLimit interval measurements or its paired
 * decision is rollback (the confidence sequence already accounts for every look, so no
 * failureLimit on top); `passed` when every metric has a successful measurement and every paired
 * one says advance; `inconclusive` otherwise.
 */
function verdictOf(
  input: AnalysisInput,
  measurements: readonly Measurement[],
  metrics: readonly MetricSummary[],
  paired: ReadonlyMap<string, Measurement>,
  samples: number,
): { verdict: AnalysisVerdict; reasons: string[] } {
  const { settings } = input;
  const reasons: string[] = [];
  const intervalFailed = (s: MetricSummary): number =>
    s.failed - (paired.get(s.metric)?.phase === 'Failed' ? 1 : 0);
  const failing = metrics.filter(
    (s) => intervalFailed(s) > settings.failureLimit || paired.get(s.metric)?.phase === 'Failed',
  );
  if (failing.length > 0) {
    for (const s of failing) {
      const p = paired.get(s.metric);
      if (p?.phase === 'Failed') {
        reasons.push(p.message);
        continue;
      }
      const last = measurements
        .filter((x) => x.metric === s.metric && x.phase === 'Failed' && !x.paired)
        .at(-1)!;
      const k = intervalFailed(s);
      reasons.push(
        `${last.message}; ${k} failed measurement${k === 1 ? '' : 's'} > failureLimit ${settings.failureLimit}`,
      );
    }
    return { verdict: 'failed', reasons };
  }
  if (samples < settings.minSamples) {
    reasons.push(
      `${samples} predictions by v${input.version} in this step < minSamples ${settings.minSamples}`,
    );
    return { verdict: 'inconclusive', reasons };
  }
  const waiting = metrics.filter(
    (s) => s.successful === 0 || (paired.has(s.metric) && paired.get(s.metric)!.phase !== 'Successful'),
  );
  if (waiting.length > 0) {
    for (const s of waiting) {
      const last = paired.get(s.metric) ?? measurements.filter((x) => x.metric === s.metric).at(-1);
      reasons.push(last ? last.message : `${s.metric}: no complete interval yet`);
    }
    return { verdict: 'inconclusive', reasons };
  }
  for (const s of metrics) {
    const own = measurements.filter((x) => x.metric === s.metric && x.phase === 'Successful');
    for (const x of [own.filter((y) => !y.paired).at(-1), paired.get(s.metric)])
      if (x) reasons.push(x.message);
  }
  if (metrics.length === 0)
    reasons.push(
      `${samples} predictions by v${input.version} ≥ minSamples ${settings.minSamples}; no analysis metrics`,
    );
  return { verdict: 'passed', reasons };
}

/** Quality metrics with maxDegradation are decided on paired rows when there is a champion. */
function isPaired(m: AnalysisMetric, input: AnalysisInput): boolean {
  return m.maxDegradation != null && input.baselineVersion != null && PAIRED_METRICS.has(m.metric);
}

/** The labelled challenger predictions of the step, with the champion's shadow score where logged. */
function pairedRows(
  input: AnalysisInput,
  pairs: readonly LabelledPrediction[],
): { labelled: number; y: number[]; challenger: number[]; champion: number[] } {
  const out = { labelled: 0, y: [] as number[], challenger: [] as number[], champion: [] as number[] };
  for (const x of pairs) {
    const p = x.prediction;
    if (p.version !== input.version || p.score == null) continue;
    const v = labelValue(input.task, x.label, input.positiveClass);
    if (v === undefined) continue;
    out.labelled++;
    // Rows without the champion's score never count: the comparison is on the same rows or not at all.
    const shadow = p.shadow;
    if (shadow?.version !== input.baselineVersion || !Number.isFinite(shadow?.score)) continue;
    out.y.push(v);
    out.challenger.push(p.score);
    out.champion.push(shadow!.score);
  }
  return out;
}

const PHASE_OF = { rollback: 'Failed', advance: 'Successful', wait: 'Inconclusive' } as const;

/** A decision the lock recorded earlier in the step, as this pass's measurement (kept, not re-decided). */
function keptMeasurement(
  r: RolloutDecision,
  base: Omit<Measurement, 'phase' | 'value' | 'samples' | 'message'>,
  n: number,
): Measurement {
  const ci = `[${fmt(r.bound[0]!)}, ${fmt(r.bound[1]!)}]`;
  return {
    ...base,
    phase: PHASE_OF[r.decision],
    value: r.challenger,
    baseline: r.champion,
    samples: r.n,
    message: `${r.metric}: ${r.decision} decided at ${r.at} on ${r.n} paired labelled predictions (excess bound ${ci} at α ${r.alpha}); kept for this step (${n} now)`,
    paired: {
      decision: r.decision,
      n: r.n,
      bound: [r.bound[0]!, r.bound[1]!],
      alpha: r.alpha,
      excess: r.excess,
      challenger: r.challenger,
      champion: r.champion,
      maxDegradation: r.maxDegradation,
      recorded: true,
    },
  };
}

/**
 * maxDegradation of a quality metric, decided on every paired labelled prediction of the step so
 * far by decideCanary (DeLong / paired losses, an asymptotic confidence sequence): valid however
 * many passes look, so it is one measurement over the whole step, not one per interval.
 */
function pairedMeasurement(
  m: AnalysisMetric,
  input: AnalysisInput,
  pairs: readonly LabelledPrediction[],
  from: number,
  to: number,
): Measurement {
  const alpha = input.settings.alpha ?? PAIRED_ALPHA;
  const base = {
    metric: m.metric,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    partial: false,
    rule: 'maxDegradation',
    threshold: m.maxDegradation!,
  };
  const rows = pairedRows(input, pairs);
  const n = rows.y.length;
  const recorded = input.recorded?.find((r) => r.metric === m.metric);
  if (recorded) return keptMeasurement(recorded, base, n);
  if (n === 0)
    return {
      ...base,
      phase: 'Inconclusive',
      value: null,
      samples: 0,
      message: `${m.metric}: none of the ${rows.labelled} labelled predictions of v${input.version} in this step carries the champion v${input.baselineVersion}'s shadow score; the champion's shadow scores are missing (rudder serve logs them during a canary)`,
    };
  const d = decideCanary(
    { metric: m.metric as PairedMetric, ...rows },
    { maxDegradation: m.maxDegradation!, relative: true, alpha, minSamples: input.settings.minSamples },
  );
  const finite = [d.challenger, d.champion, d.excess, ...d.bound].every(Number.isFinite);
  const ci = `[${fmt(d.bound[0])}, ${fmt(d.bound[1])}]`;
  const message =
    d.decision !== 'wait'
      ? d.reason
      : `${m.metric}: waiting — ${n} paired labelled predictions${
          n < input.settings.minSamples ? ` < minSamples ${input.settings.minSamples}` : ''
        }, ${Number.isFinite(d.radius) ? `excess bound ${ci} includes 0` : 'no variance yet'} at α ${alpha}${
          d.moreNeeded != null ? `; ~${d.moreNeeded} more likely needed` : ''
        }`;
  return {
    ...base,
    phase: PHASE_OF[d.decision],
    value: Number.isFinite(d.challenger) ? d.challenger : null,
    ...(Number.isFinite(d.champion) ? { baseline: d.champion } : {}),
    samples: n,
    message,
    ...(finite
      ? {
          paired: {
            decision: d.decision,
            n,
            bound: [d.bound[0], d.bound[1]],
            alpha,
            excess: d.excess,
            challenger: d.challenger,
            champion: d.champion,
            maxDegradation: d.maxDegradation,
            ...(d.decision === 'wait' ? { moreNeeded: d.moreNeeded } : {}),
          },
        }
      : {}),
  };
}

/** The interval part of a metric: all of it, or its min/max alone when maxDegradation is paired. */
function intervalPart(m: AnalysisMetric, input: AnalysisInput): AnalysisMetric | undefined {
  if (!isPaired(m, input)) return m;
  if (m.min == null && m.max == null) return undefined;
  const { maxDegradation: _paired, ...rest } = m;
  return rest;
}

/**
 * Measure every metric on every complete interval since the step began, and on the running one
 * when it already has enough samples to fail; a quality metric's maxDegradation is one paired
 * measurement over the whole step. The verdict:
 * - `failed` when some metric failed more than `failureLimit` times (roll back);
 * - `passed` when every metric has a successful measurement and none failed beyond the limit,
 *   with at least `minSamples` challenger predictions in the step (advance once the hold is over);
 * - `inconclusive` otherwise (wait; below minSamples nothing is decided).
 */
export function analyzeStep(input: AnalysisInput): AnalysisReport {
  const { settings } = input;
  const start = input.stepStartedAt.getTime();
  const now = input.now.getTime();
  const interval = Math.max(1, settings.intervalMs);
  const rows = input.predictions.filter((r) => {
    const t = Date.parse(r.at);
    return t >= start && t < now;
  });
  const challenger = rows.filter((r) => r.version === input.version);
  const baseline =
    input.baselineVersion == null ? [] : rows.filter((r) => r.version === input.baselineVersion);
  const needsLabels = settings.metrics.some((m) => !isOperationalMetric(m.metric));
  const pairs = needsLabels ? joinLabels([...challenger, ...baseline], input.labels) : [];
  const measurements: Measurement[] = [];
  const complete = Math.floor((now - start) / interval);
  for (let k = 0; k <= complete; k++) {
    const from = start + k * interval;
    const partial = k === complete;
    const to = partial ? now : from + interval;
    if (to <= from) continue;
    for (const metric of settings.metrics) {
      const m = intervalPart(metric, input);
      if (!m) continue;
      const x = measure(m, input, from, to, partial, challenger, baseline, pairs);
      // The running interval counts only when it already fails (Argo measures at interval
      // ends; failing early keeps a bad version's exposure under one interval).
      if (partial && x.phase !== 'Failed') continue;
      measurements.push(x);
    }
  }
  const paired = new Map<string, Measurement>();
  for (const m of settings.metrics)
    if (isPaired(m, input)) {
      const x = pairedMeasurement(m, input, pairs, start, now);
      paired.set(m.metric, x);
      measurements.push(x);
    }
  const metrics: MetricSummary[] = settings.metrics.map((m) => {
    const own = measurements.filter((x) => x.metric === m.metric);
    return {
      metric: m.metric,
      successful: own.filter((x) => x.phase === 'Successful').length,
      failed: own.filter((x) => x.phase === 'Failed').length,
      inconclusive: own.filter((x) => x.phase === 'Inconclusive').length,
      errors: own.filter((x) => x.phase === 'Error').length,
      samples: own.filter((x) => x.phase === 'Successful').reduce((s, x) => s + x.samples, 0),
    };
  });
  const { verdict, reasons } = verdictOf(input, measurements, metrics, paired, challenger.length);
  return {
    version: input.version,
    ...(input.baselineVersion != null ? { baselineVersion: input.baselineVersion } : {}),
    stepStartedAt: input.stepStartedAt.toISOString(),
    at: input.now.toISOString(),
    samples: challenger.length,
    measurements,
    metrics,
    verdict,
    reasons,
  };
}

const PER_SAMPLE = new Set(['error_rate', 'accuracy', 'brier', 'logloss', 'mae', 'rmse', 'mape']);

/** Per-sample values for the A/B test, or a reason when the metric is not a per-sample mean. */
export function perSampleValues(
  metric: string,
  task: Task,
  rows: readonly PredictionRecord[],
  pairs: readonly LabelledPrediction[],
  positiveClass?: string | number | boolean,
): { values: number[] } | { error: string } {
  if (!PER_SAMPLE.has(metric) && !metric.startsWith('latency_'))
    return {
      error: `${metric} is not a mean over samples; an A/B test needs one (${[...PER_SAMPLE].join(', ')}, latency_*)`,
    };
  if (metric === 'error_rate') return { values: rows.map((r) => (r.error != null ? 1 : 0)) };
  if (metric.startsWith('latency_'))
    return { values: rows.filter((r) => r.error == null).map((r) => r.latencyMs) };
  const out: number[] = [];
  for (const x of pairs) {
    const y = labelValue(task, x.label, positiveClass);
    const p = x.prediction.score;
    if (y === undefined || p == null) continue;
    switch (metric) {
      case 'accuracy':
        out.push((p >= 0.5 ? 1 : 0) === y ? 1 : 0);
        break;
      case 'brier':
        out.push((p - y) ** 2);
        break;
      case 'logloss': {
        const q = Math.min(1 - 2.220446049250313e-16, Math.max(2.220446049250313e-16, p));
        out.push(y === 1 ? -Math.log(q) : -Math.log(1 - q));
        break;
      }
      case 'mae':
        out.push(Math.abs(y - p));
        break;
      case 'rmse':
        out.push((y - p) ** 2);
        break;
      case 'mape':
        out.push(Math.abs(y - p) / Math.max(Math.abs(y), 2.220446049250313e-16));
        break;
    }
  }
  return { values: out };
}
