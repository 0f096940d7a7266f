// `rudder backtest` end to end on the churn world: a model trained on 2026-05-01, sample data
// with spend_30d × 1.8 planted from 2026-06-01, and six weeks replayed daily. The drift trigger
// fires once the planted shift is in its window, the next day's fire is held by the cooldown,
// nothing is written to the repository, and the HTML timeline renders its charts in Chromium.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply } from '../../src/api/index.ts';
import type { BacktestReport } from '../../src/api/backtest.ts';
import { backtestCommand } from '../../src/cli/commands/backtest.ts';
import { sampleDataCommand } from '../../src/cli/commands/sample-data.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';

const TRAINED = new Date('2026-05-01T00:00:00Z');
const PLANTED = '2026-06-01';
const CHROMIUM = '/usr/bin/chromium';

function capture(): CommandIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    color: false,
    isTTY: false,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  };
  return io;
}

let repo = '';
let report: BacktestReport;
let text = '';
let head = '';
let seconds = 0;
beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 1500, epochs: 2 });
  const p = join(repo, 'policies', 'operations', 'churn-retrain.yaml');
  // Thresholds tuned as a backtest is for: normed Wasserstein 0.5 ignores the world's slow
  // seasonal movement (≈ 0.15) and catches the planted shift (≈ 1.7). A 3-day cooldown: a drift
  // that persists fires, then is held for two daily steps. The schedule moves to 90d: at 30d it
  // would retrain on 2026-05-31 and its cooldown would hold the drift's first day. (The performance trigger re-scores the
  // model at every step: left out to keep the replay short.)
  const policy = readFileSync(p, 'utf8')
    .replace(
      /- drift: \{[^}]*\}/,
      '- drift: { method: auto, window: 7d, share: 0.1, minSamples: 500, thresholds: { wasserstein: 0.5 } }',
    )
    .replace(/\n\s*- performance: \{[^}]*\}/, '')
    .replace('every: 30d', 'every: 90d')
    .replace('cooldown: 24h', 'cooldown: 3d');
  writeFileSync(p, policy);
  git(repo, 'commit', '-qam', 'backtest thresholds');
  const a = await apply({ cwd: repo, actor: 'cli', now: () => TRAINED });
  if (!a.ok) throw new Error(a.summary);
  // GIVEN spend_30d × 1.8 from 2026-06-01 in the sample data
  expect(
    await sampleDataCommand(
      {
        cwd: repo,
        out: 'data',
        seed: 7,
        start: '2026-01-05',
        drift: `spend_30d@${PLANTED}*1.8`,
        force: true,
      },
      capture(),
    ),
  ).toBe(0);
  head = git(repo, 'rev-parse', 'HEAD');
  const html = join(ROOT, '.rudder', 'test-artifacts', 'backtest-report.html');
  mkdirSync(join(ROOT, '.rudder', 'test-artifacts'), { recursive: true });
  // WHEN six weeks are replayed daily
  const io = capture();
  const started = Date.now();
  const rc = await backtestCommand(
    {
      cwd: repo,
      model: 'churn',
      from: '2026-05-04',
      to: '2026-06-14',
      every: '1d',
      json: false,
      out: 'bt.json',
      html,
    },
    io,
  );
  seconds = (Date.now() - started) / 1000;
  expect(rc, io.err).toBe(0);
  text = io.out;
  report = JSON.parse(readFileSync(join(repo, 'bt.json'), 'utf8')) as BacktestReport;
  console.error(`backtest of 42 daily steps took ${seconds.toFixed(1)} s\n${text}`);
}, 600_000);
afterAll(() => cleanupTemp());

describe('rudder backtest', () => {
  test('the planted drift fires at the first step whose window holds it, and not before', () => {
    expect(report.summary.steps).toBe(42);
    const drift = report.steps.filter((s) => s.triggers.some((t) => t.code === 'drift'));
    const first = drift[0]!;
    expect(first.outcome).toBe('fired');
    expect(first.at >= `${PLANTED}T00:00:00.000Z`).toBe(true);
    expect(first.at <= '2026-06-08T00:00:00.000Z').toBe(true);
    expect(first.triggers.find((t) => t.code === 'drift')!.message).toMatch(/customer_activity:spend_30d/);
    expect(first.drift!.columns['customer_activity:spend_30d']!.drifted).toBe(true);
  });

  test('a second fire inside the cooldown is reported held, until the cooldown ends', () => {
    const first = report.steps.find(
      (s) => s.outcome === 'fired' && s.triggers.some((t) => t.code === 'drift'),
    )!;
    const next = report.steps[report.steps.indexOf(first) + 1]!;
    expect(next.outcome).toBe('held');
    expect(next.heldUntil).toBe(new Date(Date.parse(first.at) + 3 * 86_400_000).toISOString());
    expect(text).toMatch(/held +drift.*\(held by cooldown until \d{4}-\d{2}-\d{2}\)/);
    expect(text).toMatch(/\d+ fired, \d+ held by cooldown, of 42 steps/);
    expect(report.summary.byTrigger.drift!.held).toBeGreaterThan(0);
  });

  test('nothing is trained, written or committed', () => {
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo, 'status', '--porcelain', '--', 'state', 'policies')).toBe('');
  });

  test('usage errors name the option', async () => {
    const base = { cwd: repo, model: 'churn', json: false };
    await expect(backtestCommand({ ...base, from: 'May', to: '2026-06-01' }, capture())).rejects.toThrow(
      /--from "May": expected an ISO 8601 time/,
    );
    await expect(
      backtestCommand({ ...base, from: '2026-06-01', to: '2026-05-01' }, capture()),
    ).rejects.toThrow(/--from 2026-06-01 is not before --to 2026-05-01/);
    await expect(
      backtestCommand({ ...base, from: '2026-05-01', to: '2026-06-01', every: 'daily' }, capture()),
    ).rejects.toThrow(/--every "daily": expected a duration/);
    const bad = capture();
    expect(
      await backtestCommand({ ...base, model: 'chrun', from: '2026-05-01', to: '2026-05-02' }, bad),
    ).toBe(1);
    expect(bad.err).toMatch(/no model "chrun" in the policies/);
    expect(bad.err).toMatch(/Did you mean "churn"\?/);
  });

  test('the HTML timeline loads in headless Chromium with every chart drawn', async (ctx) => {
    const html = join(ROOT, '.rudder', 'test-artifacts', 'backtest-report.html');
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    if (!existsSync(CHROMIUM)) {
      ctx.skip(`${CHROMIUM} is absent: apt-get install chromium to run the browser check`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(`file://${html}`);
      const charts = await tab.$$eval('figure.chart', (figs) =>
        figs.map((f) => ({
          name: f.getAttribute('data-chart'),
          marks: f.querySelectorAll('g.role-mark > path, g.role-mark > line, g.role-mark > circle').length,
          width: f.getBoundingClientRect().width,
        })),
      );
      expect(charts.map((c) => c.name)).toEqual(expect.arrayContaining(['drift-share', 'drift-features']));
      for (const c of charts) {
        expect(c.marks, `${c.name} has no rendered marks`).toBeGreaterThan(0);
        expect(c.width).toBeGreaterThan(50);
      }
      expect(await tab.locator('#steps-table tbody tr.held').count()).toBeGreaterThan(0);
      await tab.screenshot({ path: html.replace(/\.html$/, '.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
