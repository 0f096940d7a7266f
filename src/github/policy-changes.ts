// What a pull request's policy edits mean: the compiled policies at the base and at the head are
// compared field by field (after the compiler applied defaults and resolved references, so a
// reformatted file is no change and a changed default is one), and each change is tied to the
// plan actions it causes: "trainer.epochs 50 → 1: churn retrains". Pure.
import type { DesiredState, Resource } from '../compiler/desired-state.ts';
import type { Plan, PlanAction } from '../planner/plan-types.ts';

export interface FieldChange {
  path: string;
  from?: string;
  to?: string;
}

export interface PolicyChange {
  kind: Resource['kind'] | 'Project';
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** Field by field (empty for added and removed resources). */
  fields: FieldChange[];
  /** What the plan does because of it: `churn retrains (v2)`, or `no action in this plan`. */
  effect: string;
  file?: string;
}

type Obj = Record<string, unknown>;

const IGNORED = new Set(['digest', 'origin', 'name', 'kind']);

/** Compare two compiled policy sets; `base` undefined means everything is new. */
export function diffPolicies(
  base: DesiredState | undefined,
  head: DesiredState,
  plan?: Plan,
): PolicyChange[] {
  const out: PolicyChange[] = [];
  const list = (s: DesiredState | undefined): Resource[] =>
    s ? [...s.featureViews, ...s.models, ...s.retrainPolicies, ...s.rolloutPolicies, ...s.dataPolicies] : [];
  const key = (r: Resource) => `${r.kind}/${r.name}`;
  const before = new Map(list(base).map((r) => [key(r), r]));
  const after = new Map(list(head).map((r) => [key(r), r]));
  if (base) {
    const { origin: _o1, ...pa } = base.project;
    const { origin: _o2, ...pb } = head.project;
    const fields = diffValues(pa, pb, '');
    if (fields.length)
      out.push({
        kind: 'Project',
        name: head.project.name,
        change: 'changed',
        fields,
        effect: effectOf('Project', head.project.name, head, plan),
        file: head.project.origin?.file,
      });
  }
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old) {
      out.push({
        kind: r.kind,
        name: r.name,
        change: 'added',
        fields: [],
        effect: effectOf(r.kind, r.name, head, plan),
        file: r.origin.file,
      });
      continue;
    }
    if (old.digest === r.digest) continue;
    const fields = diffValues(old, r, '');
    if (fields.length === 0) continue;
    out.push({
      kind: r.kind,
      name: r.name,
      change: 'changed',
      fields,
      effect: effectOf(r.kind, r.name, head, plan),
      file: r.origin.file,
    });
  }
  for (const [k, r] of before)
    if (!after.has(k))
      out.push({
        kind: r.kind,
        name: r.name,
        change: 'removed',
        fields: [],
        effect: effectOf(r.kind, r.name, head, plan, base),
        file: r.origin.file,
      });
  return out;
}

