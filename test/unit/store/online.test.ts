import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type Repo, tempRepo } from './store-helpers.ts';

const policies = (ttl = '30d', extraFeature = '') => `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: usage }
spec:
  source: { path: "data/usage/*.csv", timestamp: ts }
  entities: [id]
  ttl: ${ttl}
  freshness: { maxAge: 2d }
  features:
    - { name: sessions, type: int }
    - { name: email, type: string, pii: true }${extraFeature}
`;

describe('materialization, freshness and online reads', () => {
  let repo: Repo;
  beforeEach(() => {
    repo = tempRepo();
    repo.write('policies.yaml', policies());
    repo.write(
      'data/usage/2026-01-01.csv',
      'id,ts,sessions,email\na,2026-01-01T00:00:00Z,1,a@example.com\na,2026-01-02T00:00:00Z,2,a@example.com\nb,2026-01-01T12:00:00Z,5,b@example.com\n',
    );
  });
  afterEach(() => repo.cleanup());

  test('a first run writes the latest value per entity; an incremental run applies only newer events', async () => {
    const view = repo.state().featureViews[0]!;
    const store = await repo.open({ path: join(repo.root, '.rudder/store.duckdb') });
    try {
      const first = await store.materialize(view, null);
      expect(first).toMatchObject({
        view: 'usage',
        rows: 2,
        onlineRows: 2,
        watermark: '2026-01-02T00:00:00Z',
        viewDigest: view.digest,
        full: true,
      });

      // New data: a newer value for a, a new entity c, and a late event for b (before the watermark).
      repo.write(
        'data/usage/2026-01-03.csv',
        'id,ts,sessions,email\na,2026-01-03T00:00:00Z,3,a@example.com\nc,2026-01-03T06:00:00Z,7,c@example.com\nb,2026-01-01T18:00:00Z,6,b@example.com\n',
      );
      const second = await store.materialize(view, first.watermark);
      expect(second).toMatchObject({
        rows: 2,
        onlineRows: 3,
        watermark: '2026-01-03T06:00:00Z',
        full: false,
      });
      const now = new Date('2026-01-04T00:00:00Z');
      const read = await store.readOnline(view, [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'zz' }], {
        now,
      });
      expect(read.map((r) => [r.entity.id, r.eventTime, r.values.sessions])).toEqual([
        ['a', '2026-01-03T00:00:00Z', 3],
        ['b', '2026-01-01T12:00:00Z', 5], // the late event is not applied incrementally
        ['c', '2026-01-03T06:00:00Z', 7],
        ['zz', null, null],
      ]);
      // pii: true columns are not served unless allowed for training.
      expect(Object.keys(read[0]!.values)).toEqual(['sessions']);

      // A full rebuild picks up the late event.
      const full = await store.materialize(view, null);
      expect(full).toMatchObject({ full: true, onlineRows: 3 });
      expect((await store.readOnline(view, [{ id: 'b' }], { now }))[0]!.values.sessions).toBe(6);
    } finally {
      await store.close();
    }
  });

  test('a changed view definition rebuilds the table whatever the watermark', async () => {
    const store = await repo.open({ path: join(repo.root, '.rudder/store.duckdb') });
    try {
      const first = await store.materialize(repo.state().featureViews[0]!, null);
      repo.write('policies.yaml', policies('30d', '\n    - { name: plan, type: category }'));
      repo.write(
        'data/usage/2026-01-01.csv',
        'id,ts,sessions,email,plan\na,2026-01-01T00:00:00Z,1,a@example.com,free\na,2026-01-02T00:00:00Z,2,a@example.com,pro\nb,2026-01-01T12:00:00Z,5,b@example.com,free\n',
      );
      const view = repo.state().featureViews[0]!;
      expect(view.digest).not.toBe(first.viewDigest);
      const again = await store.materialize(view, first.watermark);
      expect(again).toMatchObject({ full: true, rows: 2, viewDigest: view.digest });
      expect(
        (await store.readOnline(view, [{ id: 'a' }], { now: new Date('2026-01-02T00:00:00Z') }))[0]!.values,
      ).toEqual({ sessions: 2, plan: 'pro' });
    } finally {
      await store.close();
    }
  });

  test('online values older than the TTL read as missing', async () => {
    repo.write('policies.yaml', policies('1d'));
    const view = repo.state().featureViews[0]!;
    const store = await repo.open();
    try {
      await store.materialize(view, null);
      const read = await store.readOnline(view, [{ id: 'a' }, { id: 'b' }], {
        now: new Date('2026-01-02T20:00:00Z'),
      });
      expect(read.map((r) => r.values.sessions)).toEqual([2, null]);
    } finally {
      await store.close();
    }
  });

  test('freshness reports the newest event, the row count and staleness against maxAge; the digest follows content', async () => {
    const view = repo.state().featureViews[0]!;
    const store = await repo.open();
    try {
      const f = await store.freshness(view, { now: new Date('2026-01-03T00:00:00Z') });
      expect(f).toMatchObject({
        view: 'usage',
        newestEvent: '2026-01-02T00:00:00Z',
        rows: 3,
        files: ['data/usage/2026-01-01.csv'],
        ageMs: 86_400_000,
        stale: false,
      });
      const stale = await store.freshness(view, { now: new Date('2026-01-05T00:00:00Z') });
      expect(stale.stale).toBe(true);
      repo.write(
        'data/usage/2026-01-01.csv',
        'id,ts,sessions,email\na,2026-01-01T00:00:00Z,1,a@example.com\n',
      );
      const changed = await store.freshness(view);
      expect(changed.sourceDigest).not.toBe(f.sourceDigest);
      expect(changed.rows).toBe(1);
    } finally {
      await store.close();
    }
  });

  test('reading a view that was never materialized is a clear error', async () => {
    const view = repo.state().featureViews[0]!;
    const store = await repo.open();
    try {
      await expect(store.readOnline(view, [{ id: 'a' }])).rejects.toThrow(/has not been materialized/);
    } finally {
      await store.close();
    }
  });
});
