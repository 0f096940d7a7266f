// Live quality for the `performance` trigger: the model's metric over the trigger's window from
// delayed labels joined to the predictions — the prediction log's predictions for the same
// entity at or before the label's time when the log has them, otherwise the monitored version
// re-scored on the label rows of the window with features point in time (as training reads them).
import { parseArtifactUri } from '../artifacts/port.ts';
import type { DesiredState, Model, Trigger } from '../compiler/desired-state.ts';
import type { ModelVersion } from '../state/types.ts';
import type { FeatureStore } from '../store/port.ts';
import type { FeatureRow } from '../trainer/runtime.ts';
import { runtimeValue } from './profile-io.ts';
import { computeMetrics } from '../trainer/evaluation/metrics.ts';
import { formatDuration } from '../schema/vocabulary.ts';
import { readLabelWindow } from './drift-window.ts';
import type { ModelObservation } from './observations.ts';
import type { ModelObserveContext } from './observe-ports.ts';

type PerformanceTrigger = Extract<Trigger, { type: 'performance' }>;

export interface QualityInput {
  desired: DesiredState;
  model: Model;
  version: ModelVersion;
  store: FeatureStore;
  ctx: ModelObserveContext;
  now: Date;
  trigger: PerformanceTrigger;
}

const entityKey = (e: Record<string, unknown>, keys: readonly string[]): string =>
  keys.map((k) => String(e[k])).join('\u001f');

/** 1 for the positive class (the second declared class, else 1/true), 0 otherwise. */
function positive(model: Model, label: unknown): number {
  const pos = model.label.classes?.[1] ?? 1;
  return String(label) === String(pos) || (pos === 1 && (label === true || String(label) === 'true')) ? 1 : 0;
}

export async function observeQuality(
  q: QualityInput,
): Promise<{ quality?: ModelObservation['quality']; note?: string }> {
  const { model, trigger: t, now } = q;
  if (model.task === 'multiclass-classification')
    return { note: 'live quality is computed for binary classification and regression only' };
  const from = new Date(now.getTime() - t.windowMs);
  const window = formatDuration(t.windowMs);
  const y: number[] = [];
  const p: number[] = [];
  let source: 'prediction-log' | 'rescored' | undefined;
  if (q.ctx.log) {
    const labels = await q.ctx.log.readLabels({ model: model.name, from, to: now });
    if (labels.length > 0) {
      // Predictions up to one window before the first label can be the ones it labels.
      const preds = (
        await q.ctx.log.readPredictions({
          model: model.name,
          from: new Date(from.getTime() - t.windowMs),
          to: now,
          version: q.version.version,
        })
      ).filter((r) => r.score != null);
      const byEntity = new Map<string, { at: number; score: number }[]>();
      for (const r of preds) {
        const k = entityKey(r.entity, model.label.entities);
        const list = byEntity.get(k) ?? [];
        list.push({ at: Date.parse(r.at), score: r.score! });
        byEntity.set(k, list);
      }
      for (const l of labels) {
        const at = Date.parse(l.at);
        const cands = byEntity.get(entityKey(l.entity, model.label.entities)) ?? [];
        let best: { at: number; score: number } | undefined;
        for (const c of cands) if (c.at <= at && (!best || c.at > best.at)) best = c;
        if (!best) continue;
        y.push(model.task === 'regression' ? Number(l.label) : positive(model, l.label));
        p.push(best.score);
      }
      if (y.length > 0) source = 'prediction-log';
    }
  }
  if (!source) {
    const runtime = q.ctx.runtimeFor?.(model);
    if (!runtime)
      return {
        note: `no labelled predictions in the last ${window} and no runtime to re-score ${model.name} v${q.version.version}`,
      };
    const w = await readLabelWindow(
      q.store,
      model,
      q.desired.featureViews,
      q.desired.dataPolicies,
      from,
      now,
      q.ctx.workDir,
    );
    if (w.rows === 0) return { note: `no label rows in the last ${window}` };
    const loaded = await runtime.load(model, q.version.version, {
      digest: parseArtifactUri(q.version.artifact.uri).digest,
      uri: q.version.artifact.uri,
      size: 0,
    });
    try {
      const rows: FeatureRow[] = [];
      for (let i = 0; i < w.rows; i++) {
        const row: FeatureRow = {};
        for (const f of model.features) {
          row[f.ref] = runtimeValue(f.type, w.columns[f.ref]!.values[i]);
        }
        rows.push(row);
      }
      const preds = await loaded.predict(rows);
      for (let i = 0; i < w.rows; i++) {
        const l = w.labels![i];
        y.push(model.task === 'regression' ? Number(l) : positive(model, l));
        p.push(preds[i]!.score);
      }
      source = 'rescored';
    } finally {
      await loaded.dispose();
    }
  }
  const labels = y.length;
  if (labels < t.minLabels)
    return { note: `${labels} labels in the last ${window} < minLabels ${t.minLabels}: not assessed` };
  const task = model.task === 'regression' ? 'regression' : 'binary-classification';
  const value = computeMetrics([t.metric], { task, y, p })[t.metric]!;
  if (!Number.isFinite(value))
    return { note: `live ${t.metric} is undefined on the ${labels} labels of the last ${window}` };
  return { quality: { metric: t.metric, value, labels, window, source } };
}
