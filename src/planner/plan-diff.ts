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

/**
 * Whether the world, observed again, gives the same actions as a reviewed plan: same ids, types,
 * decisions and dependencies. Sentences for what differs; empty when the reviewed plan still holds.
 *
 * Evidence is not compared: reason texts and a rollout action's `results` (the measurements it
 * was decided on) slide with every prediction `rudder serve` logs, so comparing them would make
 * every plan stale while a model is served. What must still hold is the decision — advance
 * v2 from step 0 to 1, roll v3 back and hold it; the lock records the reviewed evidence.
 */
export function diffActions(reviewed: Plan, fresh: Plan): string[] {
  const key = (a: Plan['actions'][number]): string => {
    const { results: _evidence, ...decision } = a.params as Record<string, unknown>;
    return canonicalJson({ type: a.type, op: a.op, params: decision, dependsOn: a.dependsOn });
  };
  const a = new Map(reviewed.actions.map((x) => [x.id, key(x)]));
  const b = new Map(fresh.actions.map((x) => [x.id, key(x)]));
  const out: string[] = [];
  const gone = [...a.keys()].filter((id) => !b.has(id));
  const added = [...b.keys()].filter((id) => !a.has(id));
  const changed = [...a.keys()].filter((id) => b.has(id) && a.get(id) !== b.get(id));
  if (gone.length) out.push(`no longer needed: ${gone.join(', ')}`);
  if (added.length) out.push(`now also needed: ${added.join(', ')}`);
  if (changed.length) out.push(`now different: ${changed.join(', ')}`);
  return out;
}
