// Models: train when something deliberate changed or a retrain trigger fired (outside the
// cooldown); retire models that left the policies. Promotion is plan-rollouts.ts. Pure.
import { diffSpecs, specSnapshot } from '../compiler/spec-diff.ts';
import type { Model, RetrainPolicy } from '../compiler/desired-state.ts';
import { isViewError, type Observations } from '../observe/observations.ts';
import { formatDuration, lowerIsBetter } from '../schema/vocabulary.ts';
import { lockPath } from '../state/lock-paths.ts';
import type { ModelLock, ModelVersion } from '../state/types.ts';
import { AFTER, formatAge, round, short, type PlanContext } from './plan-context.ts';
import type { ActionOf, ExpectedChange, PlanAction, Reason, TrainReasonCode } from './plan-types.ts';

export function planModels(
  ctx: PlanContext,
  planned: readonly PlanAction[],
): (ActionOf<'model.train'> | ActionOf<'model.retire'>)[] {
  return [...planTraining(ctx, planned), ...planRetirement(ctx)];
}

/** Train actions, each after the materialize and scan actions of the views it reads. */
function planTraining(ctx: PlanContext, planned: readonly PlanAction[]): ActionOf<'model.train'>[] {
  const { desired, lock } = ctx;
  // Indexed: plans cover 10,000s of models.
  const before = new Map<string, string[]>(); // view → ids of the actions that write or scan it
  const add = (view: string, id: string) => before.set(view, [...(before.get(view) ?? []), id]);
  for (const a of planned) {
    if (a.type === 'feature.materialize') add(a.params.view, a.id);
    if (a.type === 'data.scan') for (const v of a.params.views) add(v, a.id);
  }
  const retrainOf = new Map(desired.retrainPolicies.map((p) => [p.model, p]));
  const viewDigest = new Map(desired.featureViews.map((v) => [v.name, v.digest]));
  const actions: ActionOf<'model.train'>[] = [];
  for (const m of desired.models) {
    const ml = lock.models[m.name];
    const latest = ml?.versions.at(-1);
    const blocked = m.views.filter((v) => isViewError(ctx.obs.views[v]) || ctx.obs.views[v] == null);
    const labels = ctx.obs.labels?.[m.name];
    if (isViewError(labels)) {
      ctx.blocked.push({
        kind: 'Model',
        name: m.name,
        reason: `its label source cannot be read: ${labels.error}`,
      });
      ctx.deferredModels.add(m.name);
      continue;
    }
    if (blocked.length > 0) {
      // Whether it needs training cannot be known without its data (new labels, drift, ...).
      ctx.blocked.push({
        kind: 'Model',
        name: m.name,
        reason: `cannot read feature view${blocked.length > 1 ? 's' : ''} ${blocked.join(', ')}`,
      });
      ctx.deferredModels.add(m.name);
      continue;
    }
    const reasons = trainReasons(ctx, m, ml, latest, retrainOf.get(m.name), viewDigest);
    if (reasons.length === 0) continue;
    const path = lockPath(ctx.stateDir, 'ModelLock', m.name);
    const nextVersion = (latest?.version ?? 0) + 1;
    actions.push({
      id: `model.train:${m.name}@${short(m.digest)}`,
      type: 'model.train',
      op: ml ? 'update' : 'create',
      resource: { kind: 'Model', name: m.name },
      reasons,
      dependsOn: [...new Set(m.views.flatMap((v) => before.get(v) ?? []))].sort(),
      risk: 'medium',
      requiresApproval: false,
      destructive: false,
      changes: [
        {
          path,
          field: `versions[${nextVersion}]`,
          to: `v${nextVersion}: candidate, ${m.trainer.type} trainer, metrics ${AFTER}`,
        },
        ...(ml?.specDigest !== m.digest
          ? [{ path, field: 'specDigest', from: ml ? short(ml.specDigest) : undefined, to: short(m.digest) }]
          : []),
      ],
      params: { model: m.name, specDigest: m.digest, version: nextVersion, views: m.views },
    });
  }
  return actions;
}

