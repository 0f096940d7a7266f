// The current window for drift, built like a training set so that it counts rows of the model's
// unit (a labelled flight, a transaction) as the reference profile does: the prediction log's
// rows when the model is served, else the label rows in the window as the spine with features
// point in time (the feature store's training set), else each view's entity rows weighted by how
// often the label source uses that entity. Never a value from after `to`, as in training.
import { join } from 'node:path';
import type { DataPolicy, FeatureView, Model } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import { sourceReader, withDuckDB } from '../store/duckdb/read-query.ts';
import { featureColumnName, LABEL_COLUMN, LABEL_TS_COLUMN, type FeatureStore } from '../store/port.ts';
import type { CellValue } from './profile.ts';
import { isNumericType } from './profile.ts';

/**
 * Where the window's rows come from: the prediction log; the label rows in the window (a
 * training set); the views' entity rows weighted by label use (no label rows to spine on); or
 * the views' entity rows unweighted (the construction before the model's unit was honoured,
 * kept for comparison).
 */
export type WindowSource = 'prediction-log' | 'labels' | 'feature-sources-weighted' | 'feature-sources';

export interface WindowRows {
  source: WindowSource;
  from: string;
  to: string;
  /**
   * Rows of the model's unit in the window: predictions, label rows, or for weighted entity
   * rows the effective sample size (Σw)²/Σw², the smallest over the views' key sets.
   */
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
  /** How much of the current window the prediction rows span (log only). */
  coverage?: Coverage;
  /** How the window was built when it is not the plain reading of `source` (said in the plan). */
  note?: string;
}

export interface Coverage {
  /** Distinct prediction instants (ms) in the current window. */
  instants: number;
  /** Time from the first prediction to the last, as a share of the window. */
  share: number;
  /**
   * Prediction rows that span less than `NARROW_SHARE` of the window, or all at one instant
   * (one batch): what they show is that moment's traffic, not the window's, so no drift verdict
   * is drawn from them.
   */
  narrow: boolean;
}

/** Predictions spanning less than this share of the window are a sliver of it. */
export const NARROW_SHARE = 0.1;

