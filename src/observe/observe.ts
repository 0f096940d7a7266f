import type { DesiredState } from '../compiler/desired-state.ts';
import type { FeatureStore } from '../store/port.ts';
import { observeModels, type ModelObserveContext } from './drift-observations.ts';
import { OBSERVATIONS_VERSION, type Observations } from './observations.ts';

export interface ObserveOptions {
  /** The clock; observations record it and every age is computed from it. */
  now: Date;
  /** Observe models too (drift, live quality, label volume) with these ports. Absent: no model observations. */
  models?: ModelObserveContext;
}

/**
 * Snapshot what the planner needs from the world. A source that cannot be read becomes an
 * error observation (the planner explains it) rather than failing the whole plan.
 */
export async function observe(
  desired: DesiredState,
  store: FeatureStore,
  opts: ObserveOptions,
): Promise<Observations> {
  const views: Observations['views'] = {};
  for (const v of desired.featureViews) {
    try {
      const f = await store.freshness(v);
      views[v.name] = {
        newestEvent: f.newestEvent,
        rows: f.rows,
        sourceDigest: f.sourceDigest,
        online: await store.onlineState(v),
      };
    } catch (e) {
      views[v.name] = { error: (e as Error).message.split('\n')[0] ?? String(e) };
    }
  }
  const labels: NonNullable<Observations['labels']> = {};
  for (const m of desired.models) {
    try {
      const l = await store.labelFreshness(m);
      labels[m.name] = { rows: l.rows, newestLabel: l.newestLabel, sourceDigest: l.sourceDigest };
    } catch (e) {
      labels[m.name] = { error: (e as Error).message.split('\n')[0] ?? String(e) };
    }
  }
  let models: Observations['models'] = {};
  if (opts.models)
    try {
      models = await observeModels(desired, store, opts.models, opts.now);
    } finally {
      await opts.models.dispose?.();
    }
  return { version: OBSERVATIONS_VERSION, at: opts.now.toISOString(), views, labels, models };
}
