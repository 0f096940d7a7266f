// The FeatureStore port's promises, as suites any engine's adapter can run: pass a factory that
// opens your store over a repository (`coreContract`, then `dataPolicyContract` and
// `onlineContract` for the capabilities the engine declares). The repository holds CSV sources;
// training sets are read back as Parquet/CSV files, the layout the port documents. What each
// test checks is written in src/store/port.ts; the expected values are worked out by hand below
// and, for point-in-time correctness, by a reference implementation over the same CSV rows.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { compilePolicies } from '../../../src/compiler/compile.ts';
import type { DesiredState, FeatureView, Model } from '../../../src/compiler/desired-state.ts';
import {
  type DataPolicyStore,
  type FeatureStore,
  LABEL_COLUMN,
  LABEL_TS_COLUMN,
  type OnlineStore,
  StoreError,
  type TrainingSet,
} from '../../../src/store/port.ts';
import { docsOf } from '../../helpers/docs.ts';
import { readAsText } from './store-helpers.ts';

export interface FeatureStoreFactory<S extends FeatureStore> {
  name: string;
  /**
   * Open the store of the repository at `root` for the compiled `state`, keeping its data in a
   * real database that a second `open` of the same root sees (another process, later).
   */
  open(root: string, state: DesiredState, opts?: { releasedQuarantines?: Iterable<string> }): Promise<S>;
}

const DAY = 86_400_000;

// Two views (one with a glob source), two models with different labels. Times are UTC.
const VIEWS = `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: usage }
spec:
  source: { path: "data/usage/*.csv", timestamp: ts }
  entities: [user_id]
  ttl: 3d
  freshness: { maxAge: 2d }
  features:
    - { name: sessions, type: int }
    - { name: spend, type: float }
---
apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: profile }
spec:
  source: { path: data/profile.csv, timestamp: updated_at }
  entities: [user_id]
  ttl: 30d
  features:
    - { name: plan, type: category }
    - { name: notes, type: string }
    - { name: email, type: string, pii: true }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: churn }
spec:
  task: binary-classification
  label:
    source: { path: data/labels.csv, timestamp: label_ts }
    entities: [user_id]
    column: churned
    classes: [0, 1]
  features: [usage:sessions, usage:spend, profile:plan]
  trainer: { type: tfjs }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: upsell }
spec:
  task: binary-classification
  label:
    source: { path: data/upsell.csv, timestamp: at }
    entities: [user_id]
    column: bought
    classes: [0, 1]
  features: [usage:sessions]
  trainer: { type: tfjs }
`;

// Quarantines profile rows whose notes hold a US social security number (u2's only row).
const QUARANTINE_POLICY = `---
apiVersion: rudder.dev/v1alpha1
kind: DataPolicy
metadata: { name: no-ssn }
spec:
  scope: { views: [profile] }
  detectors: [ssn, email]
  action: quarantine
  allow:
    - { view: profile, column: email, detector: email, reason: "contact column, not trained on" }
`;

const USAGE = `user_id,ts,sessions,spend
u1,2026-01-01T00:00:00Z,1,10.5
u1,2026-01-03T00:00:00Z,3,30.5
u1,2026-01-06T00:00:00Z,6,60.5
u2,2026-01-02T00:00:00Z,2,20.0
u3,2026-01-10T00:00:00Z,9,90.0
`;

const PROFILE = `user_id,updated_at,plan,notes,email
u1,2025-12-20T00:00:00Z,free,renewal call,u1@example.com
u1,2026-01-04T00:00:00Z,pro,upgraded,u1@example.com
u2,2025-12-25T00:00:00Z,free,SSN 123-45-6789,u2@example.com
u3,2025-12-28T00:00:00Z,pro,batch 7,u3@example.com
`;

// u1: before, exactly at and between usage events; u2: before its first event, then past the
// TTL; u4: an entity no view knows.
const LABELS = `user_id,label_ts,churned
u1,2026-01-02T00:00:00Z,0
u1,2026-01-03T00:00:00Z,1
u1,2026-01-05T12:00:00Z,0
u2,2026-01-01T00:00:00Z,1
u2,2026-01-09T00:00:00Z,0
u3,2026-01-11T00:00:00Z,1
u4,2026-01-11T00:00:00Z,0
`;

const UPSELL = `user_id,at,bought
u3,2026-01-10T00:00:00Z,1
u1,2026-01-07T00:00:00Z,0
u2,2026-01-04T00:00:00Z,1
`;

