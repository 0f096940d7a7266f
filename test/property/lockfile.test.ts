import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { diffLockStates, withLock } from '../../src/state/lock-state.ts';
import { lockPath, normalizeLock, parseLockfile, renderLockfile } from '../../src/state/lockfile.ts';
import {
  emptyLockState,
  versionStatuses,
  type AnyLock,
  type DataLock,
  type FeatureLock,
  type LockState,
  type ModelLock,
  type ModelVersion,
  type RolloutLock,
  type StatusChange,
} from '../../src/state/types.ts';

// ── arbitraries: valid locks of every kind, with the invariants the reader checks ──
const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const digest = hex.map((h) => `sha256:${h}`);
const uri = fc.tuple(hex, fc.boolean()).map(([h, tree]) => `artifact://sha256/${h}${tree ? '?tree' : ''}`);
const iso = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const name = fc
  .stringMatching(/^[a-z][a-z0-9_-]{0,20}$/)
  .filter((s) => !['constructor', 'prototype'].includes(s));
const metricName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_:.-]{0,16}$/)
  .filter(
    (s) => !['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'].includes(s),
  );
// Any finite double, including -0, subnormals, huge and tiny exponents.
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const text = fc.string({ unit: 'binary', maxLength: 40 });
const action = fc.stringMatching(/^[a-z]+:[a-z0-9_@.-]{1,20}$/);
const count = fc.nat({ max: 2 ** 40 });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const statusChange = (status: fc.Arbitrary<StatusChange['status']>) =>
  fc.record(
    { status, at: iso, reason: text, plan: opt(digest), action: opt(action) },
    { requiredKeys: ['status', 'at', 'reason'] },
  );

