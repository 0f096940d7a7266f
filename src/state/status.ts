// What `rudder status` shows: one row per resource, from the lockfiles (and the policies, when
// they compile, so declared-but-never-applied resources appear too). Pure.
import type { DesiredState } from '../compiler/desired-state.ts';
import { activeQuarantines, championOf, lockDirs, lockPath } from './lockfile.ts';
import type { LockKind, LockState, ModelLock } from './types.ts';

export type ResourceKind = 'model' | 'feature' | 'rollout' | 'data';

const kindOf: Record<ResourceKind, LockKind> = {
  model: 'ModelLock',
  feature: 'FeatureLock',
  rollout: 'RolloutLock',
  data: 'DataLock',
};

export interface StatusRow {
  kind: ResourceKind;
  name: string;
  /** Short state word(s): `champion v2`, `materialized`, `progressing`, `2 quarantined`, `not trained`. */
  state: string;
  /** One line of detail. */
  detail: string;
  /** ISO time of the last recorded change, when known. */
  updated?: string;
  /** Lockfile path (repository-relative), whether or not it exists yet. */
  file: string;
  /** false when a lockfile exists for a resource the policies no longer declare; undefined when policies were not read. */
  declared?: boolean;
  hasLock: boolean;
}

export function summarizeState(lock: LockState, stateDir: string, desired?: DesiredState): StatusRow[] {
  const rows: StatusRow[] = [];
  const declared = desired && {
    model: new Set(desired.models.map((m) => m.name)),
    feature: new Set(desired.featureViews.map((v) => v.name)),
    // A model without a RolloutPolicy is promoted directly: its rollout lock is declared by the model.
    rollout: new Set([...desired.rolloutPolicies.map((p) => p.model), ...desired.models.map((m) => m.name)]),
    data: new Set(desired.dataPolicies.map((p) => p.name)),
  };
  const row = (
    kind: ResourceKind,
    name: string,
    r: Omit<StatusRow, 'kind' | 'name' | 'file' | 'declared' | 'hasLock'>,
    hasLock = true,
  ): StatusRow => ({
    kind,
    name,
    ...r,
    file: lockPath(stateDir, kindOf[kind], name),
    declared: declared ? declared[kind].has(name) : undefined,
    hasLock,
  });

  for (const m of Object.values(lock.models)) rows.push(row('model', m.name, modelSummary(m)));
  for (const f of Object.values(lock.features))
    rows.push(
      row('feature', f.view, {
        state: 'materialized',
        detail: `${f.rows} rows, watermark ${f.watermark ?? 'none (empty source)'}`,
        updated: f.materializedAt,
      }),
    );
  for (const r of Object.values(lock.rollouts)) {
    const weights = r.versions.map((v) => `v${v.version} ${fmtPct(v.weight)}`).join(', ') || 'no traffic';
    const step = r.strategy === 'canary' ? ` step ${r.step + 1}` : '';
    rows.push(
      row('rollout', r.model, {
        state: r.status,
        detail: `${r.strategy}${step}: ${weights}${r.reason ? ` (${r.reason})` : ''}`,
        updated: r.updatedAt,
      }),
    );
  }
  for (const d of Object.values(lock.data)) {
    const active = activeQuarantines(d);
    const last = [...d.scans.map((s) => s.at), ...d.quarantines.map((q) => q.released?.at ?? q.at)]
      .sort()
      .at(-1);
    const findings = d.scans.reduce((n, s) => n + s.findings.filter((f) => !f.allowed).length, 0);
    rows.push(
      row('data', d.policy, {
        state: active.length > 0 ? `${active.length} quarantined` : 'clean',
        detail: `${d.scans.length} view${d.scans.length === 1 ? '' : 's'} scanned, ${findings} finding${findings === 1 ? '' : 's'}${active.length ? `, ${active.reduce((n, q) => n + q.rows, 0)} rows held` : ''}`,
        updated: last,
      }),
    );
  }
  if (desired) {
    const has = (kind: ResourceKind, name: string) => rows.some((r) => r.kind === kind && r.name === name);
    for (const m of desired.models)
      if (!has('model', m.name))
        rows.push(
          row(
            'model',
            m.name,
            { state: 'not trained', detail: `${m.task}, ${m.trainer.type} trainer` },
            false,
          ),
        );
    for (const v of desired.featureViews)
      if (!has('feature', v.name))
        rows.push(
          row('feature', v.name, { state: 'not materialized', detail: `source ${v.source.path}` }, false),
        );
    for (const p of desired.rolloutPolicies)
      if (!has('rollout', p.model))
        rows.push(
          row(
            'rollout',
            p.model,
            { state: 'no rollout', detail: `${p.strategy.type} (policy ${p.name})` },
            false,
          ),
        );
    for (const p of desired.dataPolicies)
      if (!has('data', p.name))
        rows.push(row('data', p.name, { state: 'not scanned', detail: `${p.views.join(', ')}` }, false));
  }
  const order: ResourceKind[] = ['feature', 'data', 'model', 'rollout'];
  return rows.sort(
    (a, b) =>
      order.indexOf(a.kind) - order.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

function modelSummary(m: ModelLock): Omit<StatusRow, 'kind' | 'name' | 'file' | 'declared' | 'hasLock'> {
  const champ = championOf(m);
  const latest = m.versions.at(-1);
  const pending = m.versions.filter((v) => v.status === 'candidate' || v.status === 'challenger');
  const updated = m.versions
    .flatMap((v) => v.statusHistory.map((h) => h.at))
    .sort()
    .at(-1);
  const metrics = champ
    ? Object.entries(champ.metrics)
        .slice(0, 3)
        .map(([k, v]) => `${k} ${fmtNum(v)}`)
        .join(', ')
    : '';
  const parts = [`${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`];
  if (pending.length > 0) parts.push(pending.map((v) => `v${v.version} ${v.status}`).join(', '));
  if (metrics) parts.push(metrics);
  const held = m.versions.filter((v) => v.status === 'held').map((v) => `v${v.version}`);
  if (held.length) parts.push(`held: ${held.join(', ')}`);
  return {
    state: champ
      ? `champion v${champ.version}`
      : latest
        ? `no champion (latest v${latest.version} ${latest.status})`
        : 'no versions',
    detail: parts.join('; '),
    updated,
  };
}

const fmtPct = (w: number) => `${Math.round(w * 1000) / 10}%`;
const fmtNum = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, ''));

