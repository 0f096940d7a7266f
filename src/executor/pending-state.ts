// Whatever the state folder holds must be committed, and the commit must name every action
// whose result it contains. A kill between writing a lockfile and journalling the action, a
// rejected hook, a full disk before the commit: each leaves written but unrecorded lockfiles.
// Before planning, an apply records them under the actions their provenance names.
import type { Project } from '../compiler/desired-state.ts';
import { parseLockfile } from '../state/lockfile.ts';
import type { Actor } from '../state/types.ts';
import type { StatePublisher } from './ports.ts';

const VERBS: Record<string, string> = {
  'feature.materialize': 'materialize',
  'data.scan': 'scan',
  'model.train': 'train',
  'model.promote': 'promote',
  'model.retire': 'retire',
  'rollout.start': 'roll out',
  'rollout.advance': 'advance',
  'rollout.promote': 'promote',
  'rollout.rollback': 'roll back',
  'rollout.abort': 'abort',
  'rollout.release': 'release the hold on',
};

/** Every `action` id recorded anywhere in a lockfile's provenance, with the plan that ran it. */
export function provenanceActions(text: string | undefined, path: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  if (text == null) return out;
  const r = parseLockfile(text, path, undefined, { verifySeal: false });
  if (!r.ok) return out;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v != null && typeof v === 'object') {
      const rec = v as Record<string, unknown>;
      if (typeof rec.action === 'string')
        out.set(rec.action, typeof rec.plan === 'string' ? rec.plan : out.get(rec.action));
      for (const x of Object.values(rec)) walk(x);
    }
  };
  walk(r.value);
  return out;
}

/** `model.train:churn@3f2a…` → `train churn`. */
export function describeAction(id: string): string {
  const [type, rest = ''] = id.split(':', 2) as [string, string?];
  const name = rest.split('@')[0] ?? rest;
  return `${VERBS[type] ?? type} ${name}`;
}

export interface PendingStateOptions {
  root: string;
  stateDir: string;
  git: Project['git'];
  /** Current text of every lockfile (as the workspace read it). */
  lockTexts: ReadonlyMap<string, string>;
  actor: Actor;
  publisher: StatePublisher;
  /** From an interrupted run's journal: its plan and the actions it recorded as done. */
  interrupted?: { plan: string; actions: string[] };
  say: (m: string) => void;
}

/** Commit uncommitted state files, naming the actions they contain. Returns the files committed. */
export async function recordPendingState(o: PendingStateOptions): Promise<string[]> {
  const pending = await o.publisher.pending(o.root, [o.stateDir]);
  if (!pending || pending.length === 0) return [];
  const actions = new Set(o.interrupted?.actions ?? []);
  const plans = new Set<string>();
  for (const f of pending) {
    const before = provenanceActions(f.recorded, f.path);
    for (const [a, plan] of provenanceActions(o.lockTexts.get(f.path), f.path))
      if (!before.has(a)) {
        actions.add(a);
        if (plan) plans.add(plan);
      }
  }
  const plan = o.interrupted?.plan ?? (plans.size === 1 ? [...plans][0] : undefined);
  const ids = [...actions].sort();
  const files = pending.map((f) => f.path).sort();
  const what = ids.length ? [...new Set(ids.map(describeAction))].join(', ') : 'hand-made changes';
  o.say(
    `${files.length} state file(s) were written but not committed (${files.join(', ')}); committing them first: ${what}`,
  );
  const published = await o.publisher.publish({
    root: o.root,
    git: o.git,
    files,
    subject: `record uncommitted state: ${what}`.slice(0, 150),
    body: [
      o.interrupted
        ? `From the interrupted apply of plan ${o.interrupted.plan.slice(7, 19)}.`
        : 'Found before planning.',
      '',
      ...files.map((f) => `- ${f}`),
    ].join('\n'),
    trailers: {
      plan,
      actions: ids,
      actor: o.actor,
    },
    onNotice: o.say,
  });
  return published.commit.committed ? files : [];
}