export interface World {
  root: string;
  write(rel: string, text: string): void;
  state(): DesiredState;
  view(name: string): FeatureView;
  model(name: string): Model;
}

function makeWorld(withPolicy: boolean): World & { cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'rudder-store-contract-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write('policies.yaml', VIEWS + (withPolicy ? QUARANTINE_POLICY : ''));
  write('data/usage/part-1.csv', USAGE);
  write('data/profile.csv', PROFILE);
  write('data/labels.csv', LABELS);
  write('data/upsell.csv', UPSELL);
  const state = (): DesiredState => {
    const r = compilePolicies({
      projectDocs: [],
      docs: docsOf('policies.yaml', readFileSync(join(root, 'policies.yaml'), 'utf8')),
    });
    if (!r.ok) throw new Error(`contract policies do not compile: ${JSON.stringify(r.diagnostics)}`);
    return r.value;
  };
  return {
    root,
    write,
    state,
    view: (name) => state().featureViews.find((v) => v.name === name)!,
    model: (name) => state().models.find((m) => m.name === name)!,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The training set's rows as objects of text cells ('' for NULL), in file order. */
async function rowsOf(ts: TrainingSet): Promise<Record<string, string>[]> {
  const [header, ...cells] = await readAsText(ts.path);
  return cells.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const iso = (s: string): string => new Date(s).toISOString();

/**
 * The reference: per label row, the latest source row of the same entity at or before the label
 * time, if it is within the TTL. Written from the definition, independently of any engine.
 */
function expectedValue(
  csv: string,
  tsColumn: string,
  entity: string,
  labelTime: string,
  ttlMs: number,
  column: string,
): string {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head!.split(',');
  const at = (r: string[], c: string) => r[cols.indexOf(c)]!;
  const t = Date.parse(labelTime);
  const candidates = lines
    .map((l) => l.split(','))
    .filter((r) => at(r, 'user_id') === entity && Date.parse(at(r, tsColumn)) <= t)
    .sort((a, b) => Date.parse(at(b, tsColumn)) - Date.parse(at(a, tsColumn)));
  const latest = candidates[0];
  if (!latest || t - Date.parse(at(latest, tsColumn)) > ttlMs) return '';
  return at(latest, column);
}

/** Freshness, training sets, materialization: what every engine implements. */
export function coreContract(factory: FeatureStoreFactory<FeatureStore>): void {
  describe(`FeatureStore contract (core): ${factory.name}`, () => {
    let w: ReturnType<typeof makeWorld>;
    let store: FeatureStore | undefined;
    const open = async () => (store = await factory.open(w.root, w.state()));
    beforeEach(() => {
      w = makeWorld(false);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      w.cleanup();
    });
    const build = (s: FeatureStore, model: string, out: string, until?: Date) =>
      s.buildTrainingSet({
        model: w.model(model),
        views: w.state().featureViews,
        outPath: join(w.root, out),
        until,
      });

    test('freshness: the newest event, the rows, a digest that follows content, and staleness against maxAge', async () => {
      const s = await open();
      const usage = w.view('usage');
      const f = await s.freshness(usage, { now: new Date('2026-01-11T00:00:00Z') });
      expect(f).toMatchObject({ view: 'usage', rows: 5, ageMs: DAY, stale: false });
      expect(iso(f.newestEvent!)).toBe('2026-01-10T00:00:00.000Z');
      if (f.files) expect(f.files).toEqual(['data/usage/part-1.csv']);
      expect((await s.freshness(usage, { now: new Date('2026-01-12T00:00:01Z') })).stale).toBe(true);
      expect((await s.freshness(usage)).sourceDigest).toBe(f.sourceDigest);
      w.write('data/usage/part-2.csv', 'user_id,ts,sessions,spend\nu5,2026-01-12T00:00:00Z,1,1.0\n');
      const more = await s.freshness(usage);
      expect(more.rows).toBe(6);
      expect(more.sourceDigest).not.toBe(f.sourceDigest);
      expect(iso(more.newestEvent!)).toBe('2026-01-12T00:00:00.000Z');
    });

    test('label freshness: rows, the newest label and a content digest', async () => {
      const s = await open();
      const l = await s.labelFreshness(w.model('churn'));
      expect(l).toMatchObject({ model: 'churn', rows: 7 });
      expect(iso(l.newestLabel!)).toBe('2026-01-11T00:00:00.000Z');
      w.write('data/labels.csv', LABELS + 'u3,2026-01-12T00:00:00Z,0\n');
      const again = await s.labelFreshness(w.model('churn'));
      expect(again.rows).toBe(8);
      expect(again.sourceDigest).not.toBe(l.sourceDigest);
    });

    test('a training set is point-in-time correct: the latest value at or before the label time, within the TTL, never a later one', async () => {
      const s = await open();
      const ts = await build(s, 'churn', 'out/churn.parquet');
      const rows = await rowsOf(ts);
      // By hand: u1 at 01-03 takes the event of 01-03 itself, not the 01-06 one; u2 has no event
      // yet on 01-01 and only a 7-day-old one (TTL 3d) on 01-09; u4 is unknown to both views.
      expect(rows.map((r) => [r.user_id, r.usage__sessions, r.usage__spend, r.profile__plan])).toEqual([
        ['u2', '', '', 'free'],
        ['u1', '1', '10.5', 'free'],
        ['u1', '3', '30.5', 'free'],
        ['u1', '3', '30.5', 'pro'],
        ['u2', '', '', 'free'],
        ['u3', '9', '90.0', 'pro'],
        ['u4', '', '', ''],
      ]);
      // The reference agrees on every cell, and the later-only value 6 never appears.
      for (const r of rows) {
        const t = r[LABEL_TS_COLUMN]!;
        expect(r.usage__sessions).toBe(expectedValue(USAGE, 'ts', r.user_id!, t, 3 * DAY, 'sessions'));
        expect(r.profile__plan).toBe(expectedValue(PROFILE, 'updated_at', r.user_id!, t, 30 * DAY, 'plan'));
      }
      expect(rows.some((r) => r.usage__sessions === '6')).toBe(false);
      // Ordered by label time, then entity; the label as given.
      const times = rows.map((r) => Date.parse(r[LABEL_TS_COLUMN]!));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(rows.map((r) => r[LABEL_COLUMN])).toEqual(['1', '0', '1', '0', '0', '1', '0']);
    });

    test('a training set reports its rows, cutoff, nulls and per-view joins, and its digest is its bytes', async () => {
      const s = await open();
      const ts = await build(s, 'churn', 'out/churn.parquet');
      expect(ts).toMatchObject({
        rows: 7,
        entityColumns: ['user_id'],
        nullCounts: { 'usage:sessions': 3, 'usage:spend': 3, 'profile:plan': 1 },
      });
      expect(ts.format ?? 'parquet').toBe('parquet');
      expect(iso(ts.cutoff)).toBe('2026-01-11T00:00:00.000Z');
      expect(ts.features.map((f) => [f.ref, f.column])).toEqual([
        ['profile:plan', 'profile__plan'],
        ['usage:sessions', 'usage__sessions'],
        ['usage:spend', 'usage__spend'],
      ]);
      if (ts.views) {
        const usage = ts.views.find((v) => v.view === 'usage')!;
        expect(usage).toMatchObject({ sourceRows: 5, matched: 4, missing: 2, expired: 1 });
        expect(usage.viewDigest).toBe(w.view('usage').digest);
      }
      const bytes = readFileSync(ts.path);
      expect(ts.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      // The same inputs give the same file.
      expect((await build(s, 'churn', 'out/again.parquet')).digest).toBe(ts.digest);
    });

    test('until leaves later labels out; a .csv path writes CSV', async () => {
      const s = await open();
      const until = new Date('2026-01-05T12:00:00Z');
      const ts = await build(s, 'churn', 'out/churn.csv', until);
      expect(ts.format).toBe('csv');
      expect(ts.rows).toBe(4);
      expect(iso(ts.cutoff)).toBe(until.toISOString());
      if (ts.labelRows) expect(ts.labelRows).toMatchObject({ read: 7, afterUntil: 3 });
      const rows = await rowsOf(ts);
      expect(rows.every((r) => Date.parse(r[LABEL_TS_COLUMN]!) <= until.getTime())).toBe(true);
      expect(readFileSync(ts.path, 'utf8').split('\n')[0]).toBe(
        `user_id,${LABEL_TS_COLUMN},${LABEL_COLUMN},profile__plan,usage__sessions,usage__spend`,
      );
    });

    test('bad requests are refused with a StoreError naming what is wrong, and leave no file', async () => {
      const s = await open();
      // A model whose view was not passed.
      await expect(
        s.buildTrainingSet({
          model: w.model('churn'),
          views: [w.view('usage')],
          outPath: join(w.root, 'out/x.parquet'),
        }),
      ).rejects.toThrow(/profile/);
      // A view whose source matches no file.
      const ghost = {
        ...w.view('usage'),
        name: 'ghost',
        source: { ...w.view('usage').source, path: 'data/ghost/*.csv' },
      };
      await expect(s.freshness(ghost)).rejects.toMatchObject({
        code: 'store/no-files',
        message: expect.stringContaining('data/ghost/*.csv') as unknown,
      });
      // A pii: true feature without a policy allowing it in training.
      const churn = w.model('churn');
      const email = w.view('profile').features.find((f) => f.name === 'email')!;
      const leaky = {
        ...churn,
        features: [...churn.features, { ...email, ref: 'profile:email', view: 'profile' }],
      };
      await expect(
        s.buildTrainingSet({
          model: leaky,
          views: w.state().featureViews,
          outPath: join(w.root, 'out/x.parquet'),
        }),
      ).rejects.toMatchObject({ code: 'store/pii-refused' });
      // No labels at all.
      w.write('data/labels.csv', 'user_id,label_ts,churned\n');
      const err = await build(s, 'churn', 'out/x.parquet').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({
        code: 'store/no-labels',
        message: expect.stringContaining('data/labels.csv') as unknown,
      });
      expect(existsSync(join(w.root, 'out')) ? readdirSync(join(w.root, 'out')) : []).toEqual([]);
    });

    test('materialize: a full first run, then an incremental one from the watermark; onlineState persists', async () => {
      const s = await open();
      const usage = w.view('usage');
      expect(await s.onlineState(usage)).toBeNull();
      const first = await s.materialize(usage, null);
      expect(first).toMatchObject({ view: 'usage', rows: 3, viewDigest: usage.digest });
      if (first.full !== undefined) expect(first.full).toBe(true);
      expect(iso(first.watermark!)).toBe('2026-01-10T00:00:00.000Z');
      // Newer events for u1 and a new entity u4, and a late event for u2 (before the watermark).
      w.write(
        'data/usage/part-2.csv',
        'user_id,ts,sessions,spend\nu1,2026-01-12T00:00:00Z,12,1.0\nu4,2026-01-11T00:00:00Z,4,4.0\nu2,2026-01-05T00:00:00Z,5,5.0\n',
      );
      const second = await s.materialize(usage, first.watermark);
      expect(second).toMatchObject({ rows: 2 });
      if (second.full !== undefined) expect(second.full).toBe(false);
      expect(iso(second.watermark!)).toBe('2026-01-12T00:00:00.000Z');
      const state = await s.onlineState(usage);
      expect(state).toMatchObject({ viewDigest: usage.digest, rows: 4 });
      expect(iso(state!.watermark!)).toBe('2026-01-12T00:00:00.000Z');
      await s.close();
      // Another process sees the same online table.
      const again = await open();
      expect(await again.onlineState(usage)).toEqual(state);
    });

    test('calls made together run as if one at a time, in call order', async () => {
      const s = await open();
      // Alone, one after another.
      const alone = {
        churn: (await build(s, 'churn', 'out/a1.parquet')).digest,
        upsell: (await build(s, 'upsell', 'out/b1.parquet')).digest,
      };
      // All at once: each must be what it is alone (shared connections or scratch tables would mix them).
      const together = await Promise.all([
        build(s, 'churn', 'out/a2.parquet'),
        build(s, 'upsell', 'out/b2.parquet'),
        s.freshness(w.view('usage')),
        build(s, 'churn', 'out/a3.parquet', new Date('2026-01-05T12:00:00Z')),
        build(s, 'upsell', 'out/b3.parquet'),
        s.materialize(w.view('usage'), null),
        s.onlineState(w.view('usage')),
      ]);
      expect(together[0].digest).toBe(alone.churn);
      expect(together[1].digest).toBe(alone.upsell);
      expect(together[2].rows).toBe(5);
      expect(together[3].rows).toBe(4);
      expect(together[4].digest).toBe(alone.upsell);
      // onlineState was called after materialize: it sees its table.
      expect(together[6]).toMatchObject({ rows: 3, viewDigest: w.view('usage').digest });
      // A failed call does not stop those behind it.
      const results = await Promise.allSettled([
        s.buildTrainingSet({ model: w.model('churn'), views: [], outPath: join(w.root, 'out/x.parquet') }),
        s.labelFreshness(w.model('upsell')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    });

    test('close waits for the calls in flight and refuses later ones', async () => {
      const s = await open();
      const inFlight = build(s, 'churn', 'out/late.parquet');
      await s.close();
      await expect(inFlight).resolves.toMatchObject({ rows: 7 });
      await expect(s.freshness(w.view('usage'))).rejects.toThrow(/closed/);
      store = undefined;
    });
  });
}

/** PII scans and quarantines: for engines that implement `DataPolicyStore`. */
export function dataPolicyContract(factory: FeatureStoreFactory<FeatureStore & DataPolicyStore>): void {
  describe(`FeatureStore contract (data policies): ${factory.name}`, () => {
    let w: ReturnType<typeof makeWorld>;
    const opened: (FeatureStore & DataPolicyStore)[] = [];
    const open = async (root = w.root, opts?: { releasedQuarantines?: Iterable<string> }) => {
      const s = await factory.open(root, w.state(), opts);
      opened.push(s);
      return s;
    };
    beforeEach(() => {
      w = makeWorld(true);
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      w.cleanup();
    });
    const policy = () => w.state().dataPolicies[0]!;
    const churnSet = async (s: FeatureStore, out: string) =>
      s.buildTrainingSet({
        model: w.model('churn'),
        views: w.state().featureViews,
        outPath: join(w.root, out),
      });

    test('a scan reports columns and counts, allowed ones as allowed, never a value, and records nothing', async () => {
      const s = await open();
      const scan = await s.scanPii(policy(), w.state().featureViews);
      expect(scan.policy).toBe('no-ssn');
      expect(scan.scannedRows).toBe(4);
      expect(scan.findings).toEqual([
        { view: 'profile', column: 'email', detector: 'email', rows: 4, allowed: true },
        { view: 'profile', column: 'notes', detector: 'ssn', rows: 1, allowed: false },
      ]);
      const text = JSON.stringify(scan);
      for (const v of ['123-45-6789', 'u1@example.com']) expect(text).not.toContain(v);
      expect(await s.listQuarantines()).toEqual([]);
    });

    test('quarantine: applying records reproducible ids; the rows leave training sets and the online table', async () => {
      const s = await open();
      const applied = await s.applyDataPolicy(policy(), w.state().featureViews);
      expect(applied.quarantines).toHaveLength(1);
      const q = applied.quarantines[0]!;
      expect(q).toMatchObject({
        policy: 'no-ssn',
        view: 'profile',
        column: 'notes',
        detector: 'ssn',
        rows: 1,
        status: 'active',
      });
      expect(q.id).toMatch(/^q-[0-9a-f]{12}$/);
      expect(q.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await s.listQuarantines()).toEqual([q]);
      // Another checkout with the same data computes the same id.
      const other = makeWorld(true);
      try {
        const s2 = await open(other.root);
        expect(
          (await s2.applyDataPolicy(policy(), w.state().featureViews)).quarantines.map((x) => x.id),
        ).toEqual([q.id]);
      } finally {
        other.cleanup();
      }
      // u2's only profile row is out: no plan for u2; the record is reported with the set.
      const ts = await churnSet(s, 'out/q.parquet');
      const rows = await rowsOf(ts);
      expect(rows.filter((r) => r.user_id === 'u2').map((r) => r.profile__plan)).toEqual(['', '']);
      expect(rows.filter((r) => r.user_id === 'u1').map((r) => r.profile__plan)).toEqual([
        'free',
        'free',
        'pro',
      ]);
      if (ts.views) expect(ts.views.find((v) => v.view === 'profile')!.quarantinedRows).toBe(1);
      if (ts.policies) expect(ts.policies.quarantines.map((x) => x.id)).toEqual([q.id]);
      expect(JSON.stringify(ts)).not.toContain('123-45-6789');
      // Nor does the online table hold it: two of the three entities.
      const m = await s.materialize(w.view('profile'), null);
      expect(m.onlineRows ?? m.rows).toBe(2);
    });

    test('a release lets the rows back in, is recorded, and is idempotent; an unknown id is refused', async () => {
      let s = await open();
      const [q] = (await s.applyDataPolicy(policy(), w.state().featureViews)).quarantines;
      await s.close();
      s = await open();
      expect(await s.releaseQuarantine(q!.id)).toMatchObject({
        changed: true,
        record: { id: q!.id, status: 'released' },
      });
      expect((await s.releaseQuarantine(q!.id)).changed).toBe(false);
      expect((await s.listQuarantines()).map((x) => [x.id, x.status])).toEqual([[q!.id, 'released']]);
      await expect(s.releaseQuarantine('q-000000000000')).rejects.toMatchObject({
        code: 'store/unknown-quarantine',
      });
      const rows = await rowsOf(await churnSet(s, 'out/released.parquet'));
      expect(rows.filter((r) => r.user_id === 'u2').map((r) => r.profile__plan)).toEqual(['free', 'free']);
      // A fresh checkout learns of the release from the ids it is given (the data lock's).
      const other = makeWorld(true);
      try {
        const fresh = await open(other.root, { releasedQuarantines: [q!.id] });
        const freshRows = await rowsOf(
          await fresh.buildTrainingSet({
            model: w.model('churn'),
            views: w.state().featureViews,
            outPath: join(other.root, 'out/f.parquet'),
          }),
        );
        expect(freshRows.filter((r) => r.user_id === 'u2').map((r) => r.profile__plan)).toEqual([
          'free',
          'free',
        ]);
      } finally {
        other.cleanup();
      }
    });
  });
}

/** Point reads from the online table: for engines that implement `OnlineStore`. */
export function onlineContract(factory: FeatureStoreFactory<FeatureStore & OnlineStore>): void {
  describe(`FeatureStore contract (online reads): ${factory.name}`, () => {
    let w: ReturnType<typeof makeWorld>;
    let store: (FeatureStore & OnlineStore) | undefined;
    const open = async () => (store = await factory.open(w.root, w.state()));
    beforeEach(() => {
      w = makeWorld(false);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      w.cleanup();
    });
    const now = new Date('2026-01-11T00:00:00Z');
    const sessions = (rows: { values: Record<string, unknown> }[]) => rows.map((r) => r.values.sessions);

    test('reads return what was materialized: the latest value per entity, in request order; unknown entities read as missing', async () => {
      const s = await open();
      const usage = w.view('usage');
      // Not awaited: the read was asked after the materialization, so it sees it.
      const materialized = s.materialize(usage, null);
      const read = s.readOnline(usage, [{ user_id: 'u3' }, { user_id: 'zz' }, { user_id: 'u1' }], { now });
      await materialized;
      const rows = await read;
      expect(rows.map((r) => r.entity.user_id)).toEqual(['u3', 'zz', 'u1']);
      expect(rows[0]!.values).toEqual({ sessions: 9, spend: 90 });
      expect(iso(rows[0]!.eventTime!)).toBe('2026-01-10T00:00:00.000Z');
      expect(rows[1]!.eventTime).toBeNull();
      expect(rows[1]!.values.sessions ?? null).toBeNull();
      // u1's latest event (01-06) is 5 days old at `now`: past the 3-day TTL, so missing.
      expect(rows[2]!.eventTime).toBeNull();
      expect(
        sessions(await s.readOnline(usage, [{ user_id: 'u1' }], { now: new Date('2026-01-08T00:00:00Z') })),
      ).toEqual([6]);
    });

    test('an incremental materialization is what later reads see; a late event waits for a full rebuild', async () => {
      const s = await open();
      const usage = w.view('usage');
      const first = await s.materialize(usage, null);
      w.write(
        'data/usage/part-2.csv',
        'user_id,ts,sessions,spend\nu1,2026-01-10T12:00:00Z,12,1.0\nu2,2026-01-09T00:00:00Z,5,5.0\n',
      );
      await s.materialize(usage, first.watermark);
      const entities = [{ user_id: 'u1' }, { user_id: 'u2' }];
      expect(sessions(await s.readOnline(usage, entities, { now }))).toEqual([12, null]);
      await s.materialize(usage, null);
      expect(sessions(await s.readOnline(usage, entities, { now }))).toEqual([12, 5]);
    });

    test('pii: true columns are not served; a view never materialized and a missing key are refused clearly', async () => {
      const s = await open();
      const profile = w.view('profile');
      await expect(s.readOnline(profile, [{ user_id: 'u1' }], { now })).rejects.toThrow(
        /"profile".*materialized|materialized.*"profile"/,
      );
      await s.materialize(profile, null);
      const [u1] = await s.readOnline(profile, [{ user_id: 'u1' }], { now });
      expect(u1!.values).toEqual({ plan: 'pro', notes: 'upgraded' });
      await expect(s.readOnline(profile, [{ id: 'u1' }], { now })).rejects.toMatchObject({
        code: 'store/empty-key',
        message: expect.stringContaining('user_id') as unknown,
      });
    });
  });
}
