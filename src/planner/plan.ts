// (DesiredState, LockState, Observations) → Plan. Pure: the clock, the options and the
// repository identity are inputs; the same inputs give the same plan, byte for byte.
import type {
  DataPolicy,
  DesiredState,
  Model,
  RetrainPolicy,
  RolloutPolicy,
} from '../compiler/desired-state.ts';
import { isViewError, type Observations } from '../observe/observations.ts';
import { lowerIsBetter, formatDuration } from '../schema/vocabulary.ts';
import { lockPath } from '../state/lockfile.ts';
import type { LockState, ModelLock, ModelVersion } from '../state/types.ts';
import { digestOf, type HashHex } from '../util/canonical.ts';
import {
  PLAN_FORMAT_VERSION,
  type ActionType,
  type ExpectedChange,
  type Plan,
  type PlanAction,
  type PlanInputs,
  type Reason,
} from './plan-types.ts';

export interface PlanOptions {
  /** Models whose retraining the user forces (`rudder plan --retrain churn`). */
  retrain?: readonly string[];
  /** Rudder's version, recorded in the plan. */
  rudder: string;
  repository: PlanInputs['repository'];
  /** path → digest of each lockfile's canonical text, as read. */
  lockfileDigests: Record<string, string>;
  hash?: HashHex;
}

const AFTER = '(known after apply)';
const short = (d: string | undefined) => (d == null ? '(none)' : d.replace(/^sha256:/, '').slice(0, 12));

