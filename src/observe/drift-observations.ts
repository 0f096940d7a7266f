// Model observations for the planner: drift against the reference profile, live quality and
// label volume, for each model whose RetrainPolicy has a trigger that reads them. Taken by
// observe(); each failure becomes a note on that model (fail closed: never an action).
import type { DesiredState, Model, Trigger } from '../compiler/desired-state.ts';
import type { ModelVersion } from '../state/types.ts';
import { readColumns, sourceReader } from '../store/duckdb/read-query.ts';
import type { FeatureStore } from '../store/port.ts';
import { describeColumn } from './drift.ts';
import { observeDrift, settingsFromTrigger } from './drift-observe.ts';
import type { ModelObservation } from './observations.ts';
import type { ModelObserveContext } from './observe-ports.ts';
import { observeQuality } from './quality.ts';
import { isPValueMethod, type ColumnDrift } from './stats/column-drift.ts';

type DriftTrigger = Extract<Trigger, { type: 'drift' }>;
type PerformanceTrigger = Extract<Trigger, { type: 'performance' }>;

/** The version drift and quality compare against: the champion, else the newest not rejected. */
export function monitoredVersion(versions: readonly ModelVersion[]): ModelVersion | undefined {
  return (
    versions.find((v) => v.status === 'champion') ??
    [...versions].reverse().find((v) => v.status !== 'rejected' && v.status !== 'retired')
  );
}

/** How far past its threshold a column is (≥ 1 when drifted): distance/threshold, or threshold/p. */
function severity(c: ColumnDrift): number {
  const s = c.score ?? 0;
  const t = c.threshold ?? 1;
  if (c.method && isPValueMethod(c.method)) return s <= 0 ? Infinity : t / s;
  return t <= 0 ? Infinity : s / t;
}

const firstLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? String(e);

export async function observeModels(
  desired: DesiredState,
  store: FeatureStore,
  ctx: ModelObserveContext,
  now: Date,
): Promise<Record<string, ModelObservation>> {
  const out: Record<string, ModelObservation> = {};
  for (const model of desired.models) {
    const rp = desired.retrainPolicies.find((p) => p.model === model.name);
    const versions = ctx.lock.models[model.name]?.versions ?? [];
    const version = monitoredVersion(versions);
    if (!rp || !version) continue;
    const o: ModelObservation = {};
    const driftT = rp.triggers.find((t): t is DriftTrigger => t.type === 'drift');
    const perfT = rp.triggers.filter((t): t is PerformanceTrigger => t.type === 'performance');
    if (driftT) {
      const { settings, windowMs } = settingsFromTrigger(driftT);
      try {
        const r = await observeDrift({
          root: ctx.root,
          desired,
          model,
          version,
          artifacts: ctx.artifacts,
          log: ctx.log,
          store,
          workDir: ctx.workDir,
          now,
          windowMs,
          settings,
          historyWindows: 1,
        });
        const tested = r.dataset.columns
          .filter((c) => c.status === 'ok')
          .sort((a, b) => severity(b) - severity(a) || (a.feature < b.feature ? -1 : 1));
        // A narrow window gives no verdict: nothing tested, so no trigger can fire on it.
        const narrow = r.window.narrow === true;
        o.drift = {
          drifted: narrow ? 0 : r.dataset.drifted,
          features: narrow ? 0 : r.dataset.features,
          share: narrow ? 0 : r.dataset.share,
          details: (narrow ? [] : tested).map((c) => ({
            feature: c.feature,
            method: c.method!,
            statistic: c.score!,
            threshold: c.threshold!,
            drifted: c.drifted,
            evidence: describeColumn(c),
          })),
          samples: r.window.rows,
          version: version.version,
          source: r.window.source,
          window: `${r.window.from}/${r.window.to}`,
          ...(narrow ? { narrow: true } : {}),
          ...(r.window.note ? { note: r.window.note } : {}),
          ...(r.dataset.insufficient || r.window.rows < driftT.minSamples ? { insufficient: true } : {}),
        };
      } catch (e) {
        o.driftError = firstLine(e);
      }
    }
    for (const t of perfT.slice(0, 1)) {
      try {
        const q = await observeQuality({ desired, model, version, store, ctx, now, trigger: t });
        if (q.quality) o.quality = q.quality;
        if (q.note) o.qualityNote = q.note;
      } catch (e) {
        o.qualityNote = firstLine(e);
      }
    }
    if (rp.triggers.some((t) => t.type === 'dataVolume')) {
      try {
        o.labelRows = await countLabelRows(ctx.root, model, now);
      } catch (e) {
        o.qualityNote ??= `label rows not counted: ${firstLine(e)}`;
      }
    }
    if (Object.keys(o).length > 0) out[model.name] = o;
  }
  return out;
}

/** Label rows at or before `now` in the model's label source (the dataVolume trigger's count). */
export async function countLabelRows(root: string, model: Model, now: Date): Promise<number> {
  const reader = await sourceReader(root, model.label.source, `labels of ${model.name}`);
  const ts = `CAST("${model.label.source.timestamp.replace(/"/g, '""')}" AS TIMESTAMPTZ)`;
  const cols = await readColumns(
    `SELECT count(*)::DOUBLE FROM ${reader} WHERE ${ts} <= '${now.toISOString()}'::TIMESTAMPTZ`,
  );
  return Number(cols[0]![0]);
}