/** Leaf differences, with readable paths: `trainer.epochs`, `features[spend_30d].type`, `ttl`. */
export function diffValues(a: unknown, b: unknown, path: string): FieldChange[] {
  if (sameValue(a, b)) return [];
  if (isObj(a) && isObj(b)) {
    const out: FieldChange[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (path === '' && IGNORED.has(k)) continue;
      const name =
        k.endsWith('Ms') && (typeof a[k] === 'number' || typeof b[k] === 'number') ? k.slice(0, -2) : k;
      out.push(
        ...diffValues(a[k], b[k], path ? `${path}.${name}` : name).map((c) =>
          name !== k ? { ...c, ...durations(c, a[k], b[k]) } : c,
        ),
      );
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const idA = a.map(identity);
    const idB = b.map(identity);
    if (idA.every((x) => x != null) && idB.every((x) => x != null)) {
      const out: FieldChange[] = [];
      const mapA = new Map(a.map((x, i) => [idA[i]!, x]));
      const mapB = new Map(b.map((x, i) => [idB[i]!, x]));
      for (const id of [...new Set([...idA, ...idB])] as string[]) {
        const p = `${path}[${id}]`;
        if (!mapA.has(id)) out.push({ path: p, to: 'added' });
        else if (!mapB.has(id)) out.push({ path: p, from: 'present', to: 'removed' });
        else out.push(...diffValues(mapA.get(id), mapB.get(id), p));
      }
      return out;
    }
    if (a.length === b.length && a.some(isObj))
      return a.flatMap((x, i) => diffValues(x, b[i], `${path}[${i}]`));
  }
  return [{ path, from: a === undefined ? undefined : show(a), to: b === undefined ? undefined : show(b) }];
}

function durations(c: FieldChange, a: unknown, b: unknown): Partial<FieldChange> {
  return {
    from: typeof a === 'number' ? formatDuration(a) : c.from,
    to: typeof b === 'number' ? formatDuration(b) : c.to,
  };
}

/** 86400000 → `1d`, 5400000 → `90m`. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

function identity(x: unknown): string | undefined {
  if (!isObj(x)) return undefined;
  for (const k of ['ref', 'name', 'metric', 'view']) if (typeof x[k] === 'string') return x[k];
  if (typeof x.type === 'string') return x.type;
  return undefined;
}

function isObj(x: unknown): x is Obj {
  return x != null && typeof x === 'object' && !Array.isArray(x);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

// ── effects: which plan actions a resource's change leads to ──

function phrase(a: PlanAction): string {
  const v = (a.params as { version?: unknown }).version;
  const ver = typeof v === 'number' ? ` v${v}` : '';
  switch (a.type) {
    case 'model.train':
      return `${a.resource.name} ${a.reasons.some((r) => r.code === 'no-version') ? 'trains' : 'retrains'}${ver ? ` (→${ver})` : ''}`;
    case 'model.promote':
      return `${a.resource.name}${ver} is promoted if its gates pass`;
    case 'rollout.start':
      return `${a.resource.name}${ver} rolls out`;
    case 'model.retire':
      return `${a.resource.name} is retired`;
    case 'feature.materialize':
      return `${a.resource.name} is materialized`;
    case 'data.scan':
      return `${a.resource.name} scans for PII`;
    case 'rollout.advance':
      return `${a.params.model} v${a.params.version} advances to ${Math.round(a.params.weight * 1000) / 10}%`;
    case 'rollout.promote':
      return `${a.params.model} v${a.params.version} becomes the champion`;
    case 'rollout.rollback':
      return `${a.params.model} rolls back from v${a.params.version}`;
    default:
      return `${(a as PlanAction).type} ${(a as PlanAction).resource.name}`;
  }
}

function modelOf(a: PlanAction): string | undefined {
  const m = (a.params as { model?: unknown }).model;
  return typeof m === 'string' ? m : undefined;
}

function effectOf(
  kind: PolicyChange['kind'],
  name: string,
  head: DesiredState,
  plan?: Plan,
  base?: DesiredState,
): string {
  if (!plan) return 'plan not available';
  const related = plan.actions.filter((a) => {
    switch (kind) {
      case 'Model':
        return modelOf(a) === name || a.resource.name === name;
      case 'FeatureView':
        return (
          (a.type === 'feature.materialize' && a.resource.name === name) ||
          (a.type === 'model.train' && (a.params as { views?: string[] }).views?.includes(name)) ||
          (a.type === 'data.scan' && (a.params as { views?: string[] }).views?.includes(name))
        );
      case 'RetrainPolicy':
      case 'RolloutPolicy': {
        const pol = [
          ...head.retrainPolicies,
          ...head.rolloutPolicies,
          ...(base ? [...base.retrainPolicies, ...base.rolloutPolicies] : []),
        ].find((p) => p.kind === kind && p.name === name);
        return pol != null && modelOf(a) === pol.model;
      }
      case 'DataPolicy':
        return a.type === 'data.scan' && (a.params as { policy?: string }).policy === name;
      case 'Project':
        return true;
    }
    return false;
  });
  if (related.length === 0) return 'no action in this plan';
  // In the order apply runs them: train before promote.
  const wave = new Map(plan.waves.flatMap((ids, i) => ids.map((id) => [id, i] as const)));
  related.sort((a, b) => (wave.get(a.id) ?? 0) - (wave.get(b.id) ?? 0));
  const phrases = [...new Set(related.map(phrase))];
  return phrases.length > 4
    ? `${phrases.slice(0, 4).join(', ')} and ${phrases.length - 4} more`
    : phrases.join(', ');
}

/** `trainer.epochs 50 → 1` */
export function renderFieldChange(c: FieldChange): string {
  if (c.from === undefined) return `${c.path} ${c.to === 'added' ? 'added' : `set to ${c.to}`}`;
  if (c.to === undefined || c.to === 'removed')
    return `${c.path} removed${c.from !== 'present' ? ` (was ${c.from})` : ''}`;
  return `${c.path} ${c.from} → ${c.to}`;
}
