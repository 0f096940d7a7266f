import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { csvToParquet, FIXTURES, readAsText, readExpected, type Repo, tempRepo } from './store-helpers.ts';

const PAIRS_SELECT = `customer_id, CAST(merchant_id AS BIGINT) AS merchant_id, CAST(event_ts AS TIMESTAMPTZ) AS event_ts,
  CAST(n_tx AS INTEGER) AS n_tx, CAST(active AS BOOLEAN) AS active`;

describe('point-in-time training sets', () => {
  let repo: Repo;
  beforeEach(async () => {
    repo = tempRepo('pit');
    await csvToParquet(repo.root, 'data/pairs.csv', 'data/pairs.parquet', PAIRS_SELECT);
  });
  afterEach(() => repo.cleanup());

  test('GIVEN three views with different keys, late data, ties, TTL expiry and missing entities WHEN built THEN the rows match expected.csv', async () => {
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'out/pit.parquet'),
      });
      expect(await readAsText(ts.path)).toEqual(readExpected(join(FIXTURES, 'pit/expected.csv')));
      expect(ts.rows).toBe(7);
      expect(ts.cutoff).toBe('2026-01-20T00:00:00Z');
      expect(ts.entityColumns).toEqual(['customer_id', 'merchant_id']);
      expect(ts.nullCounts).toEqual({
        'customer:spend': 3,
        'customer:tier': 2,
        'merchant:risk': 0,
        'pair:active': 4,
        'pair:n_tx': 4,
      });
      expect(ts.views?.map((v) => [v.view, v.matched, v.missing, v.expired])).toEqual([
        ['customer', 5, 1, 1],
        ['merchant', 7, 0, 0],
        ['pair', 3, 4, 0],
      ]);
      expect(ts.digest).toBe(`sha256:${createHash('sha256').update(readFileSync(ts.path)).digest('hex')}`);
    } finally {
      await store.close();
    }
  });

  test('the column types follow the documented layout', async () => {
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'pit.parquet'),
      });
      const { duck, q } = await import('./store-helpers.ts');
      const types = await duck<{ column_name: string; column_type: string }>(
        `DESCRIBE SELECT * FROM read_parquet(${q(ts.path)})`,
      );
      expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
        'customer_id:VARCHAR',
        'merchant_id:VARCHAR',
        '__label_ts:TIMESTAMP WITH TIME ZONE',
        '__label:BIGINT',
        'customer__spend:DOUBLE',
        'customer__tier:VARCHAR',
        'merchant__risk:BIGINT',
        'pair__active:BOOLEAN',
        'pair__n_tx:BIGINT',
      ]);
    } finally {
      await store.close();
    }
  });

  test('until keeps only the labels at or before it, and the cut-off is the newest kept', async () => {
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'u.parquet'),
        until: new Date('2026-01-10T00:00:00Z'),
      });
      expect(ts.rows).toBe(5);
      expect(ts.cutoff).toBe('2026-01-10T00:00:00Z');
      expect(ts.labelRows).toEqual({ read: 7, quarantined: 0, afterUntil: 2 });
      expect((await readAsText(ts.path)).slice(1)).toEqual(
        readExpected(join(FIXTURES, 'pit/expected.csv')).slice(1, 6),
      );
    } finally {
      await store.close();
    }
  });

  test('the same inputs give the same bytes and digest; a Parquet copy of a CSV source gives the same rows', async () => {
    const state = repo.state();
    const store = await repo.open();
    try {
      const a = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'a.parquet'),
      });
      const b = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'b.parquet'),
      });
      expect(b.digest).toBe(a.digest);
      await csvToParquet(
        repo.root,
        'data/customers.csv',
        'data/customers.parquet',
        `customer_id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(spend AS DOUBLE) AS spend, tier`,
      );
      repo.write(
        'policies.yaml',
        readFileSync(join(repo.root, 'policies.yaml'), 'utf8').replace(
          'data/customers.csv',
          'data/customers.parquet',
        ),
      );
      const s2 = repo.state();
      const c = await store.buildTrainingSet({
        model: s2.models[0]!,
        views: s2.featureViews,
        outPath: join(repo.root, 'c.parquet'),
      });
      expect(c.digest).toBe(a.digest);
    } finally {
      await store.close();
    }
  });

  test('a .csv output holds the same rows, written under a temporary name then renamed', async () => {
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'out/pit.csv'),
      });
      expect(ts.format).toBe('csv');
      expect(await readAsText(ts.path)).toEqual(readExpected(join(FIXTURES, 'pit/expected.csv')));
      expect(readdirSync(join(repo.root, 'out'))).toEqual(['pit.csv']);
    } finally {
      await store.close();
    }
  });

  test('a value from after the label time is never used, whatever the data (randomized)', async () => {
    // Every label at t=k days for entity e; the view holds values at many instants, each value
    // encoding its own timestamp, so any row in the output can be checked against its label.
    const lines = ['id,ts,v'];
    const labels = ['id,ts,y'];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const used = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const e = `e${Math.floor(rnd() * 20)}`;
      const t = Math.floor(rnd() * 60 * 24) * 3_600_000;
      if (used.has(`${e}@${t}`)) continue;
      used.add(`${e}@${t}`);
      lines.push(`${e},${new Date(Date.UTC(2026, 0, 1) + t).toISOString()},${t}`);
    }
    for (let i = 0; i < 20; i++)
      for (let d = 0; d < 60; d += 7)
        labels.push(`e${i},${new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString()},${d % 2}`);
    repo.write('data/v.csv', `${lines.join('\n')}\n`);
    repo.write('data/l.csv', `${labels.join('\n')}\n`);
    repo.write(
      'policies.yaml',
      `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: v }
spec: { source: { path: data/v.csv, timestamp: ts }, entities: [id], ttl: 3d, features: [{ name: v, type: int }] }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/l.csv, timestamp: ts }, entities: [id], column: y }
  features: [v:v]
  trainer: { type: tfjs }
`,
    );
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'r.parquet'),
      });
      const rows = (await readAsText(ts.path)).slice(1);
      const byEntity = new Map<string, number[]>();
      for (const l of lines.slice(1)) {
        const [e, , t] = l.split(',');
        byEntity.set(e!, [...(byEntity.get(e!) ?? []), Number(t)]);
      }
      for (const [id, labelTs, , v] of rows) {
        const lt = Date.parse(labelTs!.replace(' ', 'T').replace('+00', 'Z')) - Date.UTC(2026, 0, 1);
        const candidates = (byEntity.get(id!) ?? []).filter((t) => t <= lt);
        const latest = candidates.length ? Math.max(...candidates) : undefined;
        const want = latest != null && lt - latest <= 3 * 86_400_000 ? String(latest) : '';
        expect(v, `label ${id} @ ${labelTs}`).toBe(want);
      }
    } finally {
      await store.close();
    }
  });
  test('the earliest label still sees a value exactly one TTL old (the join pre-filter keeps its bound)', async () => {
    repo.write(
      'data/v.csv',
      'id,ts,v\na,2026-01-01T00:00:00Z,1\na,2025-12-31T23:59:59Z,0\nb,2026-01-01T00:00:00Z,2\n',
    );
    repo.write('data/l.csv', 'id,ts,y\na,2026-01-04T00:00:00Z,1\nb,2026-01-04T00:00:01Z,0\n');
    repo.write(
      'policies.yaml',
      `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: v }
spec: { source: { path: data/v.csv, timestamp: ts }, entities: [id], ttl: 3d, features: [{ name: v, type: int }] }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/l.csv, timestamp: ts }, entities: [id], column: y }
  features: [v:v]
  trainer: { type: tfjs }
`,
    );
    const state = repo.state();
    const store = await repo.open();
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'b.parquet'),
      });
      expect((await readAsText(ts.path)).slice(1).map((r) => [r[0], r[3]])).toEqual([
        ['a', '1'],
        ['b', ''],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('source columns whose names are not identifiers', () => {
  test('a feature maps a header with spaces and punctuation through column:', async () => {
    const { tempRepo: mk } = await import('./store-helpers.ts');
    const r = mk();
    try {
      r.write(
        'policies.yaml',
        `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: acct }
spec:
  source: { path: data/acct.csv, format: csv, timestamp: event_time }
  entities: [id]
  ttl: 30d
  features:
    - { name: spend_30d, type: float, column: "spend (30d), EUR" }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/labels.csv, format: csv, timestamp: ts }, entities: [id], column: y }
  features: [acct:spend_30d]
  trainer: { type: tfjs }
`,
      );
      r.write(
        'data/acct.csv',
        'id,event_time,"spend (30d), EUR"\na,2026-01-01T00:00:00Z,12.5\nb,2026-01-01T00:00:00Z,7\n',
      );
      r.write('data/labels.csv', 'id,ts,y\na,2026-01-02T00:00:00Z,1\nb,2026-01-02T00:00:00Z,0\n');
      const state = r.state();
      const store = await r.open();
      try {
        const ts = await store.buildTrainingSet({
          model: state.models[0]!,
          views: state.featureViews,
          outPath: join(r.root, 'set.csv'),
        });
        expect(ts.rows).toBe(2);
        expect(readFileSync(ts.path, 'utf8')).toContain('acct__spend_30d');
        expect(readFileSync(ts.path, 'utf8')).toContain('12.5');
      } finally {
        await store.close();
      }
    } finally {
      r.cleanup();
    }
  });
});
