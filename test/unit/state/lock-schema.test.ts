// The lockfile schema (src/schema/lock.schema.json) as lockfiles meet it: what it accepts and what
// it refuses, with the field named. The TypeScript types are generated from the same file.
import { describe, expect, test } from 'vitest';
import { checkLockSchema } from '../../../src/state/lock-schema.ts';
import { checkLockValue } from '../../../src/state/lockfile.ts';
import { rolloutStatuses, versionStatuses } from '../../../src/state/types.ts';
import { dataLock, featureLock, modelLock, modelVersion, rolloutLock } from './fixtures.ts';

const problems = (value: unknown) => checkLockValue(value).map((d) => `${d.code} ${d.path.join('.')}`);

describe('lock schema', () => {
  test('the fixtures of every kind pass, and so does every status the schema lists', () => {
    for (const lock of [modelLock(), featureLock(), rolloutLock(), dataLock()])
      expect(checkLockSchema(lock.kind, lock)).toEqual([]);
    for (const status of versionStatuses)
      expect(checkLockSchema('ModelLock', modelLock('churn', [modelVersion(1, status)]))).toEqual([]);
    for (const status of rolloutStatuses)
      expect(checkLockSchema('RolloutLock', { ...rolloutLock(), status })).toEqual([]);
    expect(checkLockSchema('FeatureLock', { ...featureLock(), watermark: null })).toEqual([]);
  });

  test('GIVEN keys that shadow Object.prototype members THEN refused', () => {
    const v = modelVersion(1, 'champion', { metrics: { constructor: 1 } });
    expect(problems(modelLock('churn', [v]))).toContain('lock/invalid-value versions.0.metrics');
    const w = modelVersion(1, 'champion', { featureViewDigests: { prototype: 'sha256:' + 'a'.repeat(64) } });
    expect(problems(modelLock('churn', [w]))).toContain('lock/invalid-value versions.0.featureViewDigests');
    // The same name, not reserved, passes.
    const ok = modelVersion(1, 'champion', {
      featureViewDigests: { prototypes: 'sha256:' + 'a'.repeat(64) },
    });
    expect(checkLockSchema('ModelLock', modelLock('churn', [ok]))).toEqual([]);
  });

  test('GIVEN a credential in an artifact URI THEN refused: secrets never land in a lockfile', () => {
    const v = modelVersion(1, 'champion', {
      artifact: { digest: 'sha256:' + 'a'.repeat(64), uri: 's3://key:secret@bucket/model' },
    });
    expect(problems(modelLock('churn', [v]))).toEqual(['lock/invalid-value versions.0.artifact.uri']);
  });

  test('GIVEN an unknown field, a wrong type or a weight above 1 THEN each is named by its path', () => {
    const lock = rolloutLock();
    const bad = {
      ...lock,
      colour: 'red',
      step: 'one',
      versions: [{ version: 2, weight: 1.5 }],
    };
    expect(problems(bad).sort()).toEqual(
      ['lock/unknown-field colour', 'lock/wrong-type step', 'lock/invalid-value versions.0.weight'].sort(),
    );
  });

  test('GIVEN a quarantine id of the wrong form or a status no version can have THEN refused', () => {
    const d = dataLock();
    expect(problems({ ...d, quarantines: [{ ...d.quarantines[0]!, id: 'Q-1' }] })).toEqual([
      'lock/invalid-value quarantines.0.id',
    ]);
    const v = { ...modelVersion(1, 'champion'), status: 'winner' };
    expect(problems(modelLock('churn', [v as never]))).toContain('lock/invalid-value versions.0.status');
  });
});
