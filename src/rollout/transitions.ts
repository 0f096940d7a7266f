// Lock transitions of a progressing rollout: advance to the next step, promote the challenger,
// roll it back (weight 0, the version held). Pure: the lock state, the decision, the clock and
// provenance in; the new lock state out (the executor diffs, writes and commits it).
import type {
  AnalysisResult,
  LockState,
  ModelLock,
  ModelVersion,
  Provenance,
  RolloutDecision,
  RolloutLock,
  VersionStatus,
} from '../state/types.ts';
import type { ObservedResult } from './observation.ts';

export interface RecordAt {
  at: string;
  prov: Provenance;
}

function setStatus(v: ModelVersion, status: VersionStatus, r: RecordAt, reason: string): ModelVersion {
  if (v.status === status) return v;
  return { ...v, status, statusHistory: [...v.statusHistory, { status, at: r.at, reason, ...r.prov }] };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Analysis results in the lock's shape: the evidence each decision was taken on. */
export function lockResults(
  step: number,
  version: number,
  results: readonly ObservedResult[],
  at: string,
): AnalysisResult[] {
  return results.map((r) => ({
    at,
    step,
    version,
    metric: r.metric,
    value: r.value,
    threshold: r.threshold,
    rule: r.rule,
    samples: r.samples,
    passed: r.passed,
  }));
}

/** The paired decisions (rollback, advance) among the results, as the lock records them. */
export function lockDecisions(
  step: number,
  version: number,
  results: readonly ObservedResult[],
  at: string,
): RolloutDecision[] {
  const out: RolloutDecision[] = [];
  for (const r of results) {
    const p = r.paired;
    // A decision kept from the lock is there already; a wait is not a decision.
    if (!p || p.recorded || p.decision === 'wait') continue;
    out.push({
      at,
      step,
      version,
      metric: r.metric,
      decision: p.decision,
      n: p.n,
      bound: [p.bound[0]!, p.bound[1]!],
      alpha: p.alpha,
      excess: p.excess,
      challenger: p.challenger,
      champion: p.champion,
      maxDegradation: p.maxDegradation,
    });
  }
  return out;
}

/** The lock's analysis history and paired decisions with this step's results appended. */
function withEvidence(
  rl: RolloutLock,
  version: number,
  results: readonly ObservedResult[],
  at: string,
): Pick<RolloutLock, 'analysis' | 'decisions'> {
  const decisions = [...(rl.decisions ?? []), ...lockDecisions(rl.step, version, results, at)];
  return {
    analysis: [...rl.analysis, ...lockResults(rl.step, version, results, at)],
    // Locks without paired decisions keep their shape (no empty list written).
    ...(decisions.length > 0 ? { decisions } : {}),
  };
}

function withRollout(lock: LockState, rollout: RolloutLock, model?: ModelLock): LockState {
  return {
    ...lock,
    rollouts: Object.assign(Object.create(null) as LockState['rollouts'], lock.rollouts, {
      [rollout.model]: rollout,
    }),
    ...(model
      ? {
          models: Object.assign(Object.create(null) as LockState['models'], lock.models, {
            [model.name]: model,
          }),
        }
      : {}),
  };
}

export interface AdvanceInput {
  model: string;
  version: number;
  to: number;
  /** The challenger's share at the new step. */
  weight: number;
  results: readonly ObservedResult[];
  reason: string;
}

export function advanceRollout(lock: LockState, p: AdvanceInput, r: RecordAt): LockState {
  const rl = lock.rollouts[p.model]!;
  const others = rl.versions.filter((v) => v.version !== p.version);
  // The champion takes the rest; a challenger at 100% leaves it 0 (still listed until promotion).
  const versions = [
    ...others.map((v, i) => ({ version: v.version, weight: i === 0 ? round6(1 - p.weight) : 0 })),
    { version: p.version, weight: round6(p.weight) },
  ].sort((a, b) => a.version - b.version);
  return withRollout(lock, {
    ...rl,
    step: p.to,
    versions,
    ...withEvidence(rl, p.version, p.results, r.at),
    updatedAt: r.at,
    reason: p.reason,
    ...r.prov,
  });
}

export interface PromoteRolloutInput {
  model: string;
  version: number;
  results: readonly ObservedResult[];
  reason: string;
}

export function promoteRollout(lock: LockState, p: PromoteRolloutInput, r: RecordAt): LockState {
  const rl = lock.rollouts[p.model]!;
  const ml = lock.models[p.model]!;
  const versions = ml.versions.map((v) => {
    if (v.version === p.version) return setStatus(v, 'champion', r, `rollout completed: ${p.reason}`);
    if (v.status === 'champion')
      return setStatus(v, 'retired', r, `replaced by v${p.version} (rollout completed)`);
    return v;
  });
  return withRollout(
    lock,
    {
      ...rl,
      status: 'promoted',
      versions: [{ version: p.version, weight: 1 }],
      ...withEvidence(rl, p.version, p.results, r.at),
      updatedAt: r.at,
      reason: `v${p.version} promoted: ${p.reason}`,
      ...r.prov,
    },
    { ...ml, versions },
  );
}

export interface RollbackInput {
  model: string;
  version: number;
  /** Mark the version held (not rolled out again until its spec or data change or a person releases it). */
  hold: boolean;
  status: 'rolled-back' | 'aborted';
  results: readonly ObservedResult[];
  reason: string;
}

export function rollbackRollout(lock: LockState, p: RollbackInput, r: RecordAt): LockState {
  const rl = lock.rollouts[p.model]!;
  const ml = lock.models[p.model]!;
  const champion = ml.versions.find((v) => v.status === 'champion');
  const versions = ml.versions.map((v) =>
    v.version === p.version ? setStatus(v, p.hold ? 'held' : 'rejected', r, `${p.status}: ${p.reason}`) : v,
  );
  // All traffic back to the champion; the challenger stays listed at weight 0, so the lock
  // (and git) says what happened to it.
  const weights = rl.versions
    .map((v) => ({ version: v.version, weight: v.version === champion?.version ? 1 : 0 }))
    .sort((a, b) => a.version - b.version);
  return withRollout(
    lock,
    {
      ...rl,
      status: p.status,
      versions: champion ? weights : [],
      ...withEvidence(rl, p.version, p.results, r.at),
      updatedAt: r.at,
      reason: `v${p.version} ${p.status}: ${p.reason}`,
      ...r.prov,
    },
    { ...ml, versions },
  );
}
