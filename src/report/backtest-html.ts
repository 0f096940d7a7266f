// The backtest timeline as one self-contained HTML file (no script, no network), drawn like the
// drift report (drift-html.ts): vega-lite compiled at build time, inlined as SVG. Charts: the
// drifted share and each feature's drift over time, the live metric with the trigger thresholds,
// markers where retrains fired or were held, and with --train the candidate vs champion scores.
import type * as vl from 'vega-lite';
import { esc, toSvg } from './html.ts';
import type { BacktestReport, BacktestStep } from '../planner/backtest.ts';
import { isPValueMethod, type DriftMethod } from '../observe/stats/column-drift.ts';
import { formatDuration, lowerIsBetter } from '../schema/vocabulary.ts';

const fmt = (x: number | undefined): string => (x == null ? '—' : String(Number(x.toFixed(4))));
const day = (iso: string): string => (iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso);
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = { view: { stroke: null }, font: 'sans-serif' };
const MARKS = { domain: ['fired', 'held'], range: ['#b3261e', '#e0a100'] };
type Layer = Record<string, unknown>;

/** Rules at the steps that fired (red) or were held by the cooldown (amber). */
function markerLayers(steps: readonly BacktestStep[]): Layer[] {
  const values = steps
    .filter((s) => s.outcome === 'fired' || s.outcome === 'held')
    .map((s) => ({ at: s.at, outcome: s.outcome, why: s.triggers.map((t) => t.code).join(', ') }));
  if (values.length === 0) return [];
  return [
    {
      data: { values },
      mark: { type: 'rule', strokeWidth: 2, opacity: 0.7 },
      encoding: {
        x: { field: 'at', type: 'temporal' },
        color: { field: 'outcome', type: 'nominal', scale: MARKS, title: 'retrain' },
        tooltip: [{ field: 'at', type: 'temporal' }, { field: 'why' }],
      },
    },
  ];
}

const rule = (values: { y: number; what: string }[]): Layer => ({
  data: { values },
  mark: { type: 'rule', strokeDash: [4, 4], color: '#555' },
  encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'what' }] },
});

const layered = (title: string, height: number, layer: Layer[]): vl.TopLevelSpec =>
  ({ $schema: SCHEMA, title, width: 900, height, layer, config: CONFIG }) as unknown as vl.TopLevelSpec;

function shareSpec(r: BacktestReport, share: number | undefined): vl.TopLevelSpec {
  const values = r.steps.flatMap((s) =>
    s.drift ? [{ at: s.at, share: s.drift.features ? s.drift.share : null }] : [],
  );
  return layered('Share of drifted features', 160, [
    ...markerLayers(r.steps),
    {
      data: { values },
      mark: { type: 'line', point: true, color: '#d9622b' },
      encoding: {
        x: { field: 'at', type: 'temporal', title: 'step' },
        y: {
          field: 'share',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          axis: { format: '%' },
          title: 'drifted share',
        },
      },
    },
    ...(share != null ? [rule([{ y: share, what: `trigger share ${share}` }])] : []),
  ]);
}

/** statistic ÷ threshold for distances, threshold ÷ p for p-values: ≥ 1 is drifted. */
function severity(c: { method: string; statistic: number; threshold: number }): number | null {
  const v = isPValueMethod(c.method as DriftMethod) ? c.threshold / c.statistic : c.statistic / c.threshold;
  return Number.isFinite(v) ? v : null;
}

function featureSpec(r: BacktestReport): vl.TopLevelSpec {
  const values = r.steps.flatMap((s) =>
    Object.entries(s.drift?.columns ?? {}).map(([feature, c]) => ({
      at: s.at,
      feature,
      severity: severity(c),
    })),
  );
  return layered('Drift per feature (statistic relative to its threshold; ≥ 1 is drifted)', 220, [
    {
      data: { values },
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'at', type: 'temporal', title: 'step' },
        y: { field: 'severity', type: 'quantitative', title: 'statistic ÷ threshold' },
        color: { field: 'feature', type: 'nominal', title: 'feature' },
      },
    },
    rule([{ y: 1, what: 'drifted at 1' }]),
  ]);
}

function qualitySpec(r: BacktestReport): vl.TopLevelSpec | undefined {
  const values = r.steps.flatMap((s) =>
    s.quality ? [{ at: s.at, value: s.quality.value, labels: s.quality.labels }] : [],
  );
  const perf = r.triggers.find((t) => t.type === 'performance');
  if (values.length === 0 || perf?.type !== 'performance') return undefined;
  const champ = r.championMetrics[perf.metric];
  const sign = lowerIsBetter.has(perf.metric) ? 1 : -1;
  const lines = [
    ...(perf.min != null ? [{ y: perf.min, what: `floor ${perf.min}` }] : []),
    ...(perf.dropBy != null && champ != null
      ? [{ y: champ + sign * perf.dropBy, what: `champion ${fmt(champ)} moved by ${perf.dropBy}` }]
      : []),
  ];
  return layered(
    `Live ${perf.metric} over the trigger's window (${formatDuration(perf.windowMs)}), with the thresholds`,
    180,
    [
      ...markerLayers(r.steps),
      {
        data: { values },
        mark: { type: 'line', point: true, color: '#2b6cd9' },
        encoding: {
          x: { field: 'at', type: 'temporal', title: 'step' },
          y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: perf.metric },
          tooltip: [{ field: 'value' }, { field: 'labels' }],
        },
      },
      ...(lines.length ? [rule(lines)] : []),
    ],
  );
}