/** Models in the lock but no longer in the policies: remove their lockfiles (destructive). */
function planRetirement(ctx: PlanContext): ActionOf<'model.retire'>[] {
  const modelNames = new Set(ctx.desired.models.map((m) => m.name));
  const actions: ActionOf<'model.retire'>[] = [];
  for (const name of Object.keys(ctx.lock.models).sort()) {
    if (modelNames.has(name)) continue;
    const ml = ctx.lock.models[name]!;
    const path = lockPath(ctx.stateDir, 'ModelLock', name);
    const live = ml.versions.filter((v) => v.status === 'champion' || v.status === 'challenger');
    actions.push({
      id: `model.retire:${name}`,
      type: 'model.retire',
      op: 'delete',
      resource: { kind: 'Model', name },
      reasons: [
        {
          code: 'removed',
          message: `model ${name} is no longer in the policies${live.length ? `; v${live.map((v) => v.version).join(', v')} still serving` : ''}`,
        },
      ],
      dependsOn: [],
      risk: 'high',
      requiresApproval: false,
      destructive: true,
      changes: [
        ...live.map((v): ExpectedChange => ({
          path,
          field: `versions[${v.version}].status`,
          from: v.status,
          to: 'retired',
        })),
        ...(ctx.lock.rollouts[name]
          ? [
              {
                path: lockPath(ctx.stateDir, 'RolloutLock', name),
                field: '(file)',
                from: 'present',
                to: '(deleted)',
              },
            ]
          : []),
      ],
      params: { model: name },
    });
  }
  return actions;
}

type TrainReason = Reason<TrainReasonCode>;

/** Why a model needs a new version; empty when it does not (or only a trigger in its cooldown fired). */
function trainReasons(
  ctx: PlanContext,
  m: Model,
  ml: ModelLock | undefined,
  latest: ModelVersion | undefined,
  rp: RetrainPolicy | undefined,
  viewDigest: ReadonlyMap<string, string>,
): TrainReason[] {
  if (!ml || !latest) return [{ code: 'no-version', message: 'no trained version yet' }];
  const deliberate: TrainReason[] = [];
  // Compare with the latest version, whatever its status: a candidate the gates rejected for
  // this very spec is not retrained until something changes.
  if (latest.specDigest !== m.digest)
    deliberate.push({
      code: 'spec-changed',
      message: latest.spec
        ? `spec changed since v${latest.version}: ${diffSpecs(latest.spec, specSnapshot(m)).join(', ') || `${short(latest.specDigest)} → ${short(m.digest)}`}`
        : `spec changed since v${latest.version} (${short(latest.specDigest)} → ${short(m.digest)})`,
    });
  const changedViews = m.views.filter((v) => latest.featureViewDigests[v] !== viewDigest.get(v));
  if (changedViews.length > 0) {
    const watched = rp?.triggers.find((t) => t.type === 'featureChange');
    const relevant =
      watched && watched.type === 'featureChange' && watched.views.length > 0
        ? changedViews.filter((v) => watched.views.includes(v))
        : changedViews;
    if (relevant.length > 0)
      deliberate.push({
        code: 'features-changed',
        message: `feature definitions changed: ${relevant.join(', ')}`,
      });
  }
  if (ctx.forced.has(m.name))
    deliberate.push({ code: 'forced', message: 'retraining requested (--retrain)' });

  // New labels count toward dataVolume even where monitoring did not count them.
  const labels = ctx.obs.labels?.[m.name];
  const observed = ctx.obs.models[m.name];
  const automatic = triggerReasons(
    ctx.now,
    ml,
    latest,
    rp,
    observed?.labelRows == null && labels && !isViewError(labels)
      ? { ...observed, labelRows: labels.rows }
      : observed,
  );
  // What monitoring could not see is said, never acted on.
  const mo = ctx.obs.models[m.name];
  for (const a of mo?.missingArtifacts ?? [])
    ctx.notes.push(
      `Model ${m.name}: v${a.version}'s artifact ${a.digest.slice(0, 19)}… is not in the artifact store (${a.store}); it cannot be restored from here, and serving, drift and champion comparisons will refuse it. Run rudder artifacts pull from a shared store (docs/artifacts.md), or retrain: rudder apply --retrain ${m.name}.`,
    );
  if (mo?.drift?.insufficient)
    ctx.notes.push(
      `Model ${m.name}: drift not assessed: insufficient data in the window (${mo.drift.samples} rows).`,
    );
  if (mo?.drift?.note) ctx.notes.push(`Model ${m.name}: drift window: ${mo.drift.note}.`);
  if (mo?.driftError) ctx.notes.push(`Model ${m.name}: drift not observed: ${mo.driftError}`);
  if (mo?.qualityNote) ctx.notes.push(`Model ${m.name}: live quality: ${mo.qualityNote}`);
  const last = Date.parse(latest.trainedAt);
  if (automatic.length > 0 && deliberate.length === 0 && rp && ctx.now - last < rp.cooldownMs) {
    ctx.notes.push(
      `Model ${m.name}: ${automatic.map((r) => r.code).join(', ')} would retrain, but the cooldown (${formatDuration(rp.cooldownMs)}) runs until ${new Date(last + rp.cooldownMs).toISOString()}.`,
    );
    return [];
  }
  return [...deliberate, ...automatic];
}

