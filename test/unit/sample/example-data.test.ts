// The examples' sample-data generators: deterministic to the byte, and shaped exactly as the
// examples' policies read them (paths, formats, timestamps, entity keys, features, labels).
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, test } from 'vitest';
import { validate } from '../../../src/api/index.ts';
import type { FeatureType } from '../../../src/compiler/desired-state.ts';
import { generateFraudData } from '../../../src/sample/fraud-data.ts';
import { generateHouseData } from '../../../src/sample/house-data.ts';
import { detectScenario, scenarioFor } from '../../../src/sample/scenario.ts';
import { writeFraudSampleData, writeHouseSampleData } from '../../../src/sample/write-example-data.ts';
import { ROOT } from '../../helpers/churn-repo.ts';
import { cleanupTemp, tempDir } from '../../helpers/temp-repo.ts';

afterAll(() => cleanupTemp());

const FRAUD = {
  seed: 7,
  authorizations: 600,
  cards: 150,
  merchants: 30,
  days: 5,
  end: '2026-07-06T00:00:00Z',
};
const HOUSE = { seed: 7, listings: 300, days: 400, end: '2026-07-06T00:00:00Z' };

/** Every file under `dir` (recursively, sorted) → its bytes, leaving out the temp marker folder. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = join(dir, f);
    if (f.endsWith('.csv') || f.endsWith('.parquet') || f.endsWith('.json')) out.set(f, readFileSync(p));
  }
  return out;
}

describe.each([
  ['fraud-abtest', (d: string, seed: number) => writeFraudSampleData(d, { ...FRAUD, seed })],
  ['house-prices', (d: string, seed: number) => writeHouseSampleData(d, { ...HOUSE, seed })],
] as const)('examples/%s sample data', (example, write) => {
  test('same seed, same bytes; another seed, other data', async () => {
    const a = tempDir();
    const b = tempDir();
    const c = tempDir();
    await write(a, 7);
    await write(b, 7);
    await write(c, 8);
    const fa = filesOf(a);
    expect(fa.size).toBeGreaterThanOrEqual(4); // three sources (one a folder) and the marker
    expect([...filesOf(b).keys()]).toEqual([...fa.keys()]);
    for (const [f, bytes] of filesOf(b)) expect(bytes.equals(fa.get(f)!), f).toBe(true);
    const fc = filesOf(c);
    expect([...fa].some(([f, bytes]) => !fc.get(f)?.equals(bytes))).toBe(true);
    // Unchanged options: nothing is rewritten.
    expect((await write(a, 7)).skipped).toBe(true);
  });

  test('every source the policies read exists with its timestamp, entity keys, features and label', async () => {
    const repo = tempDir();
    cpSync(join(ROOT, 'examples', example), repo, { recursive: true });
    await write(join(repo, 'data'), 7);
    const v = await validate({ cwd: repo });
    expect(v.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const state = v.state!;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const columns = async (path: string, format: 'csv' | 'parquet') => {
      const reader = format === 'csv' ? 'read_csv' : 'read_parquet';
      const r = await conn.runAndReadAll(
        `DESCRIBE SELECT * FROM ${reader}('${join(repo, path).replace(/'/g, "''")}')`,
      );
      const rows = r.getRowObjectsJS() as { column_name: string; column_type: string }[];
      return new Map(rows.map((x) => [x.column_name, x.column_type]));
    };
    const ok: Record<FeatureType, RegExp> = {
      int: /^(TINYINT|SMALLINT|INTEGER|BIGINT)$/,
      float: /^(DOUBLE|FLOAT|BIGINT|INTEGER)$/,
      bool: /^BOOLEAN$/,
      category: /^(VARCHAR|BIGINT)$/,
      string: /^VARCHAR$/,
      timestamp: /^TIMESTAMP WITH TIME ZONE$/,
    };
    try {
      for (const view of state.featureViews) {
        const cols = await columns(view.source.path, view.source.format);
        expect(cols.get(view.source.timestamp), `${view.name} timestamp`).toBe('TIMESTAMP WITH TIME ZONE');
        for (const e of view.entities) expect(cols.get(e), `${view.name} entity ${e}`).toBe('VARCHAR');
        for (const f of view.features)
          expect(cols.get(f.column) ?? 'missing', `${view.name}:${f.name}`).toMatch(ok[f.type]);
        // Nothing the policies do not describe.
        expect(cols.size, view.name).toBe(1 + view.entities.length + view.features.length);
      }
      for (const model of state.models) {
        const l = model.label;
        const cols = await columns(l.source.path, l.source.format);
        expect(cols.get(l.source.timestamp)).toBe('TIMESTAMP WITH TIME ZONE');
        for (const e of l.entities) expect(cols.get(e), `label entity ${e}`).toBe('VARCHAR');
        expect(cols.get(l.column)).toMatch(
          model.task === 'regression' ? /^(BIGINT|DOUBLE|INTEGER)$/ : /^INTEGER$/,
        );
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('the generators carry the signal the examples train on', () => {
  test('fraud: a few percent fraud, far more common in bursts of card activity', () => {
    const d = generateFraudData({ ...FRAUD, authorizations: 4000, cards: 800, merchants: 80 });
    const fraud = d.labels.filter((l) => l.is_fraud === 1).length / d.labels.length;
    expect(fraud).toBeGreaterThan(0.02);
    expect(fraud).toBeLessThan(0.25);
    // Every authorization has the card's velocity computed before it, within the 2h TTL, and
    // fraud comes with bursts: more transactions in the hour before it.
    const byCard = new Map<string, { at: number; count: number }[]>();
    for (const v of d.velocity) {
      const list = byCard.get(String(v.card_id)) ?? [];
      list.push({ at: Date.parse(String(v.computed_at)), count: Number(v.txn_count_1h) });
      byCard.set(String(v.card_id), list);
    }
    const counts: Record<number, number[]> = { 0: [], 1: [] };
    for (const l of d.labels) {
      const t = Date.parse(String(l.authorized_at));
      const before = byCard.get(String(l.card_id))!.filter((c) => c.at <= t && t - c.at <= 2 * 3_600_000);
      expect(before.length).toBeGreaterThan(0);
      counts[Number(l.is_fraud)]!.push(before.reduce((x, y) => (y.at > x.at ? y : x)).count);
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(counts[1]!)).toBeGreaterThan(2 * mean(counts[0]!));
    // The newest velocity snapshot is within the view's 15-minute freshness objective.
    const newest = Math.max(...d.velocity.map((v) => Date.parse(String(v.computed_at))));
    expect(Date.parse(FRAUD.end) - newest).toBeLessThan(15 * 60_000);
  });

  test('house prices: price per m² follows the district, and every sale has its listing and stats', () => {
    const d = generateHouseData({ ...HOUSE, listings: 2000 });
    const listing = new Map(d.listings.map((l) => [l.listing_id, l]));
    const perM2 = new Map<string, number[]>();
    for (const s of d.sales) {
      const l = listing.get(s.listing_id)!;
      expect(Date.parse(String(l.listed_at))).toBeLessThanOrEqual(Date.parse(String(s.sold_at)));
      const k = String(l.district);
      perM2.set(k, [...(perM2.get(k) ?? []), Number(s.price_eur) / Number(l.area_m2)]);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(perM2.get('altstadt')!)).toBeGreaterThan(1.5 * median(perM2.get('ostend')!));
    expect(d.sales.length).toBeGreaterThan(0.5 * d.listings.length);
  });
});

describe('scenario detection', () => {
  test('by project name, else by the label files the policies read, else churn', () => {
    expect(scenarioFor('payments-fraud', [])).toEqual({ scenario: 'fraud', by: 'project payments-fraud' });
    expect(scenarioFor('my-fork', ['path: data/sales.csv'])).toMatchObject({ scenario: 'house-prices' });
    expect(scenarioFor('my-fork', ['path: data/fraud_labels.parquet'])).toMatchObject({ scenario: 'fraud' });
    expect(scenarioFor(undefined, ['anything'])).toEqual({ scenario: 'churn', by: 'default' });
  });

  test('the root project and each example are recognized', async () => {
    expect((await detectScenario(ROOT)).scenario).toBe('churn');
    expect((await detectScenario(join(ROOT, 'examples', 'fraud-abtest'))).scenario).toBe('fraud');
    expect((await detectScenario(join(ROOT, 'examples', 'house-prices'))).scenario).toBe('house-prices');
    expect((await detectScenario(tempDir())).scenario).toBe('churn');
  });
});
