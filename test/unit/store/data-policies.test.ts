import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StoreError } from '../../../src/store/port.ts';
import { readAsText, type Repo, tempRepo } from './store-helpers.ts';

const SALT = 'test-salt-0123456789';
const PLANTED = ['+1-555-1234567', '123-45-6789', 'a@example.com', '4111 1111 1111 1112'];

const policies = (opts: {
  action: string;
  features?: string;
  extra?: string;
  scope?: string;
}) => `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: acct }
spec:
  source: { path: data/acct.csv, timestamp: ts }
  entities: [id]
  ttl: 30d
  features:
    - { name: spend, type: int }
    - { name: notes, type: string }
    - { name: region, type: category }
    - { name: email, type: string, pii: true }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/labels.csv, timestamp: ts }, entities: [id], column: y }
  features: ${opts.features ?? '[acct:spend, acct:notes, acct:region]'}
  trainer: { type: tfjs }
---
apiVersion: rudder.dev/v1alpha1
kind: DataPolicy
metadata: { name: pii }
spec:
  scope: ${opts.scope ?? '{ views: [acct] }'}
  detectors: [email, phone, ssn, credit-card, ip, iban]
  action: ${opts.action}
  allow:
    - { view: acct, column: email, detector: email, reason: "contact column, not trained on" }
${opts.extra ?? ''}`;

