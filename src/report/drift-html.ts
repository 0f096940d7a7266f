// The drift report as one self-contained HTML file: no script, no network. Charts are drawn at
// build time by vega-lite (compiled to a vega spec) and vega's headless View (`renderer: 'none'`,
// `toSVG()`), and inlined as SVG. vega-lite because it is the maintained grammar the Python side
// (Altair) also speaks, and a static SVG keeps the file readable anywhere, including in the MCP
// server's response.
import type * as vl from 'vega-lite';
import { esc, toSvg } from './html.ts';
import type { DriftReport, FeatureChart } from '../observe/drift.ts';
import { describeColumn, describeDataset } from '../observe/drift.ts';
import type { ColumnDrift } from '../observe/stats/column-drift.ts';

const fmt = (x: number | undefined, d = 4): string => {
  if (x == null) return '';
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential(2);
  return String(Number(x.toFixed(d)));
};

const COLORS = { domain: ['reference', 'current'], range: ['#7f8c9b', '#d9622b'] };

function histogramSpec(c: FeatureChart, drifted: boolean): vl.TopLevelSpec {
  const values = c.bins.flatMap((b, i) => [
    { bin: b.label, order: i, sample: 'reference', share: b.reference },
    { bin: b.label, order: i, sample: 'current', share: b.current },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: c.feature, color: drifted ? '#b3261e' : '#222' },
    width: c.kind === 'numeric' ? 420 : Math.max(160, 28 * c.bins.length),
    height: 140,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'bin',
        type: 'ordinal',
        sort: { field: 'order' },
        title: null,
        axis:
          c.kind === 'numeric'
            ? { labelAngle: -60, labelOverlap: true, labelFontSize: 8 }
            : { labelAngle: -30 },
      },
      xOffset: { field: 'sample', sort: ['reference', 'current'] },
      y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '%' } },
      color: { field: 'sample', type: 'nominal', scale: COLORS, title: null },
    },
    config: { view: { stroke: null }, font: 'sans-serif' },
  };
}

function historySpec(r: DriftReport): vl.TopLevelSpec {
  const values = r.history.map((h) => ({
    to: h.to,
    share: h.features ? h.share : null,
    drifted: h.datasetDrift,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Share of drifted features per window',
    width: 520,
    height: 160,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true, color: '#d9622b' },
        encoding: {
          x: { field: 'to', type: 'temporal', title: 'window end' },
          y: {
            field: 'share',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { format: '%' },
            title: 'drifted share',
          },
        },
      },
      {
        data: { values: [{ share: r.settings.share }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#b3261e' },
        encoding: { y: { field: 'share', type: 'quantitative' } },
      },
    ],
    config: { view: { stroke: null }, font: 'sans-serif' },
  };
}

function row(c: ColumnDrift): string {
  const cls = c.status !== 'ok' ? 'muted' : c.drifted ? 'drift' : '';
  return `<tr class="${cls}"><td>${esc(c.feature)}</td><td>${esc(c.method ?? '—')}</td><td>${fmt(c.statistic)}</td><td>${fmt(c.pvalue)}</td><td>${c.threshold ?? ''}</td><td>${c.status === 'ok' ? (c.drifted ? '<b>drifted</b>' : 'no') : esc(c.status)}</td><td>${c.referenceCount}</td><td>${c.currentCount}${c.currentNulls ? ` (+${c.currentNulls} null)` : ''}</td><td>${esc(c.note ?? '')}</td></tr>`;
}

/** Render the report; every chart is an inline SVG. */
export async function renderDriftHtml(r: DriftReport): Promise<string> {
  const drifted = new Set(r.dataset.columns.filter((c) => c.drifted).map((c) => c.feature));
  const charts: string[] = [];
  for (const c of r.charts)
    charts.push(
      `<figure class="chart" data-feature="${esc(c.feature)}">${await toSvg(histogramSpec(c, drifted.has(c.feature)))}</figure>`,
    );
  const scoreChart = r.predictionChart
    ? `<figure class="chart" data-feature="prediction">${await toSvg(histogramSpec(r.predictionChart, r.prediction?.drifted === true))}</figure>`
    : '<p class="muted">No prediction scores in this window (the model is not served, its views are keyed differently so the window holds no whole feature rows to score, or its profile has no scores).</p>';
  const history =
    r.history.length > 0
      ? `<figure class="chart" data-chart="history">${await toSvg(historySpec(r))}</figure>`
      : '<p class="muted">No earlier windows.</p>';
  const verdict = r.dataset.insufficient
    ? 'insufficient data'
    : r.dataset.datasetDrift
      ? 'dataset drift'
      : 'no dataset drift';
  const columns = [...r.dataset.columns, ...(r.prediction ? [r.prediction] : [])];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift: ${esc(r.model)} v${r.version} — ${esc(verdict)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.verdict { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; background: #e7f4e4; }
.verdict.drift { background: #fbe3de; color: #8a1c12; } .verdict.insufficient { background: #eee; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; }
tr.drift td { background: #fdf1ee; } tr.muted td, .muted { color: #777; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } figure { margin: 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dt { color: #666; }
</style>
</head>
<body>
<h1>Drift report: ${esc(r.model)} v${r.version}</h1>
<p><span class="verdict ${r.dataset.insufficient ? 'insufficient' : r.dataset.datasetDrift ? 'drift' : ''}">${esc(verdict)}</span> ${esc(describeDataset(r.dataset))}</p>
<dl>
<dt>Current window</dt><dd>${esc(r.window.from)} → ${esc(r.window.to)}, ${r.window.rows} rows from ${r.window.source === 'prediction-log' ? 'the prediction log' : 'the feature sources (point in time)'}</dd>
<dt>Reference</dt><dd>training split of v${r.version}, ${r.reference.rows} rows (${r.reference.source === 'stored' ? `stored profile ${esc(r.reference.digest ?? '')}` : 'profile computed now from the recorded training set'})</dd>
<dt>Method</dt><dd>${esc(r.settings.method)}; dataset drift at share ≥ ${r.settings.share}; at least ${r.settings.minSamples} current values per feature</dd>
</dl>
<h2>Drift per feature</h2>
<table id="drift-table">
<thead><tr><th>feature</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drifted</th><th>reference n</th><th>current n</th><th>note</th></tr></thead>
<tbody>
${columns.map(row).join('\n')}
</tbody>
</table>
<h2>Reference vs current</h2>
<div class="charts">
${charts.join('\n')}
</div>
<h2>Prediction scores</h2>
${scoreChart}
<h2>Drift over time</h2>
${history}
<p class="muted">Generated by Rudder at ${esc(r.at)}. ${esc(
    columns
      .filter((c) => c.drifted)
      .map(describeColumn)
      .join('; '),
  )}</p>
</body>
</html>
`;
}
