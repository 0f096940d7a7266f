import { describe, expect, test } from 'vitest';
import { formatPretty } from '../../../src/diagnostics/format-pretty.ts';
import { LockfileError } from '../../../src/state/errors.ts';
import {
  HEADER,
  lockPath,
  parseLockfile,
  renderLockfile,
  SEAL_PREFIX,
  sealLockText,
} from '../../../src/state/lockfile.ts';
import { migrateLock, type Migration } from '../../../src/state/migrations.ts';
import type { AnyLock, ModelLock } from '../../../src/state/types.ts';
import { dataLock, featureLock, modelLock, modelVersion, rolloutLock } from './fixtures.ts';

const FILE = 'state/models/churn.lock.yaml';
// Hand-written texts below carry no integrity line: these tests are about what the parser finds
// in the body; the seal has its own tests.
const parseOk = (text: string, file = FILE): AnyLock => {
  const r = parseLockfile(text, file, undefined, {
    verifySeal: !text.startsWith('kind') && text.includes(SEAL_PREFIX),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
};
/** `file:line:col code message` for each diagnostic: what a user sees. */
const where = (text: string, file = FILE, expect?: Parameters<typeof parseLockfile>[2]) => {
  const r = parseLockfile(text, file, expect, { verifySeal: false });
  expect_(r.ok).toBe(false);
  return formatPretty(r.diagnostics, new Map([[file, text]]), { codeFrame: false });
};
const expect_ = expect;

describe('canonical rendering', () => {
  test('a model lock renders to the reviewed canonical text', async () => {
    await expect(renderLockfile(modelLock())).toMatchFileSnapshot('./__snapshots__/churn.lock.yaml');
  });

  test.each([
    ['model', modelLock()],
    ['feature', featureLock()],
    ['rollout', rolloutLock()],
    ['data', dataLock()],
  ] as const)('a %s lock round-trips byte for byte', (_, lock) => {
    const text = renderLockfile(lock);
    expect(text.startsWith(HEADER)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    const back = parseOk(text, lockPath('state', lock.kind, 'x'));
    expect(back).toEqual(lock);
    expect(renderLockfile(back)).toBe(text);
  });

  test('key order and list order in the input do not change the output', () => {
    const lock = modelLock();
    const shuffled = JSON.parse(JSON.stringify(lock, Object.keys(lock).reverse())) as ModelLock;
    const reversedVersions: ModelLock = {
      ...lock,
      versions: [...lock.versions]
        .reverse()
        .map((v) => Object.fromEntries(Object.entries(v).reverse()) as typeof v),
    };
    expect(renderLockfile(reversedVersions)).toBe(renderLockfile(lock));
    expect(renderLockfile({ ...shuffled, versions: lock.versions })).toBe(renderLockfile(lock));
  });

  test('a hand-formatted file parses to the same lock and re-renders canonically', () => {
    const canonical = renderLockfile(featureLock());
    const hand = `# my notes\nview: customer_activity\nkind: FeatureLock\nrows:   5000\nlockVersion: 1\nwatermark: "2026-05-03T12:00:00.000Z"\nmaterializedAt: 2026-05-03T14:00:00.000Z\nviewDigest: ${featureLock().viewDigest}\nsourceDigest: ${featureLock().sourceDigest}\n`;
    const lock = parseOk(hand, 'state/features/customer_activity.lock.yaml');
    expect(renderLockfile(lock)).toBe(canonical);
  });

  test('strings that look like other YAML types stay strings', () => {
    const lock = modelLock('churn', [
      modelVersion(1, 'candidate', {
        statusHistory: [{ status: 'candidate', at: '2026-05-01T00:00:00Z', reason: 'true' }],
      }),
    ]);
    for (const reason of [
      'true',
      'null',
      '1e3',
      '0x1F',
      '~',
      '- x',
      'a: b',
      '#c',
      ' lead',
      'multi\nline\n',
      '"q"',
      "'",
      '2026-05-01',
    ]) {
      lock.versions[0]!.statusHistory[0]!.reason = reason;
      const back = parseOk(renderLockfile(lock)) as ModelLock;
      expect(back.versions[0]!.statusHistory[0]!.reason).toBe(reason);
    }
  });

  test('NaN and infinite metrics are refused on write, naming the field', () => {
    const lock = modelLock('churn', [
      modelVersion(1, 'candidate', { metrics: { auc: Number.NaN, logloss: Number.POSITIVE_INFINITY } }),
    ]);
    let err: unknown;
    try {
      renderLockfile(lock);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockfileError);
    const diags = (err as LockfileError).diagnostics;
    expect(diags.map((d) => [d.code, d.path.join('.')])).toEqual([
      ['lock/non-finite', 'versions.0.metrics.auc'],
      ['lock/non-finite', 'versions.0.metrics.logloss'],
    ]);
  });

  test('an invalid lock is refused on write (it would not read back)', () => {
    const lock = { ...modelLock(), versions: [modelVersion(1, 'champion'), modelVersion(2, 'champion')] };
    expect(() => renderLockfile(lock)).toThrow(/2 versions are champion/);
    expect(() => renderLockfile({ ...featureLock(), rows: -1 })).toThrow(LockfileError);
    expect(() =>
      renderLockfile({
        ...modelLock(),
        versions: [
          modelVersion(1, 'candidate', {
            artifact: { digest: modelVersion(1).artifact.digest, uri: 'https://user:secret@host/x' },
          }),
        ],
      }),
    ).toThrow(/uri/);
  });
});

describe('reading hand-broken lockfiles', () => {
  const good = renderLockfile(modelLock());

  test('YAML syntax errors point at the line', () => {
    const broken = good.replace('specDigest: sha256', 'specDigest: [sha256');
    expect(where(broken)).toMatch(/^state\/models\/churn\.lock\.yaml:\d+:\d+ error lock\/yaml-syntax/m);
  });

  test('a duplicate key is reported', () => {
    const broken = good.replace('lockVersion: 1\n', 'lockVersion: 1\nlockVersion: 1\n');
    expect(where(broken)).toMatch(/:5:1 error lock\/yaml-syntax YAML duplicate key/);
  });

  test('a wrong type names the field, its line and the value', () => {
    const broken = good.replace('      auc: 0.901', '      auc: high');
    const out = where(broken);
    const line = broken.split('\n').findIndex((l) => l.includes('auc: high')) + 1;
    expect(out).toContain(
      `${FILE}:${line}:12 error lock/wrong-type versions[0].metrics.auc must be of type number, got "high"`,
    );
  });

  test('missing and unknown fields are each reported, all at once', () => {
    const broken = good
      .replace(/^ {4}seed: 42\n/m, '')
      .replace('    trainedAt: 2026-05-02', '    trainedBy: me\n    trainedAt: 2026-05-02');
    const out = where(broken);
    expect(out).toContain('error lock/missing-field missing required field "versions[0].seed"');
    expect(out).toContain('error lock/unknown-field unknown field "versions[1].trainedBy"');
  });

  test('.nan and .inf are refused on read with their position', () => {
    const broken = good.replace('      logloss: 0.31', '      logloss: .nan');
    const line = broken.split('\n').findIndex((l) => l.includes('.nan')) + 1;
    expect(where(broken)).toContain(
      `${FILE}:${line}:16 error lock/non-finite versions[0].metrics.logloss is NaN`,
    );
  });

  test('a newer lockVersion is refused with a clear message', () => {
    const out = where(good.replace('lockVersion: 1', 'lockVersion: 7'));
    expect(out).toContain('error lock/newer-version');
    expect(out).toContain(
      'lockVersion 7, written by a newer Rudder; this one understands lockVersion 1 and older',
    );
  });

  test('an invalid lockVersion, an unknown kind, several documents, a scalar', () => {
    expect(where(good.replace('lockVersion: 1', 'lockVersion: "one"'))).toContain('lock/invalid-version');
    expect(where(good.replace('lockVersion: 1', 'lockVersion: 0'))).toContain('lock/invalid-version');
    expect(where(good.replace('kind: ModelLock', 'kind: ModelLok'))).toContain(
      'unknown lock kind "ModelLok"',
    );
    expect(where(`${good}---\nkind: ModelLock\n`)).toContain('holds 2 YAML documents');
    expect(where('just text\n')).toContain('lock/not-a-lockfile');
    expect(where('')).toContain('lock/not-a-lockfile');
  });

  test('kind and name must match the file location', () => {
    expect(where(good, 'state/features/churn.lock.yaml', { kind: 'FeatureLock', name: 'churn' })).toContain(
      'lock/wrong-kind',
    );
    expect(where(good, 'state/models/churn2.lock.yaml', { kind: 'ModelLock', name: 'churn2' })).toContain(
      'name is "churn" but the file is named churn2.lock.yaml',
    );
  });

  test('broken invariants: status history disagreeing with status, weights not summing to 1, duplicate ids', () => {
    expect(where(good.replace(/(- version: 3\n {4}status: )candidate/, '$1champion'))).toContain(
      '2 versions are champion',
    );
    const rollout = renderLockfile(rolloutLock()).replace('weight: 0.25', 'weight: 0.5');
    expect(where(rollout, 'state/rollouts/churn.lock.yaml')).toContain('traffic weights sum to 1.25, not 1');
    const q = dataLock().quarantines[0]!;
    const dup = renderLockfile({ ...dataLock(), quarantines: [q, { ...q, id: 'q-0123456789ac' }] }).replace(
      'q-0123456789ac',
      'q-0123456789ab',
    );
    expect(where(dup, 'state/data/pii.lock.yaml')).toContain('repeats id "q-0123456789ab"');
  });
});

describe('migrations', () => {
  const v1 = { kind: 'FeatureLock', lockVersion: 1, view: 'a', rowCount: 3 };
  const table: Record<number, Migration> = {
    1: (d) => {
      const { rowCount, ...rest } = d;
      return { ...rest, rows: rowCount, lockVersion: 2 };
    },
    2: (d) => ({ ...d, lockVersion: 3, watermark: null }),
  };

  test('an older document migrates through every step, without touching its input', () => {
    const r = migrateLock(v1, 3, table);
    expect(r).toEqual({
      ok: true,
      value: { kind: 'FeatureLock', lockVersion: 3, view: 'a', rows: 3, watermark: null },
      from: 1,
      steps: 2,
    });
    expect(v1.rowCount).toBe(3);
  });

  test('newer, invalid, missing steps and broken steps are refused', () => {
    expect(migrateLock({ lockVersion: 4 }, 3, table)).toMatchObject({ ok: false, reason: 'newer' });
    expect(migrateLock({ lockVersion: 1.5 }, 3, table)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(migrateLock({ lockVersion: 1 }, 3, { 1: table[1]! })).toMatchObject({
      ok: false,
      reason: 'missing-step',
    });
    expect(migrateLock({ lockVersion: 1 }, 2, { 1: (d) => ({ ...d }) })).toMatchObject({
      ok: false,
      reason: 'failed',
    });
    expect(
      migrateLock({ lockVersion: 1 }, 2, {
        1: () => {
          throw new Error('boom');
        },
      }),
    ).toMatchObject({ ok: false, reason: 'failed', message: expect.stringContaining('boom') });
  });

  test('the current format needs no migration', () => {
    expect(migrateLock({ lockVersion: 1 })).toMatchObject({ ok: true, steps: 0 });
  });
});

describe('self-verifying lockfiles', () => {
  const text = renderLockfile(modelLock());

  test('a written lockfile carries the digest of its body and verifies', () => {
    expect(text.split('\n')[1]).toMatch(/^# integrity: sha256:[0-9a-f]{64}$/);
    expect(parseLockfile(text, FILE).ok).toBe(true);
  });

  test('an edit that still parses is refused, with how to restore or re-seal it', () => {
    const edited = text.replace(/rows: (\d+)/, (_, n: string) => `rows: ${n.slice(0, -1) || '0'}`);
    expect(edited).not.toBe(text);
    expect(parseLockfile(edited, FILE, undefined, { verifySeal: false }).ok).toBe(true);
    const r = parseLockfile(edited, FILE);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'lock/integrity-mismatch', file: FILE });
    expect(r.diagnostics[0]!.hint).toContain(`git checkout -- ${FILE}`);
    expect(r.diagnostics[0]!.hint).toContain(`rudder state seal ${FILE}`);
    // A deliberate edit, re-sealed, reads back with the edit.
    expect(parseLockfile(sealLockText(edited), FILE).ok).toBe(true);
  });

  test('a lockfile without an integrity line is refused', () => {
    const bare = text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    const r = parseLockfile(bare, FILE);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['lock/unsealed']);
  });

  test('every strict prefix of a lockfile is refused (truncation at any byte)', () => {
    const small = renderLockfile(featureLock());
    for (let n = 0; n < small.length; n++) {
      const r = parseLockfile(small.slice(0, n), 'state/features/x.lock.yaml');
      if (r.ok) throw new Error(`a lockfile cut to ${n} of ${small.length} bytes was accepted`);
      const hint = r.diagnostics[0]!.hint ?? '';
      expect(hint).toContain('git checkout --');
    }
  });
});
