// The current window for drift: the model's feature values from the prediction log when the
// model is served and the log has rows in the window, otherwise from the feature views' source
// rows whose event time lies in (from, to] — never a value from after `to`, as in training.
import { join } from 'node:path';
import type { DataPolicy, FeatureView, Model } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import { sourceReader, withDuckDB } from '../store/duckdb/read-query.ts';
import { featureColumnName, LABEL_COLUMN, LABEL_TS_COLUMN, type FeatureStore } from '../store/port.ts';
import type { CellValue } from './profile.ts';
import { isNumericType } from './profile.ts';

export interface WindowRows {
  source: 'prediction-log' | 'feature-sources';
  from: string;
  to: string;
  /** Rows in the window (the smallest over the views read; predictions for the log). */
  rows: number;
  /** Feature values by ref, with each value's time (epoch ms), for history buckets. */
  columns: Record<string, { values: CellValue[]; at: number[] }>;
  /** Prediction scores (log only). */
  scores?: { values: CellValue[]; at: number[] };
  /** Rows per view (feature sources). */
  views?: Record<string, number>;
  /** Label values of each row (label window only). */
  labels?: CellValue[];
  /**
   * Whether row i of every column is one and the same moment of one entity, so the rows can be
   * scored. False for feature sources read from views keyed differently (card_id, merchant_id):
   * each set of views is sampled on its own keys, and no feature row joins them.
   */
  aligned: boolean;
}

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * Read the prediction log's rows for the model in [from, to). Null when the log has none.
 * Features come from every version's requests (the same inputs, however the traffic is split);
 * prediction scores only from `scoresOf`, the version whose score profile they are compared with.
 * With none of its own in the window, `scores` is left out and the caller may re-score.
 */
export async function readLogWindow(
  log: PredictionLog,
  model: Model,
  from: Date,
  to: Date,
  scoresOf: number,
): Promise<WindowRows | null> {
  const preds = (await log.readPredictions({ model: model.name, from, to })).filter((p) => p.error == null);
  if (preds.length === 0) return null;
  const columns: WindowRows['columns'] = {};
  for (const f of model.features) columns[f.ref] = { values: [], at: [] };
  const scores = { values: [] as CellValue[], at: [] as number[] };
  for (const p of preds) {
    const t = Date.parse(p.at);
    for (const f of model.features) {
      columns[f.ref]!.values.push(p.features[f.ref] ?? null);
      columns[f.ref]!.at.push(t);
    }
    if (p.version !== scoresOf) continue;
    scores.values.push(p.score);
    scores.at.push(t);
  }
  return {
    source: 'prediction-log',
    from: from.toISOString(),
    to: to.toISOString(),
    rows: preds.length,
    columns,
    ...(scores.values.length > 0 ? { scores } : {}),
    aligned: true,
  };
}

/**
 * Read the model's features from the views' sources as training does, point in time: the spine
 * is every (entity, event time) in (from, to] of any of the model's views; each feature takes its
 * view's latest value at or before that time, within the view's TTL (DuckDB ASOF join), and
 * never a value from after `to`. Views join on their own entity keys, by name: views keyed alike
 * share one spine, views keyed differently (a card's and a merchant's) each get their own.
 */
