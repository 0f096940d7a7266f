// A drift report: the reference profile against a current window, per feature and for the
// dataset, with the histograms the HTML report draws and drift over time (the same test on each
// earlier window of the same length). Pure: the window's rows are read in drift-window.ts.
import type { Coverage, WindowSource } from './drift-window.ts';
import type { CellValue, ColumnProfile, ReferenceProfile } from './profile.ts';
import { categoryKey } from './profile.ts';
import {
  columnDrift,
  datasetDrift,
  type ColumnDrift,
  type DatasetDrift,
  type DriftOptions,
} from './stats/column-drift.ts';

export interface DriftSettings extends DriftOptions {
  /** The dataset drifts when this share of tested features drifts. */
  share: number;
  /** Restrict to these feature refs; empty: all. */
  features?: readonly string[];
}

export interface HistogramBin {
  label: string;
  /** Share of the reference / current non-null values in the bin. */
  reference: number;
  current: number;
}

export interface FeatureChart {
  feature: string;
  kind: 'numeric' | 'categorical';
  bins: HistogramBin[];
}

export interface DriftHistoryPoint {
  from: string;
  to: string;
  rows: number;
  features: number;
  drifted: number;
  share: number;
  datasetDrift: boolean;
  insufficient: boolean;
}

export interface DriftReport {
  model: string;
  version: number;
  /** The clock the report was computed at (the window's end). */
  at: string;
  window: {
    from: string;
    to: string;
    source: WindowSource;
    /** Rows of the model's unit in the window (predictions, label rows, weighted entity rows). */
    rows: number;
    /** How much of the window the prediction rows span (log only). */
    coverage?: Coverage;
    /** A narrow window (coverage.narrow): the statistics are shown, no drift verdict is drawn. */
    narrow?: true;
    /** Why the window was built as it was, or why it gives no verdict. */
    note?: string;
  };
  reference: { rows: number; source: 'stored' | 'computed'; digest?: string; sampleCap: number };
  settings: {
    method: DriftOptions['method'];
    share: number;
    minSamples: number;
    thresholds?: DriftOptions['thresholds'];
    threshold?: number;
  };
  dataset: DatasetDrift;
  prediction?: ColumnDrift;
  charts: FeatureChart[];
  predictionChart?: FeatureChart;
  history: DriftHistoryPoint[];
}

export interface CurrentWindow {
  from: string;
  to: string;
  source: WindowSource;
  rows: number;
  columns: Record<string, { values: CellValue[]; at: number[] }>;
  scores?: { values: CellValue[]; at: number[] };
  coverage?: Coverage;
  note?: string;
}

/** Per-feature and dataset drift of a window against a profile. */
export function driftOf(
  profile: ReferenceProfile,
  columns: Record<string, { values: ArrayLike<CellValue> }>,
  settings: DriftSettings,
): DatasetDrift {
  const wanted = settings.features?.length ? new Set(settings.features) : null;
  const out: ColumnDrift[] = [];
  for (const [ref, p] of Object.entries(profile.features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (wanted && !wanted.has(ref)) continue;
    out.push(columnDrift(ref, p, { values: columns[ref]?.values ?? [] }, settings));
  }
  return datasetDrift(out, settings.share);
}

/** Histogram of reference and current shares over the profile's bins (fixed edges, or top categories). */
export function chartOf(
  feature: string,
  p: ColumnProfile,
  values: ArrayLike<CellValue>,
): FeatureChart | undefined {
  if (p.kind === 'numeric') {
    const edges = p.fixed.edges;
    const nb = edges.length - 1;
    const cur = new Array<number>(nb).fill(0);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v == null || (typeof v === 'number' && Number.isNaN(v))) continue;
      const x = Number(v);
      // Bins are [e_i, e_{i+1}), the last closed; values outside the reference range go to the end bins.
      let b = Math.floor(((x - edges[0]!) / (edges[nb]! - edges[0]!)) * nb);
      b = Math.min(nb - 1, Math.max(0, b));
      cur[b]!++;
      n++;
    }
    const refTotal = p.fixed.counts.reduce((s, c) => s + c, 0) || 1;
    const fmt = (x: number) =>
      Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2);
    return {
      feature,
      kind: 'numeric',
      bins: p.fixed.counts.map((c, i) => ({
        label: `${fmt(edges[i]!)}–${fmt(edges[i + 1]!)}`,
        reference: c / refTotal,
        current: n ? cur[i]! / n : 0,
      })),
    };
  }
  if (p.kind === 'categorical') {
    const counts = new Map<string, number>();
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v == null) continue;
      const k = categoryKey(v);
      counts.set(k, (counts.get(k) ?? 0) + 1);
      n++;
    }
    const shown = p.top.slice(0, 20);
    const known = new Set(shown.map(([k]) => k));
    const refTotal = p.count || 1;
    const bins: HistogramBin[] = shown.map(([k, c]) => ({
      label: k,
      reference: c / refTotal,
      current: n ? (counts.get(k) ?? 0) / n : 0,
    }));
    const restRef = refTotal - shown.reduce((s, [, c]) => s + c, 0);
    let restCur = 0;
    for (const [k, c] of counts) if (!known.has(k)) restCur += c;
    if (restRef > 0 || restCur > 0)
      bins.push({ label: '(other)', reference: restRef / refTotal, current: n ? restCur / n : 0 });
    return { feature, kind: 'categorical', bins };
  }
  return undefined;
}

export interface DriftReportMeta {
  model: string;
  version: number;
  reference: DriftReport['reference'];
  /** Length of one window, ms; earlier windows of `rows` go into the history. */
  windowMs: number;
  /** Windows of history, the current one included. Default 8. */
  historyWindows?: number;
}

