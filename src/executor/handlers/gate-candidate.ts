// What model.promote and rollout.start share: score the candidate and the champion on the same
// holdout, let the RetrainPolicy's gates decide, and record what the candidate became.
import { join } from 'node:path';
import type { ActionOf } from '../../planner/plan-types.ts';
import { withLock } from '../../state/lock-state.ts';
import type { LockState } from '../../state/types.ts';
import { evaluateGates, type GateDecision } from '../../trainer/gates.ts';
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
  let championMetrics: Record<string, number> | undefined;
  let championNote: string | undefined;
  let candidateMetrics = cand.metrics;
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
    const holdoutSet = ts;
    if (holdoutSet.digest !== cand.trainingSet.digest) {
      // The data moved since the candidate was trained: score both on today's holdout.
      candidateMetrics = await ctx
        .trainerFor(cand.trainer.type)
        .evaluate(model, { ...cand.artifact, size: 0 }, holdoutSet, wd, { seed: cand.seed });
    }
    try {
      championMetrics = await ctx
        .trainerFor(champion.trainer.type)
        .evaluate(model, { ...champion.artifact, size: 0 }, holdoutSet, wd, { seed: cand.seed });
    } catch (e) {
      championNote = `champion v${champion.version} cannot be scored on this holdout: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const decision = evaluateGates({
    gates: rp?.gates ?? [],
    candidate: candidateMetrics,
    champion: championMetrics,
    championNote,
  });
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