/** The RetrainPolicy triggers that fired: schedule, drift, performance, dataVolume. */
function triggerReasons(
  now: number,
  ml: ModelLock,
  latest: ModelVersion,
  rp: RetrainPolicy | undefined,
  mo: Observations['models'][string] | undefined,
): TrainReason[] {
  const automatic: TrainReason[] = [];
  const last = Date.parse(latest.trainedAt);
  for (const t of rp?.triggers ?? []) {
    if (t.type === 'schedule' && now - last >= t.everyMs)
      automatic.push({
        code: 'schedule-due',
        message: `last trained ${formatAge(now - last)} ago; schedule every ${formatDuration(t.everyMs)}`,
      });
    if (
      t.type === 'drift' &&
      mo?.drift &&
      mo.drift.samples >= t.minSamples &&
      mo.drift.features > 0 &&
      mo.drift.drifted / mo.drift.features >= t.share
    ) {
      // Thresholds are upper bounds for distances and lower bounds for p-values: say which without guessing.
      const top = mo.drift.details
        .filter((d) => d.drifted)
        .slice(0, 3)
        .map(
          (d) =>
            d.evidence ?? `${d.feature} ${d.method} ${round(d.statistic)} (threshold ${round(d.threshold)})`,
        );
      automatic.push({
        code: 'drift',
        message: `${mo.drift.drifted} of ${mo.drift.features} features drifted (share ${round(mo.drift.share)} ≥ ${t.share}): ${top.join(', ')}`,
      });
    }
    if (
      t.type === 'performance' &&
      mo?.quality &&
      mo.quality.metric === t.metric &&
      mo.quality.labels >= t.minLabels
    ) {
      const v = mo.quality.value;
      const worse = (a: number, b: number) => (lowerIsBetter.has(t.metric) ? a > b : a < b);
      const champ = ml.versions.find((x) => x.status === 'champion')?.metrics[t.metric];
      if (t.min != null && worse(v, t.min))
        automatic.push({
          code: 'performance',
          message: `live ${t.metric} ${round(v)} beyond floor ${t.min} (${mo.quality.labels} labels)`,
        });
      else if (t.dropBy != null && champ != null && Math.abs(v - champ) >= t.dropBy && worse(v, champ))
        automatic.push({
          code: 'performance',
          message: `live ${t.metric} ${round(v)} vs ${round(champ)} at promotion: moved by ${round(Math.abs(v - champ))} ≥ ${t.dropBy}`,
        });
    }
    if (t.type === 'dataVolume' && mo?.labelRows != null) {
      const added = mo.labelRows - latest.trainingSet.rows;
      if (
        (t.newRows != null && added >= t.newRows) ||
        (t.growth != null && latest.trainingSet.rows > 0 && added / latest.trainingSet.rows >= t.growth)
      )
        automatic.push({ code: 'data-volume', message: `${added} new label rows since v${latest.version}` });
    }
  }
  return automatic;
}