export async function readSourceWindow(
  root: string,
  model: Model,
  views: readonly FeatureView[],
  from: Date,
  to: Date,
): Promise<WindowRows> {
  const columns: WindowRows['columns'] = {};
  const perView: Record<string, number> = {};
  const lo = `${literal(from.toISOString())}::TIMESTAMPTZ`;
  const hi = `${literal(to.toISOString())}::TIMESTAMPTZ`;
  return withDuckDB({ threads: 2 }, async (conn) => {
    // Views grouped by their entity keys; each group is sampled on one spine of its own.
    const groups = new Map<
      string,
      { keys: readonly string[]; used: { view: FeatureView; table: string }[] }
    >();
    for (const [vi, viewName] of model.views.entries()) {
      const view = views.find((v) => v.name === viewName);
      if (!view) throw new Error(`model ${model.name} reads view ${viewName}, which is not declared`);
      const feats = model.features.filter((f) => f.view === viewName);
      const reader = await sourceReader(root, view.source, `view ${view.name}`);
      const ts = `CAST(${ident(view.source.timestamp)} AS TIMESTAMPTZ)`;
      const select = feats.map((f) => {
        const c = ident(f.column);
        return isNumericType(f.type)
          ? `TRY_CAST(${c} AS DOUBLE) AS ${ident(f.ref)}`
          : `CAST(${c} AS VARCHAR) AS ${ident(f.ref)}`;
      });
      const keys = [...view.entities].sort();
      const table = `v${vi}`;
      await conn.run(
        `CREATE TEMP TABLE ${table} AS SELECT ${keys.map((k) => `CAST(${ident(k)} AS VARCHAR) AS ${ident(`k:${k}`)}`).join(', ')},
           ${ts} AS __t, ${select.join(', ')} FROM ${reader} WHERE ${ts} <= ${hi}`,
      );
      const n = await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${table} WHERE __t > ${lo}`);
      perView[viewName] = Number(n.getColumnsJS()[0]![0]);
      const sig = keys.join('\u0000');
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = { keys, used: [] }));
      g.used.push({ view, table });
    }
    let rows = Number.POSITIVE_INFINITY;
    for (const [gi, { keys, used }] of [...groups.values()].entries()) {
      const k = keys.map((key) => ident(`k:${key}`));
      const spine = `spine${gi}`;
      await conn.run(
        `CREATE TEMP TABLE ${spine} AS SELECT DISTINCT ${k.join(', ')}, __t FROM (${used
          .map((u) => `SELECT ${k.join(', ')}, __t FROM ${u.table} WHERE __t > ${lo}`)
          .join(' UNION ALL ')})`,
      );
      let at: number[] = [];
      for (const u of used) {
        const feats = model.features.filter((f) => f.view === u.view.name);
        const ttlMs = u.view.ttlMs;
        const r = await conn.runAndReadAll(
          `SELECT epoch_ms(s.__t)::DOUBLE AS __at${feats
            .map(
              (f) => `, CASE WHEN epoch_ms(s.__t) - epoch_ms(v.__t) <= ${ttlMs} THEN v.${ident(f.ref)} END`,
            )
            .join('')}
             FROM ${spine} s ASOF LEFT JOIN ${u.table} v ON ${k.map((c) => `s.${c} = v.${c}`).join(' AND ')} AND s.__t >= v.__t
             ORDER BY s.__t, ${k.map((c) => `s.${c}`).join(', ')}`,
        );
        const cols = r.getColumnsJS();
        at = (cols[0] ?? []) as number[];
        feats.forEach((f, i) => {
          columns[f.ref] = { values: (cols[i + 1] ?? []) as CellValue[], at };
        });
      }
      rows = Math.min(rows, at.length);
    }
    return {
      source: 'feature-sources',
      from: from.toISOString(),
      to: to.toISOString(),
      rows: Number.isFinite(rows) ? rows : 0,
      columns,
      views: perView,
      aligned: groups.size <= 1,
    };
  });
}

/**
 * The model's features as training reads them: the point-in-time training set up to `to`
 * (built by the feature store, data policies enforced), keeping the label rows whose label time
 * lies in (from, to]. Same rows as a training split would hold, so a reference profile and this
 * window differ only by time.
 */
export async function readLabelWindow(
  store: FeatureStore,
  model: Model,
  views: readonly FeatureView[],
  policies: readonly DataPolicy[],
  from: Date,
  to: Date,
  workDir: string,
): Promise<WindowRows> {
  const ts = await store.buildTrainingSet({
    model,
    views: views.filter((v) => model.views.includes(v.name)),
    until: to,
    outPath: join(workDir, `window-${model.name}.parquet`),
    policies,
  });
  return withDuckDB({ threads: 2 }, async (conn) => {
    const select = model.features.map((f) => {
      const c = ident(featureColumnName(f.ref));
      return isNumericType(f.type) ? `CAST(${c} AS DOUBLE)` : `CAST(${c} AS VARCHAR)`;
    });
    const r = await conn.runAndReadAll(
      `SELECT epoch_ms(${ident(LABEL_TS_COLUMN)})::DOUBLE, CAST(${ident(LABEL_COLUMN)} AS VARCHAR)${select.map((s) => `, ${s}`).join('')}
         FROM read_parquet(${literal(ts.path)})
        WHERE ${ident(LABEL_TS_COLUMN)} > ${literal(from.toISOString())}::TIMESTAMPTZ ORDER BY 1`,
    );
    const cols = r.getColumnsJS() as unknown[][];
    const at = (cols[0] ?? []) as number[];
    const columns: WindowRows['columns'] = {};
    model.features.forEach((f, i) => {
      columns[f.ref] = { values: (cols[i + 2] ?? []) as CellValue[], at };
    });
    return {
      source: 'feature-sources',
      from: from.toISOString(),
      to: to.toISOString(),
      rows: at.length,
      columns,
      labels: (cols[1] ?? []) as CellValue[],
      aligned: true,
    };
  });
}

/**
 * One numeric column of a Parquet file, non-null values in ascending order, as a Float64Array:
 * DuckDB sorts (in parallel) and the chunks are copied straight out of its vectors. For windows
 * of millions of rows, where row objects would cost more than the statistics.
 */
export async function readSortedNumeric(path: string, column: string, threads = 2): Promise<Float64Array> {
  return withDuckDB({ threads }, async (conn) => {
    const src = `read_parquet(${literal(path)})`;
    const col = ident(column);
    const n = Number(
      (await conn.runAndReadAll(`SELECT count(${col})::DOUBLE FROM ${src}`)).getColumnsJS()[0]![0],
    );
    const out = new Float64Array(n);
    const r = await conn.stream(
      `SELECT CAST(${col} AS DOUBLE) FROM ${src} WHERE ${col} IS NOT NULL AND NOT isnan(CAST(${col} AS DOUBLE)) ORDER BY 1`,
    );
    let k = 0;
    for (let chunk = await r.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await r.fetchChunk()) {
      const vec = chunk.getColumnVector(0);
      // The double vector's backing Float64Array (no nulls here); element by element otherwise.
      const items = (vec as unknown as { items?: unknown }).items;
      if (items instanceof Float64Array && items.length >= chunk.rowCount)
        out.set(items.subarray(0, chunk.rowCount), k);
      else for (let i = 0; i < chunk.rowCount; i++) out[k + i] = vec.getItem(i) as number;
      k += chunk.rowCount;
    }
    return k === n ? out : out.subarray(0, k);
  });
}