function trainSpec(r: BacktestReport): vl.TopLevelSpec | undefined {
  const values = (r.trains ?? []).flatMap((t) => [
    ...(t.candidate?.value != null ? [{ at: t.at, who: 'candidate', value: t.candidate.value }] : []),
    ...(t.champion?.value != null ? [{ at: t.at, who: 'champion', value: t.champion.value }] : []),
  ]);
  const metric = r.trains?.[0]?.metric;
  if (values.length === 0 || metric == null) return undefined;
  return layered(`Candidate vs champion on the following period (${metric})`, 180, [
    {
      data: { values },
      mark: { type: 'point', filled: true, size: 80 },
      encoding: {
        x: { field: 'at', type: 'temporal', title: 'retrain' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: metric },
        color: {
          field: 'who',
          type: 'nominal',
          scale: { domain: ['candidate', 'champion'], range: ['#2b8a3e', '#7f8c9b'] },
        },
      },
    },
  ]);
}

function stepRow(s: BacktestStep): string {
  const what = s.triggers.map((t) => `<b>${esc(t.code)}</b>: ${esc(t.message)}`).join('<br>');
  const outcome = s.outcome === 'held' ? `held until ${esc(day(s.heldUntil!))}` : s.outcome;
  return `<tr class="${s.outcome}"><td>${esc(day(s.at))}</td><td>${outcome}</td><td>${what || esc(s.blocked ?? '')}</td></tr>`;
}

function trainRow(t: NonNullable<BacktestReport['trains']>[number]): string {
  const side = (s: typeof t.candidate) => (s ? `v${s.version} ${fmt(s.value)}` : '—');
  return `<tr><td>${esc(day(t.at))}</td><td>${esc(day(t.until))}</td><td>${side(t.candidate)}</td><td>${side(t.champion)}</td><td>${t.candidate?.labels ?? ''}</td><td>${esc(t.error ?? t.candidate?.note ?? '')}</td></tr>`;
}

async function figure(name: string, spec: vl.TopLevelSpec | undefined, none: string): Promise<string> {
  return spec
    ? `<figure class="chart" data-chart="${name}">${await toSvg(spec)}</figure>`
    : `<p class="muted">${esc(none)}</p>`;
}

async function chartsOf(r: BacktestReport): Promise<string[]> {
  const driftT = r.triggers.find((t) => t.type === 'drift');
  const hasDrift = r.steps.some((s) => s.drift);
  return [
    await figure(
      'drift-share',
      hasDrift ? shareSpec(r, driftT?.type === 'drift' ? driftT.share : undefined) : undefined,
      'No drift observed (no drift trigger, or no window could be read).',
    ),
    await figure('drift-features', hasDrift ? featureSpec(r) : undefined, 'No per-feature drift.'),
    await figure(
      'quality',
      qualitySpec(r),
      'No live metric (no performance trigger, or too few labels in its window).',
    ),
    ...(r.trains ? [await figure('trains', trainSpec(r), 'No candidate was scored.')] : []),
  ];
}

const STYLE = `body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
tr.fired td { background: #fdf1ee; } tr.held td { background: #fff8e1; } .muted { color: #777; } figure { margin: 0 0 1rem; }`;

/** Render the report; every chart is an inline SVG. */
export async function renderBacktestHtml(r: BacktestReport): Promise<string> {
  const sm = r.summary;
  const per = Object.entries(sm.byTrigger)
    .map(([k, c]) => `${esc(k)}: ${c.fired} fired, ${c.held} held`)
    .join('; ');
  const trains = r.trains
    ? `<h2>Retrains (--train)</h2>
<table id="trains-table"><thead><tr><th>trained at</th><th>scored until</th><th>candidate</th><th>champion</th><th>labels</th><th>note</th></tr></thead><tbody>
${r.trains.map(trainRow).join('\n')}
</tbody></table>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backtest: ${esc(r.model)} ${esc(day(r.from))} → ${esc(day(r.to))}</title>
<style>
${STYLE}
</style>
</head>
<body>
<h1>Backtest: ${esc(r.model)}</h1>
<p>${esc(day(r.from))} → ${esc(day(r.to))} every ${esc(formatDuration(r.everyMs))}, ${sm.steps} steps; cooldown ${esc(formatDuration(r.cooldownMs))}.
<b>${sm.fired} fired, ${sm.held} held by cooldown</b>${sm.blocked ? `, ${sm.blocked} blocked` : ''}. ${per}</p>
${r.pending.length ? `<p class="muted">Pending deliberate changes, not replayed: ${esc(r.pending.join('; '))}</p>` : ''}
<h2>Timeline</h2>
${(await chartsOf(r)).join('\n')}
<h2>Steps that fired or were held</h2>
<table id="steps-table">
<thead><tr><th>step</th><th>outcome</th><th>triggers and evidence</th></tr></thead>
<tbody>
${r.steps
  .filter((s) => s.outcome !== 'quiet')
  .map(stepRow)
  .join('\n')}
</tbody>
</table>
${trains}
<p class="muted">Generated by Rudder backtest. Nothing was committed: the policies and lockfiles are as they are now, the data as of each step.</p>
</body>
</html>
`;
}
