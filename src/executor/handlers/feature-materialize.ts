// feature.materialize: bring a view's online table up to date (incrementally from the planned
// watermark, or rebuilt) and record the new watermark in its feature lock.
import { withLock } from '../../state/lock-state.ts';
import type { MaterializeResult } from '../../store/port.ts';
import type { ActionHandler } from '../handler.ts';
import { featureLockAfter } from '../transitions.ts';

export interface MaterializeOutcome {
  view: string;
  viewDigest: string;
  /** The source digest the plan observed (the store's own reading wins when it reports one). */
  plannedSourceDigest: string;
  result: MaterializeResult;
}

export const materializeHandler: ActionHandler<'feature.materialize', MaterializeOutcome> = {
  async run(a, ctx) {
    const view = ctx.desired.featureViews.find((v) => v.name === a.params.view);
    if (!view) throw new Error(`feature view ${a.params.view} is not in the policies`);
    const result = await ctx.withStore((s) => s.materialize(view, a.params.since));
    return { view: view.name, viewDigest: view.digest, plannedSourceDigest: a.params.sourceDigest, result };
  },
  lockAfter(lock, o, _a, meta) {
    const view = { name: o.view, digest: o.viewDigest };
    return withLock(lock, featureLockAfter(view, o.result, o.plannedSourceDigest, meta.at, meta.prov));
  },
  summary: (o) =>
    `${o.result.rows} rows materialized${o.result.full ? ' (full refresh)' : ''}; watermark ${o.result.watermark ?? 'none'}`,
  subject: (o) => `materialize ${o.view}`,
};
