// The one entry for observation: everything the planner learns from the world — views, labels,
// model monitoring, missing artifacts, progressing rollouts — read through the ports it is given.
import type { DesiredState } from '../compiler/desired-state.ts';
import type { LockState } from '../state/types.ts';
import type { FeatureStore } from '../store/port.ts';
import { observeModels } from './drift-observations.ts';
import { withMissingArtifacts } from './observe-artifacts.ts';
import type { ObservePorts } from './observe-ports.ts';
import { observeProgressingRollouts } from './observe-rollouts.ts';
import { OBSERVATIONS_VERSION, type Observations } from './observations.ts';

export type { ModelObserveContext, MonitoringPorts, ObservePorts } from './observe-ports.ts';

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? String(e);

/**
 * Snapshot what the planner needs from the world, at `now` (recorded; every age is computed
 * from it). A source that cannot be read becomes an error observation (the planner explains it)
 * rather than failing the whole plan.
 */
export async function observe(
  desired: DesiredState,
  lock: LockState,
  ports: ObservePorts,
  now: Date,
): Promise<Observations> {
  const { views, labels } = await observeSources(desired, ports.store);
  const monitored = ports.monitoring
    ? await observeModels(
        desired,
        ports.store,
        { ...ports.monitoring, lock, artifacts: ports.artifacts },
        now,
      )
    : {};
  const models = await withMissingArtifacts(lock, ports.artifacts, monitored);
  const rollouts = await observeProgressingRollouts(desired, lock, ports.predictionLog, now);
  return {
    version: OBSERVATIONS_VERSION,
    at: now.toISOString(),
    views,
    labels,
    models,
    ...(rollouts ? { rollouts } : {}),
  };
}

/** Each feature view's and each model's label source: freshness, rows, content digest. */
async function observeSources(
  desired: DesiredState,
  store: FeatureStore,
): Promise<Pick<Observations, 'views'> & { labels: NonNullable<Observations['labels']> }> {
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
      views[v.name] = { error: firstLine(e) };
    }
  }
  const labels: NonNullable<Observations['labels']> = {};
  for (const m of desired.models) {
    try {
      const l = await store.labelFreshness(m);
      labels[m.name] = { rows: l.rows, newestLabel: l.newestLabel, sourceDigest: l.sourceDigest };
    } catch (e) {
      labels[m.name] = { error: firstLine(e) };
    }
  }
  return { views, labels };
}
