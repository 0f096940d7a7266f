import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { validate } from '../../../src/api-validate.ts';
import { readSourceWindow } from '../../../src/observe/drift-window.ts';

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