/** The span of prediction times `at` within (from, to], against the window's length. */
export function coverageOf(at: readonly number[], from: number, to: number): Coverage {
  let lo = Infinity;
  let hi = -Infinity;
  const seen = new Set<number>();
  for (const t of at) {
    if (t <= from || t > to) continue;
    seen.add(t);
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const share = seen.size > 1 ? (hi - lo) / (to - from) : 0;
  return { instants: seen.size, share, narrow: seen.size <= 1 || share < NARROW_SHARE };
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
 * Read the model's features from the views' sources, point in time: the spine is every (entity,
 * event time) in (from, to] of any of the model's views; each feature takes its view's latest
 * value at or before that time, within the view's TTL (DuckDB ASOF join), and never a value from
 * after `to`. Views join on their own entity keys, by name: views keyed alike share one spine,
 * views keyed differently (a card's and a merchant's) each get their own.
 *
 * With `weightBy` (the model's label source) each spine row counts as often as the label source
 * uses its entity (label rows at or before `to`): a snapshot view holds one row per airport-hour,
 * but the model sees a busy airport far more often than a quiet one, as its reference did. The
 * weights are applied by resampling each spine systematically (deterministic) to its effective
 * sample size, so the window's rows are rows of the model's unit and `rows` is what they are worth.
 */
export async function readSourceWindow(
  root: string,
  model: Model,
  views: readonly FeatureView[],
  from: Date,
  to: Date,
  weightBy?: Model['label'],
): Promise<WindowRows> {
  const columns: WindowRows['columns'] = {};
  const perView: Record<string, number> = {};
  const lo = `${literal(from.toISOString())}::TIMESTAMPTZ`;
  const hi = `${literal(to.toISOString())}::TIMESTAMPTZ`;
  return withDuckDB({ threads: 2 }, async (conn) => {
    // Views grouped by their entity keys; each group is sampled on one spine of its own.
    const groups = new Map<string, ViewGroup>();
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
    const weights = weightBy
      ? { reader: await sourceReader(root, weightBy.source, `labels of ${model.name}`), label: weightBy }
      : undefined;
    let rows = Number.POSITIVE_INFINITY;
    for (const [gi, g] of [...groups.values()].entries()) {
      const n = await readGroup(conn, model, g, `spine${gi}`, { lo, hi }, columns, perView, weights);
      rows = Math.min(rows, n);
    }
    return {
      source: weightBy ? 'feature-sources-weighted' : 'feature-sources',
      from: from.toISOString(),
      to: to.toISOString(),
      rows: Number.isFinite(rows) ? rows : 0,
      columns,
      views: perView,
      aligned: groups.size <= 1,
    };
  });
}

interface ViewGroup {
  keys: readonly string[];
  used: { view: FeatureView; table: string }[];
}

type Conn = Parameters<Parameters<typeof withDuckDB>[1]>[0];

/**
 * One spine of views keyed alike: its rows' feature values into `columns`. Returns the rows it
 * is worth: the spine's rows, or with label weights their effective sample size.
 */
async function readGroup(
  conn: Conn,
  model: Model,
  { keys, used }: ViewGroup,
  spine: string,
  { lo, hi }: { lo: string; hi: string },
  columns: WindowRows['columns'],
  inWindow: Readonly<Record<string, number>>,
  weights?: { reader: string; label: Model['label'] },
): Promise<number> {
  const k = keys.map((key) => ident(`k:${key}`));
  // The spine is the busiest view's rows in the window (the others are joined to it point in
  // time): a union would add a row at every time any view changed, so entities whose slow view
  // (a profile) changed in the window would count twice.
  // Rows per view in the window were counted when the views were read (`inWindow`).
  const busiest = used.reduce((a, b) =>
    (inWindow[b.view.name] ?? 0) > (inWindow[a.view.name] ?? 0) ? b : a,
  );
  const distinct = `SELECT DISTINCT ${k.join(', ')}, __t FROM ${busiest.table} WHERE __t > ${lo}`;
  if (weights) {
    // The label source's use of each entity as a rate (labels per unit of the time the entity has
    // existed, at least the window): a count would favour long-lived entities (a customer labelled
    // once a quarter for years outweighs one who joined last month, though the model sees both
    // alike). An entity the labels have not used yet counts as the average one.
    const lts = `CAST(${ident(weights.label.source.timestamp)} AS TIMESTAMPTZ)`;
    const keyCols = keys.map((key) => `CAST(${ident(key)} AS VARCHAR) AS ${ident(`k:${key}`)}`).join(', ');
    const seen = `SELECT ${k.join(', ')}, min(__t) AS __first FROM (${used
      .map((u) => `SELECT ${k.join(', ')}, __t FROM ${u.table}`)
      .join(' UNION ALL ')}) GROUP BY ALL`;
    await conn.run(
      `CREATE TEMP TABLE ${spine}_w AS
       WITH lab AS (SELECT ${keyCols}, count(*)::DOUBLE AS __n, min(${lts}) AS __first
                    FROM ${weights.reader} WHERE ${lts} <= ${hi} GROUP BY ALL),
            seen AS (${seen}),
            rate AS (SELECT ${k.map((c) => `seen.${c}`).join(', ')},
                       lab.__n / greatest(epoch_ms(${hi}) - epoch_ms(least(seen.__first, coalesce(lab.__first, seen.__first))),
                                          epoch_ms(${hi}) - epoch_ms(${lo}), 1) AS __w
                     FROM seen LEFT JOIN lab ON ${k.map((c) => `seen.${c} = lab.${c}`).join(' AND ')})
       SELECT ${k.join(', ')}, coalesce(__w, (SELECT avg(__w) FROM rate WHERE __w IS NOT NULL), 1) AS __w FROM rate`,
    );
    await conn.run(
      `CREATE TEMP TABLE ${spine} AS SELECT s.*, coalesce(w.__w, 0) AS __w FROM (${distinct}) s
         LEFT JOIN ${spine}_w w ON ${k.map((c) => `s.${c} = w.${c}`).join(' AND ')}`,
    );
  } else await conn.run(`CREATE TEMP TABLE ${spine} AS ${distinct}`);
  let pick: number[] | undefined;
  let n = 0;
  for (const u of used) {
    const feats = model.features.filter((f) => f.view === u.view.name);
    const ttlMs = u.view.ttlMs;
    const r = await conn.runAndReadAll(
      `SELECT epoch_ms(s.__t)::DOUBLE AS __at, ${weights ? 's.__w' : '1.0'}${feats
        .map((f) => `, CASE WHEN epoch_ms(s.__t) - epoch_ms(v.__t) <= ${ttlMs} THEN v.${ident(f.ref)} END`)
        .join('')}
         FROM ${spine} s ASOF LEFT JOIN ${u.table} v ON ${k.map((c) => `s.${c} = v.${c}`).join(' AND ')} AND s.__t >= v.__t
         ORDER BY s.__t, ${k.map((c) => `s.${c}`).join(', ')}`,
    );
    const cols = r.getColumnsJS();
    const at = (cols[0] ?? []) as number[];
    // Every view of the group reads the same spine in the same order: one resampling for all.
    pick ??= weights ? systematicResample(cols[1] as number[]) : undefined;
    const take = <T>(xs: T[]): T[] => (pick ? pick.map((i) => xs[i]!) : xs);
    const atOut = take(at);
    n = atOut.length;
    feats.forEach((f, i) => {
      columns[f.ref] = { values: take((cols[i + 2] ?? []) as CellValue[]), at: atOut };
    });
  }
  return n;
}

/**
 * Indices that resample rows with weights `w` to their effective sample size (Σw)²/Σw²:
 * systematic resampling (evenly spaced points on the cumulative weights, offset ½), so row i
 * appears ⌊m·wᵢ/Σw⌋ or ⌈m·wᵢ/Σw⌉ times and the order (time) is kept. Deterministic.
 */
export function systematicResample(w: readonly number[]): number[] {
  let sum = 0;
  let sq = 0;
  for (const x of w) {
    sum += x;
    sq += x * x;
  }
  if (sum <= 0) return [];
  const m = Math.round((sum * sum) / sq);
  const out: number[] = [];
  let cum = 0;
  let i = 0;
  for (let j = 0; j < m; j++) {
    const u = ((j + 0.5) / m) * sum;
    while (i < w.length - 1 && cum + w[i]! <= u) cum += w[i++]!;
    out.push(i);
  }
  return out;
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
      source: 'labels',
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
