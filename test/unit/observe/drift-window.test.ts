import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { validate } from '../../../src/source/validate.ts';
import { readLogWindow, readSourceWindow } from '../../../src/observe/drift-window.ts';
import { ParquetPredictionLog } from '../../../src/prediction-log/parquet-log.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fraud-like project: a card view and a merchant view, labels keyed by both. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'rudder-window-'));
  dirs.push(root);
  mkdirSync(join(root, 'policies'));
  mkdirSync(join(root, 'data'));
  writeFileSync(
    join(root, 'rudder.yaml'),
    'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: t }\nspec: {}\n',
  );
  writeFileSync(
    join(root, 'policies', 'p.yaml'),
    `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: cards }
spec:
  source: { path: data/cards.csv, timestamp: at }
  entities: [card_id]
  ttl: 30d
  features: [{ name: spend, type: float }]
---
apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: merchants }
spec:
  source: { path: data/merchants.csv, timestamp: at }
  entities: [merchant_id]
  ttl: 30d
  features: [{ name: risk, type: float }]
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: fraud }
spec:
  task: binary-classification
  label:
    source: { path: data/labels.csv, timestamp: at }
    entities: [card_id, merchant_id]
    column: y
  features: [cards:spend, merchants:risk]
  trainer: { type: tfjs }
`,
  );
  writeFileSync(
    join(root, 'data', 'cards.csv'),
    'card_id,at,spend\nc1,2026-11-01T00:00:00Z,10\nc2,2026-11-02T00:00:00Z,20\nc1,2026-11-03T00:00:00Z,30\n',
  );
  writeFileSync(
    join(root, 'data', 'merchants.csv'),
    'merchant_id,at,risk\nm1,2026-11-01T12:00:00Z,0.1\nm2,2026-11-02T12:00:00Z,0.9\n',
  );
  writeFileSync(join(root, 'data', 'labels.csv'), 'card_id,merchant_id,at,y\nc1,m1,2026-11-03T00:00:00Z,0\n');
  return root;
}

describe('readSourceWindow: a model whose views are keyed differently', () => {
  test('each view is read on its own keys (no binder error), and the rows are marked unalignable', async () => {
    const root = project();
    const v = await validate({ cwd: root, checkPaths: false });
    expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = v.state!.models.find((m) => m.name === 'fraud')!;
    const w = await readSourceWindow(
      root,
      model,
      v.state!.featureViews,
      new Date('2026-10-31T00:00:00Z'),
      new Date('2026-11-04T00:00:00Z'),
    );
    expect(w.columns['cards:spend']!.values).toEqual([10, 20, 30]);
    expect(w.columns['merchants:risk']!.values).toEqual([0.1, 0.9]);
    expect(w.views).toEqual({ cards: 3, merchants: 2 });
    expect(w.rows).toBe(2);
    expect(w.aligned).toBe(false);
  });
});

describe('readLogWindow: a window with two versions serving', () => {
  test('features from every version, scores only from the version asked about', async () => {
    const root = project();
    const v = await validate({ cwd: root, checkPaths: false });
    const model = v.state!.models.find((m) => m.name === 'fraud')!;
    const log = new ParquetPredictionLog({ dir: join(root, 'log'), flushIntervalMs: 1e9 });
    const at = (i: number) => new Date(Date.parse('2026-11-02T00:00:00Z') + i * 1000).toISOString();
    await log.append(
      [1, 2, 1, 2].map((version, i) => ({
        requestId: `r${i}`,
        at: at(i),
        model: 'fraud',
        version,
        entity: { card_id: `c${i}`, merchant_id: 'm1' },
        features: { 'cards:spend': i, 'merchants:risk': 0.5 },
        score: version === 1 ? 0.1 : 0.9,
        latencyMs: 1,
      })),
    );
    const from = new Date('2026-11-01T00:00:00Z');
    const to = new Date('2026-11-03T00:00:00Z');
    const w1 = (await readLogWindow(log, model, from, to, 1))!;
    expect(w1.columns['cards:spend']!.values).toEqual([0, 1, 2, 3]);
    expect(w1.scores!.values).toEqual([0.1, 0.1]);
    // A version with no predictions of its own in the window: no scores (the caller re-scores).
    expect((await readLogWindow(log, model, from, to, 3))!.scores).toBeUndefined();
    await log.close();
  });
});
