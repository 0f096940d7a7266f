// The HTML drift report is one self-contained file: inline SVG per chart, no script, no URL to
// fetch, and text from the data escaped.
import { expect, test } from 'vitest';
import { driftReport } from '../../../src/observe/drift.ts';
import { profileFrom } from '../../../src/observe/profile.ts';
import { renderDriftHtml } from '../../../src/report/drift-html.ts';
import { Rng } from '../../../src/util/rng.ts';

test('every feature, the scores and the history get an inline SVG chart; names are escaped', async () => {
  const r = new Rng(5);
  const rows = Array.from({ length: 400 }, () => ({
    amount: r.normal(10, 2),
    'kind<script>': r.pick(['a', 'b', 'c']),
    score: r.next(),
  }));
  const profile = profileFrom(
    rows,
    { amount: 'float', 'kind<script>': 'category', score: 'score' },
    { seed: 1, prediction: 'score' },
  );
  const to = Date.parse('2026-03-01T00:00:00Z');
  const at = Array.from({ length: 600 }, (_, i) => to - ((i % 30) * 86_400_000) / 2 - 1000);
  const report = driftReport(
    profile,
    {
      from: new Date(to - 28 * 86_400_000).toISOString(),
      to: new Date(to).toISOString(),
      source: 'prediction-log',
      rows: 600,
      columns: {
        amount: { values: at.map(() => r.normal(12, 2)), at },
        'kind<script>': { values: at.map(() => r.pick(['a', 'b', 'd'])), at },
      },
      scores: { values: at.map(() => r.next() * 0.8), at },
    },
    { method: 'auto', share: 0.5, minSamples: 10 },
    {
      model: 'm',
      version: 3,
      reference: { rows: 400, source: 'stored', digest: 'sha256:x', sampleCap: 50_000 },
      windowMs: 7 * 86_400_000,
      historyWindows: 4,
    },
  );
  expect(report.history).toHaveLength(4);
  expect(report.dataset.columns.find((c) => c.feature === 'amount')).toMatchObject({
    method: 'ks',
    drifted: true,
  });
  const html = await renderDriftHtml(report);
  expect(html).not.toMatch(/<script/i);
  expect(html).toContain('kind&lt;script&gt;');
  expect(html.match(/<figure class="chart"[^>]*><svg/g)).toHaveLength(4); // 2 features, scores, history
  expect(html).not.toMatch(/(src|href)="https?:/);
});