const versionBody = fc.record(
  {
    history: fc.array(statusChange(fc.constantFrom(...versionStatuses)), { maxLength: 3 }),
    last: statusChange(fc.constantFrom(...versionStatuses)),
    specDigest: digest,
    featureViewDigests: fc.dictionary(name, digest, { maxKeys: 3 }),
    trainingSet: fc.record(
      { digest, cutoff: iso, rows: count, uri: opt(uri) },
      { requiredKeys: ['digest', 'cutoff', 'rows'] },
    ),
    holdout: opt(fc.record({ digest, rows: count, from: iso })),
    seed: fc.integer(),
    trainer: fc.record({
      type: fc.constantFrom('tfjs' as const, 'command' as const),
      backend: fc.constantFrom('tfjs/cpu', 'tfjs/wasm', 'command', 'tfjs/tensorflow-gpu'),
    }),
    metrics: fc.dictionary(metricName, num, { maxKeys: 4 }),
    gates: opt(
      fc.array(
        fc.record({
          metric: metricName,
          rule: fc.constantFrom('min', 'max', 'beatChampionBy'),
          value: num,
          threshold: num,
          passed: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
    ),
    artifact: fc.record({ digest, uri }),
    profile: opt(fc.record({ digest, uri })),
    trainedAt: iso,
    plan: opt(digest),
    action: opt(action),
  },
  {
    requiredKeys: [
      'history',
      'last',
      'specDigest',
      'featureViewDigests',
      'trainingSet',
      'seed',
      'trainer',
      'metrics',
      'artifact',
      'trainedAt',
    ],
  },
);

const modelLock: fc.Arbitrary<ModelLock> = fc
  .record({
    name,
    specDigest: digest,
    numbers: fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 4 }),
    bodies: fc.array(versionBody, { minLength: 4, maxLength: 4 }),
  })
  .map(({ name, specDigest, numbers, bodies }) => {
    let champion = false;
    const versions = numbers.map((version, i): ModelVersion => {
      const { history, last, ...rest } = bodies[i]!;
      let status = last.status;
      // At most one champion: later ones become retired (as a promotion would leave them).
      if (status === 'champion' && champion) status = 'retired';
      if (status === 'champion') champion = true;
      return { version, status, statusHistory: [...history, { ...last, status }], ...rest };
    });
    return { kind: 'ModelLock', lockVersion: 1, name, specDigest, versions };
  });

const featureLock: fc.Arbitrary<FeatureLock> = fc.record(
  {
    kind: fc.constant('FeatureLock' as const),
    lockVersion: fc.constant(1),
    view: name,
    viewDigest: digest,
    watermark: fc.option(iso, { nil: null }),
    rows: count,
    materializedAt: iso,
    sourceDigest: digest,
    plan: opt(digest),
    action: opt(action),
  },
  {
    requiredKeys: [
      'kind',
      'lockVersion',
      'view',
      'viewDigest',
      'watermark',
      'rows',
      'materializedAt',
      'sourceDigest',
    ],
  },
);

const rolloutLock: fc.Arbitrary<RolloutLock> = fc
  .record(
    {
      model: name,
      policyDigest: opt(digest),
      strategy: fc.constantFrom('direct' as const, 'canary' as const, 'abTest' as const),
      status: fc.constantFrom(
        'idle' as const,
        'progressing' as const,
        'paused' as const,
        'promoted' as const,
        'rolled-back' as const,
        'aborted' as const,
      ),
      step: fc.nat({ max: 20 }),
      split: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 1000 })), {
        maxLength: 3,
        selector: ([v]) => v,
      }),
      analysis: fc.array(
        fc.record({
          at: iso,
          step: fc.nat({ max: 20 }),
          version: fc.integer({ min: 1, max: 999 }),
          metric: metricName,
          value: num,
          threshold: num,
          rule: fc.constantFrom('min', 'max', 'maxDegradation', 'welch-t'),
          samples: count,
          passed: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      startedAt: opt(iso),
      updatedAt: iso,
      reason: opt(text),
      plan: opt(digest),
      action: opt(action),
    },
    { requiredKeys: ['model', 'strategy', 'status', 'step', 'split', 'analysis', 'updatedAt'] },
  )
  .map(({ split, ...r }) => {
    const total = split.reduce((s, [, w]) => s + w, 0);
    return {
      kind: 'RolloutLock',
      lockVersion: 1,
      ...r,
      versions: split.map(([version, w]) => ({ version, weight: w / total })),
    };
  });

const column = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const dataLock: fc.Arbitrary<DataLock> = fc.record({
  kind: fc.constant('DataLock' as const),
  lockVersion: fc.constant(1),
  policy: name,
  policyDigest: digest,
  scans: fc.uniqueArray(
    fc.record({
      view: name,
      at: iso,
      scannedRows: count,
      sourceDigest: digest,
      findings: fc.array(
        fc.record({
          column,
          detector: fc.constantFrom('email', 'phone', 'ssn', 'credit-card'),
          rows: count,
          allowed: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 3, selector: (s) => s.view },
  ),
  quarantines: fc.uniqueArray(
    fc.record(
      {
        id: fc.stringMatching(/^q-[0-9a-f]{12}$/),
        view: name,
        column: opt(column),
        detector: fc.constantFrom('email', 'iban', 'ip'),
        rows: count,
        digest,
        at: iso,
        reason: opt(text),
        released: opt(
          fc.record(
            { at: iso, reason: text, plan: opt(digest), action: opt(action) },
            { requiredKeys: ['at', 'reason'] },
          ),
        ),
        plan: opt(digest),
        action: opt(action),
      },
      { requiredKeys: ['id', 'view', 'detector', 'rows', 'digest', 'at'] },
    ),
    { maxLength: 3, selector: (q) => q.id },
  ),
});

const anyLock: fc.Arbitrary<AnyLock> = fc.oneof(modelLock, featureLock, rolloutLock, dataLock);

/** What a lock reads back as: lists sorted, -0 as 0, absent optional fields absent. */
const canonical = (l: AnyLock) => JSON.parse(JSON.stringify(normalizeLock(l))) as unknown;
const nameOf = (l: AnyLock) =>
  l.kind === 'ModelLock'
    ? l.name
    : l.kind === 'FeatureLock'
      ? l.view
      : l.kind === 'RolloutLock'
        ? l.model
        : l.policy;
const fileOf = (l: AnyLock) => lockPath('state', l.kind, nameOf(l));

/** Reorder every object's keys: serialization must not depend on insertion order. */
function shuffleKeys(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffleKeys(x, seed + i));
  if (v != null && typeof v === 'object') {
    const keys = Object.keys(v);
    const rot = keys.length ? seed % keys.length : 0;
    const order = [...keys.slice(rot), ...keys.slice(0, rot)].reverse();
    return Object.fromEntries(
      order.map((k, i) => [k, shuffleKeys((v as Record<string, unknown>)[k], seed * 31 + i)]),
    );
  }
  return v;
}

describe('lockfiles', () => {
  test.prop([anyLock])('round-trip byte for byte: render(parse(render(l))) = render(l)', (lock) => {
    const text = renderLockfile(lock);
    const r = parseLockfile(text, fileOf(lock), { kind: lock.kind, name: nameOf(lock) });
    expect(r.diagnostics).toEqual([]);
    if (!r.ok) return;
    expect(r.value).toEqual(canonical(lock));
    expect(renderLockfile(r.value)).toBe(text);
  });

  test.prop([anyLock, fc.nat()])('the text does not depend on key or list order', (lock, seed) => {
    const shuffled = shuffleKeys(lock, seed) as AnyLock;
    if (shuffled.kind === 'ModelLock' || shuffled.kind === 'RolloutLock')
      (shuffled.versions as unknown[]).reverse();
    expect(renderLockfile(shuffled)).toBe(renderLockfile(lock));
  });

  test.prop([fc.array(anyLock, { maxLength: 6 })])(
    're-reading an unchanged state yields no file change (a no-op apply writes nothing)',
    (locks) => {
      let state: LockState = emptyLockState();
      for (const l of locks) state = withLock(state, l);
      let reread: LockState = emptyLockState();
      for (const l of locks) {
        const r = parseLockfile(renderLockfile(l), fileOf(l));
        if (r.ok) reread = withLock(reread, r.value);
      }
      expect(diffLockStates(state, reread, 'state')).toEqual([]);
    },
  );

  test.prop([anyLock, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY)])(
    'a non-finite number anywhere is refused on write',
    (lock, bad) => {
      const numbers: { obj: Record<string, unknown>; key: string }[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v != null && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            if (typeof x === 'number' && k !== 'lockVersion')
              numbers.push({ obj: v as Record<string, unknown>, key: k });
            else walk(x);
          }
      };
      const copy = structuredClone(lock);
      walk(copy);
      fc.pre(numbers.length > 0);
      const target = numbers[numbers.length >> 1]!;
      target.obj[target.key] = bad;
      expect(() => renderLockfile(copy)).toThrow(/finite|must be|lock/);
    },
  );
});