/**
 * The lockfiles a `rudder history <resource>` argument names: `churn` (every kind with that
 * name), `model/churn` or `models/churn`, or a path to a lockfile.
 */
export function resourceFiles(stateDir: string, resource: string): { files: string[] } | { error: string } {
  const r = resource.trim().replace(/\\/g, '/');
  if (r.endsWith('.lock.yaml')) return { files: [r.replace(/^\.\//, '')] };
  const m = /^([a-z]+)[/:]([a-z][a-z0-9_-]{0,62})$/.exec(r);
  if (m) {
    const kindWord = m[1]!;
    const kind = (Object.keys(kindOf) as ResourceKind[]).find(
      (k) => k === kindWord || lockDirs[kindOf[k]] === kindWord,
    );
    if (!kind)
      return {
        error: `unknown resource kind ${JSON.stringify(kindWord)}: use model, feature, rollout or data (e.g. model/churn)`,
      };
    return { files: [lockPath(stateDir, kindOf[kind], m[2]!)] };
  }
  if (/^[a-z][a-z0-9_-]{0,62}$/.test(r))
    return { files: (Object.keys(kindOf) as ResourceKind[]).map((k) => lockPath(stateDir, kindOf[k], r)) };
  return {
    error: `${JSON.stringify(resource)} is not a resource: use a name (churn), kind/name (model/churn) or a lockfile path`,
  };
}
