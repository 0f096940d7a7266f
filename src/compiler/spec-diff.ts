// A model spec as the lock keeps it with each version, and what changed between two of them, in
// fields a reviewer reads ("trainer.epochs 50 → 1") rather than digests. Pure.
import type { Model } from './desired-state.ts';

/** The normalized spec without identity and location (name, digest, origin, owner). */
export function specSnapshot(model: Model): Record<string, unknown> {
  const { name: _n, digest: _d, origin: _o, owner: _w, ...spec } = model;
  void _n;
  void _d;
  void _o;
  void _w;
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

const show = (v: unknown): string => {
  if (v === undefined) return '(unset)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 47)}…` : s;
};

function flatten(v: unknown, path: string, out: Map<string, unknown>): void {
  if (v != null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
    return;
  }
  // Lists of values compare whole; lists of objects by position.
  if (Array.isArray(v) && v.some((x) => x != null && typeof x === 'object')) {
    v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
    if (v.length === 0) out.set(path, v);
    return;
  }
  out.set(path, v);
}

/** `trainer.epochs 50 → 1`, one per changed field, in field order; at most `max`, then `… and N more`. */
export function diffSpecs(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  max = 5,
): string[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changed = keys.filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)));
  const lines = changed.slice(0, max).map((k) => `${k} ${show(a.get(k))} → ${show(b.get(k))}`);
  if (changed.length > max) lines.push(`… and ${changed.length - max} more`);
  return lines;
}
