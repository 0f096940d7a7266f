// What differs between two plans: a reviewed plan file and the plan recomputed from the inputs
// and observations it records. Pure.
import { canonicalJson } from '../util/canonical.ts';
import type { Plan } from './plan-types.ts';

/** Human sentences, empty when the plans are the same action for action. */
export function diffPlans(reviewed: Plan, recomputed: Plan): string[] {
  const out: string[] = [];
  const a = new Map(reviewed.actions.map((x) => [x.id, x]));
  const b = new Map(recomputed.actions.map((x) => [x.id, x]));
  const missing = [...b.keys()].filter((id) => !a.has(id));
  const extra = [...a.keys()].filter((id) => !b.has(id));
  const changed = [...a.keys()].filter(
    (id) => b.has(id) && canonicalJson(a.get(id)) !== canonicalJson(b.get(id)),
  );
  if (missing.length) out.push(`the file lacks ${missing.join(', ')}`);
  if (extra.length) out.push(`the file adds ${extra.join(', ')}`);
  if (changed.length) out.push(`the file changes ${changed.join(', ')}`);
  for (const k of ['waves', 'blocked', 'notes', 'summary', 'inputs', 'inputsDigest', 'createdAt'] as const)
    if (canonicalJson(reviewed[k] ?? null) !== canonicalJson(recomputed[k] ?? null))
      out.push(`its ${k} differ`);
  return out;
}
