// Builders for lock values used across state and git tests: realistic, deterministic.
import { sha256Hex } from '../../../src/util/canonical.ts';
import type {
  DataLock,
  FeatureLock,
  ModelLock,
  ModelVersion,
  RolloutLock,
} from '../../../src/state/types.ts';

export const dg = (seed: string): string => `sha256:${sha256Hex(seed)}`;
export const at = (day: number, hour = 12): string => new Date(Date.UTC(2026, 4, day, hour)).toISOString();

export function modelVersion(
  version: number,
  status: ModelVersion['status'] = 'candidate',
  extra: Partial<ModelVersion> = {},
): ModelVersion {
  return {
    version,
    status,
    statusHistory:
      status === 'candidate'
        ? [{ status, at: at(version), reason: 'trained: spec changed' }]
        : [
            {
              status: 'candidate',
              at: at(version),
              reason: 'trained: spec changed',
              plan: dg(`plan${version}`),
              action: `train:churn@${version}`,
            },
            {
              status,
              at: at(version, 13),
              reason: status === 'champion' ? 'gates passed: auc 0.91 >= 0.85' : `now ${status}`,
            },
          ],
    specDigest: dg(`spec${version}`),
    featureViewDigests: { customer_activity: dg('view-a'), customer_profile: dg('view-b') },
    trainingSet: {
      digest: dg(`ts${version}`),
      cutoff: at(version, 0),
      rows: 12000 + version,
      uri: `artifact://sha256/${sha256Hex(`ts${version}`)}`,
    },
    holdout: { digest: dg(`ho${version}`), rows: 2400, from: at(version - 1 > 0 ? version - 1 : 1, 0) },
    seed: 42,
    trainer: { type: 'tfjs', backend: 'tfjs/cpu' },
    metrics: { auc: 0.9 + version / 1000, logloss: 0.31, 'custom:revenue': 1234.5 },
    gates: [{ metric: 'auc', rule: 'min', value: 0.9 + version / 1000, threshold: 0.85, passed: true }],
    artifact: {
      digest: dg(`model${version}`),
      uri: `artifact://sha256/${sha256Hex(`model${version}`)}?tree`,
    },
    profile: { digest: dg(`profile${version}`), uri: `artifact://sha256/${sha256Hex(`profile${version}`)}` },
    trainedAt: at(version),
    plan: dg(`plan${version}`),
    action: `train:churn@${version}`,
    ...extra,
  };
}

export function modelLock(
  name = 'churn',
  versions: ModelVersion[] = [modelVersion(1, 'retired'), modelVersion(2, 'champion'), modelVersion(3)],
): ModelLock {
  return { kind: 'ModelLock', lockVersion: 1, name, specDigest: dg(`spec-${name}`), versions };
}

export function featureLock(view = 'customer_activity', rows = 5000): FeatureLock {
  return {
    kind: 'FeatureLock',
    lockVersion: 1,
    view,
    viewDigest: dg(`view-${view}`),
    watermark: at(3),
    rows,
    materializedAt: at(3, 14),
    sourceDigest: dg(`src-${view}-${rows}`),
  };
}

export function rolloutLock(model = 'churn'): RolloutLock {
  return {
    kind: 'RolloutLock',
    lockVersion: 1,
    model,
    policyDigest: dg(`rollout-${model}`),
    strategy: 'canary',
    status: 'progressing',
    step: 1,
    versions: [
      { version: 2, weight: 0.75 },
      { version: 3, weight: 0.25 },
    ],
    analysis: [
      {
        at: at(4),
        step: 0,
        version: 3,
        metric: 'error_rate',
        value: 0.01,
        threshold: 0.05,
        rule: 'max',
        samples: 800,
        passed: true,
      },
    ],
    startedAt: at(4, 1),
    updatedAt: at(4, 2),
    reason: 'challenger v3 passed step 1',
  };
}

export function dataLock(policy = 'pii'): DataLock {
  return {
    kind: 'DataLock',
    lockVersion: 1,
    policy,
    policyDigest: dg(`policy-${policy}`),
    scans: [
      {
        view: 'customer_profile',
        at: at(2),
        scannedRows: 5000,
        sourceDigest: dg('src-profile'),
        findings: [{ column: 'email', detector: 'email', rows: 12, allowed: false }],
      },
    ],
    quarantines: [
      {
        id: 'q-0123456789ab',
        view: 'customer_profile',
        column: 'email',
        detector: 'email',
        rows: 12,
        digest: dg('rows'),
        at: at(2),
        reason: 'emails in a non-PII column',
      },
    ],
  };
}