describe('DataPolicy actions on training sets', () => {
  let repo: Repo;
  beforeEach(() => {
    repo = tempRepo('pii');
  });
  afterEach(() => repo.cleanup());

  async function build(opts: Parameters<typeof repo.open>[0] = {}) {
    const state = repo.state();
    const store = await repo.open(opts);
    try {
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'ts.parquet'),
      });
      const [header, ...cells] = await readAsText(ts.path);
      const rows = cells.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
      return { ts, rows };
    } finally {
      await store.close();
    }
  }

  test('quarantine: matching rows leave the training set, near misses stay, and only counts are reported', async () => {
    repo.write('policies.yaml', policies({ action: 'quarantine' }));
    const { ts, rows } = await build();
    expect(rows.map((r) => [r.id, r.acct__spend, r.acct__notes])).toEqual([
      ['a', '10', 'renewal call'], // the 01-03 row holds a phone number: the 01-01 value is used
      ['b', '', ''], // b's only row holds an SSN
      ['c', '30', 'batch 2021-05-1234'],
      ['d', '40', 'card 4111 1111 1111 1112'],
      ['e', '50', ''],
    ]);
    expect(ts.views?.[0]?.quarantinedRows).toBe(2);
    const q = ts.policies!.quarantines;
    expect(q.map((x) => [x.column, x.detector, x.rows, x.status, x.file])).toEqual(
      expect.arrayContaining([
        ['notes', 'phone', 1, 'active', 'data/acct.csv'],
        ['notes', 'ssn', 1, 'active', 'data/acct.csv'],
      ]),
    );
    for (const x of q) {
      expect(x.id).toMatch(/^q-[0-9a-f]{12}$/);
      expect(x.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  test('a scan reports columns and counts, allow-listed ones as allowed, and never a value', async () => {
    repo.write('policies.yaml', policies({ action: 'quarantine' }));
    const state = repo.state();
    const store = await repo.open();
    try {
      const scan = await store.scanPii(state.dataPolicies[0]!, state.featureViews);
      expect(scan.scannedRows).toBe(6);
      expect(scan.findings).toEqual([
        { view: 'acct', column: 'email', detector: 'email', rows: 6, allowed: true },
        { view: 'acct', column: 'notes', detector: 'phone', rows: 1, allowed: false },
        { view: 'acct', column: 'notes', detector: 'ssn', rows: 1, allowed: false },
      ]);
      const text = JSON.stringify(scan);
      for (const v of PLANTED) expect(text).not.toContain(v);
      // A read-only scan records nothing.
      expect(await store.listQuarantines()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test('quarantine ids are reproducible, and a release lets the rows back in', async () => {
    repo.write('policies.yaml', policies({ action: 'quarantine' }));
    const state = repo.state();
    const path = join(repo.root, '.rudder/store.duckdb');
    let store = await repo.open({ path });
    const applied = await store.applyDataPolicy(state.dataPolicies[0]!, state.featureViews);
    const ssn = applied.quarantines.find((x) => x.detector === 'ssn')!;
    await store.close();

    // Persisted: a later process finds the record and releases it.
    store = await repo.open({ path });
    expect((await store.listQuarantines()).map((x) => x.id).sort()).toEqual(
      applied.quarantines.map((x) => x.id).sort(),
    );
    expect(await store.releaseQuarantine(ssn.id)).toMatchObject({
      changed: true,
      record: { id: ssn.id, status: 'released' },
    });
    expect((await store.releaseQuarantine(ssn.id)).changed).toBe(false);
    await expect(store.releaseQuarantine('q-000000000000')).rejects.toMatchObject({
      code: 'store/unknown-quarantine',
    });
    await store.close();

    const released = await build({ path });
    expect(released.rows.find((r) => r.id === 'b')).toMatchObject({
      acct__spend: '20',
      acct__notes: 'SSN 123-45-6789',
    });
    expect(released.ts.policies!.quarantines.find((x) => x.id === ssn.id)?.status).toBe('released');

    // A fresh checkout (empty store) learns of the release from the data lock's ids.
    const fresh = await build({ releasedQuarantines: [ssn.id] });
    expect(fresh.rows.find((r) => r.id === 'b')?.acct__spend).toBe('20');
    const none = await build();
    expect(none.rows.find((r) => r.id === 'b')?.acct__spend).toBe('');
  });

  test('drop-column: the column is emptied in the training set, rows stay', async () => {
    repo.write('policies.yaml', policies({ action: 'drop-column' }));
    const { ts, rows } = await build();
    expect(rows.map((r) => [r.id, r.acct__spend, r.acct__notes])).toEqual([
      ['a', '11', ''],
      ['b', '20', ''],
      ['c', '30', ''],
      ['d', '40', ''],
      ['e', '50', ''],
    ]);
    expect(ts.policies!.droppedColumns).toEqual(['acct:notes']);
    expect(ts.nullCounts['acct:notes']).toBe(5);
  });

  test('hash: values become sha256(salt + value) with the salt from the environment', async () => {
    repo.write('policies.yaml', policies({ action: 'hash' }));
    const { ts, rows } = await build();
    expect(ts.policies!.hashedColumns).toEqual(['acct:notes']);
    const h = (v: string) =>
      createHash('sha256')
        .update(SALT + v)
        .digest('hex');
    expect(rows.map((r) => r.acct__notes)).toEqual([
      h('call me at +1-555-1234567'),
      h('SSN 123-45-6789'),
      h('batch 2021-05-1234'),
      h('card 4111 1111 1111 1112'),
      '',
    ]);
    const other = await build({ env: { RUDDER_PII_SALT: 'another-salt-987654321' } });
    expect(other.rows[0]!.acct__notes).not.toBe(rows[0]!.acct__notes);
  });

  test('hash: without the environment variable a salt file is created under .rudder/, private, and reused', async () => {
    repo.write('policies.yaml', policies({ action: 'hash' }));
    const first = await build({ env: {} });
    const file = join(repo.root, '.rudder/pii-salt');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const salt = readFileSync(file, 'utf8').trim();
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    const second = await build({ env: {} });
    expect(second.rows).toEqual(first.rows);
    expect(JSON.stringify(first.ts)).not.toContain(salt);
    expect(readFileSync(first.ts.path).includes(Buffer.from(salt))).toBe(false);
  });

  test('block: training that reads the column is refused without showing values; one that does not is allowed', async () => {
    repo.write('policies.yaml', policies({ action: 'block' }));
    const e = await build().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).code).toBe('store/blocked');
    expect((e as StoreError).message).toContain(
      'DataPolicy "pii" blocks acct: 1 row of column "notes" match phone',
    );
    for (const v of PLANTED) expect((e as StoreError).message).not.toContain(v);
    expect(existsSync(join(repo.root, 'ts.parquet'))).toBe(false);

    repo.write('policies.yaml', policies({ action: 'block', features: '[acct:spend, acct:region]' }));
    const { rows } = await build();
    expect(rows).toHaveLength(5);
  });

  test('a pii: true feature reaches a training set only through an allow entry with training: true', async () => {
    repo.write('policies.yaml', policies({ action: 'quarantine' }));
    const state = repo.state();
    const model = state.models[0]!;
    const email = state.featureViews[0]!.features.find((f) => f.name === 'email')!;
    // The compiler refuses such a model; the store refuses it too, should one reach it.
    const forged = { ...model, features: [...model.features, { ...email, ref: 'acct:email', view: 'acct' }] };
    const store = await repo.open();
    try {
      await expect(
        store.buildTrainingSet({
          model: forged,
          views: state.featureViews,
          outPath: join(repo.root, 'x.parquet'),
        }),
      ).rejects.toMatchObject({ code: 'store/pii-refused' });
    } finally {
      await store.close();
    }

    repo.write(
      'policies.yaml',
      policies({
        action: 'quarantine',
        features: '[acct:spend, acct:email]',
        extra:
          '    - { view: acct, column: email, training: true, reason: "hashed upstream, approved by privacy" }\n',
      }),
    );
    const { rows } = await build();
    // b's only row is quarantined (an SSN in notes); the allowed email column itself is kept.
    expect(rows.map((r) => r.acct__email)).toEqual([
      'a@example.com',
      '',
      'c@example.com',
      'd@example.com',
      'e@example.com',
    ]);
  });

  test('a declared sample scans a deterministic subset', async () => {
    repo.write(
      'policies.yaml',
      policies({ action: 'quarantine' }).replace(
        'action: quarantine',
        'action: quarantine\n  sample: { rows: 3 }',
      ),
    );
    const state = repo.state();
    const store = await repo.open();
    try {
      const a = await store.scanPii(state.dataPolicies[0]!, state.featureViews);
      const b = await store.scanPii(state.dataPolicies[0]!, state.featureViews);
      expect(a.scannedRows).toBe(3);
      expect(a.findings.find((f) => f.column === 'email')?.rows).toBe(3);
      expect(b).toEqual(a);
    } finally {
      await store.close();
    }
  });

  test('with scope.labels, label rows holding PII are quarantined too', async () => {
    repo.write(
      'data/labels.csv',
      'id,ts,y\na,2026-01-05T00:00:00Z,1\nb,2026-01-05T00:00:00Z,0\nc,2026-01-05T00:00:00Z,john@example.com\n',
    );
    repo.write('policies.yaml', policies({ action: 'quarantine', scope: '{ views: [acct], labels: true }' }));
    const { ts, rows } = await build();
    expect(rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(ts.labelRows).toEqual({ read: 3, quarantined: 1, afterUntil: 0 });
    expect(
      ts.policies!.quarantines.some(
        (x) => x.view === 'label:m' && x.column === 'y' && x.detector === 'email',
      ),
    ).toBe(true);
  });
  test('a finding in a pii: true column the model does not read still quarantines its rows, as the scan says', async () => {
    repo.write(
      'data/acct.csv',
      readFileSync(join(repo.root, 'data/acct.csv'), 'utf8')
        .split('\n')
        .map((l, i) =>
          l === '' ? l : `${l},${i === 0 ? 'tax_id' : l.startsWith('e,') ? '078-05-1120' : ''}`,
        )
        .join('\n'),
    );
    repo.write(
      'policies.yaml',
      policies({ action: 'quarantine' }).replace(
        '{ name: email, type: string, pii: true }',
        '{ name: email, type: string, pii: true }\n    - { name: tax_id, type: string, pii: true }',
      ),
    );
    const state = repo.state();
    const store = await repo.open();
    try {
      const applied = await store.applyDataPolicy(state.dataPolicies[0]!, state.featureViews);
      expect(applied.findings.find((f) => f.column === 'tax_id')).toMatchObject({
        detector: 'ssn',
        rows: 1,
        allowed: false,
      });
      const ts = await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'q.parquet'),
      });
      expect(ts.policies!.quarantines.map((q) => q.id)).toEqual(applied.quarantines.map((q) => q.id));
      expect(ts.views![0]!.quarantinedRows).toBe(3);
      const rows = (await readAsText(ts.path)).slice(1);
      expect(rows.find((r) => r[0] === 'e')?.slice(3)).toEqual(['', '', '']);
    } finally {
      await store.close();
    }
  });
});