/** Compute what must change to make the world match the policies, and why. */
export function planChanges(
  desired: DesiredState,
  lock: LockState,
  obs: Observations,
  opts: PlanOptions,
): Plan {
  const now = Date.parse(obs.at);
  const stateDir = desired.project.stateDir;
  const actions: PlanAction[] = [];
  const notes: string[] = [];
  const byView = new Map<string, string>(); // view → materialize action id
  const scanByView = new Map<string, string>(); // view → data.scan action id
  const forced = new Set(opts.retrain ?? []);

  for (const name of forced)
    if (!desired.models.some((m) => m.name === name))
      notes.push(`--retrain ${name}: no such model; ignored.`);

  // Feature views: materialize when never done, when the definition changed, or on new data.
  for (const v of desired.featureViews) {
    const o = obs.views[v.name];
    if (isViewError(o)) {
      notes.push(
        `FeatureView ${v.name}: source cannot be read (${o.error}); nothing that reads it is planned.`,
      );
      continue;
    }
    if (o == null) continue;
    const fl = lock.features[v.name];
    const reasons: Reason[] = [];
    if (!fl) reasons.push({ code: 'never-materialized', message: 'never materialized' });
    else {
      if (fl.viewDigest !== v.digest)
        reasons.push({
          code: 'definition-changed',
          message: `definition changed (${short(fl.viewDigest)} → ${short(v.digest)})`,
        });
      if (fl.sourceDigest !== o.sourceDigest) {
        if (v.freshness.refresh === 'auto' || reasons.length > 0)
          reasons.push({
            code: 'new-data',
            message: `source changed (${o.rows} rows, newest event ${o.newestEvent ?? 'none'}; materialized up to ${fl.watermark ?? 'none'})`,
          });
        else notes.push(`FeatureView ${v.name}: the source has new data, but refresh is manual.`);
      }
    }
    if (o.newestEvent != null) {
      const age = now - Date.parse(o.newestEvent);
      if (age > v.freshness.maxAgeMs)
        notes.push(
          `FeatureView ${v.name}: newest event is ${formatAge(age)} old (maxAge ${formatDuration(v.freshness.maxAgeMs)}); materializing cannot make it fresher — check the pipeline that writes ${v.source.path}.`,
        );
    }
    if (reasons.length === 0) continue;
    const path = lockPath(stateDir, 'FeatureLock', v.name);
    const id = `feature.materialize:${v.name}@${short(v.digest)}`;
    byView.set(v.name, id);
    actions.push({
      id,
      type: 'feature.materialize',
      op: fl ? 'update' : 'create',
      resource: { kind: 'FeatureView', name: v.name },
      reasons,
      dependsOn: [],
      risk: 'low',
      requiresApproval: false,
      destructive: false,
      changes: [
        ...(fl?.viewDigest !== v.digest
          ? [{ path, field: 'viewDigest', from: fl ? short(fl.viewDigest) : undefined, to: short(v.digest) }]
          : []),
        {
          path,
          field: 'sourceDigest',
          from: fl ? short(fl.sourceDigest) : undefined,
          to: short(o.sourceDigest),
        },
        { path, field: 'watermark', from: fl?.watermark ?? undefined, to: AFTER },
      ],
      params: {
        view: v.name,
        viewDigest: v.digest,
        sourceDigest: o.sourceDigest,
        since: fl && fl.viewDigest === v.digest ? fl.watermark : null,
      },
    });
  }

  // Data policies: scan (and act on findings) when a scanned view's source or the policy changed.
  for (const dp of desired.dataPolicies) {
    const dl = lock.data[dp.name];
    const views: string[] = [];
    const reasons: Reason[] = [];
    const scannedWith = dl?.policyDigest;
    const policyChanged = dl != null && scannedWith !== dp.digest;
    if (!dl) reasons.push({ code: 'never-scanned', message: 'never scanned' });
    else if (policyChanged)
      reasons.push({
        code: 'policy-changed',
        message: `policy changed (${short(scannedWith)} → ${short(dp.digest)})`,
      });
    for (const view of dp.views) {
      const o = obs.views[view];
      if (o == null || isViewError(o)) continue;
      const scan = dl?.scans.find((s) => s.view === view);
      if (!dl || policyChanged || !scan) views.push(view);
      else if (scan.sourceDigest !== o.sourceDigest) {
        views.push(view);
        reasons.push({ code: 'new-data', message: `${view}: source changed since the last scan` });
      }
    }
    if (views.length === 0) continue;
    if (dl && !policyChanged && reasons.length === 0)
      reasons.push({ code: 'unscanned-view', message: `${views.join(', ')} not scanned yet` });
    const id = `data.scan:${dp.name}@${short(dp.digest)}`;
    for (const v of views) scanByView.set(v, id);
    const path = lockPath(stateDir, 'DataLock', dp.name);
    actions.push({
      id,
      type: 'data.scan',
      op: dl ? 'update' : 'create',
      resource: { kind: 'DataPolicy', name: dp.name },
      reasons: [
        ...reasons,
        {
          code: 'action',
          message: `${dp.detectors.join(', ')} on ${views.join(', ')}; findings → ${dp.action}`,
        },
      ],
      dependsOn: [],
      // Quarantine and hashing change what training reads.
      risk: dp.action === 'block' ? 'low' : 'medium',
      requiresApproval: false,
      destructive: false,
      changes: [
        { path, field: 'scans', to: `${views.join(', ')} ${AFTER}` },
        ...(dp.action === 'quarantine' ? [{ path, field: 'quarantines', to: AFTER }] : []),
      ],
      params: { policy: dp.name, policyDigest: dp.digest, views },
    });
  }

  // Models: train, promote (or start a rollout), retire. Indexed: plans cover 10,000s of models.
  const retrainOf = new Map(desired.retrainPolicies.map((p) => [p.model, p]));
  const rolloutOf = new Map(desired.rolloutPolicies.map((p) => [p.model, p]));
  const viewDigest = new Map(desired.featureViews.map((v) => [v.name, v.digest]));
  const modelNames = new Set(desired.models.map((m) => m.name));
  for (const m of desired.models) {
    const ml = lock.models[m.name];
    const rp = retrainOf.get(m.name);
    const ro = rolloutOf.get(m.name);
    const blocked = m.views.filter((v) => isViewError(obs.views[v]) || obs.views[v] == null);
    const latest = ml?.versions.at(-1);
    const champion = ml?.versions.find((v) => v.status === 'champion');
    const reasons = trainReasons(m, ml, latest, rp, viewDigest, obs, now, forced.has(m.name), notes);
    if (reasons.length > 0 && blocked.length > 0) {
      notes.push(
        `Model ${m.name}: would train (${reasons.map((r) => r.code).join(', ')}) but cannot read ${blocked.join(', ')}.`,
      );
      continue;
    }
    const path = lockPath(stateDir, 'ModelLock', m.name);
    let candidateStep: string | undefined;
    const nextVersion = (ml?.versions.at(-1)?.version ?? 0) + 1;
    if (reasons.length > 0) {
      const id = `model.train:${m.name}@${short(m.digest)}`;
      const deps = [
        ...new Set(
          m.views.flatMap((v) => [byView.get(v), scanByView.get(v)]).filter((x): x is string => x != null),
        ),
      ].sort();
      actions.push({
        id,
        type: 'model.train',
        op: ml ? 'update' : 'create',
        resource: { kind: 'Model', name: m.name },
        reasons,
        dependsOn: deps,
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
            ? [
                {
                  path,
                  field: 'specDigest',
                  from: ml ? short(ml.specDigest) : undefined,
                  to: short(m.digest),
                },
              ]
            : []),
        ],
        params: { model: m.name, specDigest: m.digest, version: nextVersion, views: m.views },
      });
      candidateStep = id;
    }
    // Promote what was just trained, or a candidate an earlier apply left waiting (manual approval, killed run).
    const waiting = candidateStep == null && latest?.status === 'candidate' ? latest : undefined;
    if (candidateStep || waiting) {
      const version = waiting?.version ?? nextVersion;
      actions.push(promoteAction(m, rp, ro, champion, version, candidateStep, stateDir));
    }
  }
  for (const name of Object.keys(lock.models).sort()) {
    if (modelNames.has(name)) continue;
    const ml = lock.models[name]!;
    const path = lockPath(stateDir, 'ModelLock', name);
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
        ...(lock.rollouts[name]
          ? [
              {
                path: lockPath(stateDir, 'RolloutLock', name),
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

  const sorted = actions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const waves = layer(sorted);
  const summary: Partial<Record<ActionType, number>> = {};
  for (const a of sorted) summary[a.type] = (summary[a.type] ?? 0) + 1;
  const inputs: PlanInputs = {
    policies: desired.digest,
    lockfiles: opts.lockfileDigests,
    // The clock is not an input that can go stale: what was observed is.
    observations: digestOf({ views: obs.views, models: obs.models }, opts.hash),
    repository: opts.repository,
    options: { retrain: [...forced].sort() },
  };
  const body: Omit<Plan, 'digest'> = {
    formatVersion: PLAN_FORMAT_VERSION,
    rudder: opts.rudder,
    createdAt: obs.at,
    inputs,
    inputsDigest: digestOf(inputs, opts.hash),
    observations: obs,
    actions: sorted,
    waves,
    notes,
    summary,
  };
  return { ...body, digest: digestOf(body, opts.hash) };
}

function trainReasons(
  m: Model,
  ml: ModelLock | undefined,
  latest: ModelVersion | undefined,
  rp: RetrainPolicy | undefined,
  viewDigest: ReadonlyMap<string, string>,
  obs: Observations,
  now: number,
  forced: boolean,
  notes: string[],
): Reason[] {
  if (!ml || !latest) return [{ code: 'no-version', message: 'no trained version yet' }];
  const deliberate: Reason[] = [];
  // Compare with the latest version, whatever its status: a candidate the gates rejected for
  // this very spec is not retrained until something changes.
  if (latest.specDigest !== m.digest)
    deliberate.push({
      code: 'spec-changed',
      message: `spec changed since v${latest.version} (${short(latest.specDigest)} → ${short(m.digest)})`,
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
  if (forced) deliberate.push({ code: 'forced', message: 'retraining requested (--retrain)' });

  const automatic: Reason[] = [];
  const last = Date.parse(latest.trainedAt);
  const mo = obs.models[m.name];
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
        .map((d) => `${d.feature} ${d.method} ${round(d.statistic)} (threshold ${round(d.threshold)})`);
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
  if (automatic.length > 0 && deliberate.length === 0 && rp && now - last < rp.cooldownMs) {
    notes.push(
      `Model ${m.name}: ${automatic.map((r) => r.code).join(', ')} would retrain, but the cooldown (${formatDuration(rp.cooldownMs)}) runs until ${new Date(last + rp.cooldownMs).toISOString()}.`,
    );
    return [];
  }
  return [...deliberate, ...automatic];
}

function promoteAction(
  m: Model,
  rp: RetrainPolicy | undefined,
  ro: RolloutPolicy | undefined,
  champion: ModelVersion | undefined,
  version: number,
  trainStep: string | undefined,
  stateDir: string,
): PlanAction {
  const path = lockPath(stateDir, 'ModelLock', m.name);
  const rolloutPath = lockPath(stateDir, 'RolloutLock', m.name);
  const gates = rp?.gates.length
    ? rp.gates.map(describeGate).join('; ')
    : 'no gates: any finite metrics pass';
  const strategy = ro?.strategy;
  const staged = champion != null && strategy != null && strategy.type !== 'direct' ? strategy : undefined;
  const approval = rp?.approval === 'manual';
  const reasons: Reason[] = [
    {
      code: trainStep ? 'new-candidate' : 'waiting-candidate',
      message: trainStep
        ? `v${version} will be a candidate`
        : `v${version} is a candidate awaiting promotion`,
    },
    {
      code: 'gates',
      message: champion
        ? `gates against champion v${champion.version} on the same holdout: ${gates}`
        : `first version; gates: ${gates}`,
    },
  ];
  if (approval)
    reasons.push({
      code: 'manual-approval',
      message: `${rp!.name} requires approval: apply with --approve ${m.name}`,
    });
  // The two outcomes share everything but what the candidate becomes and how traffic moves.
  const common = {
    op: 'update' as const,
    reasons,
    dependsOn: trainStep ? [trainStep] : [],
    risk: 'high' as const,
    requiresApproval: approval,
    destructive: false,
  };
  const candidateTo = (to: string): ExpectedChange => ({
    path,
    field: `versions[${version}].status`,
    from: 'candidate',
    to,
  });
  if (staged && ro && champion) {
    const first = staged.type === 'canary' ? staged.steps[0]!.weight : staged.split;
    reasons.push({
      code: 'rollout',
      message: `${ro.name}: ${staged.type} from ${Math.round(first * 100)}% of traffic; champion v${champion.version} keeps the rest`,
    });
    return {
      ...common,
      id: `rollout.start:${m.name}@v${version}`,
      type: 'rollout.start',
      resource: { kind: 'RolloutPolicy', name: ro.name },
      changes: [
        candidateTo('challenger (if gates pass) or rejected'),
        {
          path: rolloutPath,
          field: 'versions',
          to: `v${champion.version} ${Math.round((1 - first) * 100)}%, v${version} ${Math.round(first * 100)}%`,
        },
      ],
      params: { model: m.name, version, strategy: staged.type, weight: first },
    };
  }
  return {
    ...common,
    id: `model.promote:${m.name}@v${version}`,
    type: 'model.promote',
    resource: { kind: 'Model', name: m.name },
    changes: [
      candidateTo('champion (if gates pass) or rejected'),
      ...(champion
        ? [
            {
              path,
              field: `versions[${champion.version}].status`,
              from: 'champion',
              to: 'retired (if the candidate passes)',
            },
          ]
        : []),
      { path: rolloutPath, field: 'versions', to: `v${version} 100%` },
    ],
    params: { model: m.name, version, strategy: 'direct' },
  };
}

function describeGate(g: RetrainPolicy['gates'][number]): string {
  const parts: string[] = [];
  if (g.min != null) parts.push(`${g.metric} ≥ ${g.min}`);
  if (g.max != null) parts.push(`${g.metric} ≤ ${g.max}`);
  if (g.beatChampionBy != null) parts.push(`${g.metric} beats champion by ${g.beatChampionBy}`);
  if (g.maxRegression != null) parts.push(`${g.metric} within ${g.maxRegression} of champion`);
  return parts.join(', ');
}

/** Kahn layering: each wave holds actions whose dependencies are all in earlier waves. */
function layer(actions: readonly PlanAction[]): string[][] {
  const ids = new Set(actions.map((a) => a.id));
  const done = new Set<string>();
  const waves: string[][] = [];
  let rest = [...actions];
  while (rest.length > 0) {
    const wave = rest.filter((a) => a.dependsOn.every((d) => done.has(d) || !ids.has(d)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${rest.map((a) => a.id).join(', ')}`);
    waves.push(wave.map((a) => a.id));
    for (const a of wave) done.add(a.id);
    rest = rest.filter((a) => !done.has(a.id));
  }
  return waves;
}

function formatAge(ms: number): string {
  const d = ms / 86_400_000;
  if (d >= 2) return `${Math.floor(d)}d`;
  const h = ms / 3_600_000;
  if (h >= 2) return `${Math.floor(h)}h`;
  return `${Math.max(0, Math.round(ms / 60_000))}m`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { DataPolicy };