function slice(w: CurrentWindow, from: number, to: number): Record<string, { values: CellValue[] }> {
  const out: Record<string, { values: CellValue[] }> = {};
  for (const [ref, c] of Object.entries(w.columns)) {
    const values: CellValue[] = [];
    for (let i = 0; i < c.at.length; i++) if (c.at[i]! > from && c.at[i]! <= to) values.push(c.values[i]);
    out[ref] = { values };
  }
  return out;
}

/**
 * The report for the last `windowMs` of `w` (which may cover more, for the history) against the
 * profile.
 */
export function driftReport(
  profile: ReferenceProfile,
  w: CurrentWindow,
  settings: DriftSettings,
  meta: DriftReportMeta,
): DriftReport {
  const to = Date.parse(w.to);
  const from = to - meta.windowMs;
  const current = slice(w, from, to);
  const measured = driftOf(profile, current, settings);
  const narrow = w.coverage?.narrow === true;
  // A narrow window is one moment's traffic, not the window's: measured, never a verdict.
  const dataset = narrow ? { ...measured, datasetDrift: false } : measured;
  const charts: FeatureChart[] = [];
  for (const c of dataset.columns) {
    const ch = chartOf(c.feature, profile.features[c.feature]!, current[c.feature]?.values ?? []);
    if (ch) charts.push(ch);
  }
  let prediction: ColumnDrift | undefined;
  let predictionChart: FeatureChart | undefined;
  if (profile.prediction && w.scores) {
    const scores: CellValue[] = [];
    for (let i = 0; i < w.scores.at.length; i++)
      if (w.scores.at[i]! > from && w.scores.at[i]! <= to) scores.push(w.scores.values[i]);
    prediction = columnDrift('prediction', profile.prediction, { values: scores }, settings);
    predictionChart = chartOf('prediction', profile.prediction, scores);
  }
  const history: DriftHistoryPoint[] = [];
  const windows = meta.historyWindows ?? 8;
  const start = Date.parse(w.from);
  for (let k = windows - 1; k >= 0; k--) {
    const hiT = to - k * meta.windowMs;
    const loT = hiT - meta.windowMs;
    if (loT < start - 1) continue;
    const part = k === 0 ? current : slice(w, loT, hiT);
    const d = k === 0 ? dataset : driftOf(profile, part, settings);
    const rows = Math.max(0, ...Object.values(part).map((c) => c.values.length));
    history.push({
      from: new Date(loT).toISOString(),
      to: new Date(hiT).toISOString(),
      rows,
      features: d.features,
      drifted: d.drifted,
      share: d.share,
      datasetDrift: d.datasetDrift,
      insufficient: d.insufficient,
    });
  }
  const rows = Math.max(0, ...Object.values(current).map((c) => c.values.length));
  return {
    model: meta.model,
    version: meta.version,
    at: w.to,
    window: {
      from: new Date(from).toISOString(),
      to: w.to,
      source: w.source,
      rows,
      ...(w.coverage ? { coverage: w.coverage } : {}),
      ...(narrow ? { narrow: true as const } : {}),
      ...(w.note ? { note: w.note } : {}),
    },
    reference: meta.reference,
    settings: {
      method: settings.method,
      share: settings.share,
      minSamples: settings.minSamples,
      ...(settings.thresholds ? { thresholds: settings.thresholds } : {}),
      ...(settings.threshold != null ? { threshold: settings.threshold } : {}),
    },
    dataset,
    ...(prediction ? { prediction } : {}),
    charts,
    ...(predictionChart ? { predictionChart } : {}),
    history,
  };
}

const round = (x: number, d = 3): string => {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 10 ** -d) return x.toExponential(1);
  return String(Number(x.toFixed(d)));
};

/** One line per drifted feature: "spend_30d PSI 0.31 ≥ 0.2"; the comparison names the direction. */
export function describeColumn(c: ColumnDrift): string {
  if (c.status !== 'ok') return `${c.feature}: ${c.status}${c.note ? ` (${c.note})` : ''}`;
  const m = c.method!;
  const name = {
    ks: 'KS',
    psi: 'PSI',
    wasserstein: 'Wasserstein (normed)',
    'chi-square': 'chi-square',
    'jensen-shannon': 'Jensen–Shannon',
    'z-test': 'z-test',
  }[m];
  if (m === 'ks' || m === 'chi-square' || m === 'z-test')
    return `${c.feature} ${name} p=${round(c.pvalue!)} ${c.drifted ? (m === 'ks' ? '≤' : '<') : m === 'ks' ? '>' : '≥'} ${c.threshold}`;
  return `${c.feature} ${name} ${round(c.statistic!)} ${c.drifted ? '≥' : '<'} ${c.threshold}`;
}

/** The planner's evidence: "3 of 7 features drifted (share 0.43 ≥ 0.3): spend_30d PSI 0.31 ≥ 0.2, …". */
export function describeDataset(d: DatasetDrift): string {
  if (d.insufficient)
    return `insufficient data: ${
      d.columns
        .filter((c) => c.status === 'insufficient')
        .map((c) => c.note)
        .find(Boolean) ?? 'no feature had enough values'
    }`;
  const drifted = d.columns.filter((c) => c.drifted).map(describeColumn);
  return `${d.drifted} of ${d.features} features drifted (share ${round(d.share, 2)} ${d.datasetDrift ? '≥' : '<'} ${d.threshold})${drifted.length ? `: ${drifted.join(', ')}` : ''}`;
}
