// The churn sample world: deterministic, one world seen through any window of weeks, and
// stationary (a window drifts only where a shift is planted).
import { describe, expect, test } from 'vitest';
import { generateChurnData, type ChurnData } from '../../../src/sample/churn-data.ts';

const OPTS = { seed: 7, customers: 300, start: '2026-01-05', weeks: 26 };

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const rowsIn = (rows: ChurnData['activity'], col: string, from: string, to: string) =>
  rows.filter((r) => String(r[col]) >= from && String(r[col]) < to);

describe('churn sample data', () => {
  test('same options, same rows; another seed, other rows', () => {
    expect(generateChurnData(OPTS)).toEqual(generateChurnData(OPTS));
    expect(generateChurnData({ ...OPTS, seed: 8 }).activity).not.toEqual(generateChurnData(OPTS).activity);
  });

  test('a window a week later repeats the weeks both share, row for row, and adds the new one', () => {
    const before = generateChurnData(OPTS);
    const after = generateChurnData({ ...OPTS, start: '2026-01-12' });
    // Labels cover each window's last 24 weeks: the later window's start a week later.
    const shared = (d: ChurnData['activity'], col: string, from: string) =>
      rowsIn(d, col, from, '2026-07-06').map((r) => JSON.stringify(r));
    expect(shared(after.activity, 'event_ts', '2026-01-12')).toEqual(
      shared(before.activity, 'event_ts', '2026-01-12'),
    );
    expect(shared(after.labels, 'label_ts', '2026-01-26')).toEqual(
      shared(before.labels, 'label_ts', '2026-01-26'),
    );
    expect(rowsIn(after.activity, 'event_ts', '2026-07-06', '2026-07-13').length).toBeGreaterThan(250);
  });

  test('one label per seat over 24 weeks; customers leave and new ones join', () => {
    const d = generateChurnData(OPTS);
    expect(d.labels).toHaveLength(OPTS.customers);
    const ids = new Set(d.activity.map((r) => r.customer_id));
    expect(ids.size).toBeGreaterThan(OPTS.customers * 1.2);
    const rate = mean(d.labels.map((l) => Number(l.churned)));
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.25);
  });

  test('stationary: the first and the last eight weeks look alike, feature by feature and in labels', () => {
    const d = generateChurnData({ ...OPTS, customers: 1500 });
    const early = rowsIn(d.activity, 'event_ts', '2026-01-05', '2026-03-02');
    const late = rowsIn(d.activity, 'event_ts', '2026-05-11', '2026-07-06');
    expect(Math.abs(early.length - late.length) / early.length).toBeLessThan(0.03);
    for (const col of ['sessions_7d', 'spend_30d', 'support_tickets_30d', 'days_since_login']) {
      const a = early.map((r) => Number(r[col]));
      const b = late.map((r) => Number(r[col]));
      const sd = Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
      expect(Math.abs(mean(a) - mean(b)) / sd, col).toBeLessThan(0.05);
    }
    const labelsEarly = rowsIn(d.labels, 'label_ts', '2026-01-19', '2026-04-13');
    const labelsLate = rowsIn(d.labels, 'label_ts', '2026-04-13', '2026-07-06');
    const r1 = mean(labelsEarly.map((l) => Number(l.churned)));
    const r2 = mean(labelsLate.map((l) => Number(l.churned)));
    expect(Math.abs(r1 - r2)).toBeLessThan(0.04);
  });

  test('a planted shift moves only its feature, only from its date', () => {
    const plain = generateChurnData(OPTS);
    const shifted = generateChurnData({
      ...OPTS,
      drift: { feature: 'spend_30d', after: '2026-06-29', factor: 1.8 },
    });
    const before = (d: ChurnData) => rowsIn(d.activity, 'event_ts', '2026-01-05', '2026-06-29');
    expect(before(shifted)).toEqual(before(plain));
    const last = (d: ChurnData) => rowsIn(d.activity, 'event_ts', '2026-06-29', '2026-07-06');
    const ratio =
      mean(last(shifted).map((r) => Number(r.spend_30d))) / mean(last(plain).map((r) => Number(r.spend_30d)));
    expect(ratio).toBeCloseTo(1.8, 1);
    expect(last(shifted).map((r) => r.sessions_7d)).toEqual(last(plain).map((r) => r.sessions_7d));
  });
});
