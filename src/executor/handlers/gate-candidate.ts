// What model.promote and rollout.start share: score the candidate and the champion on the same
// rows (rows neither trained on), let the RetrainPolicy's gates decide, and record what the
// candidate became. A champion that cannot be compared with fails the action (fail closed).
import { join } from 'node:path';
import type { ActionOf } from '../../planner/plan-types.ts';
import { withLock } from '../../state/lock-state.ts';
import type { LockState } from '../../state/types.ts';
import {
  compareWithChampion,
  type ChampionComparison,
} from '../../trainer/evaluation/champion-comparison.ts';
import { evaluateGates, type GateDecision } from '../../trainer/evaluation/gates.ts';
import { skip, type HandlerContext, type RecordMeta, type Skip } from '../handler.ts';
import { promote } from '../transitions.ts';

export interface PromoteOutcome {
  model: string;
  version: number;
  decision: GateDecision;
  /** What the candidate became. */
  becomes: 'champion' | 'challenger' | 'rejected';
  strategy: 'direct' | 'canary' | 'abTest';
  /** The challenger's first traffic share (1 for direct promotion). */
  weight: number;
  /** The champion it was compared with (and, when it became champion, replaced). */
  champion?: number;
  /** The RolloutPolicy's digest, recorded in the rollout lock. */
  policyDigest?: string;
}

export async function gateCandidate(
  a: ActionOf<'model.promote'> | ActionOf<'rollout.start'>,
  ctx: HandlerContext,
): Promise<PromoteOutcome | Skip> {
  const { version } = a.params;
  const model = ctx.desired.models.find((m) => m.name === a.params.model);
  if (!model) throw new Error(`model ${a.params.model} is not in the policies`);
  const lock = ctx.lock();
  const ml = lock.models[model.name];
  const cand = ml?.versions.find((v) => v.version === version);
  if (!ml || !cand) throw new Error(`model ${model.name} has no v${version} to promote`);
  if (cand.status !== 'candidate') return skip(`v${version} is already ${cand.status}`);
  const rp = ctx.desired.retrainPolicies.find((p) => p.model === model.name);
  const ro = ctx.desired.rolloutPolicies.find((p) => p.model === model.name);
  const champion = ml.versions.find((v) => v.status === 'champion');
  let comparison: ChampionComparison | undefined;
  if (champion) {
    const wd = await ctx.workDir();
    let ts = ctx.trainingSets.get(model.name);
    if (!ts || ts.digest !== cand.trainingSet.digest) {
      const views = ctx.desired.featureViews.filter((v) => model.views.includes(v.name));
      ts = await ctx.withStore((s) =>
        s.buildTrainingSet({
          model,
          views,
          outPath: join(wd, 'training-set.parquet'),
          until: new Date(cand.trainingSet.cutoff),
          policies: ctx.desired.dataPolicies,
        }),
      );
    }
    // Only rows neither version trained on; an unreachable or unscorable champion fails closed.
    comparison = await compareWithChampion({
      model,
      trainingSet: ts,
      candidate: cand,
      champion,
      trainerFor: (t) => ctx.trainerFor(t),
      workDir: wd,
      storeDescription: ctx.artifacts.description,
      signal: ctx.signal,
    });
  }
  const decision = evaluateGates({
    gates: rp?.gates ?? [],
    candidate: cand.metrics,
    ...(comparison?.ok
      ? {
          champion: comparison.champion,
          candidateCompared: comparison.candidate,
          comparedRows: comparison.rows,
        }
      : comparison
        ? { championNote: comparison.note, championNextStep: comparison.next }
        : {}),
  });
  // No verdict on the candidate when the champion could not be compared with: it stays a
  // candidate, and the action fails with the reason and the next step (fail closed).
  if (decision.undecided && comparison && !comparison.ok) {
    const gates = decision.checks.filter((c) => c.championUnavailable).map((c) => `${c.kind} ${c.metric}`);
    throw new Error(
      `v${version} stays a candidate: ${gates.join(', ')} cannot be evaluated, because ${comparison.note}. Next: ${comparison.next}`,
    );
  }
  const outcome: PromoteOutcome = {
    model: model.name,
    version,
    decision,
    becomes: 'rejected',
    strategy: a.type === 'rollout.start' ? a.params.strategy : 'direct',
    weight: a.type === 'rollout.start' ? a.params.weight : 1,
    ...(champion ? { champion: champion.version } : {}),
    ...(ro ? { policyDigest: ro.digest } : {}),
  };
  // What the candidate becomes is decided by the same pure transition that writes the locks.
  const provisional = promoteLockAfter(lock, outcome, { desired: ctx.desired, at: '', prov: {} });
  return { ...outcome, becomes: provisional.becomes };
}

/** The model lock (and rollout lock) after the gates decided. */
export function promoteLockAfter(
  lock: LockState,
  o: PromoteOutcome,
  meta: RecordMeta,
): LockState & { becomes: PromoteOutcome['becomes'] } {
  const ml = lock.models[o.model];
  if (!ml) throw new Error(`model ${o.model} has no lock to promote in`);
  const out = promote({
    lock: ml,
    version: o.version,
    decision: o.decision,
    strategy: o.strategy,
    weight: o.weight,
    rollout: lock.rollouts[o.model],
    policyDigest: o.policyDigest,
    at: meta.at,
    prov: meta.prov,
  });
  const next = withLock(lock, out.model);
  return { ...(out.rollout ? withLock(next, out.rollout) : next), becomes: out.outcome };
}

export function promoteSummary(o: PromoteOutcome): string {
  const detail = o.decision.checks
    .map((c) => `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '–'} ${c.reason}`)
    .join('; ');
  switch (o.becomes) {
    case 'rejected':
      return `v${o.version} rejected by its gates: ${o.decision.failures.join('; ')}`;
    case 'challenger':
      return `v${o.version} is a challenger at ${Math.round(o.weight * 100)}% of traffic (${detail || 'no gates'})`;
    case 'champion':
      return `v${o.version} is champion (${detail || 'no gates'})${o.champion != null ? `; v${o.champion} retired` : ''}`;
  }
}

export function promoteSubject(o: PromoteOutcome): string {
  switch (o.becomes) {
    case 'rejected':
      return `reject ${o.model} v${o.version}`;
    case 'challenger':
      return `roll out ${o.model} v${o.version} (${o.strategy === 'abTest' ? 'A/B test' : 'canary'}, ${Math.round(o.weight * 100)}%)`;
    case 'champion':
      return `promote ${o.model} v${o.version}`;
  }
}
